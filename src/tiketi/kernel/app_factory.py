"""Builds the ASGI app for any set of modules: ops endpoints, middleware, errors, lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse
from starlette.requests import HTTPConnection
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from tiketi.kernel import metrics
from tiketi.kernel.db import Database
from tiketi.kernel.drain import Drain
from tiketi.kernel.errors import error_response, install_error_handlers
from tiketi.kernel.inprocess import is_in_process
from tiketi.kernel.middleware import RequestContextMiddleware
from tiketi.kernel.module import OpenApiHook, ServiceModule
from tiketi.kernel.ratelimit import TokenBucket, client_ip
from tiketi.kernel.realtime import MOUNT_PATH, Realtime, socket_endpoint
from tiketi.kernel.redis import create_redis
from tiketi.kernel.relay import relay_outbox
from tiketi.kernel.routing import (
    NO_FASTAPI_TELEMETRY,
    Guard,
    add_module_routes,
    install_route_index,
)
from tiketi.kernel.runtime import Runtime
from tiketi.kernel.settings import PlatformSettings, refuse_default_secrets
from tiketi.kernel.streams import consume, raise_if_cancelled
from tiketi.kernel.tokens import TokenVerifier, http_jwks_fetcher
from tiketi.kernel.tracing import setup_tracing
from tiketi.kernel.tuning import refreeze_gc

log = structlog.get_logger("tiketi.app")

VERSION = "0.1.0"


async def supervise(name: str, work: Callable[[], Awaitable[None]]) -> None:
    """Keep a background loop alive: log a crash, back off, start again (e.g. Redis back)."""
    delay = 0.5
    while True:
        raise_if_cancelled()
        try:
            await work()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("worker_crashed", worker=name, retry_in=delay, exc_info=True)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)


async def _check(name: str, probe: Awaitable[object], timeout: float) -> str | None:
    try:
        await asyncio.wait_for(probe, timeout)
        return None
    except Exception as exc:
        return f"{name} unavailable: {type(exc).__name__}"


def _ops_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/", summary="What this server is and where to look", include_in_schema=False)
    async def index(request: Request) -> dict[str, object]:
        runtime: Runtime = request.app.state.runtime
        return {
            "name": "Tiketi",
            "version": VERSION,
            "services": list(runtime.services),
            "docs": "/docs",
            "openapi": "/openapi.json",
        }

    @router.get("/health", summary="Liveness: 200 while the process lives")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/ready", summary="Readiness: 200 when PostgreSQL and Redis answer, else 503")
    async def ready(request: Request) -> JSONResponse:
        runtime: Runtime = request.app.state.runtime
        drain: Drain | None = getattr(request.app.state, "drain", None)
        if drain is not None and drain.draining:
            # Told to stop: send no new work here while in-flight requests finish.
            return error_response(
                503, "NOT_READY", "Not ready: shutting down.", {"process": "draining"}
            )
        timeout = runtime.settings.redis_timeout_seconds
        failures: dict[str, str | None] = {}
        if runtime.uses_database:
            failures["database"] = await _check("database", runtime.db.ping(), timeout)
        failures["redis"] = await _check("redis", runtime.redis.ping(), timeout)
        failed = {k: v for k, v in failures.items() if v}
        if failed:
            return error_response(
                503,
                "NOT_READY",
                "Not ready: " + ", ".join(sorted(failed)) + " unavailable.",
                {k: v or "ok" for k, v in failures.items()},
            )
        return JSONResponse({"status": "ready", "checks": {k: "ok" for k in failures}})

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def prometheus() -> Response:
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    return router


def edge_rate_limit(settings: PlatformSettings) -> Guard:
    """The gateway's per-IP limit, wrapped around every API route (0 switches it off)."""

    burst = max(10, settings.rate_limit_per_minute // 2)
    # Every request passes here: a client's tokens are taken from Redis a few at a time
    # (ratelimit.TokenBucket's lease; 12 at the default 1,200/min, single ones for small limits).
    lease = burst // 50
    buckets: list[TokenBucket] = []

    async def limit(scope: Scope) -> None:
        # Calls between modules of this process are not clients at the edge.
        if is_in_process(scope):
            return
        # HTTPConnection, not Request: the guard also runs for WebSocket routes (upgrades).
        connection = HTTPConnection(scope)
        redis = connection.app.state.runtime.redis
        if not buckets or buckets[0].redis is not redis:
            rate = settings.rate_limit_per_minute / 60
            buckets[:] = [TokenBucket(redis, name="edge", rate=rate, burst=burst, lease=lease)]
        await buckets[0].check(client_ip(connection, settings.trusted_proxy_hops))

    def guard(app: ASGIApp) -> ASGIApp:
        if settings.rate_limit_per_minute <= 0:
            return app

        async def limited(scope: Scope, receive: Receive, send: Send) -> None:
            await limit(scope)
            await app(scope, receive, send)

        return limited

    return guard


def _background(runtime: Runtime, modules: Sequence[ServiceModule]) -> list[asyncio.Task[None]]:
    tasks: list[asyncio.Task[None]] = []

    def start(name: str, work: Callable[[], Awaitable[None]]) -> None:
        tasks.append(asyncio.create_task(supervise(name, work), name=name))

    for module in modules:
        if module.outbox and module.schema:
            start(f"{module.name}.outbox", partial(relay_outbox, runtime, schema=module.schema))
        for sub in module.subscriptions:
            start(f"{module.name}.{sub.group}", partial(consume, runtime, sub))
        for worker in module.workers:
            start(f"{module.name}.{worker.__name__}", partial(worker, runtime))
    return tasks


def _lifespan(
    settings: PlatformSettings, modules: Sequence[ServiceModule]
) -> Callable[[FastAPI], Any]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        uses_database = any(m.uses_database for m in modules)
        if not settings.redis_url or (uses_database and not settings.database_url):
            raise RuntimeError("the app needs TIKETI_DATABASE_URL and TIKETI_REDIS_URL resolved")
        # An engine connects lazily, so a service without tables never opens a connection.
        pool_size, max_overflow = settings.pool_sizes(sum(m.uses_database for m in modules))
        db = Database(
            settings.database_url or "postgresql://unused/unused",
            pool_size=pool_size,
            max_overflow=max_overflow,
            timeout=settings.db_timeout_seconds,
        )
        redis = create_redis(settings.redis_url, timeout=settings.redis_timeout_seconds)
        exports: dict[str, Callable[..., Any]] = {}
        for module in modules:
            exports.update(module.exports)
        jwks_url = settings.jwks_url or f"http://127.0.0.1:{settings.port}/api/v1/auth/jwks"
        fetcher = exports.get("jwks") or http_jwks_fetcher(jwks_url)
        verifier = TokenVerifier(
            fetcher,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            service_key=settings.service_key.get_secret_value(),
        )
        runtime = Runtime(
            settings=settings,
            db=db,
            redis=redis,
            verifier=verifier,
            exports=exports,
            services=tuple(m.name for m in modules),
            uses_database=uses_database,
        )
        runtime.asgi = app
        realtime = Realtime(runtime, serve=_serves_sockets(modules))
        runtime.realtime_layer = realtime
        for module in modules:
            if module.sockets is not None:
                module.sockets(realtime)
        app.state.runtime = runtime
        for module in modules:
            for hook in module.startup:
                await hook(runtime)
        await realtime.start()
        tasks = _background(runtime, modules)
        drain = Drain(delay=settings.drain_seconds)
        app.state.drain = drain
        drain.install()
        log.info("started", services=list(runtime.services))
        refreeze_gc()
        try:
            yield
        finally:
            drain.uninstall()
            await _stop_tasks(tasks)
            for module in modules:
                for hook in module.shutdown:
                    await _bounded(f"{module.name}.shutdown", hook(runtime))
            await _bounded("realtime.stop", realtime.stop())
            await redis.aclose()
            await db.dispose()
            log.info("stopped", services=list(runtime.services))

    return lifespan


# Shutdown must finish even when a driver swallowed a cancellation (redis-py can, mid-command):
# each step gets a bound, and what does not stop in time is logged and left behind.
SHUTDOWN_STEP_SECONDS = 5.0


async def _stop_tasks(tasks: Sequence[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=SHUTDOWN_STEP_SECONDS)
    for task in pending:
        # Cancel again: a loop that swallowed the first one sees this at its next await.
        task.cancel()
        log.warning("worker_did_not_stop", worker=task.get_name())


async def _bounded(name: str, step: Awaitable[None]) -> None:
    try:
        await asyncio.wait_for(step, SHUTDOWN_STEP_SECONDS)
    except TimeoutError:
        log.warning("shutdown_step_timed_out", step=name)
    except Exception:
        log.warning("shutdown_step_failed", step=name, exc_info=True)


def _serves_sockets(modules: Sequence[ServiceModule]) -> bool:
    return any(module.sockets is not None for module in modules)


def _publish_openapi(app: FastAPI, assemble: OpenApiHook) -> None:
    """Serve /openapi.json (and /docs) from a module's hook instead of FastAPI's own."""

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(await assemble(request.app.state.runtime, app.openapi()))

    @app.get("/docs", include_in_schema=False)
    async def docs() -> Response:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Tiketi API")


def create_app(
    settings: PlatformSettings, modules: Sequence[ServiceModule], *, edge: bool = True
) -> FastAPI:
    """An app serving `modules`; `edge` adds what the gateway owns (CORS, per-IP limits)."""
    if any(m.uses_database for m in modules):
        # Every service but the split gateway verifies (or mints) service tokens.
        refuse_default_secrets(settings, {"TIKETI_SERVICE_KEY": settings.service_key})
    assemble = next((m.openapi for m in modules if m.openapi is not None), None)
    app = FastAPI(
        telemetry=NO_FASTAPI_TELEMETRY,
        title="Tiketi",
        version=VERSION,
        summary="Ticketing for flash sales.",
        lifespan=_lifespan(settings, modules),
        openapi_url=None if assemble else "/openapi.json",
    )
    install_error_handlers(app)
    if assemble is not None:
        _publish_openapi(app, assemble)
    add_module_routes(app, _ops_router())
    if _serves_sockets(modules):
        # First, so no catch-all route (the split gateway's, a web app's) can shadow it.
        app.router.routes.insert(0, Mount(MOUNT_PATH, app=socket_endpoint))
    guard = edge_rate_limit(settings) if edge else None
    for module in modules:
        if module.router is not None:
            add_module_routes(app, module.router, guard)
    if edge:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    setup_tracing(app, settings)
    install_route_index(app)
    return app
