"""Every overlay renders, every object is valid Kubernetes 1.32 (strict), and the rules the
seeds learnt the hard way hold in the rendered output."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.deploy.support import KUBERNETES_VERSION, OVERLAYS, SCHEMAS, by_kind, load
from tiketi.app import SERVICES

Objects = dict[str, list[dict[str, Any]]]
# The seeds' resource table (004): catalog is their Event service, booking their Reservation
# service; stats and the gateway, which they did not have, are sized like their neighbours.
SEED_RESOURCES = {
    "auth": ("100m", "500m", "128Mi", "512Mi", 2),
    "catalog": ("100m", "500m", "128Mi", "512Mi", 2),
    "queue": ("200m", "1000m", "256Mi", "1Gi", 3),
    "booking": ("200m", "1000m", "256Mi", "1Gi", 3),
    "payment": ("150m", "500m", "256Mi", "512Mi", 2),
    "notify": ("100m", "500m", "128Mi", "256Mi", 2),
    "stats": ("100m", "500m", "128Mi", "512Mi", 2),
    "gateway": ("200m", "1000m", "256Mi", "512Mi", 3),
}


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    (app,) = deployment["spec"]["template"]["spec"]["containers"]
    return app  # type: ignore[no-any-return]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_is_valid_kubernetes(rendered: Objects, overlay: str) -> None:
    for obj in rendered[overlay]:
        # Strict: an unknown or misspelt field is an error, not silently dropped.
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def test_the_validator_rejects_a_misspelt_field(rendered: Objects) -> None:
    deployment = dict(by_kind(rendered["prod"], "Deployment")["booking"])
    deployment["spec"] = {**deployment["spec"], "replica": 3}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_has_a_deployment_and_a_service(rendered: Objects, overlay: str) -> None:
    deployments = by_kind(rendered[overlay], "Deployment")
    assert set(deployments) == set(SERVICES)
    for name, deployment in deployments.items():
        assert container(deployment)["args"] == ["serve", name]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_has_probes_resources_and_runs_as_non_root(
    rendered: Objects, overlay: str
) -> None:
    for name, deployment in by_kind(rendered[overlay], "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        app = container(deployment)
        assert app["readinessProbe"]["httpGet"]["path"] == "/ready", name
        assert app["livenessProbe"]["httpGet"]["path"] == "/health", name
        assert app["startupProbe"]["httpGet"]["path"] == "/health", name
        assert set(app["resources"]) == {"requests", "limits"}, name
        assert {"cpu", "memory"} <= set(app["resources"]["requests"]), name
        assert {"cpu", "memory"} <= set(app["resources"]["limits"]), name
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] != 0
        assert app["securityContext"]["allowPrivilegeEscalation"] is False
        assert app["securityContext"]["readOnlyRootFilesystem"] is True
        assert app["securityContext"]["capabilities"]["drop"] == ["ALL"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_graceful_shutdown_outlasts_the_drain(rendered: Objects, overlay: str) -> None:
    for deployment in by_kind(rendered[overlay], "Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        pre_stop = container(deployment)["lifecycle"]["preStop"]["exec"]["command"]
        assert pre_stop[0] == "sleep"
        # preStop, then `tiketi serve`'s default --grace of 20 s, then stopping loops.
        assert pod["terminationGracePeriodSeconds"] >= int(pre_stop[1]) + 20 + 10


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_selects_a_deployment(rendered: Objects, overlay: str) -> None:
    pods = [
        o["spec"]["template"]["metadata"]["labels"]
        for o in rendered[overlay]
        if o["kind"] in {"Deployment", "StatefulSet"}
    ]
    for name, service in by_kind(rendered[overlay], "Service").items():
        selector = service["spec"]["selector"]
        matches = [labels for labels in pods if selector.items() <= labels.items()]
        assert len(matches) == 1, f"Service {name} selects {len(matches)} workloads"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_images_are_pinned_never_latest(rendered: Objects, overlay: str) -> None:
    for obj in rendered[overlay]:
        spec = obj.get("spec", {})
        pod = spec.get("template", {}).get("spec", {})
        for c in pod.get("containers", []) + pod.get("initContainers", []):
            image = c["image"]
            assert ":" in image.rsplit("/", 1)[-1], f"{image} has no tag"
            assert not image.endswith(":latest"), image


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_config_is_generated_and_secrets_only_referenced(rendered: Objects, overlay: str) -> None:
    objects = rendered[overlay]
    assert not [o for o in objects if o["kind"] == "Secret"], "secrets are never committed"
    configs = by_kind(objects, "ConfigMap")
    # configMapGenerator names carry a content hash: a change rolls the pods that use it.
    assert any(name.startswith("tiketi-config-") for name in configs)
    for deployment in by_kind(objects, "Deployment").values():
        app = container(deployment)
        refs = [s["configMapRef"]["name"] for s in app["envFrom"]]
        assert all(ref in configs for ref in refs)
        for env in app.get("env", []):
            assert "value" not in env or not env["name"].endswith(("_KEY", "PASSWORD")), env
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref["name"] == "tiketi-secrets"


@pytest.mark.parametrize("overlay", ["staging", "prod"])
def test_toss_client_key_is_config_and_the_secret_key_a_secret(
    rendered: Objects, overlay: str
) -> None:
    # The seeds' incident 7: TOSS_CLIENT_KEY was missing from the ConfigMap in production.
    (config,) = [c for n, c in by_kind(rendered[overlay], "ConfigMap").items() if "-config-" in n]
    assert config["data"]["TIKETI_TOSS_CLIENT_KEY"].startswith(("test_ck_", "live_ck_"))
    assert "TIKETI_TOSS_SECRET_KEY" not in config["data"]
    payment = container(by_kind(rendered[overlay], "Deployment")["payment"])
    (secret,) = [e for e in payment["env"] if e["name"] == "TIKETI_TOSS_SECRET_KEY"]
    assert secret["valueFrom"]["secretKeyRef"]["name"] == "tiketi-secrets"


@pytest.mark.parametrize("overlay", ["staging", "prod"])
def test_socket_io_is_routed_to_booking(rendered: Objects, overlay: str) -> None:
    # The seeds' incident 6: without this rule Socket.IO reached the API and got 404s.
    (ingress,) = by_kind(rendered[overlay], "Ingress").values()
    paths = [p for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    socket = [p for p in paths if p["path"] == "/socket.io"]
    assert socket and socket[0]["backend"]["service"]["name"] == "booking"
    assert paths.index(socket[0]) < [p["path"] for p in paths].index("/")
    booking = by_kind(rendered[overlay], "Service")["booking"]
    notes = booking["metadata"]["annotations"]
    attributes = notes["alb.ingress.kubernetes.io/target-group-attributes"]
    assert "stickiness.enabled=true" in attributes


def test_prod_ingress_has_tls_waf_and_health_checks(rendered: Objects) -> None:
    (ingress,) = by_kind(rendered["prod"], "Ingress").values()
    notes = ingress["metadata"]["annotations"]
    assert notes["alb.ingress.kubernetes.io/scheme"] == "internet-facing"
    assert notes["alb.ingress.kubernetes.io/certificate-arn"].startswith("arn:aws:acm:")
    assert notes["alb.ingress.kubernetes.io/ssl-redirect"] == "443"
    assert notes["alb.ingress.kubernetes.io/wafv2-acl-arn"].startswith("arn:aws:wafv2:")
    assert notes["alb.ingress.kubernetes.io/healthcheck-path"] == "/ready"
    assert notes["alb.ingress.kubernetes.io/target-type"] == "ip"
    assert ingress["spec"]["ingressClassName"] == "alb"


@pytest.mark.parametrize("overlay", ["staging", "prod"])
def test_each_service_autoscales_and_the_queue_on_its_depth(
    rendered: Objects, overlay: str
) -> None:
    hpas = by_kind(rendered[overlay], "HorizontalPodAutoscaler")
    assert set(hpas) == set(SERVICES)
    for name, hpa in hpas.items():
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    external = [m for m in hpas["queue"]["spec"]["metrics"] if m["type"] == "External"]
    assert external[0]["external"]["metric"]["name"] == "tiketi_queue_waiting"
    # The HPAs own the replica counts: a fixed count would be reset by every Argo CD sync.
    for deployment in by_kind(rendered[overlay], "Deployment").values():
        assert "replicas" not in deployment["spec"]


def test_prod_matches_the_seeds_table_with_budgets_and_zone_spread(rendered: Objects) -> None:
    objects = rendered["prod"]
    hpas = by_kind(objects, "HorizontalPodAutoscaler")
    pdbs = by_kind(objects, "PodDisruptionBudget")
    assert set(pdbs) == set(SERVICES)
    for name, deployment in by_kind(objects, "Deployment").items():
        cpu, cpu_limit, memory, memory_limit, replicas = SEED_RESOURCES[name]
        resources = container(deployment)["resources"]
        assert resources["requests"] == {"cpu": cpu, "memory": memory}, name
        assert resources["limits"] == {"cpu": cpu_limit, "memory": memory_limit}, name
        assert hpas[name]["spec"]["minReplicas"] == replicas
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert pdbs[name]["spec"]["selector"]["matchLabels"].items() <= labels.items()
        spread = deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]
        zone = [s for s in spread if s["topologyKey"] == "topology.kubernetes.io/zone"]
        assert zone and zone[0]["whenUnsatisfiable"] == "DoNotSchedule"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_migration_job_runs_before_the_services(rendered: Objects, overlay: str) -> None:
    # The seeds' incident 1: a migration that never ran in production.
    job = by_kind(rendered[overlay], "Job")["tiketi-migrate"]
    hook = job["metadata"]["annotations"]["argocd.argoproj.io/hook"]
    assert hook == ("Sync" if overlay == "dev" else "PreSync")
    (migrate,) = job["spec"]["template"]["spec"]["containers"]
    assert migrate["args"] == ["migrate"]
    # Its settings are inlined from this overlay's ConfigMap (a PreSync hook runs before a
    # new ConfigMap exists), and they are the same values the services get.
    (config,) = [c for n, c in by_kind(rendered[overlay], "ConfigMap").items() if "-config-" in n]
    env = {e["name"]: e.get("value") for e in migrate["env"]}
    for key in ("TIKETI_ENV", "TIKETI_DATABASE_URL", "TIKETI_REDIS_URL"):
        assert env[key] == config["data"][key], key
    assert "envFrom" not in migrate


def test_dev_runs_engines_in_cluster_one_replica_and_node_ports(rendered: Objects) -> None:
    objects = rendered["dev"]
    assert set(by_kind(objects, "StatefulSet")) == {"postgres", "redis"}
    assert all(d["spec"]["replicas"] == 1 for d in by_kind(objects, "Deployment").values())
    services = by_kind(objects, "Service")
    assert services["gateway"]["spec"]["type"] == "NodePort"
    assert services["booking"]["spec"]["type"] == "NodePort"
    waves = [
        int(o["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])
        for o in objects
        if o["kind"] == "StatefulSet"
    ]
    job = by_kind(objects, "Job")["tiketi-migrate"]["metadata"]["annotations"]
    assert max(waves) < int(job["argocd.argoproj.io/sync-wave"]) < 0


def test_staging_and_prod_use_external_engines_from_config(rendered: Objects) -> None:
    for overlay in ("staging", "prod"):
        assert not by_kind(rendered[overlay], "StatefulSet")
        (config,) = [
            c for n, c in by_kind(rendered[overlay], "ConfigMap").items() if "-config-" in n
        ]
        assert ".rds.amazonaws.com" in config["data"]["TIKETI_DATABASE_URL"]
        assert "ssl=require" in config["data"]["TIKETI_DATABASE_URL"]
        assert config["data"]["TIKETI_REDIS_URL"].startswith("rediss://")
        assert "cache.amazonaws.com" in config["data"]["TIKETI_REDIS_URL"]
        assert config["data"]["TIKETI_ENV"] == "production"


def test_the_schemas_directory_holds_only_vendored_files() -> None:
    for schema in SCHEMAS.glob("*.json"):
        assert yaml.safe_load(schema.read_text())  # parses (JSON is YAML)
    assert load(SCHEMAS / "compose-spec.json")["$schema"]
