"""How a request finds its route: modules' routes laid out flat, looked up by their literal prefix.

FastAPI walks every route of every included router for each request (and an included router
walks its own twice), which cost a join ~0.4 ms of CPU with the platform's ~75 routes. Here the
composition adds each module's routes to the app itself (`add_module_routes`), and `RouteIndex`
sends a request only through the routes that can match its first path segments, in their
original order, so the route chosen is always the one Starlette's full scan would choose.
Anything the index is not sure of (a short path, a 405, a trailing-slash redirect, a 404) goes
to the router's own scan.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

from fastapi import FastAPI
from fastapi.routing import APIRouter
from fastapi.telemetry import TelemetryConfig
from starlette.routing import BaseRoute, Match, Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

# Requests are indexed by their first KEY_SEGMENTS path segments ("api/v1/queue").
KEY_SEGMENTS = 3

# FastAPI's built-in OpenTelemetry off: kernel.tracing instruments the app when configured, and
# FastAPI's own would look the global providers up on every request (~10 % of a join's CPU).
NO_FASTAPI_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}

# Wraps one route's ASGI app (the edge rate limit): runs only once the route is chosen.
Guard = Callable[[ASGIApp], ASGIApp]


def add_module_routes(app: FastAPI, router: APIRouter, guard: Guard | None = None) -> None:
    """Append a module's routes to the app itself, each behind `guard` if given.

    A module's router must hold its routes itself: an `include_router` inside it would hide its
    routes from the index (and from the guard), so it is refused.
    """
    for route in router.routes:
        if not isinstance(route, (Route, WebSocketRoute, Mount)):
            raise TypeError(
                f"{route!r}: a module's router must hold its routes itself, not include routers"
            )
        if guard is not None:
            route = copy.copy(route)  # the module's own route may serve another app unguarded
            route.app = guard(route.app)
        app.router.routes.append(route)


def install_route_index(app: FastAPI) -> None:
    """Route the app's requests through a RouteIndex (unless its router has middleware)."""
    router = app.router
    if router.middleware_stack != router.app or router.form_limits:
        return  # the index would skip the router's own middleware or form limits
    router.middleware_stack = RouteIndex(router.routes, fallback=router.app, router=router)


def _literal_segments(route: BaseRoute) -> tuple[list[str], bool] | None:
    """The complete literal segments a route's path starts with, and whether it is exact.

    Exact: the route matches only paths of exactly those segments (no parameter, not a mount).
    None: a route of unknown shape, which may match anything.
    """
    if not isinstance(route, (Route, WebSocketRoute, Mount)):
        return None
    path_format = route.path_format
    if "{" in path_format:
        literal = path_format.split("{", 1)[0]
        return literal.split("/")[1:-1], False  # the last piece is cut by the parameter
    return path_format.split("/")[1:], not isinstance(route, Mount)


def _request_key(path: str) -> str | None:
    parts = path.split("/", KEY_SEGMENTS + 1)
    if len(parts) < KEY_SEGMENTS + 1:
        return None
    return "/".join(parts[1 : KEY_SEGMENTS + 1])


def build_buckets(routes: Sequence[BaseRoute]) -> dict[str, list[BaseRoute]]:
    """For each key of KEY_SEGMENTS segments some route starts with: every route, in order, that
    can match a path starting with those segments."""
    shapes = [(route, _literal_segments(route)) for route in routes]
    keys = {
        "/".join(shape[0][:KEY_SEGMENTS])
        for _, shape in shapes
        if shape is not None and len(shape[0]) >= KEY_SEGMENTS
    }
    buckets: dict[str, list[BaseRoute]] = {}
    for key in keys:
        segments = key.split("/")
        buckets[key] = [
            route
            for route, shape in shapes
            if shape is None
            or (
                shape[0][:KEY_SEGMENTS] == segments
                if len(shape[0]) >= KEY_SEGMENTS
                else not shape[1] and shape[0] == segments[: len(shape[0])]
            )
        ]
    return buckets


class RouteIndex:
    """The router's route lookup, narrowed to the routes a path's first segments allow."""

    def __init__(self, routes: list[BaseRoute], *, fallback: ASGIApp, router: APIRouter) -> None:
        self.routes = routes
        self.fallback = fallback
        self.router = router
        self._built = -1  # how many routes the buckets were built from
        self._buckets: dict[str, list[BaseRoute]] = {}

    def candidates(self, scope: Scope) -> list[BaseRoute] | None:
        """The routes to try in order, or None when only the full scan can tell."""
        if self._built != len(self.routes):  # routes were added (the web app's, a test's)
            self._buckets = build_buckets(self.routes)
            self._built = len(self.routes)
        if scope.get("root_path"):
            return None  # served under a prefix: Starlette's scan strips it
        key = _request_key(scope["path"])
        return None if key is None else self._buckets.get(key)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            for route in self.candidates(scope) or ():
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    if "router" not in scope:
                        scope["router"] = self.router
                    scope.update(child_scope)
                    await route.handle(scope, receive, send)
                    return
                if match is Match.PARTIAL:
                    break  # a 405 unless a later route matches fully: the scan decides
        await self.fallback(scope, receive, send)
