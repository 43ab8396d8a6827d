"""Pruning, defaulting and validation against a structural schema, in the apiserver's words."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from kube_emulator.schema import admit
from tests.kube_emulator.support import DATA

SCHEMA: dict[str, Any] = yaml.safe_load((DATA / "widgets.crd.yaml").read_text())["spec"][
    "versions"
][0]["schema"]["openAPIV3Schema"]


def admitted(spec: dict[str, Any], **extra: Any) -> tuple[dict[str, Any], list[str]]:
    obj = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": spec,
    }
    obj.update(extra)
    causes = admit(obj, SCHEMA)
    return obj, [f"{c.field}: {c.message}" for c in causes]


def test_defaults_fill_missing_fields_top_down() -> None:
    obj, causes = admitted({"phoneNumberId": "1", "endpoint": {}})
    assert causes == []
    assert obj["spec"] == {
        "phoneNumberId": "1",
        "endpoint": {"path": "/webhook", "tls": True},
        "mode": "webhook",
        "replicas": 1,
    }


def test_defaults_do_not_create_absent_parents() -> None:
    obj, _ = admitted({"phoneNumberId": "1"})
    assert "endpoint" not in obj["spec"]


def test_unknown_fields_are_pruned_unless_preserved() -> None:
    obj, causes = admitted(
        {"phoneNumberId": "1", "typo": 1, "extra": {"anything": {"goes": True}}},
        status={"phase": "Ready", "undeclared": "x"},
        rogue={"top": "level"},
    )
    assert causes == []
    assert "typo" not in obj["spec"]
    assert obj["spec"]["extra"] == {"anything": {"goes": True}}
    assert obj["status"] == {"phase": "Ready"}
    assert "rogue" not in obj
    assert obj["metadata"] == {"name": "w"}  # metadata is never touched by the schema


def test_null_is_dropped_unless_nullable() -> None:
    obj, causes = admitted({"phoneNumberId": "1", "displayName": None, "note": None})
    assert causes == []
    assert "displayName" not in obj["spec"]
    assert obj["spec"]["note"] is None


@pytest.mark.parametrize(
    ("spec", "field", "message"),
    [
        ({}, "spec.phoneNumberId", "Required value"),
        (
            {"phoneNumberId": 5},
            "spec.phoneNumberId",
            "Invalid value: 5: spec.phoneNumberId in body must be of type string: 5",
        ),
        (
            {"phoneNumberId": "12a"},
            "spec.phoneNumberId",
            "Invalid value: \"12a\": spec.phoneNumberId in body should match '^[0-9]+$'",
        ),
        (
            {"phoneNumberId": "1", "mode": "push"},
            "spec.mode",
            'Unsupported value: "push": supported values: "webhook", "polling"',
        ),
        (
            {"phoneNumberId": "1", "replicas": 0},
            "spec.replicas",
            "Invalid value: 0: spec.replicas in body should be greater than or equal to 1",
        ),
        (
            {"phoneNumberId": "1", "replicas": 9},
            "spec.replicas",
            "Invalid value: 9: spec.replicas in body should be less than or equal to 5",
        ),
        (
            {"phoneNumberId": "1", "replicas": True},
            "spec.replicas",
            "Invalid value: true: spec.replicas in body must be of type integer: true",
        ),
        (
            {"phoneNumberId": "1", "displayName": ""},
            "spec.displayName",
            'Invalid value: "": spec.displayName in body should be at least 1 chars long',
        ),
        (
            {"phoneNumberId": "1", "displayName": "x" * 21},
            "spec.displayName",
            f'Invalid value: "{"x" * 21}": '
            "spec.displayName in body should be at most 20 chars long",
        ),
        (
            {"phoneNumberId": "1", "tags": ["a", "b", "c", "d"]},
            "spec.tags",
            'Invalid value: "array": spec.tags in body should have at most 3 items',
        ),
        (
            {"phoneNumberId": "1", "tags": ["a", 2]},
            "spec.tags[1]",
            "Invalid value: 2: spec.tags[1] in body must be of type string: 2",
        ),
        (
            {"phoneNumberId": "1", "port": 1.5},
            "spec.port",
            "Invalid value: 1.5: spec.port in body must be of type integer-or-string: 1.5",
        ),
        (
            {"phoneNumberId": "1", "expiresAt": "tomorrow"},
            "spec.expiresAt",
            'Invalid value: "tomorrow": '
            'spec.expiresAt in body must be of type date-time: "tomorrow"',
        ),
        (
            {"phoneNumberId": "1", "options": {"a": 1}},
            "spec.options.a",
            "Invalid value: 1: spec.options.a in body must be of type string: 1",
        ),
    ],
)
def test_validation_messages(spec: dict[str, Any], field: str, message: str) -> None:
    _, causes = admitted(spec)
    assert causes == [f"{field}: {message}"]


def test_int_or_string_and_date_time_accept_valid_values() -> None:
    for port in (8443, "https"):
        _, causes = admitted(
            {"phoneNumberId": "1", "port": port, "expiresAt": "2030-01-02T03:04:05Z"}
        )
        assert causes == []


def test_status_only_admission_leaves_the_spec_alone() -> None:
    obj = {"metadata": {"name": "w"}, "spec": {"typo": 1}, "status": {"phase": "Lost", "x": 1}}
    causes = admit(obj, SCHEMA, only="status")
    assert [c.field for c in causes] == ["status.phase"]
    assert obj["spec"] == {"typo": 1}
    assert obj["status"] == {"phase": "Lost"}
