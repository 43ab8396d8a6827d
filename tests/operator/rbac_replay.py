"""The chart's operator RBAC, replayed against the requests the operator made.

The emulator has no authorizer, so a missing verb shows only on a real cluster. This reads
what kopf (``User-Agent: kopf/…``) and the operator's own client (``ibbase-operator``) asked
of the emulator — every request is in kmock's journal — turns each into the attributes the
RBAC authorizer sees (verb, API group, resource/subresource, namespace, name), and checks
it against the rules ``helm template`` renders. The OwnerReferencesPermissionEnforcement
admission plugin's extra check is added: creating or patching an object whose
ownerReferences set ``blockOwnerDeletion`` needs ``update`` on the owner's ``finalizers``
subresource.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tests.chart.chart import FULLNAME, NAMESPACE, find, render

OPERATOR_AGENTS = ("kopf/", "ibbase-operator")
VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
OWNER_GROUPS = {"ibbase.io/v1alpha1": ("ibbase.io", "whatsappchannels")}


@dataclass(frozen=True)
class Access:
    verb: str
    group: str
    resource: str  # plural, or plural/subresource
    namespace: str | None
    name: str | None


@dataclass(frozen=True)
class Grant:
    namespace: str | None  # None: every namespace (a ClusterRole)
    rule: dict[str, Any]

    def allows(self, a: Access) -> bool:
        rule = self.rule
        return (
            (self.namespace is None or self.namespace == a.namespace)
            and a.group in rule.get("apiGroups", [])
            and a.resource in rule.get("resources", [])
            and a.verb in rule.get("verbs", [])
            and (not rule.get("resourceNames") or a.name in rule["resourceNames"])
        )


def access_of(method: str, path: str, params: dict[str, str]) -> Access | None:
    """The authorizer's view of one request; None for discovery (not a resource)."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"] and len(parts) >= 3:
        group, rest = "", parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 4:
        group, rest = parts[1], parts[3:]
    else:
        return None
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    resource = rest[0]
    name = rest[1] if len(rest) >= 2 else None
    if len(rest) >= 3:
        resource = f"{resource}/{rest[2]}"
    if method == "GET":
        verb = "get" if name else ("watch" if params.get("watch") in ("true", "1") else "list")
    else:
        verb = VERBS[method]
    return Access(verb, group, resource, namespace, name)


def implied(a: Access, body: Any) -> list[Access]:
    """The finalizers check of OwnerReferencesPermissionEnforcement for a write."""
    if a.verb not in ("create", "update", "patch") or not isinstance(body, dict):
        return []
    found = []
    for ref in (body.get("metadata") or {}).get("ownerReferences") or []:
        owner = OWNER_GROUPS.get(ref.get("apiVersion", ""))
        if owner and ref.get("blockOwnerDeletion"):
            group, plural = owner
            found.append(Access("update", group, f"{plural}/finalizers", a.namespace, ref["name"]))
    return found


def operator_accesses(journal: Iterable[Any]) -> list[Access]:
    """What the operator asked of the emulator (kmock's request journal)."""
    found: list[Access] = []
    for request in journal:
        agent = request.headers.get("User-Agent", "")
        if not agent.startswith(OPERATOR_AGENTS):
            continue
        access = access_of(str(request.method.value).upper(), request.url.path, request.params)
        if access is not None:
            found += [access, *implied(access, request.data)]
    return found


def chart_grants(registry_namespace: str, variant: str = "defaults") -> list[Grant]:
    """The operator's rules as the chart renders them; the Role of the release namespace
    (``crm`` in the chart tests) applies where the test's operator keeps its registry."""
    objs = render(variant)
    cluster = find(objs, "ClusterRole", f"{NAMESPACE}-{FULLNAME}-operator")
    grants = [Grant(None, rule) for rule in cluster["rules"]]
    role = find(objs, "Role", f"{FULLNAME}-operator-registry")
    grants += [Grant(registry_namespace, rule) for rule in role["rules"]]
    return grants


def denied(accesses: Iterable[Access], grants: list[Grant]) -> set[Access]:
    return {a for a in accesses if not any(g.allows(a) for g in grants)}


def unused(accesses: Iterable[Access], grants: list[Grant]) -> set[tuple[str, str, str]]:
    """(group, resource, verb) granted that no request needed."""
    seen = list(accesses)
    granted = {
        (group, resource, verb)
        for g in grants
        for group in g.rule["apiGroups"]
        for resource in g.rule["resources"]
        for verb in g.rule["verbs"]
    }
    return {
        (group, resource, verb)
        for group, resource, verb in granted
        if not any((a.group, a.resource, a.verb) == (group, resource, verb) for a in seen)
    }
