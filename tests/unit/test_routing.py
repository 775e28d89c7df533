"""The route index picks exactly the route Starlette's full scan would pick, for every path."""

from __future__ import annotations

import re

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from tiketi.app import create_platform_app
from tiketi.kernel.routing import RouteIndex, add_module_routes, install_route_index
from tiketi.kernel.settings import PlatformSettings


def _scope(method: str, path: str, kind: str = "http") -> Scope:
    return {
        "type": kind,
        "method": method,
        "path": path,
        "root_path": "",
        "headers": [],
        "query_string": b"",
    }


def _full_scan(routes: list[BaseRoute], scope: Scope) -> BaseRoute | None:
    for route in routes:
        if route.matches(scope)[0] is Match.FULL:
            return route
    return None


def _indexed(index: RouteIndex, scope: Scope) -> BaseRoute | None:
    # What RouteIndex.__call__ does before handing over: None means "the full scan decides".
    for route in index.candidates(scope) or ():
        match = route.matches(scope)[0]
        if match is Match.FULL:
            return route
        if match is Match.PARTIAL:
            return None
    return None


def _sample_paths(app: FastAPI) -> list[str]:
    paths = ["/", "/x", "/api", "/api/v1", "/api/v1/", "/api/v1/nope/x", "/events/abc"]
    for route in app.routes:
        path = getattr(route, "path_format", None)
        if not path:
            continue
        filled = re.sub(r"{[^}]+}", "p1", path)
        paths += [filled, filled + "/", filled + "/extra", filled.rstrip("/") + "x"]
        paths.append(re.sub(r"{[^}]+}", "a/b", path))  # what only a :path parameter takes
    return paths


@pytest.fixture(scope="module")
def platform() -> FastAPI:
    return create_platform_app(PlatformSettings(env="test"))


def test_the_index_chooses_what_the_full_scan_chooses(platform: FastAPI) -> None:
    index = platform.router.middleware_stack
    assert isinstance(index, RouteIndex)
    indexed = 0
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"):
        for kind in ("http", "websocket"):
            for path in _sample_paths(platform):
                scope = _scope(method, path, kind)
                chosen = _indexed(index, scope)
                if chosen is not None:
                    indexed += 1
                    assert chosen is _full_scan(platform.router.routes, scope), (method, path)
    assert indexed > 40  # the index answered the API paths itself


def test_every_api_path_is_answered_by_a_few_candidates(platform: FastAPI) -> None:
    index = platform.router.middleware_stack
    assert isinstance(index, RouteIndex)
    candidates = index.candidates(_scope("POST", "/api/v1/queue/e1/join"))
    assert candidates is not None
    assert len(candidates) < len(platform.router.routes) // 4
    assert index.candidates(_scope("GET", "/health")) is None  # short paths: the full scan


def test_the_platform_serves_through_the_index(platform: FastAPI) -> None:
    # The full app (no lifespan: nothing here reaches a route): 404 and 405 stay Starlette's,
    # in the API's error body. The API suite runs every route through the index.
    client = TestClient(platform, raise_server_exceptions=False)
    missing = client.get("/api/v1/no-such-thing/x")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "NOT_FOUND"
    assert client.put("/api/v1/holds").status_code == 405


def test_a_module_router_must_not_include_routers() -> None:
    outer, inner = APIRouter(), APIRouter()

    @inner.get("/a")
    async def a() -> None:
        return None

    outer.include_router(inner)
    with pytest.raises(TypeError, match="include routers"):
        add_module_routes(FastAPI(), outer)


def test_a_guard_wraps_a_copy_of_the_module_route() -> None:
    router = APIRouter()
    seen: list[str] = []

    @router.get("/api/v1/things/{id}")
    async def thing(id: str) -> dict[str, str]:
        return {"id": id}

    def guard(app: ASGIApp) -> ASGIApp:
        async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
            seen.append(scope["path"])
            await app(scope, receive, send)

        return guarded

    guarded_app, plain_app = FastAPI(), FastAPI()
    add_module_routes(guarded_app, router, guard)
    add_module_routes(plain_app, router)
    install_route_index(guarded_app)
    install_route_index(plain_app)
    assert TestClient(guarded_app).get("/api/v1/things/7").json() == {"id": "7"}
    assert TestClient(plain_app).get("/api/v1/things/8").json() == {"id": "8"}
    assert seen == ["/api/v1/things/7"]


def test_routes_added_after_the_first_request_are_found() -> None:
    app = FastAPI()
    install_route_index(app)
    client = TestClient(app)
    assert client.get("/api/v1/late/1").status_code == 404

    @app.get("/api/v1/late/{id}")
    async def late(id: str) -> str:
        return id

    assert client.get("/api/v1/late/1").json() == "1"
