"""Autoscaling: CPU HPAs for the gateway and the worker, or for the worker a KEDA
ScaledObject on the JetStream consumer's lag; never an HPA and a ScaledObject at once."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.chart.chart import (
    FULLNAME,
    NAMESPACE,
    NEWEST_KUBE,
    VARIANTS,
    find,
    kinds,
    refusal,
    render,
    template_args,
)

WORKER = f"{FULLNAME}-worker"
TARGET = {"apiVersion": "apps/v1", "kind": "Deployment", "name": WORKER}


def test_off_by_default() -> None:
    objs = render("defaults")
    assert not kinds(objs, "HorizontalPodAutoscaler") and not kinds(objs, "ScaledObject")
    assert find(objs, "Deployment", WORKER)["spec"]["replicas"] == 1


def test_worker_hpa_on_cpu() -> None:
    objs = render("ha")
    hpa = find(objs, "HorizontalPodAutoscaler", WORKER)
    assert hpa["spec"]["scaleTargetRef"] == TARGET
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 8)
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}
    assert "replicas" not in find(objs, "Deployment", WORKER)["spec"]
    assert not kinds(objs, "ScaledObject")


def test_worker_scaled_by_keda_on_the_consumer_lag() -> None:
    objs = render("scaling-monitoring")
    so = find(objs, "ScaledObject", WORKER)
    assert so["spec"]["scaleTargetRef"] == TARGET
    (trigger,) = so["spec"]["triggers"]
    assert trigger["type"] == "nats-jetstream"
    assert trigger["metadata"] == {
        # The headless Service: KEDA asks the consumer's leader as <server name>.<host>.
        "natsServerMonitoringEndpoint": f"{FULLNAME}-nats.{NAMESPACE}.svc:8222",
        "account": "$G",
        "stream": "WHATSAPP",
        "consumer": "ibbase-worker",
        "lagThreshold": "100",
        "activationLagThreshold": "0",
        "useHttps": "false",
    }
    assert "replicas" not in find(objs, "Deployment", WORKER)["spec"]
    # KEDA's operator may read the monitoring port.
    policy = find(objs, "NetworkPolicy", f"{FULLNAME}-nats")["spec"]
    keda = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "keda"}}}
    assert any(keda in r.get("from", []) for r in policy["ingress"])


@pytest.mark.parametrize("variant", VARIANTS)
def test_never_an_hpa_and_a_scaled_object_for_the_worker(variant: str) -> None:
    objs = render(variant)
    hpas = [h for h in kinds(objs, "HorizontalPodAutoscaler") if h["metadata"]["name"] == WORKER]
    scaled = kinds(objs, "ScaledObject")
    assert not (hpas and scaled), variant


def test_both_at_once_is_refused(tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text(
        yaml.safe_dump({"worker": {"autoscaling": {"enabled": True}, "keda": {"enabled": True}}})
    )
    assert "/worker" in refusal(*template_args(values))
    # The template refuses it too, should the schema be skipped.
    stderr = refusal(
        *template_args(
            None,
            "--skip-schema-validation",
            "--set",
            "worker.autoscaling.enabled=true",
            "--set",
            "worker.keda.enabled=true",
        )
    )
    assert "exclusive" in stderr


def test_keda_with_an_external_nats_needs_its_monitoring_endpoint() -> None:
    stderr = refusal(
        *template_args(
            None,
            "--set",
            "worker.keda.enabled=true",
            "--set",
            "nats.external.url=nats://n:4222",
            "--set",
            "nats.auth.enabled=false",
        )
    )
    assert "natsMonitoringEndpoint" in stderr
    objs = render(
        "external-services",
        NEWEST_KUBE,
        "--set",
        "worker.keda.enabled=true",
        "--set",
        "worker.keda.natsMonitoringEndpoint=nats.messaging.svc:8222",
    )
    (trigger,) = find(objs, "ScaledObject", WORKER)["spec"]["triggers"]
    assert trigger["metadata"]["natsServerMonitoringEndpoint"] == "nats.messaging.svc:8222"


def test_gateway_hpa() -> None:
    hpa = find(render("scaling-monitoring"), "HorizontalPodAutoscaler", f"{FULLNAME}-gateway")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 12)
