"""The web app's API types come from web/openapi.json: it must be the live document.

When this fails, the API changed: refresh the snapshot and the types, and fix what no longer
compiles —
    curl -s localhost:3001/openapi.json | python -m json.tool > web/openapi.json
    (cd web && npm run gen:api && npm run typecheck)
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx

SNAPSHOT = Path(__file__).resolve().parents[3] / "web" / "openapi.json"
TYPES = SNAPSHOT.with_name("src") / "api" / "schema.d.ts"


async def test_the_snapshot_is_the_live_openapi_document(client: httpx.AsyncClient) -> None:
    live = (await client.get("/openapi.json")).json()
    saved = json.loads(SNAPSHOT.read_text())
    assert saved == live, (
        "web/openapi.json differs from /openapi.json: refresh it and run `npm run gen:api` "
        "(see this test's docstring)"
    )


def test_the_generated_types_exist_for_every_schema() -> None:
    types = TYPES.read_text()
    for name in json.loads(SNAPSHOT.read_text())["components"]["schemas"]:
        assert f"{name}:" in types, f"{name} missing from src/api/schema.d.ts: npm run gen:api"
