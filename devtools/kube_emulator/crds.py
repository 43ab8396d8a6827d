"""CustomResourceDefinitions: the checks, the status the CRD controller writes, and the CRDs a
cluster of this product always has installed (cert-manager's Certificate).

The checks are the ones whose violation would make the emulator serve something a real
cluster refuses (a name that is not ``<plural>.<group>``, no or two storage versions); the
full structural-schema rules of the apiserver are not re-implemented.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kube_emulator.errors import Cause

CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"


def check_crd(crd: Mapping[str, Any]) -> list[Cause]:
    spec = crd.get("spec")
    if not isinstance(spec, Mapping):
        return [Cause("spec", "Required value", "FieldValueRequired")]
    causes: list[Cause] = []
    names: Mapping[str, Any] = spec["names"] if isinstance(spec.get("names"), Mapping) else {}
    for path, value in (
        ("spec.group", spec.get("group")),
        ("spec.names.plural", names.get("plural")),
        ("spec.names.kind", names.get("kind")),
    ):
        if not value:
            causes.append(Cause(path, "Required value", "FieldValueRequired"))
    scope = spec.get("scope")
    if scope not in ("Namespaced", "Cluster"):
        causes.append(
            Cause(
                "spec.scope",
                f'Unsupported value: "{scope}": supported values: "Cluster", "Namespaced"',
                "FieldValueNotSupported",
            )
        )
    name = (crd.get("metadata") or {}).get("name")
    expected = f"{names.get('plural')}.{spec.get('group')}"
    if names.get("plural") and spec.get("group") and name != expected:
        causes.append(
            Cause(
                "metadata.name",
                f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group',
            )
        )
    versions = spec.get("versions")
    if not isinstance(versions, list) or not versions:
        causes.append(
            Cause(
                "spec.versions",
                "Invalid value: must have exactly one version marked as storage version",
            )
        )
        return causes
    if sum(1 for v in versions if isinstance(v, Mapping) and v.get("storage")) != 1:
        causes.append(
            Cause(
                "spec.versions",
                "Invalid value: must have exactly one version marked as storage version",
            )
        )
    for index, version in enumerate(versions):
        if not isinstance(version, Mapping) or not version.get("name"):
            causes.append(
                Cause(f"spec.versions[{index}].name", "Required value", "FieldValueRequired")
            )
    return causes


def crd_status(crd: Mapping[str, Any], now: str) -> dict[str, Any]:
    """What the apiextensions controllers report once they have accepted a CRD."""
    spec = crd["spec"]
    storage = [v["name"] for v in spec["versions"] if v.get("storage")]
    previous = {c.get("type"): c for c in (crd.get("status") or {}).get("conditions") or []}

    def condition(kind: str, reason: str, message: str) -> dict[str, Any]:
        old = previous.get(kind)
        since = old["lastTransitionTime"] if old and old.get("status") == "True" else now
        return {
            "type": kind,
            "status": "True",
            "reason": reason,
            "message": message,
            "lastTransitionTime": since,
        }

    stored = list((crd.get("status") or {}).get("storedVersions") or [])
    return {
        "acceptedNames": dict(spec["names"]),
        "conditions": [
            condition("NamesAccepted", "NoConflicts", "no conflicts found"),
            condition(
                "Established", "InitialNamesAccepted", "the initial names have been accepted"
            ),
        ],
        "storedVersions": stored + [v for v in storage if v not in stored],
    }


_CONDITIONS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["type", "status"],
        "properties": {
            "type": {"type": "string"},
            "status": {"type": "string", "enum": ["True", "False", "Unknown"]},
            "reason": {"type": "string"},
            "message": {"type": "string"},
            "lastTransitionTime": {"type": "string", "format": "date-time"},
            "observedGeneration": {"type": "integer"},
        },
    },
}

# A faithful subset of cert-manager v1's Certificate: the fields an operator sets are declared
# (so typos and missing required fields are caught), the rest is preserved as cert-manager does.
CERT_MANAGER_CERTIFICATES: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "certificates.cert-manager.io"},
    "spec": {
        "group": "cert-manager.io",
        "scope": "Namespaced",
        "names": {
            "plural": "certificates",
            "singular": "certificate",
            "kind": "Certificate",
            "listKind": "CertificateList",
            "shortNames": ["cert", "certs"],
            "categories": ["cert-manager"],
        },
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "additionalPrinterColumns": [
                    {
                        "name": "Ready",
                        "type": "string",
                        "jsonPath": '.status.conditions[?(@.type=="Ready")].status',
                    },
                    {"name": "Secret", "type": "string", "jsonPath": ".spec.secretName"},
                    {
                        "name": "Issuer",
                        "type": "string",
                        "jsonPath": ".spec.issuerRef.name",
                        "priority": 1,
                    },
                    {
                        "name": "Status",
                        "type": "string",
                        "jsonPath": '.status.conditions[?(@.type=="Ready")].message',
                        "priority": 1,
                    },
                    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                ],
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "required": ["spec"],
                        "properties": {
                            "apiVersion": {"type": "string"},
                            "kind": {"type": "string"},
                            "metadata": {"type": "object"},
                            "spec": {
                                "type": "object",
                                "required": ["issuerRef", "secretName"],
                                "x-kubernetes-preserve-unknown-fields": True,
                                "properties": {
                                    "secretName": {"type": "string"},
                                    "commonName": {"type": "string"},
                                    "dnsNames": {"type": "array", "items": {"type": "string"}},
                                    "duration": {"type": "string"},
                                    "renewBefore": {"type": "string"},
                                    "issuerRef": {
                                        "type": "object",
                                        "required": ["name"],
                                        "properties": {
                                            "name": {"type": "string"},
                                            "kind": {"type": "string"},
                                            "group": {"type": "string"},
                                        },
                                    },
                                },
                            },
                            "status": {
                                "type": "object",
                                "x-kubernetes-preserve-unknown-fields": True,
                                "properties": {
                                    "conditions": _CONDITIONS,
                                    "notAfter": {"type": "string", "format": "date-time"},
                                    "notBefore": {"type": "string", "format": "date-time"},
                                    "renewalTime": {"type": "string", "format": "date-time"},
                                    "revision": {"type": "integer"},
                                },
                            },
                        },
                    }
                },
            }
        ],
    },
}
