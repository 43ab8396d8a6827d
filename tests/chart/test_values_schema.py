"""values.schema.json refuses wrong values before anything reaches a cluster."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.chart.chart import refusal, template_args

# (case, values, what helm must name in its error)
BAD = [
    ("replicas as a word", {"gateway": {"replicas": "two"}}, "/gateway/replicas"),
    ("unknown top-level key", {"replicaCount": 3}, "replicaCount"),
    ("unknown nested key", {"worker": {"replica": 2}}, "replica"),
    ("pull policy", {"image": {"pullPolicy": "Sometimes"}}, "/image/pullPolicy"),
    ("empty repository", {"image": {"repository": ""}}, "/image/repository"),
    ("bad digest", {"image": {"digest": "latest"}}, "/image/digest"),
    ("nats without a tag", {"nats": {"image": {"tag": ""}}}, "/nats/image/tag"),
    ("environment", {"environment": "staging"}, "/environment"),
    ("port range", {"gateway": {"port": 70000}}, "/gateway/port"),
    ("resource quantity", {"worker": {"resources": {"limits": {"memory": "lots"}}}}, "memory"),
    ("namespace name", {"operator": {"watchNamespaces": ["Not_A_Namespace"]}}, "watchNamespaces"),
    (
        "network peer",
        {"networkPolicy": {"gatewayFrom": [{"namespaceSelecter": {}}]}},
        "namespaceSelecter",
    ),
    ("nats scheme", {"nats": {"external": {"url": "http://nats:4222"}}}, "/nats/external/url"),
    ("nats replicas", {"nats": {"replicas": 0}}, "/nats/replicas"),
    ("nats anti-affinity", {"nats": {"podAntiAffinity": "always"}}, "podAntiAffinity"),
    ("nats tls without a secret", {"nats": {"tls": {"enabled": True}}}, "existingSecret"),
    ("stream replicas", {"nats": {"external": {"streamReplicas": 7}}}, "streamReplicas"),
    (
        "worker hpa and keda",
        {"worker": {"autoscaling": {"enabled": True}, "keda": {"enabled": True}}},
        "/worker",
    ),
    (
        "two in-chart databases",
        {"postgresql": {"bundled": {"enabled": True}, "cnpg": {"enabled": True}}},
        "/postgresql",
    ),
    ("gcs ft without redis", {"ocr": {"gcsFaultTolerance": {"enabled": True}}}, "redisAddress"),
    ("single channel without its number", {"whatsapp": {"existingSecret": "wa"}}, "phoneNumberId"),
    ("secret name", {"adminToken": {"existingSecret": "Admin_Token"}}, "existingSecret"),
    ("gpus", {"ocr": {"gpuWorkers": {"enabled": True, "gpusPerPod": 0}}}, "gpusPerPod"),
    ("ray version", {"ocr": {"rayVersion": "latest"}}, "rayVersion"),
    ("hpa target", {"gateway": {"autoscaling": {"targetCPUUtilizationPercentage": 150}}}, "target"),
]


@pytest.mark.parametrize(("values", "named"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_schema_refuses(tmp_path: Path, values: dict[str, object], named: str) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    stderr = refusal(*template_args(path))
    assert "schema" in stderr and named in stderr, stderr


def test_template_refuses_an_ingress_without_host(tmp_path: Path) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump({"gateway": {"ingress": {"enabled": True}}}))
    assert "gateway.ingress.host is needed" in refusal(*template_args(path))
