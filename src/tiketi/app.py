"""The composition root: which services exist, and an ASGI app serving all or some of them."""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence

from fastapi import FastAPI

from tiketi.kernel.app_factory import create_app
from tiketi.kernel.logs import configure_logging
from tiketi.kernel.module import ServiceModule
from tiketi.kernel.settings import PlatformSettings, get_settings
from tiketi.kernel.tuning import tune_gc
from tiketi.web import mount_web, web_dist

# Adding a service is one line here: its name and the module whose build() returns it.
SERVICES: dict[str, str] = {
    "auth": "tiketi.services.auth.module",
    "booking": "tiketi.services.booking.module",
    "catalog": "tiketi.services.catalog.module",
    "gateway": "tiketi.services.gateway.module",
    "notify": "tiketi.services.notify.module",
    "payment": "tiketi.services.payment.module",
    "queue": "tiketi.services.queue.module",
    "stats": "tiketi.services.stats.module",
}

# The gateway only exists on its own; in one process the composition itself is the gateway.
SPLIT_ONLY = {"gateway"}


class UnknownServiceError(ValueError):
    """A service name that is not in SERVICES."""


def service_names(names: Sequence[str] | None = None) -> list[str]:
    """Validate names; None means every service of the one-process mode."""
    if not names:
        return [name for name in SERVICES if name not in SPLIT_ONLY]
    unknown = [name for name in names if name not in SERVICES]
    if unknown:
        raise UnknownServiceError(
            f"unknown service {', '.join(unknown)}; choose from {', '.join(SERVICES)}"
        )
    return list(names)


def build_modules(
    settings: PlatformSettings, names: Sequence[str] | None = None
) -> list[ServiceModule]:
    """Build the chosen services' modules (every one-process service when names is empty)."""
    modules = []
    for name in service_names(names):
        module = importlib.import_module(SERVICES[name])
        modules.append(module.build(settings))
    return modules


def create_platform_app(settings: PlatformSettings, names: Sequence[str] | None = None) -> FastAPI:
    """The app for `tiketi serve [service]`: the edge features when it faces clients."""
    chosen = service_names(names)
    edge = names is None or len(names) == 0 or "gateway" in chosen
    modules = build_modules(settings, chosen)
    app = create_app(settings, modules, edge=edge)
    # The one-process mode also serves the web app; the split gateway proxies the API only
    # (there the web app is static files on a CDN).
    dist = web_dist(settings) if edge and "gateway" not in chosen else None
    if dist is not None:
        mount_web(app, dist, public_config(modules))
    return app


# `tiketi serve --workers N` names the services of its workers here (comma-separated).
WORKER_SERVICES_ENV = "TIKETI_SERVE_SERVICES"


def worker_app() -> FastAPI:
    """The app of one `tiketi serve --workers N` worker process (uvicorn's factory).

    The parent resolved the engines (embedded ones too) and migrated; it hands the URLs and the
    service names down through the environment, which each spawned worker reads here.
    """
    settings = get_settings()
    configure_logging(level=settings.log_level, json=settings.log_json)
    names = [name for name in os.environ.get(WORKER_SERVICES_ENV, "").split(",") if name]
    app = create_platform_app(settings, names or None)
    tune_gc(settings.gc_threshold)
    return app


def public_config(modules: Sequence[ServiceModule]) -> dict[str, str]:
    """What the built services let the browser know (client ids and keys, never a secret)."""
    config: dict[str, str] = {}
    for module in modules:
        config.update(module.public_config)
    return config
