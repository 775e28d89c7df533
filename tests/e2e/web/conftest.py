"""Fixtures of the browser tests: the built web app, a served platform, Chromium, accounts."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support import Served, served_env
from tests.e2e.web.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Account,
    make_admin,
    shots_dir,
    sign_up,
    with_role,
)
from tiketi.kernel.testing.servers import PostgresServer, RedisServer, create_database

ROOT = Path(__file__).resolve().parents[3]
# Redis databases of long-lived test processes are unique across the suite (tests/conftest.py).
WEB_REDIS_DB = 14
WEB = ROOT / "web"


def _missing(what: str) -> None:
    # CI installs node and chromium (.ci/run): there a missing one is a failure, not a skip.
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required for the web app's browser tests")
    pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="session")
def web_dist() -> Path:
    """web/dist, built here when `make web` did not run first."""
    dist = WEB / "dist"
    if not (dist / "index.html").is_file():
        npm = shutil.which("npm")
        if npm is None or shutil.which("node") is None:
            _missing("node and npm")
        assert npm
        if not (WEB / "node_modules").is_dir():
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=WEB, check=True)
        subprocess.run([npm, "run", "build"], cwd=WEB, check=True)
    return dist


@pytest.fixture(scope="session")
def platform(
    tmp_path_factory: pytest.TempPathFactory,
    pg: PostgresServer,
    redis_server: RedisServer,
    web_dist: Path,
) -> Iterator[Served]:
    """`tiketi serve` (every service and the web app) on the session's PostgreSQL and Redis
    servers, in a database and a Redis database of its own: it lives for the whole session, and
    its relays, sweepers and mail senders must never take other tests' rows or streams."""
    logs = tmp_path_factory.mktemp("web")
    # One platform for every browser test: starting one costs more than the tests themselves.
    env = served_env(
        create_database(pg, "tiketi_web"),
        f"redis://127.0.0.1:{redis_server.port}/{WEB_REDIS_DB}",
        TIKETI_WEB_DIST=str(web_dist),
        # The waiting room asks for a proof of work, so the browser's Web Worker solves one.
        TIKETI_QUEUE_POW_DIFFICULTY="10",
        TIKETI_LOG_LEVEL="WARNING",
    )
    served = Served(logs / "serve.log", env, ["--migrate"])
    try:
        served.start()
        yield served
        assert served.stop() == 0, served.log.read_text()[-4000:]
    finally:
        served.kill()


@pytest.fixture(scope="session")
def admin(platform: Served) -> Account:
    return make_admin(platform)


@pytest.fixture(scope="session")
def organizer(platform: Served, admin: Account) -> Account:
    return with_role(platform.url, admin, sign_up(platform.url, "organizer"), "organizer")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (no browser download).

    Per module: Playwright's sync API runs an event loop of its own, which must be gone before
    the async tests of other modules run.
    """
    if not Path(CHROMIUM).exists():
        _missing("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Path:
    """This test's screenshot folder: test-results/web/<test> (WEB_E2E_SHOTS to move it), kept
    after the run as the test's artifacts (CI uploads test-results/)."""
    base = os.environ.get("WEB_E2E_SHOTS") or str(ROOT / "test-results" / "web")
    return shots_dir(Path(base) / request.node.name)
