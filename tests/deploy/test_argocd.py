"""Argo CD: the project's allow-lists and roles, dev/staging automated, prod by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.deploy.support import (
    DEPLOY,
    K8S,
    OVERLAYS,
    SCHEMAS,
    YAMLLINT_CONFIG,
    by_kind,
    kustomize,
    load,
    run,
    venv_tool,
)

ARGOCD = DEPLOY / "argocd"
APPS = {name: ARGOCD / "apps" / f"{name}.yaml" for name in OVERLAYS}


def test_yamllint_and_schemas() -> None:
    run(venv_tool("yamllint"), "--strict", "-c", str(YAMLLINT_CONFIG), str(DEPLOY))
    check = venv_tool("check-jsonschema")
    applications = [str(p) for p in APPS.values()] + [str(ARGOCD / "app-of-apps.yaml")]
    run(check, "--schemafile", str(SCHEMAS / "argocd-application.json"), *applications)
    project = str(ARGOCD / "project.yaml")
    run(check, "--schemafile", str(SCHEMAS / "argocd-appproject.json"), project)


def test_the_schema_refuses_an_unknown_field(tmp_path: Path) -> None:
    app = load(APPS["prod"])
    app["spec"]["syncPolicy"]["automatic"] = {"prune": True}  # not `automated`
    bad = tmp_path / "bad.yaml"
    bad.write_text(__import__("yaml").safe_dump(app))
    check = venv_tool("check-jsonschema")
    with pytest.raises(AssertionError):
        run(check, "--schemafile", str(SCHEMAS / "argocd-application.json"), str(bad))


@pytest.fixture(scope="module")
def project() -> dict[str, Any]:
    return load(ARGOCD / "project.yaml")  # type: ignore[no-any-return]


def test_each_environment_tracks_its_overlay_and_branch(
    project: dict[str, Any], rendered: dict[str, list[dict[str, Any]]]
) -> None:
    destinations = {d["namespace"] for d in project["spec"]["destinations"]}
    branches = {"dev": "develop", "staging": "develop", "prod": "main"}
    for name, path in APPS.items():
        app = load(path)
        assert app["spec"]["project"] == "tiketi"
        assert app["spec"]["source"]["path"] == f"deploy/k8s/overlays/{name}"
        assert (K8S / "overlays" / name / "kustomization.yaml").exists()
        assert app["spec"]["source"]["targetRevision"] == branches[name]
        assert app["spec"]["source"]["repoURL"] in project["spec"]["sourceRepos"]
        namespace = app["spec"]["destination"]["namespace"]
        assert namespace in destinations
        assert set(by_kind(rendered[name], "Namespace")) == {namespace}


def test_dev_and_staging_sync_themselves_prod_waits_for_a_person() -> None:
    for name in ("dev", "staging"):
        automated = load(APPS[name])["spec"]["syncPolicy"]["automated"]
        assert automated == {"prune": True, "selfHeal": True}
    assert "automated" not in load(APPS["prod"])["spec"]["syncPolicy"]


def test_the_project_allows_exactly_what_the_overlays_render(
    project: dict[str, Any], rendered: dict[str, list[dict[str, Any]]]
) -> None:
    allowed = {(r["group"], r["kind"]) for r in project["spec"]["namespaceResourceWhitelist"]}
    cluster = {(r["group"], r["kind"]) for r in project["spec"]["clusterResourceWhitelist"]}
    for name in OVERLAYS:
        for obj in rendered[name]:
            group = obj["apiVersion"].rpartition("/")[0]
            assert (group, obj["kind"]) in allowed | cluster, (name, obj["kind"])
    assert {"group": "", "kind": "Secret"} in project["spec"]["namespaceResourceBlacklist"]
    roles = {r["name"]: r for r in project["spec"]["roles"]}
    assert {"developer", "release-manager"} <= set(roles)
    # Developers cannot sync production.
    assert not [p for p in roles["developer"]["policies"] if "sync, tiketi/tiketi-prod" in p]
    assert not [p for p in roles["developer"]["policies"] if "sync, tiketi/*" in p]


def test_the_app_of_apps_manages_the_project_and_every_environment() -> None:
    root = load(ARGOCD / "app-of-apps.yaml")
    assert root["spec"]["source"]["path"] == "deploy/argocd"
    managed = kustomize(ARGOCD)
    assert set(by_kind(managed, "Application")) == {f"tiketi-{name}" for name in OVERLAYS}
    assert set(by_kind(managed, "AppProject")) == {"tiketi"}
