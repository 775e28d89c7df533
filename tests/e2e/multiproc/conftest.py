"""One cluster per test module: every service in its own process(es) behind nginx, with
throwaway PostgreSQL and Redis of its own (the chaos test restarts them)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping

import httpx
import pytest

from tests.e2e.support import clean_env
from tiketi.multiproc.cluster import Cluster
from tiketi.multiproc.nginx import binary
from tiketi.multiproc.scenario import create_admin

QUEUE_KEY = "cluster-test-queue-key-of-at-least-32-bytes"

# What every process of a test cluster runs with, and why it differs from the defaults.
TEST_ENV: dict[str, str] = {
    "TIKETI_ENV": "test",
    # Sign-ups hash a password; the tests sign up hundreds of fans.
    "TIKETI_AUTH_PASSWORD_TIME_COST": "1",
    "TIKETI_AUTH_PASSWORD_MEMORY_KIB": str(8 * 1024),
    "TIKETI_QUEUE_KEY": QUEUE_KEY,
    "TIKETI_LOG_JSON": "true",
}


def cluster_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test process's environment without Tiketi settings, plus the cluster's own."""
    return clean_env({**TEST_ENV, **(extra or {})})


def have_nginx() -> bool:
    try:
        binary()
    except RuntimeError:
        return False
    return True


@pytest.fixture(scope="module")
def cluster_settings() -> dict[str, str]:
    """Overridden by a module that needs other settings."""
    return {}


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, cluster_settings: dict[str, str]
) -> Iterator[Cluster]:
    if not have_nginx():
        pytest.skip("nginx is not installed (CI installs it: .ci/run)")
    workdir = tmp_path_factory.mktemp("cluster")
    running = Cluster(workdir=workdir, env=cluster_env(cluster_settings))
    try:
        running.start()
        yield running
    finally:
        codes = running.stop()
    # SIGTERM drains every process and each exits 0 (a restarted one too).
    assert all(code == 0 for code in codes.values()), codes


@pytest.fixture(scope="module")
def admin_email(cluster: Cluster) -> str:
    """The first admin, made with `tiketi admin create` as an operator does."""
    return create_admin(cluster.member_env(), cluster.workdir)


@pytest.fixture
async def edge(cluster: Cluster) -> AsyncIterator[httpx.AsyncClient]:
    """A client of nginx, as every fan is."""
    async with httpx.AsyncClient(base_url=cluster.url, timeout=30) as client:
        yield client
