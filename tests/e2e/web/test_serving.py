"""The one-process app serves the built web app at `/` without shadowing any API path."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from tiketi.kernel.settings import PlatformSettings
from tiketi.services.auth.settings import get_settings as auth_settings
from tiketi.services.payment.module import build as build_payment
from tiketi.services.payment.settings import PaymentSettings
from tiketi.services.payment.settings import get_settings as payment_settings

MakeClient = Callable[..., Coroutine[Any, Any, httpx.AsyncClient]]

SECRET_KEY = "test_sk_do_not_show_me_0123456789"
CLIENT_KEY = "test_gck_public_0123456789"
# A hostile id: were it written raw, it would close the config script and open its own.
GOOGLE_ID = "web.apps.googleusercontent.com</script><script>alert(1)</script><!--"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    folder = tmp_path / "dist"
    (folder / "assets").mkdir(parents=True)
    (folder / "index.html").write_text("<!doctype html><title>Tiketi</title><div id=root>")
    (folder / "assets" / "index-abc123.js").write_text("console.log('app')")
    (folder / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "secret.txt").write_text("not served")
    return folder


@pytest.fixture
async def web(make_client: MakeClient, settings: PlatformSettings, dist: Path) -> httpx.AsyncClient:
    return await make_client(settings.model_copy(update={"web_dist": dist}))


async def test_index_and_spa_routes_answer_the_app_uncached(web: httpx.AsyncClient) -> None:
    for path in ["/", "/events/123", "/me/tickets", "/payments/success?paymentKey=x"]:
        response = await web.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        assert "<div id=root>" in response.text
        assert response.headers["cache-control"] == "no-cache"


async def test_hashed_assets_are_cached_for_a_year_other_files_briefly(
    web: httpx.AsyncClient,
) -> None:
    asset = await web.get("/assets/index-abc123.js")
    assert asset.status_code == 200
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    icon = await web.get("/favicon.svg")
    assert icon.headers["cache-control"] == "public, max-age=3600"
    missing = await web.get("/assets/index-old999.js")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "NOT_FOUND"


async def test_api_and_operations_paths_are_never_shadowed(web: httpx.AsyncClient) -> None:
    for path in [
        "/api/v1/nope",
        "/api/v1/events/not-a-uuid/nope",
        "/sandbox/toss/nope",
        "/media/x",
    ]:
        response = await web.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "NOT_FOUND"
    assert (await web.get("/health")).json() == {"status": "ok"}
    assert (await web.get("/openapi.json")).json()["info"]["title"] == "Tiketi"
    assert (await web.get("/metrics")).headers["content-type"].startswith("text/plain")
    assert (await web.get("/docs")).status_code == 200
    # A wrong method on an API route still says so.
    assert (await web.post("/api/v1/auth/me")).status_code == 405
    events = await web.get("/api/v1/events")
    assert events.status_code == 200 and "items" in events.json()


async def test_paths_out_of_the_folder_are_not_served(web: httpx.AsyncClient) -> None:
    for path in ["/../secret.txt", "/%2e%2e/secret.txt", "/assets/../../secret.txt"]:
        response = await web.get(path)
        assert "not served" not in response.text, path


async def test_without_a_build_the_root_keeps_its_json_index(
    make_client: MakeClient, settings: PlatformSettings, tmp_path: Path
) -> None:
    client = await make_client(settings.model_copy(update={"web_dist": tmp_path / "none"}))
    assert (await client.get("/")).json()["name"] == "Tiketi"
    assert (await client.get("/events/1")).status_code == 404


def _injected(html: str) -> dict[str, str]:
    """The object index.html hands the app in window.__TIKETI__ (parsed as JSON)."""
    match = re.search(r"<script>window\.__TIKETI__=(.*?)</script>", html)
    assert match, html
    parsed: dict[str, str] = json.loads(match.group(1))
    return parsed


async def test_without_client_settings_the_app_gets_an_empty_config(
    web: httpx.AsyncClient,
) -> None:
    html = (await web.get("/events/1")).text
    assert _injected(html) == {}
    # First in <head>: it runs before any of the app's own scripts.
    assert html.index("window.__TIKETI__") < html.index("<title>")


@pytest.fixture
def client_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """TossPayments (secret and client key) and Google configured from the environment."""
    monkeypatch.setenv("TIKETI_TOSS_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("TIKETI_TOSS_CLIENT_KEY", CLIENT_KEY)
    # Nothing may reach the real TossPayments (the reconciler starts with the app).
    monkeypatch.setenv("TIKETI_TOSS_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("TIKETI_GOOGLE_CLIENT_ID", GOOGLE_ID)
    auth_settings.cache_clear()
    payment_settings.cache_clear()
    yield
    auth_settings.cache_clear()
    payment_settings.cache_clear()


@pytest.mark.usefixtures("client_keys")
async def test_public_client_settings_are_injected_escaped_and_never_a_secret(
    make_client: MakeClient, settings: PlatformSettings, dist: Path
) -> None:
    web = await make_client(settings.model_copy(update={"web_dist": dist}))
    for path in ["/", "/checkout/123"]:
        html = (await web.get(path)).text
        assert _injected(html) == {"googleClientId": GOOGLE_ID, "tossClientKey": CLIENT_KEY}
        # The id's "</script>" cannot end the script early, nor open another.
        assert "</script><script>" not in html
        assert html.count("</script>") == 1
        assert "\\u003c/script\\u003e" in html
        assert SECRET_KEY not in html
        assert "secret" not in html.lower()


def test_the_sandbox_never_hands_out_a_client_key() -> None:
    # A client key without a secret key would open TossPayments' widget while this process
    # confirms with its sandbox: every payment would fail. The web app keeps the sandbox page.
    module = build_payment(
        PlatformSettings(env="test"), PaymentSettings(toss_client_key=CLIENT_KEY)
    )
    assert module.public_config == {}
    keyed = PaymentSettings(toss_client_key=CLIENT_KEY, toss_secret_key=SecretStr(SECRET_KEY))
    assert build_payment(PlatformSettings(env="test"), keyed).public_config == {
        "tossClientKey": CLIENT_KEY
    }
