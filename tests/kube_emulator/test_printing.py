"""kubectl-style tables: JSONPath subset, ages, layout."""

from __future__ import annotations

import datetime

import pytest

from kube_emulator.printing import evaluate, human_duration, render_table
from kube_emulator.resources import ResourceSpec

NOW = datetime.datetime(2030, 1, 1, 12, 0, 0, tzinfo=datetime.UTC)
READY = '.status.conditions[?(@.type=="Ready")].status'


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (-5, "<invalid>"),
        (0, "0s"),
        (5, "5s"),
        (119, "119s"),
        (120, "2m"),
        (200, "3m20s"),
        (45 * 60, "45m"),
        (5 * 3600 + 60, "5h1m"),
        (30 * 3600, "30h"),
        (3 * 86400 + 3600, "3d1h"),
        (40 * 86400, "40d"),
        (3 * 365 * 86400, "3y"),
    ],
)
def test_ages_like_kubectl(seconds: int, shown: str) -> None:
    assert human_duration(seconds) == shown


def test_jsonpath_subset() -> None:
    obj = {
        "metadata": {"labels": {"app.kubernetes.io/name": "ibbase"}},
        "spec": {"hosts": ["a", "b"]},
        "status": {
            "conditions": [
                {"type": "Synced", "status": "False"},
                {"type": "Ready", "status": "True"},
            ]
        },
    }
    assert evaluate(obj, READY) == ["True"]
    assert evaluate(obj, ".spec.hosts[1]") == ["b"]
    assert evaluate(obj, ".spec.hosts[*]") == ["a", "b"]
    assert evaluate(obj, r".metadata.labels.app\.kubernetes\.io/name") == ["ibbase"]
    assert evaluate(obj, ".metadata.labels['app.kubernetes.io/name']") == ["ibbase"]
    assert evaluate(obj, "{.spec.missing}") == []


def test_table_with_printer_columns() -> None:
    spec = ResourceSpec(
        group="example.com",
        version="v1",
        plural="widgets",
        kind="Widget",
        namespaced=True,
        printer_columns=(
            {"name": "Ready", "type": "string", "jsonPath": READY},
            {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
            {"name": "Mode", "type": "string", "jsonPath": ".spec.mode", "priority": 1},
            {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
        ),
    )
    objects = [
        {
            "metadata": {
                "name": "first",
                "namespace": "team-a",
                "creationTimestamp": "2030-01-01T11:59:55Z",
            },
            "spec": {"replicas": 2, "mode": "webhook"},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]},
        },
        {
            "metadata": {
                "name": "second-widget",
                "namespace": "team-b",
                "creationTimestamp": "2030-01-01T11:57:00Z",
            },
            "spec": {"replicas": 1},
        },
    ]
    assert render_table(spec, objects, all_namespaces=False, now=NOW).splitlines() == [
        "NAME            READY   REPLICAS   AGE",
        "first           True    2          5s",
        "second-widget           1          3m",
    ]
    wide = render_table(spec, objects, all_namespaces=True, wide=True, now=NOW).splitlines()
    assert wide[0] == "NAMESPACE   NAME            READY   REPLICAS   MODE      AGE"
    assert wide[1] == "team-a      first           True    2          webhook   5s"
