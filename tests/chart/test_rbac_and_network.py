"""The operator's RBAC is exactly the least privilege it needs (the requests behind each rule:
tests/operator/test_rbac_fix.py replays a channel's life against them); NetworkPolicies deny
ingress to every pod of the release and open only the paths the components use."""

from __future__ import annotations

from typing import Any

import pytest

from tests.chart.chart import (
    FULLNAME,
    NAMESPACE,
    NEWEST_KUBE,
    VARIANTS,
    find,
    kinds,
    pod_templates,
    render,
)

SA = {"kind": "ServiceAccount", "name": f"{FULLNAME}-operator", "namespace": NAMESPACE}
CRDS = {
    "apiGroups": ["apiextensions.k8s.io"],
    "resources": ["customresourcedefinitions"],
    "verbs": ["list", "watch"],
}
NAMESPACES = {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["list", "watch"]}
FINALIZERS = {
    "apiGroups": ["ibbase.io"],
    "resources": ["whatsappchannels/finalizers"],
    "verbs": ["update"],
}
CHANNEL_RULES = [
    {
        "apiGroups": ["ibbase.io"],
        "resources": ["whatsappchannels"],
        "verbs": ["get", "list", "watch", "patch"],
    },
    {
        "apiGroups": ["ibbase.io"],
        "resources": ["whatsappchannels/status"],
        "verbs": ["patch"],
    },
    # Children set blockOwnerDeletion: OwnerReferencesPermissionEnforcement asks for this.
    FINALIZERS,
    {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "create", "patch"]},
    {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses"], "verbs": ["create", "patch"]},
    {"apiGroups": ["cert-manager.io"], "resources": ["certificates"], "verbs": ["get"]},
    {"apiGroups": [""], "resources": ["events"], "verbs": ["create"]},
]
LEASE_RULES = [
    {
        "apiGroups": ["coordination.k8s.io"],
        "resources": ["leases"],
        "resourceNames": [f"{FULLNAME}-operator"],
        "verbs": ["get", "update"],
    },
    {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
]
REGISTRY_RULES = [
    {
        "apiGroups": [""],
        "resources": ["secrets"],
        "resourceNames": [f"{FULLNAME}-channels"],
        "verbs": ["get", "patch"],
    },
    {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]},
    *LEASE_RULES,
]
SECRET_VERBS = {"get", "create", "patch"}

variants = pytest.mark.parametrize("variant", VARIANTS)


def rbac(objs: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    return kinds(objs, "ClusterRole") + kinds(objs, "Role")


@variants
def test_no_wildcards_and_no_dangerous_verbs(variant: str) -> None:
    for role in rbac(render(variant)):
        for rule in role["rules"]:
            for field in ("apiGroups", "resources", "verbs", "resourceNames"):
                assert "*" not in rule.get(field, []), (role["metadata"]["name"], rule)
            assert not set(rule["verbs"]) & {"escalate", "bind", "impersonate", "deletecollection"}
            assert "nonResourceURLs" not in rule
            if "secrets" in rule["resources"]:
                assert set(rule["verbs"]) <= SECRET_VERBS, rule


def test_cluster_wide_operator_rules() -> None:
    objs = render("defaults")
    name = f"{NAMESPACE}-{FULLNAME}-operator"
    assert find(objs, "ClusterRole", name)["rules"] == [CRDS, *CHANNEL_RULES]
    binding = find(objs, "ClusterRoleBinding", name)
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": name,
    }
    assert binding["subjects"] == [SA]
    # kopf lists namespaces only when it serves a list of them, never when it serves all.
    assert NAMESPACES not in find(objs, "ClusterRole", name)["rules"]
    roles = {r["metadata"]["name"]: r for r in kinds(objs, "Role")}
    assert set(roles) == {f"{FULLNAME}-operator-registry"}


def test_namespaced_operator_rules() -> None:
    objs = render("namespaced-operator")
    cluster = find(objs, "ClusterRole", f"{NAMESPACE}-{FULLNAME}-operator")
    # Nothing namespaced is granted cluster-wide: only CRD discovery and the namespace list.
    assert cluster["rules"] == [CRDS, NAMESPACES]
    for ns in ("crm", "crm-staging"):
        (role,) = [
            r
            for r in kinds(objs, "Role")
            if r["metadata"]["name"] == f"{FULLNAME}-operator" and r["metadata"]["namespace"] == ns
        ]
        assert role["rules"] == CHANNEL_RULES
        (binding,) = [
            b
            for b in kinds(objs, "RoleBinding")
            if b["metadata"]["name"] == f"{FULLNAME}-operator" and b["metadata"]["namespace"] == ns
        ]
        assert binding["subjects"] == [SA]
        assert binding["roleRef"]["name"] == role["metadata"]["name"]


@variants
def test_nothing_is_listed_watched_or_deleted_that_the_operator_does_not(variant: str) -> None:
    """The operator never lists, watches or deletes Secrets, Ingresses or Certificates
    (children go by garbage collection), nor PUTs a WhatsAppChannel."""
    for role in rbac(render(variant)):
        for rule in role["rules"]:
            resources = set(rule["resources"])
            if resources & {"secrets", "ingresses", "certificates"}:
                assert not {"list", "watch", "delete"} & set(rule["verbs"]), rule
            if resources & {"whatsappchannels", "whatsappchannels/status"}:
                assert "update" not in rule["verbs"], rule


@variants
def test_every_role_with_channel_rules_may_update_their_finalizers(variant: str) -> None:
    roles = [r for r in rbac(render(variant)) if r["rules"] and CHANNEL_RULES[0] in r["rules"]]
    assert roles, variant
    for role in roles:
        assert FINALIZERS in role["rules"], role["metadata"]["name"]


def test_without_leader_election_no_lease_is_granted() -> None:
    objs = render("defaults", NEWEST_KUBE, "--set", "operator.leaderElection=false")
    role = find(objs, "Role", f"{FULLNAME}-operator-registry")
    assert role["rules"] == REGISTRY_RULES[:2]
    operator = find(objs, "Deployment", f"{FULLNAME}-operator")
    env = {
        e["name"]: e.get("value")
        for e in operator["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["IBBASE_OPERATOR_LEADER_ELECTION"] == "false"


@variants
def test_leader_election_is_on_with_the_lease_the_role_names(variant: str) -> None:
    objs = render(variant)
    operator = find(objs, "Deployment", f"{FULLNAME}-operator")
    env = {
        e["name"]: e.get("value")
        for e in operator["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["IBBASE_OPERATOR_LEADER_ELECTION"] == "true"
    assert env["IBBASE_OPERATOR_LEASE_NAME"] == f"{FULLNAME}-operator"
    role = find(objs, "Role", f"{FULLNAME}-operator-registry")
    assert LEASE_RULES[0]["resourceNames"] == [env["IBBASE_OPERATOR_LEASE_NAME"]]
    assert all(rule in role["rules"] for rule in LEASE_RULES)


@variants
def test_registry_secret_role_is_limited_by_name(variant: str) -> None:
    objs = render(variant)
    role = find(objs, "Role", f"{FULLNAME}-operator-registry")
    assert role["metadata"]["namespace"] == NAMESPACE
    assert role["rules"] == REGISTRY_RULES
    binding = find(objs, "RoleBinding", f"{FULLNAME}-operator-registry")
    assert binding["subjects"] == [SA]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]


@variants
def test_only_the_operator_and_the_ray_head_mount_an_api_token(variant: str) -> None:
    # The Ray head carries KubeRay's in-tree autoscaler, which scales the worker groups.
    talks_to_the_api = {f"Deployment/{FULLNAME}-operator", f"RayService/{FULLNAME}-ocr/head"}
    for pod in pod_templates(render(variant)):
        token = pod.spec.get("automountServiceAccountToken")
        assert token is (pod.owner in talks_to_the_api), pod.owner


# NetworkPolicies ---------------------------------------------------------------------------


def policies(variant: str) -> dict[str, dict[str, Any]]:
    return {p["metadata"]["name"]: p["spec"] for p in kinds(render(variant), "NetworkPolicy")}


def ports(rule: dict[str, Any]) -> set[Any]:
    return {p["port"] for p in rule.get("ports", [])}


def to_component(rule: dict[str, Any], key: str, component: str) -> bool:
    return any(
        (peer.get("podSelector") or {}).get("matchLabels", {}).get("app.kubernetes.io/component")
        == component
        for peer in rule.get(key, [])
    )


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v != "dev-bundled"])
def test_default_deny_covers_every_pod(variant: str) -> None:
    deny = policies(variant)[f"{FULLNAME}-default-deny-ingress"]
    assert deny["policyTypes"] == ["Ingress"] and "ingress" not in deny
    selector = deny["podSelector"]["matchLabels"]
    for pod in pod_templates(render(variant)):
        assert selector.items() <= pod.labels.items(), pod.owner


def test_gateway_and_worker_paths() -> None:
    pol = policies("defaults")
    gateway = pol[f"{FULLNAME}-gateway"]
    assert [ports(r) for r in gateway["ingress"]] == [{"http"}]
    egress = gateway["egress"]
    assert any(to_component(r, "to", "nats") and ports(r) == {4222} for r in egress)
    assert any(ports(r) == {5432} for r in egress)  # the external PostgreSQL
    assert any(ports(r) == {53} for r in egress)
    worker = pol[f"{FULLNAME}-worker"]
    assert any(to_component(r, "to", "ocr") and ports(r) == {8000} for r in worker["egress"])
    assert any(to_component(r, "to", "nats") for r in worker["egress"])
    nats = pol[f"{FULLNAME}-nats"]
    (clients,) = [r for r in nats["ingress"] if ports(r) == {"client"}]
    assert to_component(clients, "from", "gateway") and to_component(clients, "from", "worker")
    ocr = pol[f"{FULLNAME}-ocr"]
    (reads,) = [r for r in ocr["ingress"] if ports(r) == {8000}]
    assert to_component(reads, "from", "worker")


def test_operator_egress_is_the_api_server_and_meta() -> None:
    operator = policies("external-services")[f"{FULLNAME}-operator"]
    assert operator["policyTypes"] == ["Ingress", "Egress"]
    # Only the metrics scrape comes in, on the health port (/metrics is served there).
    assert [ports(r) for r in operator["ingress"]] == [{"health"}]
    rules = operator["egress"]
    (api,) = [r for r in rules if ports(r) == {443, 6443}]
    assert api["to"] == [{"ipBlock": {"cidr": "10.0.0.1/32"}}]
    assert any(ports(r) == {443} for r in rules)
    assert len(rules) == 3  # DNS, the API server, HTTPS to Meta and the webhook probe


def test_external_services_egress_uses_their_addresses() -> None:
    pol = policies("external-services")
    assert f"{FULLNAME}-nats" not in pol and f"{FULLNAME}-postgresql" not in pol
    for name in ("gateway", "worker"):
        egress = pol[f"{FULLNAME}-{name}"]["egress"]
        (nats,) = [r for r in egress if ports(r) == {4222}]
        assert nats["to"][0]["namespaceSelector"]["matchLabels"] == {
            "kubernetes.io/metadata.name": "messaging"
        }
        (db,) = [r for r in egress if ports(r) == {6432}]
        assert db["to"] == [{"ipBlock": {"cidr": "10.20.0.0/24"}}]
    migrate = pol[f"{FULLNAME}-migrate"]
    assert {frozenset(ports(r)) for r in migrate["egress"]} == {frozenset({53}), frozenset({6432})}
    gateway_from = pol[f"{FULLNAME}-gateway"]["ingress"]
    # The ingress controller, then the helm test pod (and Prometheus when listed).
    assert gateway_from[0]["from"][0]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "ingress-nginx"
    }
    assert to_component(gateway_from[1], "from", "test")


def test_bundled_postgresql_is_reachable_only_from_the_app() -> None:
    assert not kinds(render("dev-bundled"), "NetworkPolicy")  # networkPolicy.enabled=false
    objs = render("dev-bundled", NEWEST_KUBE, "--set", "networkPolicy.enabled=true")
    pol = {p["metadata"]["name"]: p["spec"] for p in kinds(objs, "NetworkPolicy")}
    (rule,) = pol[f"{FULLNAME}-postgresql"]["ingress"]
    assert ports(rule) == {"postgresql"}
    assert {
        p["podSelector"]["matchLabels"]["app.kubernetes.io/component"] for p in rule["from"]
    } == {
        "gateway",
        "worker",
        "migrate",
    }
    for name in ("gateway", "worker", "migrate"):
        egress = pol[f"{FULLNAME}-{name}"]["egress"]
        assert any(to_component(r, "to", "postgresql") and ports(r) == {5432} for r in egress)
    assert f"{FULLNAME}-ocr" not in pol  # no OCR cluster in that variant


def test_trusted_proxies_reach_the_gateway_only_when_given() -> None:
    """The API's failed-authentication limit keys on the client X-Forwarded-For names only
    behind the proxies the platform team lists; by default nobody's header is believed."""
    from tests.chart.chart import NEWEST_KUBE, container, env_of, find, render

    def gateway_env(*extra: str) -> dict[str, dict[str, Any]]:
        deployment = find(render("defaults", NEWEST_KUBE, *extra), "Deployment", "ibbase-gateway")
        return env_of(container(deployment, "gateway"))

    assert "IBBASE_TRUSTED_PROXIES" not in gateway_env()
    given = gateway_env("--set", "gateway.trustedProxies={10.0.0.0/8,192.168.1.7}")
    assert given["IBBASE_TRUSTED_PROXIES"]["value"] == "10.0.0.0/8,192.168.1.7"
