"""The gateway as a ServiceModule: no database, one pooled upstream client."""

from __future__ import annotations

from tiketi.kernel.module import ServiceModule
from tiketi.kernel.settings import PlatformSettings
from tiketi.services.gateway.adapters.openapi import OpenApiAggregator
from tiketi.services.gateway.adapters.proxy import HttpProxy
from tiketi.services.gateway.adapters.sockets import SocketProxy
from tiketi.services.gateway.api.routes import build_router
from tiketi.services.gateway.settings import GatewaySettings, get_settings


def build(platform: PlatformSettings, settings: GatewaySettings | None = None) -> ServiceModule:
    """The gateway module; `settings` defaults to the environment's TIKETI_GATEWAY_*."""
    settings = settings or get_settings()
    # X-Forwarded-Proto/Host from the client count only when an ingress we run sits in front.
    trust = platform.trusted_proxy_hops > 0
    http = HttpProxy(settings, trust_forwarded=trust)
    sockets = SocketProxy(
        settings, trust_forwarded=trust, max_message_bytes=platform.max_body_bytes
    )
    return ServiceModule(
        name="gateway",
        router=build_router(http, sockets),
        schema=None,
        migrations=None,
        uses_database=False,
        startup=[http.start],
        shutdown=[http.stop],
        openapi=OpenApiAggregator(http).document,
    )
