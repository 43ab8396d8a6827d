"""NOTES.txt tells the webhook URL and the next step; its WhatsAppChannel example (and the
operator's) is valid against the CRD's openAPIV3Schema."""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.chart.chart import (
    CHART,
    FULLNAME,
    NAMESPACE,
    RELEASE,
    ROOT,
    VARIANTS,
    find,
    helm,
    render,
)

CRD = CHART / "crds" / "whatsappchannel.yaml"


def _closed(schema: dict[str, Any]) -> dict[str, Any]:
    """The API server prunes unknown fields of a structural schema without a word; here an
    unknown field (a typo in an example) is an error instead."""
    schema = dict(schema)
    if "properties" in schema:
        schema["properties"] = {k: _closed(v) for k, v in schema["properties"].items()}
        schema.setdefault("additionalProperties", False)
    if isinstance(schema.get("items"), dict):
        schema["items"] = _closed(schema["items"])
    return schema


@cache
def channel_validator() -> jsonschema.Draft7Validator:
    crd = yaml.safe_load(CRD.read_text())
    (version,) = [v for v in crd["spec"]["versions"] if v["storage"]]
    group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
    body = version["schema"]["openAPIV3Schema"]
    schema = _closed(
        {
            **body,
            "required": ["apiVersion", "kind", "metadata", *body.get("required", [])],
            "properties": {
                **body["properties"],
                "apiVersion": {"const": f"{group}/{version['name']}"},
                "kind": {"const": kind},
                "metadata": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {"name": {"type": "string"}, "namespace": {"type": "string"}},
                },
            },
        }
    )
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@cache
def notes(variant: str) -> str:
    args: list[str | Path] = [
        "install",
        RELEASE,
        CHART,
        "--namespace",
        NAMESPACE,
        "--dry-run=client",
    ]
    values = VARIANTS[variant]
    if values is not None:
        args += ["--values", values]
    return json.loads(helm(*args, "--output", "json").stdout)["info"]["notes"]


def notes_example(text: str) -> dict[str, Any]:
    match = re.search(r"kubectl apply -f - <<'EOF'\n(.*?)\nEOF\n", text, re.S)
    assert match, text
    return yaml.safe_load(match.group(1))


def test_notes_tell_the_webhook_url_and_the_next_step() -> None:
    text = notes("defaults")
    assert "https://<spec.host>/api/whatsapp/webhook/<namespace>.<name>" in text
    assert f"https://wa.example.com/api/whatsapp/webhook/{NAMESPACE}.sales" in text
    assert "create secret generic meta-credentials" in text
    assert f"create secret generic {FULLNAME}-admin" in text
    assert f"create secret generic {FULLNAME}-database" in text
    assert f"helm test {RELEASE}" in text


@pytest.mark.parametrize("variant", VARIANTS)
def test_notes_example_is_a_valid_channel_for_this_release(variant: str) -> None:
    text = notes(variant)
    objs = render(variant)
    operator = [
        o for o in objs if o["kind"] == "Deployment" and o["metadata"]["name"].endswith("-operator")
    ]
    if not operator:
        assert "WhatsAppChannels are not reconciled here" in text
        return
    example = notes_example(text)
    errors = [e.message for e in channel_validator().iter_errors(example)]
    assert not errors, errors
    # The Ingress the operator makes routes to this release's gateway Service.
    service = find(objs, "Service", example["spec"]["gateway"]["serviceName"])
    assert service["spec"]["ports"][0]["port"] == example["spec"]["gateway"]["servicePort"]
    assert example["metadata"]["namespace"] == NAMESPACE


def test_operator_example_is_valid() -> None:
    example = yaml.safe_load((ROOT / "operator" / "examples" / "whatsappchannel.yaml").read_text())
    assert not [e.message for e in channel_validator().iter_errors(example)]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("spec", "phoneNumberId"), "not-digits"),
        (("spec", "callbackScope"), "everywhere"),
        (("spec", "hostname"), "typo.example.com"),
        (("spec", "gateway", "servicePort"), 70000),
    ],
)
def test_channel_schema_rejects(path: tuple[str, ...], value: object) -> None:
    example = copy.deepcopy(notes_example(notes("defaults")))
    node = example
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert list(channel_validator().iter_errors(example))
