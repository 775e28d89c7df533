"""GitHub Actions: valid workflows; tests on every push; one build for both platforms; one
commit (or one promotion PR) per build, never a race of per-service pushes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy.support import ROOT, YAMLLINT_CONFIG, load, run, venv_tool

WORKFLOWS = ROOT / ".github" / "workflows"


def workflow(name: str) -> dict[str, Any]:
    data = load(WORKFLOWS / name)
    # YAML 1.1 reads the bare key `on` as True.
    data["on"] = data.pop(True, data.get("on"))
    return data  # type: ignore[no-any-return]


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])  # type: ignore[no-any-return]


def test_valid_by_the_workflow_schema_and_yamllint() -> None:
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    assert files
    # The schema is vendored inside check-jsonschema: no network.
    run(venv_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *files)
    run(venv_tool("yamllint"), "--strict", "-c", str(YAMLLINT_CONFIG), *files)


def test_ci_runs_the_readme_test_command_the_way_ci_does() -> None:
    ci = workflow("ci.yml")
    assert {"push", "pull_request", "workflow_call"} <= set(ci["on"])
    test = ci["jobs"]["test"]
    assert [s for s in steps(test) if s.get("run") == "bash .ci/run"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_deploy_builds_one_image_for_both_platforms_after_the_tests() -> None:
    deploy = workflow("deploy.yml")
    assert deploy["on"]["push"]["branches"] == ["main", "develop"]
    assert deploy["jobs"]["test"]["uses"] == "./.github/workflows/ci.yml"
    build = deploy["jobs"]["build"]
    assert build["needs"] == "test"
    assert build["permissions"]["id-token"] == "write"  # ECR by OIDC role, no stored keys
    (push,) = [s for s in steps(build) if s.get("uses", "").startswith("docker/build-push")]
    assert push["with"]["platforms"] == "linux/amd64,linux/arm64"
    assert push["with"]["file"] == "deploy/docker/Dockerfile"
    assert push["with"]["cache-from"].startswith("type=gha")
    assert "mode=max" in push["with"]["cache-to"]
    assert "latest" not in push["with"]["tags"]
    assert [s for s in steps(build) if s.get("uses", "").startswith("docker/setup-buildx")]
    assert [s for s in steps(build) if "configure-aws-credentials" in s.get("uses", "")]


def test_the_scan_reports_and_never_blocks() -> None:
    scan = workflow("deploy.yml")["jobs"]["scan"]
    assert scan["continue-on-error"] is True
    assert scan["strategy"]["matrix"]["platform"] == ["linux/amd64", "linux/arm64"]
    (trivy,) = [s for s in steps(scan) if "trivy-action" in s.get("uses", "")]
    assert trivy["with"]["exit-code"] == "0"
    assert trivy["env"]["TRIVY_PLATFORM"] == "${{ matrix.platform }}"


def test_one_bump_per_build_queued_per_branch() -> None:
    deploy = workflow("deploy.yml")
    # The seeds' incidents 8 and 9: five workflows pushing the same file at once.
    assert deploy["concurrency"]["cancel-in-progress"] is False
    assert "github.ref" in deploy["concurrency"]["group"]
    bumping = [
        name
        for name, job in deploy["jobs"].items()
        for s in steps(job)
        if "kustomize edit set image" in s.get("run", "")
    ]
    assert bumping == ["bump"]
    commits = [s for s in steps(deploy["jobs"]["bump"]) if "git commit" in s.get("run", "")]
    assert len(commits) == 1
    # The bump commit changes only overlays, which do not trigger another build.
    assert "deploy/k8s/overlays/**" in deploy["on"]["push"]["paths-ignore"]


@pytest.mark.parametrize("name", ["deploy.yml", "promote.yml"])
def test_prod_is_promoted_by_pull_request(name: str) -> None:
    jobs = workflow(name)["jobs"]
    prs = [
        s for job in jobs.values() for s in steps(job) if "create-pull-request" in s.get("uses", "")
    ]
    assert len(prs) == 1
    assert prs[0]["with"]["branch"] == "promote/prod"
    assert prs[0]["with"]["add-paths"] == "deploy/k8s/overlays/prod/kustomization.yaml"


def test_discord_is_told_of_every_deploy() -> None:
    notify = workflow("deploy.yml")["jobs"]["notify"]
    assert notify["if"] == "always()"
    assert "DISCORD_WEBHOOK" in notify["steps"][0]["env"]
