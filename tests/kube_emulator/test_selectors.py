"""Label and field selector grammar and the matches that surprise people."""

from __future__ import annotations

import pytest

from kube_emulator.selectors import SelectorError, parse_selection


def labelled(**labels: str) -> dict[str, object]:
    return {"metadata": {"name": "x", "namespace": "ns", "labels": labels}}


@pytest.mark.parametrize(
    ("selector", "labels", "matches"),
    [
        ("app=web", {"app": "web"}, True),
        ("app==web", {"app": "web"}, True),
        ("app=web", {"app": "db"}, False),
        ("app!=web", {"app": "db"}, True),
        ("app!=web", {}, True),  # a missing label is "not equal"
        ("app in (web, db)", {"app": "db"}, True),
        ("app in (web,db)", {"app": "cache"}, False),
        ("app notin (web,db)", {}, True),
        ("app notin (web,db)", {"app": "web"}, False),
        ("app", {"app": ""}, True),
        ("app", {}, False),
        ("!app", {}, True),
        ("!app", {"app": "web"}, False),
        ("app=web,tier in (front),!legacy", {"app": "web", "tier": "front"}, True),
        ("app=web,tier in (front),!legacy", {"app": "web", "tier": "front", "legacy": "1"}, False),
        ("app.kubernetes.io/name=ibbase", {"app.kubernetes.io/name": "ibbase"}, True),
    ],
)
def test_label_selectors(selector: str, labels: dict[str, str], matches: bool) -> None:
    assert parse_selection(selector, None).matches(labelled(**labels)) is matches


def test_field_selectors_on_name_and_namespace() -> None:
    obj = labelled()
    assert parse_selection(None, "metadata.name=x").matches(obj)
    assert parse_selection(None, "metadata.name==x,metadata.namespace=ns").matches(obj)
    assert not parse_selection(None, "metadata.name!=x").matches(obj)
    assert not parse_selection(None, "metadata.namespace=other").matches(obj)


def test_field_selectors_on_declared_fields_only() -> None:
    event = {"metadata": {"name": "e"}, "involvedObject": {"name": "w1", "kind": "Widget"}}
    selection = parse_selection(None, "involvedObject.name=w1", ["involvedObject.name"])
    assert selection.matches(event)
    with pytest.raises(SelectorError, match="field label not supported"):
        parse_selection(None, "spec.replicas=1")


@pytest.mark.parametrize("selector", ["app in (a,b", "-bad-=x", "x=y,=z"])
def test_malformed_label_selectors(selector: str) -> None:
    with pytest.raises(SelectorError):
        parse_selection(selector, None)
