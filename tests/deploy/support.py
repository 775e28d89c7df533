"""Paths, the tools tests/deploy runs (from .venv/bin or the machine), and YAML loading."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
OVERLAYS = ("dev", "staging", "prod")
SCHEMAS = Path(__file__).parent / "schemas"
YAMLLINT_CONFIG = DEPLOY / "yamllint.yaml"
# Kubernetes' schemas ship with kubernetes-validate: the version EKS runs for the seeds.
KUBERNETES_VERSION = "1.32.0"


def venv_tool(name: str) -> str:
    """A tool installed in this interpreter's virtualenv (the dev dependencies)."""
    path = Path(sys.executable).parent / name
    assert path.exists(), f"{name} is missing from the virtualenv: run make install"
    return str(path)


def machine_tool(name: str) -> str:
    """A tool of the machine (kubectl, promtool, nginx); the test is skipped without it."""
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed on this machine")
    return found


def run(*args: str, cwd: Path = ROOT) -> str:
    """Run a tool; fail the test with its output when it fails."""
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def load_all(text: str) -> list[dict[str, Any]]:
    """Every YAML document of a stream, without the empty ones."""
    return [doc for doc in yaml.safe_load_all(text) if doc]


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def kustomize(path: Path) -> list[dict[str, Any]]:
    """`kubectl kustomize` of a folder, as objects."""
    return load_all(run(machine_tool("kubectl"), "kustomize", str(path)))


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    """The objects of one kind, by name."""
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}
