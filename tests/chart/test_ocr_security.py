"""The OCR cluster is no open door: its dashboard and Jobs API (port 8265: a submitted job
is code execution) answer only the KubeRay operator and only with Ray's token, and its pods
reach nothing but DNS, each other and (the head's autoscaler) the API server."""

from __future__ import annotations

import ast
import base64
import inspect
import json
from typing import Any

import pytest

from tests.chart.chart import (
    FULLNAME,
    NEWEST_KUBE,
    PodTemplate,
    find,
    helm,
    kinds,
    pod_templates,
    render,
    template_args,
)
from tests.chart.test_ocr import RAY_VARIANTS, rayservice

DASHBOARD, AGENT = 8265, 52365
KUBERAY = {"app.kubernetes.io/name": "kuberay-operator"}
OCR_PODS = {
    "app.kubernetes.io/name": "ibbase",
    "app.kubernetes.io/instance": "ibbase",
    "app.kubernetes.io/component": "ocr",
}


def policies(objs: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    return [p["spec"] for p in kinds(objs, "NetworkPolicy")]


def applying_to(objs: tuple[dict[str, Any], ...], pod: PodTemplate, kind: str) -> list[Any]:
    """The rules of ``kind`` (ingress or egress) of every policy that selects the pod."""
    return [
        rule
        for spec in policies(objs)
        if spec["podSelector"]["matchLabels"].items() <= pod.labels.items()
        and kind.capitalize() in spec["policyTypes"]
        for rule in spec.get(kind, [])
    ]


def ray_pods(objs: tuple[dict[str, Any], ...]) -> dict[str, PodTemplate]:
    return {p.owner.rsplit("/", 1)[1]: p for p in pod_templates(objs) if p.kind == "RayService"}


def opens(rule: dict[str, Any], port: int) -> bool:
    """Whether the rule lets traffic to ``port`` through (no ports: every port)."""
    return "ports" not in rule or any(p["port"] == port for p in rule["ports"])


def narrow(peer: dict[str, Any]) -> bool:
    """A peer that names pods or a namespace by label: no address block, no empty selector
    (every pod, or every namespace)."""
    selectors = [peer[k] for k in ("podSelector", "namespaceSelector") if k in peer]
    return set(peer) <= {"podSelector", "namespaceSelector"} and all(
        s.get("matchLabels") for s in selectors
    )


@pytest.mark.parametrize("variant", RAY_VARIANTS)
def test_the_dashboard_answers_no_arbitrary_pod(variant: str) -> None:
    """Every rule that opens 8265 or 52365 on the head names its sources (Ray's own pods,
    the KubeRay operator's); none is "from anywhere", whichever policy it is in."""
    objs = render(variant)
    rules = applying_to(objs, ray_pods(objs)["head"], "ingress")
    assert rules, "the head has no ingress policy at all"
    for port in (DASHBOARD, AGENT):
        opened = [r for r in rules if opens(r, port)]
        assert opened, f"port {port}: KubeRay could not reach it"
        for rule in opened:
            assert rule.get("from"), f"port {port} open to anywhere: {rule}"
            assert all(narrow(peer) for peer in rule["from"]), f"port {port}: {rule}"


def kuberay_rule(variant: str, *extra: str) -> dict[str, Any]:
    objs = render(variant, NEWEST_KUBE, *extra)
    spec = find(objs, "NetworkPolicy", f"{FULLNAME}-ocr")["spec"]
    (rule,) = [
        r for r in spec["ingress"] if {p["port"] for p in r.get("ports", [])} == {DASHBOARD, AGENT}
    ]
    return rule


def test_by_default_only_the_kuberay_operators_pods_in_its_namespace() -> None:
    assert kuberay_rule("defaults")["from"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ray-system"}},
            "podSelector": {"matchLabels": KUBERAY},
        }
    ]
    # The operator's namespace is a value; a list of peers replaces the whole rule.
    assert kuberay_rule("external-services")["from"][0]["namespaceSelector"] == {
        "matchLabels": {"kubernetes.io/metadata.name": "kuberay"}
    }
    assert kuberay_rule("scaling-monitoring")["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kuberay-system"}}}
    ]


def test_opening_the_dashboard_wider_takes_an_explicit_peer() -> None:
    everywhere = json.dumps([{"namespaceSelector": {}}])
    rule = kuberay_rule("defaults", "--set-json", f"networkPolicy.kuberayFrom={everywhere}")
    assert rule["from"] == [{"namespaceSelector": {}}]


def test_ray_token_authentication_from_the_charts_own_secret() -> None:
    objs = render("defaults")
    cluster = rayservice("defaults")["spec"]["rayClusterConfig"]
    name = f"{FULLNAME}-ray-auth"
    assert cluster["authOptions"] == {"mode": "token", "secretName": name}
    secret = find(objs, "Secret", name)
    token = base64.b64decode(secret["data"]["auth_token"]).decode()
    assert len(token) == 64 and token.isalnum()
    # Random per install (an upgrade keeps the live one through lookup), never a value.
    again = helm(*template_args(None, "--show-only", "templates/secrets.yaml")).stdout
    assert secret["data"]["auth_token"] not in again
    # KubeRay sets RAY_AUTH_MODE and RAY_AUTH_TOKEN itself; nothing here may undo it.
    for pod in ray_pods(objs).values():
        for c in pod.spec["containers"]:
            assert not {"RAY_AUTH_MODE", "RAY_AUTH_TOKEN"} & {e["name"] for e in c["env"]}


def test_ray_token_from_a_secret_of_yours_or_off() -> None:
    cluster = rayservice("external-services")["spec"]["rayClusterConfig"]
    assert cluster["authOptions"] == {"mode": "token", "secretName": "crm-ray-token"}
    assert not kinds(render("external-services"), "Secret")
    objs = render("defaults", NEWEST_KUBE, "--set", "ocr.auth.enabled=false")
    (rs,) = kinds(objs, "RayService")
    assert "authOptions" not in rs["spec"]["rayClusterConfig"]
    assert [s["metadata"]["name"] for s in kinds(objs, "Secret")] == [f"{FULLNAME}-nats-auth"]


def dashboard_public_paths() -> set[str]:
    """The dashboard paths Ray 2.60 serves without a token (a literal in its head server)."""
    from ray.dashboard import http_server_head

    tree = ast.parse(inspect.getsource(http_server_head))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "public_exact_paths" for t in node.targets
        ):
            return set(ast.literal_eval(node.value))
    raise AssertionError("public_exact_paths not found in ray.dashboard.http_server_head")


def test_probes_still_pass_with_the_token_required() -> None:
    """The kubelet sends no token: every probe must hit a path Ray leaves public."""
    from ray.dashboard.http_server_agent import PUBLIC_EXACT_PATHS

    # The Serve proxy's own health path (the workers' Serve-aware readiness): Serve's HTTP
    # port takes the card reads, which carry no Ray token either.
    public = {
        DASHBOARD: dashboard_public_paths(),
        AGENT: set(PUBLIC_EXACT_PATHS),
        "serve": {"/-/healthz"},
    }
    for pod in ray_pods(render("gpu")).values():
        for c in pod.spec["containers"]:
            for probe in ("livenessProbe", "readinessProbe"):
                get = c[probe]["httpGet"]
                assert get["path"] in public[get["port"]], (pod.owner, probe, get)


@pytest.mark.parametrize("variant", RAY_VARIANTS)
def test_ray_pods_reach_only_dns_and_each_other(variant: str) -> None:
    objs = render(variant)
    pods = ray_pods(objs)
    for group, pod in pods.items():
        rules = applying_to(objs, pod, "egress")
        assert rules, f"{group}: egress not restricted"
        dns, own, api = [], [], []
        for rule in rules:
            ports = {p["port"] for p in rule.get("ports", [])}
            if rule.get("to") == [{"podSelector": {"matchLabels": OCR_PODS}}]:
                own.append(rule)
            elif variant == "external-services" and ports == {6379}:
                # The GCS fault tolerance's Redis (ocr.gcsFaultTolerance), where it is pinned.
                ns = {"kubernetes.io/metadata.name": "ray-gcs"}
                assert rule["to"] == [{"namespaceSelector": {"matchLabels": ns}}]
            elif ports == {53}:
                dns.append(rule)
            elif ports == {443, 6443}:
                api.append(rule)
            else:
                raise AssertionError(f"{group}: unexpected egress {rule}")
        assert dns and own, group
        # The head carries KubeRay's autoscaler, which scales the groups through the API.
        assert bool(api) is (group == "head"), group
    if variant == "external-services":  # networkPolicy.egress.apiServer pins it
        head = applying_to(objs, pods["head"], "egress")
        (api,) = [r for r in head if {p["port"] for p in r.get("ports", [])} == {443, 6443}]
        assert api["to"] == [{"ipBlock": {"cidr": "10.0.0.1/32"}}]
