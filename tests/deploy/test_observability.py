"""Alert rules pass promtool, fire on what they name, and use only metrics the app exports."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.deploy.support import DEPLOY, K8S, machine_tool, run

OBSERVABILITY = DEPLOY / "observability"
# Metrics Prometheus makes itself, not the app.
BUILTIN = {"up"}
PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "by", "without", "rate", "increase", "delta",
    "histogram_quantile", "and", "or", "unless", "on", "ignoring", "label_values",
}  # fmt: skip


def rules() -> dict[str, Any]:
    return yaml.safe_load((OBSERVABILITY / "prometheusrule.yaml").read_text())["spec"]  # type: ignore[no-any-return]


def queries() -> list[str]:
    """Every PromQL expression of the rules, the dashboard, the adapter and the HPAs."""
    found = [r["expr"] for g in rules()["groups"] for r in g["rules"]]
    dashboard = json.loads((OBSERVABILITY / "grafana" / "tiketi.json").read_text())
    found += [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    found += [dashboard["templating"]["list"][1]["definition"]]
    adapter = yaml.safe_load((OBSERVABILITY / "prometheus-adapter.yaml").read_text())
    found += [r["seriesQuery"] for r in adapter["rules"]["external"]]
    for overlay in ("staging", "prod"):
        for hpa in yaml.safe_load_all((K8S / "overlays" / overlay / "hpa.yaml").read_text()):
            for metric in hpa["spec"]["metrics"]:
                if metric["type"] == "External":
                    found.append(metric["external"]["metric"]["name"])
    return found


def metric_names(expr: str) -> set[str]:
    """Identifiers used as series: followed by a selector, a range, or standing alone."""
    expr = re.sub(r'"[^"]*"', '""', expr)  # label values are not names
    expr = re.sub(r"label_values\(([^,]+),\s*\w+\)", r"\1", expr)  # Grafana's variable query
    expr = re.sub(r"\{[^}]*\}", "{}", expr)  # neither are label names
    expr = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "[]", expr)
    names = set(re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", expr))
    return {n for n in names if n not in PROMQL_WORDS and not n.startswith("__")}


def test_rules_pass_promtool(tmp_path: Path) -> None:
    promtool = machine_tool("promtool")
    rule_file = tmp_path / "tiketi.rules.yaml"
    rule_file.write_text(yaml.safe_dump(rules()))
    run(promtool, "check", "rules", str(rule_file))
    # The unit tests: each alert fires on the situation it names (and the others do not).
    shutil.copy(OBSERVABILITY / "prometheus" / "alerts.test.yaml", tmp_path)
    run(promtool, "test", "rules", "alerts.test.yaml", cwd=tmp_path)


def test_every_alert_the_issue_asks_for_exists() -> None:
    alerts = {r["alert"] for g in rules()["groups"] for r in g["rules"]}
    assert {
        "TiketiHigh5xxRate",
        "TiketiHighLatencyP95",
        "TiketiQueueStalled",
        "TiketiQueueDepthHigh",
        "TiketiPaymentFailureRate",
        "TiketiReconcilerBacklog",
        "TiketiConsumerDeadLetters",
        "TiketiOutboxRelayStalled",
        "TiketiHoldFailures",
        "TiketiDependencyDown",
    } <= alerts
    for group in rules()["groups"]:
        for rule in group["rules"]:
            assert rule["labels"]["severity"] in {"critical", "warning"}
            assert rule["annotations"]["summary"]


def exported(text: str) -> set[str]:
    """Series names /metrics can produce, from its # TYPE lines (labelled metrics appear
    there before their first sample)."""
    names: set[str] = set()
    suffixes = {
        "counter": ("", "_total", "_created"),
        "histogram": ("_bucket", "_sum", "_count", "_created"),
        "gauge": ("",),
        "summary": ("", "_sum", "_count", "_created"),
    }
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, flags=re.MULTILINE):
        base = name.removesuffix("_total") if kind == "counter" else name
        names |= {base + suffix for suffix in suffixes.get(kind, ("",))}
    return names


async def test_every_metric_queried_is_exported_by_the_app(client: httpx.AsyncClient) -> None:
    scraped = await client.get("/metrics")
    assert scraped.status_code == 200
    available = exported(scraped.text)
    assert "tiketi_http_requests_total" in available
    used = set().union(*(metric_names(q) for q in queries()))
    assert used, "no metric found in the queries"
    missing = sorted(used - available - BUILTIN)
    assert not missing, f"queried but not exported by /metrics: {missing}"


def test_the_metric_name_parser_sees_through_promql() -> None:
    expr = 'sum by (service) (rate(foo_total{route="/x", a=~"b|c"}[5m])) / bar unless up == 0'
    assert metric_names(expr) == {"foo_total", "bar", "up"}


def test_the_service_monitor_scrapes_the_services_port() -> None:
    monitor = yaml.safe_load((OBSERVABILITY / "servicemonitor.yaml").read_text())
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint == {**endpoint, "port": "http", "path": "/metrics"}
    services = yaml.safe_load_all((K8S / "base" / "services.yaml").read_text())
    for service in services:
        assert monitor["spec"]["selector"]["matchLabels"].items() <= (
            service["metadata"]["labels"].items()
        )
        assert service["spec"]["ports"][0]["name"] == "http"


def test_the_collector_pipeline_uses_only_defined_components() -> None:
    config = yaml.safe_load((OBSERVABILITY / "otel-collector.yaml").read_text())
    for pipeline in config["service"]["pipelines"].values():
        for kind in ("receivers", "processors", "exporters"):
            for name in pipeline[kind]:
                assert name in config[kind], f"{kind}: {name}"
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(":4318")


@pytest.mark.parametrize("overlay", ["staging", "prod"])
def test_the_services_send_traces_to_the_collector(overlay: str) -> None:
    env = (K8S / "overlays" / overlay / "config.env").read_text()
    assert "OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector.observability:4318" in env
