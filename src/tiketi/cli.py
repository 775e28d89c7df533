"""The `tiketi` command: serve, cluster, migrate, seed-demo, admin, stats."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import getpass
import json
import os
import socket
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import structlog
from pydantic import ValidationError

from tiketi.app import (
    SPLIT_ONLY,
    WORKER_SERVICES_ENV,
    UnknownServiceError,
    build_modules,
    service_names,
)
from tiketi.kernel.errors import DomainError
from tiketi.kernel.logs import configure_logging
from tiketi.kernel.settings import InsecureSettingsError, PlatformSettings, get_settings

log = structlog.get_logger("tiketi.cli")


class CommandError(Exception):
    """A failure to explain to the operator in one line, without a traceback."""


@contextlib.contextmanager
def resolved_settings(
    settings: PlatformSettings, *, needs_database: bool = True
) -> Iterator[PlatformSettings]:
    """Settings with real engine URLs: the configured servers, or embedded ones under var/."""
    if settings.redis_url and (settings.database_url or not needs_database):
        yield settings
        return
    from tiketi.kernel.engines import EngineError, embedded_engines

    try:
        with embedded_engines(settings.var_dir.resolve()) as (database_url, redis_url):
            log.info("embedded_engines", var_dir=str(settings.var_dir.resolve()))
            yield settings.model_copy(
                update={
                    "database_url": settings.database_url or database_url,
                    "redis_url": settings.redis_url or redis_url,
                }
            )
    except EngineError as exc:
        raise CommandError(str(exc)) from exc


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            reason = "is already in use" if exc.errno == errno.EADDRINUSE else f"failed: {exc}"
            raise CommandError(
                f"cannot listen on {host}:{port}: the port {reason}; set PORT to another one"
            ) from exc


def _server(config: Any) -> Any:
    """A uvicorn server that returns after a graceful SIGTERM instead of re-raising it.

    uvicorn re-raises the signal once it has drained, which kills the process before the
    embedded engines are stopped; returning lets `tiketi serve` stop them and exit 0.
    """
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            with super().capture_signals():
                yield
                self._captured_signals.clear()

    return Server(config)


def cmd_serve(args: argparse.Namespace, settings: PlatformSettings) -> None:
    """Run every service in one process, or the named ones."""
    import uvicorn

    from tiketi.app import create_platform_app
    from tiketi.kernel.migrate import upgrade_sync
    from tiketi.kernel.tuning import tune_gc

    names = service_names(args.services)
    if args.demo and args.services:
        raise CommandError("--demo seeds through every service: use it without service names")
    host = args.host or settings.host
    port = args.port or settings.port
    _check_port(host, port)
    # The split gateway has no tables: it needs Redis only, never an embedded PostgreSQL.
    needs_database = any(name not in SPLIT_ONLY for name in names)
    embedded = not settings.redis_url or (needs_database and not settings.database_url)
    chosen = settings.model_copy(update={"host": host, "port": port})
    with resolved_settings(chosen, needs_database=needs_database) as ready:
        if needs_database and (embedded or args.migrate):
            assert ready.database_url
            upgrade_sync(build_modules(ready, names), ready.database_url)
        if args.demo:
            print(_seed(ready, f"http://{host}:{port}"), flush=True)
        workers = args.workers or ready.workers
        log.info(
            "serving",
            url=f"http://{host}:{port}",
            services=names,
            embedded=embedded,
            workers=workers,
        )
        options: dict[str, Any] = {
            "host": host,
            "port": port,
            "log_config": None,
            "access_log": False,
            # client_ip() reads X-Forwarded-For itself, as far as TIKETI_TRUSTED_PROXY_HOPS says.
            "proxy_headers": False,
            "timeout_graceful_shutdown": args.grace,
            "ws": "websockets-sansio",
        }
        if workers == 1:
            app = create_platform_app(ready, args.services)
            tune_gc(ready.gc_threshold)
            _server(uvicorn.Config(app, **options)).run()
        else:
            _serve_workers(ready, args.services, workers, options)


def _serve_workers(
    ready: PlatformSettings, services: Sequence[str], workers: int, options: dict[str, Any]
) -> None:
    """uvicorn's supervisor: `workers` spawned processes accept on one socket; a worker that
    dies is replaced; SIGTERM drains them all. Each builds the app from the environment
    (tiketi.app.worker_app), so the resolved engine URLs and the services go there."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    handed = {
        "TIKETI_DATABASE_URL": ready.database_url,
        "TIKETI_REDIS_URL": ready.redis_url,
        "TIKETI_HOST": ready.host,
        "PORT": str(ready.port),
        WORKER_SERVICES_ENV: ",".join(services),
    }
    os.environ.update({name: value for name, value in handed.items() if value is not None})
    config = uvicorn.Config("tiketi.app:worker_app", factory=True, workers=workers, **options)
    Multiprocess(config, sockets=[config.bind_socket()]).run()


def _seed(settings: PlatformSettings, base_url: str) -> str:
    from tiketi.demo import DemoRefused, describe, seed_demo

    try:
        return describe(asyncio.run(seed_demo(settings)), base_url)
    except DemoRefused as exc:
        raise CommandError(str(exc)) from exc


def cmd_seed_demo(args: argparse.Namespace, settings: PlatformSettings) -> None:
    """Create the demo organizer, fan, venue and on-sale event (idempotent)."""
    from tiketi.kernel.migrate import upgrade_sync

    with resolved_settings(settings) as ready:
        assert ready.database_url
        upgrade_sync(build_modules(ready), ready.database_url)
        print(_seed(ready, f"http://{ready.host}:{ready.port}"))


def cmd_migrate(args: argparse.Namespace, settings: PlatformSettings) -> None:
    """Bring every service's schema (or the named ones') to the newest revision."""
    from tiketi.kernel.migrate import upgrade_sync

    names = [n for n in service_names(args.services) if n not in SPLIT_ONLY]
    with resolved_settings(settings) as ready:
        assert ready.database_url
        done = upgrade_sync(build_modules(ready, names), ready.database_url)
    print(f"migrated: {', '.join(done) or 'nothing'}")


def cmd_admin_create(args: argparse.Namespace, settings: PlatformSettings) -> None:
    """Create an admin (or promote an existing user) against the platform's database."""
    from tiketi.kernel.db import Database
    from tiketi.kernel.migrate import upgrade_sync
    from tiketi.services.auth.commands import create_admin

    password = args.password or getpass.getpass("Password: ")
    with resolved_settings(settings) as ready:
        assert ready.database_url
        upgrade_sync(build_modules(ready, ["auth"]), ready.database_url)

        async def run() -> Any:
            db = Database(ready.database_url or "")
            try:
                return await create_admin(db, email=args.email, password=password, name=args.name)
            finally:
                await db.dispose()

        user = asyncio.run(run())
    print(json.dumps(user, default=str))


def cmd_stats_rebuild(args: argparse.Namespace, settings: PlatformSettings) -> None:
    """Empty stats' tables and replay every event stream into them from the start."""
    from tiketi.kernel.migrate import upgrade_sync
    from tiketi.services.stats.commands import rebuild_from_settings

    with resolved_settings(settings) as ready:
        assert ready.database_url
        upgrade_sync(build_modules(ready, ["stats"]), ready.database_url)
        done = asyncio.run(rebuild_from_settings(ready))
    print(json.dumps({"applied": done.applied, "duplicates": done.duplicates, "dead": done.dead}))


def cmd_cluster(args: argparse.Namespace, settings: PlatformSettings) -> None:
    """Every service in its own process(es) behind nginx on loopback (docs/scale.md)."""
    from pathlib import Path

    from tiketi.multiproc.cluster import serve_cluster

    serve_cluster(
        port=args.port or settings.port,
        database_url=settings.database_url,
        redis_url=settings.redis_url,
        workdir=Path(args.workdir) if args.workdir else None,
    )


def parser() -> argparse.ArgumentParser:
    """The command line."""
    root = argparse.ArgumentParser(prog="tiketi", description="Tiketi ticketing platform.")
    commands = root.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve every service (default) or the named ones")
    serve.add_argument("services", nargs="*", help="service names; none = all in one process")
    serve.add_argument("--host", default=None, help="address to bind (default TIKETI_HOST)")
    serve.add_argument("--port", type=int, default=None, help="port (default PORT or 3001)")
    serve.add_argument("--migrate", action="store_true", help="migrate before serving")
    serve.add_argument("--grace", type=int, default=20, help="seconds to drain on SIGTERM")
    serve.add_argument("--demo", action="store_true", help="seed the demo data first (idempotent)")
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes sharing the port (default TIKETI_WORKERS or 1)",
    )
    serve.set_defaults(func=cmd_serve)
    cluster = commands.add_parser(
        "cluster", help="every service in its own process, nginx in front"
    )
    cluster.add_argument("--port", type=int, default=None, help="nginx's port (default PORT)")
    cluster.add_argument("--workdir", default=None, help="logs, nginx.conf, mail (default: temp)")
    cluster.set_defaults(func=cmd_cluster)
    migrate = commands.add_parser("migrate", help="migrate every service's schema")
    migrate.add_argument("services", nargs="*")
    migrate.set_defaults(func=cmd_migrate)
    seed = commands.add_parser("seed-demo", help="demo organizer, fan, venue and event on sale")
    seed.set_defaults(func=cmd_seed_demo)
    admin = commands.add_parser("admin", help="administration")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True)
    create = admin_commands.add_parser("create", help="create an admin user")
    create.add_argument("--email", required=True)
    create.add_argument("--password", default=None, help="prompted for when omitted")
    create.add_argument("--name", default=None)
    create.set_defaults(func=cmd_admin_create)
    stats = commands.add_parser("stats", help="the stats service")
    stats_commands = stats.add_subparsers(dest="stats_command", required=True)
    rebuild = stats_commands.add_parser("rebuild", help="replay every event stream into stats")
    rebuild.set_defaults(func=cmd_stats_rebuild)
    return root


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `tiketi` script."""
    args = parser().parse_args(argv)
    try:
        settings = get_settings()
        # Only the server narrates; one-shot commands print their result and any warnings.
        level = settings.log_level if args.command in {"serve", "cluster"} else "WARNING"
        configure_logging(level=level, json=settings.log_json)
        args.func(args, settings)
    except (CommandError, UnknownServiceError, InsecureSettingsError) as exc:
        print(f"tiketi: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    except ValidationError as exc:
        print(f"tiketi: invalid settings: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    except DomainError as exc:
        detail = f" {json.dumps(exc.details, ensure_ascii=False)}" if exc.details else ""
        print(f"tiketi: {exc.code}: {exc.message}{detail}", file=sys.stderr)
        raise SystemExit(1) from exc
    except KeyboardInterrupt:
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
