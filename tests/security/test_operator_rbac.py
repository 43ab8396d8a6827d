"""The operator's RBAC, least privilege. `tests/chart/test_rbac_and_network.py` already pins
every rule the chart renders (no wildcards; no escalate, bind, impersonate or
deletecollection; Secret verbs bounded; exact cluster-wide and per-namespace rules; the
registry Secret limited by name). What it leaves open, checked here for every variant: that
each binding grants only a role of this chart, to the operator's ServiceAccount alone, so no
built-in ClusterRole (cluster-admin, admin, edit, view) is ever bound; and that Secrets are
reachable cluster-wide only when the operator watches every namespace."""

from __future__ import annotations

import pytest

from tests.chart.chart import FULLNAME, NAMESPACE, VARIANTS, ensure_helm, kinds, render

OPERATOR_SA = {"kind": "ServiceAccount", "name": f"{FULLNAME}-operator", "namespace": NAMESPACE}


@pytest.fixture(scope="module", autouse=True)
def _helm() -> None:
    ensure_helm()


@pytest.mark.parametrize("variant", VARIANTS)
def test_bindings_grant_only_the_charts_own_roles_to_the_operator(variant: str) -> None:
    objs = render(variant)
    roles: set[tuple[str, ...]] = {
        ("ClusterRole", r["metadata"]["name"]) for r in kinds(objs, "ClusterRole")
    }
    roles |= {
        ("Role", r["metadata"]["name"], r["metadata"].get("namespace", NAMESPACE))
        for r in kinds(objs, "Role")
    }
    bindings = kinds(objs, "ClusterRoleBinding") + kinds(objs, "RoleBinding")
    assert bindings, variant
    for binding in bindings:
        ref = binding["roleRef"]
        assert ref["apiGroup"] == "rbac.authorization.k8s.io"
        if binding["kind"] == "ClusterRoleBinding" or ref["kind"] == "ClusterRole":
            assert ref["kind"] == "ClusterRole" and ("ClusterRole", ref["name"]) in roles, binding
        else:
            namespace = binding["metadata"].get("namespace", NAMESPACE)
            assert ("Role", ref["name"], namespace) in roles, binding
        assert binding["subjects"] == [OPERATOR_SA], binding


@pytest.mark.parametrize("variant", VARIANTS)
def test_secrets_cluster_wide_only_when_every_namespace_is_watched(variant: str) -> None:
    objs = render(variant)
    operators = [
        d for d in kinds(objs, "Deployment") if d["metadata"]["name"] == f"{FULLNAME}-operator"
    ]
    command = [
        arg
        for d in operators
        for c in d["spec"]["template"]["spec"]["containers"]
        for arg in c.get("command", []) + c.get("args", [])
    ]
    cluster_secret_rules = [
        rule
        for role in kinds(objs, "ClusterRole")
        for rule in role["rules"]
        if "secrets" in rule.get("resources", [])
    ]
    if "--all-namespaces" not in command:
        assert cluster_secret_rules == [], variant
    for rule in cluster_secret_rules:
        assert not {"update", "deletecollection"} & set(rule["verbs"]), rule


@pytest.mark.parametrize("variant", VARIANTS)
def test_secrets_are_read_by_name_never_listed_watched_or_deleted(variant: str) -> None:
    """Issue 17: a list or watch right on Secrets hands over every credential of every
    namespace it covers, and the operator never needs one: it gets Secrets by name (the
    user's credentials, its own ``-webhook`` and ``-token`` children, the registry) and
    leaves deletion to garbage collection. In the release namespace the registry Secret is
    the only one it may read or patch."""
    objs = render(variant)
    for role in kinds(objs, "ClusterRole") + kinds(objs, "Role"):
        for rule in role["rules"]:
            if "secrets" not in rule.get("resources", []):
                continue
            assert set(rule["verbs"]) <= {"get", "create", "patch"}, rule
            if (
                role["kind"] == "Role"
                and role["metadata"]["name"] == f"{FULLNAME}-operator-registry"
            ):
                assert rule.get("resourceNames") == [f"{FULLNAME}-channels"] or rule["verbs"] == [
                    "create"
                ], rule
