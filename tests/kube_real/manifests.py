"""What the tests install on the real API server: the chart's CRD and the chart's own
rendered RBAC for the operator, cert-manager's Certificate CRD (the operator gates its
registration on one), and CRDs for the RayService and ServiceMonitor built from the schema
subsets tests/chart keeps of KubeRay's and the Prometheus Operator's APIs."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml

from kube_emulator.crds import CERT_MANAGER_CERTIFICATES
from tests.chart.chart import CHART, NEWEST_KUBE, RELEASE, SCHEMAS, helm

RBAC_KINDS = {"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}
CHART_CRDS = sorted((CHART / "crds").glob("*.yaml"))


def render_chart(namespace: str, values: Path | None = None, *extra: str) -> list[dict[str, Any]]:
    """``helm template`` of the chart into a release namespace, CRDs and test hooks included;
    namespaced objects get the release namespace, as ``helm install`` gives them."""
    args: list[str | Path] = ["template", RELEASE, CHART, "--namespace", namespace]
    args += ["--kube-version", NEWEST_KUBE, "--include-crds"]
    if values is not None:
        args += ["--values", values]
    docs = [d for d in yaml.safe_load_all(helm(*args, *extra).stdout) if d]
    return docs


def operator_rbac(namespace: str) -> list[dict[str, Any]]:
    """The operator's ServiceAccount, (Cluster)Roles and bindings, as the chart renders them
    with its default values into ``namespace``."""
    found = [
        obj
        for obj in render_chart(namespace)
        if obj["kind"] in RBAC_KINDS
        and obj["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "operator"
    ]
    assert any(o["kind"] == "ServiceAccount" for o in found), "the chart renders no operator SA"
    return found


def service_account(rbac: list[dict[str, Any]], namespace: str) -> tuple[str, str]:
    """(namespace, name) of the operator's ServiceAccount released into ``namespace``."""
    sa = next(o for o in rbac if o["kind"] == "ServiceAccount")
    return sa["metadata"].get("namespace") or namespace, sa["metadata"]["name"]


def grants(rbac: list[dict[str, Any]], group: str, resource: str, verb: str) -> bool:
    """Whether any rendered (Cluster)Role allows ``verb`` on ``resource`` (no resourceNames)."""
    for role in rbac:
        if role["kind"] not in {"ClusterRole", "Role"}:
            continue
        for rule in role.get("rules") or []:
            if rule.get("resourceNames"):
                continue
            if (
                group in rule.get("apiGroups", [])
                and {resource, "*"} & set(rule.get("resources", []))
                and {verb, "*"} & set(rule.get("verbs", []))
            ):
                return True
    return False


def chart_crds() -> list[dict[str, Any]]:
    return [d for path in CHART_CRDS for d in yaml.safe_load_all(path.read_text()) if d]


def custom_resource_definitions() -> list[dict[str, Any]]:
    """Every CRD the tests need: the chart's, cert-manager's Certificate (the emulator's
    subset, which is a valid structural CRD), and one for each schema tests/chart keeps for
    the kinds the chart renders from other projects (RayService, ServiceMonitor, PodMonitor,
    PrometheusRule, the CloudNativePG Cluster, KEDA's ScaledObject)."""
    return [
        *chart_crds(),
        copy.deepcopy(CERT_MANAGER_CERTIFICATES),
        *(schema_crd(path) for path in sorted(SCHEMAS.glob("*.json"))),
    ]


def schema_crd(path: Path) -> dict[str, Any]:
    """The CRD of a schema named ``{plural}.{group}-{version}.json``, its kind the schema's
    own ``kind`` constant."""
    name, version = path.stem.rsplit("-", 1)
    plural, group = name.split(".", 1)
    schema = json.loads(path.read_text())
    kind = schema["properties"]["kind"]["const"]
    return crd_from_json_schema(schema, group=group, version=version, kind=kind, plural=plural)


def crd_from_json_schema(
    schema: dict[str, Any], *, group: str, version: str, kind: str, plural: str
) -> dict[str, Any]:
    """A CRD whose ``openAPIV3Schema`` is a JSON Schema made structural.

    ``additionalProperties: false`` has no CRD equivalent: the API server prunes unknown
    fields, and refuses them under ``fieldValidation=Strict`` (as the dry run asks), which is
    the same check. ``const`` becomes a one-value ``enum``; an integer-or-string (or
    number-or-string) ``anyOf`` becomes ``x-kubernetes-int-or-string``; an object with no
    declared fields keeps them (``x-kubernetes-preserve-unknown-fields``), as the real CRDs
    do for pod templates."""
    body = _structural(schema)
    for field in ("apiVersion", "kind"):
        body["properties"][field] = {"type": "string"}
    body["properties"]["metadata"] = {"type": "object"}
    # apiVersion and kind are the API server's to check, never the schema's.
    required = [r for r in body.pop("required", []) if r not in {"apiVersion", "kind"}]
    if required:
        body["required"] = required
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": plural, "singular": kind.lower(), "kind": kind},
            "versions": [
                {
                    "name": version,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "schema": {"openAPIV3Schema": body},
                }
            ],
        },
    }


_DROP = {"$schema", "$comment", "$id", "examples"}


def _structural(node: Any) -> Any:
    if isinstance(node, list):
        return [_structural(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _structural(v) for k, v in node.items() if k not in _DROP}
    if "const" in out:
        out["enum"] = [out.pop("const")]
    any_of = out.get("anyOf")
    # A number or a string (a quantity, a port): Kubernetes' int-or-string.
    if any_of and {a.get("type") for a in any_of} in ({"integer", "string"}, {"number", "string"}):
        out.pop("anyOf")
        out["x-kubernetes-int-or-string"] = True
        return out
    if "type" not in out and "enum" in out:
        types = {type(v) for v in out["enum"]}
        out["type"] = {str: "string", bool: "boolean", int: "integer"}.get(types.pop(), "string")
    extra = out.get("additionalProperties")
    if extra is False or extra is True or (isinstance(extra, dict) and "properties" in out):
        out.pop("additionalProperties")
    if out.get("type") == "array" and "items" not in out:
        out["items"] = {"x-kubernetes-preserve-unknown-fields": True}
    if (
        out.get("type") == "object"
        and "properties" not in out
        and "additionalProperties" not in out
    ):
        out["x-kubernetes-preserve-unknown-fields"] = True
    return out
