"""Each overlay is rendered once per session: kubectl kustomize is the slow part."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy.support import K8S, OVERLAYS, kustomize


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[dict[str, Any]]]:
    """Every overlay's objects, by overlay name."""
    return {name: kustomize(K8S / "overlays" / name) for name in OVERLAYS}
