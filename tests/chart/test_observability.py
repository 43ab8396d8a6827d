"""The Grafana dashboard and the alerts: well-formed, rendered where asked, every metric they
read is one the code exports (or a named outside exporter's), and the alerts parse and fire
as intended under promtool (`promtool check rules`, `promtool test rules`)."""

from __future__ import annotations

import copy
import functools
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chart.chart import CHART, FULLNAME, NAMESPACE, ROOT, find, kinds, render

DASHBOARD = CHART / "dashboards" / "ibbase.json"
RULES = CHART / "alerts" / "ibbase.rules.yaml"
PROMTOOL = ROOT / ".tools" / "promtool" / "promtool"
BUILD_PROMTOOL = ROOT / "scripts" / "build-promtool.sh"
RAY_SOURCE = ROOT / ".venv" / "lib"
# Metrics from outside the repository, by the exporter that serves them.
EXTERNAL = {
    "kube_pod_status_ready": "kube-state-metrics",
    "nginx_ingress_controller_request_duration_seconds_bucket": "ingress-nginx",
}
METRIC_CALL = re.compile(r"\b(Counter|Gauge|Histogram|Summary)\(\s*\"([a-zA-Z_:][a-zA-Z0-9_:]*)\"")
PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "rate", "irate", "increase", "deriv", "time",
    "histogram_quantile", "clamp_min", "vector", "by", "without", "and", "or", "unless", "on",
    "ignoring", "group_left", "group_right", "bool", "offset", "abs", "label_values",
}  # fmt: skip


def exported_names() -> set[str]:
    """What /metrics shows for each metric declared in gateway/, operator/, ocr_cluster/
    (prometheus_client's suffixes), plus the legacy counter exposed by name."""
    names = {"telegram_messages_counter"}
    for folder in ("gateway", "operator", "ocr_cluster"):
        for path in (ROOT / folder).rglob("*.py"):
            for kind, name in METRIC_CALL.findall(path.read_text()):
                if kind == "Counter":
                    base = name.removesuffix("_total")
                    names |= {f"{base}_total", f"{base}_created"}
                elif kind in {"Histogram", "Summary"}:
                    names |= {name, f"{name}_bucket", f"{name}_sum", f"{name}_count"}
                else:
                    names.add(name)
    return names


@functools.cache
def ray_metric_exists(name: str) -> bool:
    """Ray's built-in metrics carry the `ray_` prefix on names declared without it."""
    base = re.sub(r"_(bucket|sum|count)$", "", name).removeprefix("ray_")
    ray = next(RAY_SOURCE.glob("python3*/site-packages/ray/serve"), None)
    assert ray is not None, "ray is not installed in .venv"
    return any(f'"{base}"' in p.read_text() for p in ray.rglob("*.py"))


def metric_names(expr: str) -> set[str]:
    """The metric names of a PromQL expression, roughly: strings, label matchers, ranges and
    grouping clauses removed, then every identifier that is not a function or keyword."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    words = re.findall(r"(?<![\w.$:])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(?!\s*\()", expr)
    return {w for w in words if w not in PROMQL_WORDS and not re.fullmatch(r"\d+[smhdwy]", w)}


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


def dashboard_exprs() -> list[str]:
    return [t["expr"] for p in dashboard()["panels"] for t in p["targets"]]


def rule_file() -> dict[str, Any]:
    return yaml.safe_load(RULES.read_text())


def rendered_groups(variant: str = "scaling-monitoring") -> list[dict[str, Any]]:
    rule = find(render(variant), "PrometheusRule", f"{FULLNAME}-monitoring")
    return copy.deepcopy(rule["spec"]["groups"])  # render() is cached: never mutate it


def assert_known(names: set[str], where: str) -> None:
    known = exported_names()
    for name in names:
        if name in known or name in EXTERNAL:
            continue
        assert name.startswith("ray_") and ray_metric_exists(name), f"{where}: {name}"


# Dashboard -----------------------------------------------------------------------------


def test_dashboard_is_well_formed() -> None:
    dash = dashboard()
    assert dash["uid"] and dash["title"]
    panels = dash["panels"]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    variables = {v["name"] for v in dash["templating"]["list"]}
    assert {"datasource", "namespace"} <= variables
    for panel in panels:
        where = f"panel {panel['id']} {panel['title']!r}"
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, where
        assert panel["targets"], where
        ref_ids = [t["refId"] for t in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), where
        for target in panel["targets"]:
            assert target["expr"].strip(), where
            assert 'namespace="$namespace"' in target["expr"], f"{where}: not per namespace"


def test_dashboard_covers_what_an_operator_looks_at() -> None:
    exprs = "\n".join(dashboard_exprs())
    for metric in (
        "whatsapp_webhook_requests_total",
        "whatsapp_consumer_pending",
        "ibbase_cards_total",
        "whatsapp_card_processing_seconds_bucket",
        "ray_serve_deployment_processing_latency_ms_bucket",
        "ibbase_reply_seconds_bucket",
        "whatsapp_dead_letters_total",
        "whatsapp_graph_api_requests_total",
        "ibbase_operator_token_expiry_timestamp_seconds",
    ):
        assert metric in exprs, metric


def test_every_dashboard_metric_exists() -> None:
    for expr in dashboard_exprs():
        names = metric_names(expr)
        assert names, expr
        assert_known(names, expr)


def test_the_metric_name_parser_is_not_vacuous() -> None:
    expr = 'sum by (le) (rate(foo_bucket{namespace="x", le=~"1.*"}[5m])) / on(a) bar_total'
    assert metric_names(expr) == {"foo_bucket", "bar_total"}
    with pytest.raises(AssertionError):
        assert_known({"whatsapp_no_such_metric_total"}, "test")


def test_dashboard_configmap_only_when_enabled() -> None:
    assert not kinds(render("defaults"), "ConfigMap")
    cm = find(render("scaling-monitoring"), "ConfigMap", f"{FULLNAME}-dashboard")
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(cm["data"]["ibbase.json"]) == dashboard()


# Alerts --------------------------------------------------------------------------------


def test_rules_cover_the_alerts_asked_for() -> None:
    alerts = {r["alert"] for g in rule_file()["groups"] for r in g["rules"]}
    assert alerts == {
        "IbbaseConsumerLagGrowing",
        "IbbaseDeadLetters",
        "IbbaseChannelTokenExpiringSoon",
        "IbbaseWebhook5xx",
        "IbbaseOcrClusterDown",
    }
    for group in rule_file()["groups"]:
        for rule in group["rules"]:
            assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
            assert rule["annotations"]["summary"] and rule["annotations"]["description"]
            assert_known(metric_names(rule["expr"]), rule["alert"])


def test_rendered_rules_are_scoped_to_the_release() -> None:
    for group in rendered_groups():
        for rule in group["rules"]:
            assert "__NAMESPACE__" not in rule["expr"] and "__FULLNAME__" not in rule["expr"]
            assert f'namespace="{NAMESPACE}"' in rule["expr"], rule["alert"]
    # No OCR cluster, no OCR alert; no PrometheusRule unless asked for.
    objs = render("dev-bundled", "1.37.0", "--set", "prometheusRule.enabled=true")
    (rule,) = kinds(objs, "PrometheusRule")
    assert [g["name"] for g in rule["spec"]["groups"]] == ["ibbase"]
    assert not kinds(render("defaults"), "PrometheusRule")
    labels = find(render("scaling-monitoring"), "PrometheusRule", f"{FULLNAME}-monitoring")
    assert labels["metadata"]["labels"]["release"] == "kube-prometheus-stack"


# promtool ------------------------------------------------------------------------------


def ensure_promtool() -> Path:
    if not PROMTOOL.exists():
        if shutil.which("go") is None:
            pytest.fail("promtool is not built and there is no Go toolchain to build it")
        subprocess.run(["bash", str(BUILD_PROMTOOL)], check=True, timeout=1800)
    return PROMTOOL


def promtool(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(ensure_promtool()), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.mark.timeout(3600)  # the first of these builds promtool (about 11 minutes, once)
def test_promtool_checks_the_rendered_rules(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump({"groups": rendered_groups()}))
    out = promtool("check", "rules", rules, cwd=tmp_path)
    assert "SUCCESS: 5 rules found" in out.stdout


@pytest.mark.timeout(3600)  # the first of these builds promtool (about 11 minutes, once)
def test_promtool_parses_every_dashboard_query(tmp_path: Path) -> None:
    """Each panel query, its Grafana variables filled in, as a recording rule."""
    exprs = [
        e.replace("$namespace", NAMESPACE).replace("$__rate_interval", "2m")
        for e in dashboard_exprs()
    ]
    rules = [{"record": f"ibbase:dashboard_query_{i}", "expr": e} for i, e in enumerate(exprs)]
    path = tmp_path / "dashboard.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    promtool("check", "rules", path, cwd=tmp_path)


def series(metric: str, labels: dict[str, str], values: str) -> dict[str, str]:
    inner = ", ".join(f'{k}="{v}"' for k, v in labels.items())
    return {"series": f"{metric}{{{inner}}}", "values": values}


@pytest.mark.timeout(3600)  # the first of these builds promtool (about 11 minutes, once)
def test_alerts_fire_when_they_should(tmp_path: Path) -> None:
    # Annotations left out: promtool compares them whole; `check rules` validates their
    # templates, this test which alerts fire with which labels.
    groups = rendered_groups()
    for group in groups:
        for rule in group["rules"]:
            rule.pop("annotations")
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": groups}))
    ns = {"namespace": NAMESPACE}
    day = 86400
    token = "ibbase_operator_token_expiry_timestamp_seconds"
    channel = {**ns, "exported_namespace": NAMESPACE, "name": "sales"}
    other = {**ns, "exported_namespace": NAMESPACE, "name": "support"}
    tests = [
        {
            "name": "a token expiring in 3 days fires, one in 30 days does not",
            "interval": "1m",
            "input_series": [
                series(token, channel, f"{3 * day}x30"),
                series(token, other, f"{30 * day}x30"),
            ],
            "alert_rule_test": [
                {"eval_time": "10m", "alertname": "IbbaseChannelTokenExpiringSoon"},
                {
                    "eval_time": "20m",
                    "alertname": "IbbaseChannelTokenExpiringSoon",
                    "exp_alerts": [{"exp_labels": {"severity": "warning", **channel}}],
                },
            ],
        },
        {
            "name": "dead letters fire by reason",
            "interval": "1m",
            "input_series": [
                series("whatsapp_dead_letters_total", {**ns, "reason": "failed"}, "0 0 1 2 3"),
                series("whatsapp_dead_letters_total", {**ns, "reason": "undecodable"}, "0x4"),
            ],
            "alert_rule_test": [
                {
                    "eval_time": "4m",
                    "alertname": "IbbaseDeadLetters",
                    "exp_alerts": [
                        {"exp_labels": {"severity": "warning", "reason": "failed", **ns}}
                    ],
                }
            ],
        },
        {
            "name": "a growing backlog fires, a steady one does not",
            "interval": "1m",
            "input_series": [
                series("whatsapp_consumer_pending", {**ns, "pod": "w-1"}, "200+10x40"),
            ],
            "alert_rule_test": [
                {"eval_time": "10m", "alertname": "IbbaseConsumerLagGrowing"},
                {
                    "eval_time": "35m",
                    "alertname": "IbbaseConsumerLagGrowing",
                    "exp_alerts": [{"exp_labels": {"severity": "warning", **ns}}],
                },
            ],
        },
        {
            "name": "webhook 5xx over 5% fires",
            "interval": "1m",
            "input_series": [
                series("whatsapp_webhook_requests_total", {**ns, "result": "stored"}, "0+90x30"),
                series(
                    "whatsapp_webhook_requests_total", {**ns, "result": "unavailable"}, "0+10x30"
                ),
            ],
            "alert_rule_test": [
                {
                    "eval_time": "20m",
                    "alertname": "IbbaseWebhook5xx",
                    "exp_alerts": [{"exp_labels": {"severity": "critical", **ns}}],
                }
            ],
        },
        {
            "name": "no ready OCR pod fires",
            "interval": "1m",
            "input_series": [
                series(
                    "kube_pod_status_ready",
                    {**ns, "pod": f"{FULLNAME}-ocr-abcde-head-x1", "condition": "true"},
                    "1 1 0x20",
                ),
            ],
            "alert_rule_test": [
                {"eval_time": "5m", "alertname": "IbbaseOcrClusterDown"},
                {
                    "eval_time": "20m",
                    "alertname": "IbbaseOcrClusterDown",
                    "exp_alerts": [{"exp_labels": {"severity": "critical"}}],
                },
            ],
        },
    ]
    spec = tmp_path / "tests.yaml"
    spec.write_text(yaml.safe_dump({"rule_files": ["rules.yaml"], "tests": tests}))
    promtool("test", "rules", spec, cwd=tmp_path)
