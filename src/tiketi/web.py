"""The web app's built files at `/`, with the single-page fallback, in the edge's app.

`make web` builds `web/` into `web/dist`; `tiketi serve` serves it when the folder exists (or
`TIKETI_WEB_DIST` names another). Any GET that is neither an API path nor a file answers
`index.html`, so the app's own routes (`/events/…`, `/me/tickets`) survive a reload. The API
and operations prefixes are never matched here: their unknown paths keep the API's 404 body.
Vite names assets by content hash, so they are cached for a year; `index.html` is revalidated.

The browser learns the platform's public client settings (a TossPayments client key, a Google
client id) from `window.__TIKETI__`, a script written into `index.html` as it is served: the
API stays as API.md describes it, and one build serves every deployment.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Match, Route
from starlette.types import Scope

from tiketi.kernel.errors import error_response
from tiketi.kernel.settings import PlatformSettings

# Paths that belong to the API, the realtime layer, the payment sandbox, posters and operations.
RESERVED_PREFIXES = (
    "/api/",
    "/socket.io",
    "/sandbox/",
    "/media/",
    "/docs",
    "/redoc",
    "/openapi.json",
    "/health",
    "/ready",
    "/metrics",
)
ASSET_CACHE = "public, max-age=31536000, immutable"
FILE_CACHE = "public, max-age=3600"
INDEX_CACHE = "no-cache"

# src/tiketi/web.py → the repository's web/dist (an editable install, `make run`).
DEFAULT_DIST = Path(__file__).resolve().parents[2] / "web" / "dist"


def is_reserved(path: str) -> bool:
    """True for paths the web app must never answer (exact prefix names included)."""
    return any(
        path == prefix.rstrip("/") or path.startswith(prefix) for prefix in RESERVED_PREFIXES
    )


def web_dist(settings: PlatformSettings) -> Path | None:
    """The folder to serve: TIKETI_WEB_DIST, else web/dist; None when it has no index.html."""
    folder = settings.web_dist or DEFAULT_DIST
    return folder if (folder / "index.html").is_file() else None


class WebRoute(Route):
    """A catch-all GET route that never matches a reserved path (they keep their 404/405)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Starlette's matching, minus the reserved prefixes."""
        if scope["type"] == "http" and is_reserved(scope["path"]):
            return Match.NONE, {}
        return super().matches(scope)


def _file_in(root: Path, relative: str) -> Path | None:
    # resolve() folds `..` and symlinks; anything that ends outside the folder is not ours.
    candidate = (root / relative).resolve()
    if candidate.is_relative_to(root) and candidate.is_file():
        return candidate
    return None


# Inside <script>, "</script>" or "<!--" in a value would end or derail the script; \u escapes
# keep the JSON identical to JavaScript and inert to the HTML parser.
_SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def config_script(config: Mapping[str, str]) -> str:
    """The `<script>` that hands the web app its public settings, JSON-escaped for HTML."""
    text = json.dumps(dict(config), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for raw, escaped in _SCRIPT_ESCAPES.items():
        text = text.replace(raw, escaped)
    return f"<script>window.__TIKETI__={text}</script>"


def render_index(index: Path, config: Mapping[str, str]) -> str:
    """index.html with the config script first in <head>, before any of the app's scripts."""
    html = index.read_text(encoding="utf-8")
    script = config_script(config)
    head = html.find("<head>")
    if head < 0:
        return script + html
    at = head + len("<head>")
    return html[:at] + script + html[at:]


def web_routes(dist: Path, config: Mapping[str, str] | None = None) -> tuple[Route, Route]:
    """The route for `/` and the catch-all route serving `dist` with the single-page fallback."""
    root = dist.resolve()
    index = root / "index.html"
    public = dict(config or {})

    async def serve(request: Request) -> Response:
        relative = request.path_params.get("path", "")
        found = _file_in(root, relative) if relative else None
        if found is not None and found != index:
            cache = ASSET_CACHE if relative.startswith("assets/") else FILE_CACHE
            return FileResponse(found, headers={"Cache-Control": cache})
        if relative.startswith("assets/"):
            # A missing hashed asset is a stale page asking for an old build: a 404, not HTML.
            return error_response(404, "NOT_FOUND", "No such resource.")
        # Read per request: `make web` may rebuild the folder under a running server.
        return HTMLResponse(render_index(index, public), headers={"Cache-Control": INDEX_CACHE})

    methods = ["GET", "HEAD"]
    home = Route("/", serve, methods=methods, include_in_schema=False)
    return home, WebRoute("/{path:path}", serve, methods=methods, include_in_schema=False)


def mount_web(app: FastAPI, dist: Path, config: Mapping[str, str] | None = None) -> None:
    """Serve the web app: `/` before the JSON index there, everything else after every route.

    `config` is what the browser may know (window.__TIKETI__); it must hold no secret.
    """
    home, fallback = web_routes(dist, config)
    app.router.routes.insert(0, home)
    app.router.routes.append(fallback)
