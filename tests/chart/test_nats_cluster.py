"""The in-chart JetStream cluster: a StatefulSet of three servers joined by authenticated
routes, spread over nodes, one down at a time; streams replicated on min(servers, 3); a
single server for development; nothing of NATS rendered for an external one."""

from __future__ import annotations

from typing import Any

import pytest

from tests.chart.chart import (
    FULLNAME,
    NAMESPACE,
    NEWEST_KUBE,
    VARIANTS,
    container,
    env_of,
    find,
    kinds,
    render,
)

NATS = f"{FULLNAME}-nats"
SELECTOR = {
    "app.kubernetes.io/name": "ibbase",
    "app.kubernetes.io/instance": "ibbase",
    "app.kubernetes.io/component": "nats",
}


def args_of(objs: tuple[dict[str, Any], ...]) -> dict[str, str]:
    c = container(find(objs, "StatefulSet", NATS), "nats")
    return dict(a.removeprefix("--").split("=", 1) for a in c["args"] if "=" in a)


def stream_replicas(objs: tuple[dict[str, Any], ...]) -> set[str]:
    return {
        env_of(container(find(objs, "Deployment", f"{FULLNAME}-{n}"), n))["IBBASE_STREAM_REPLICAS"][
            "value"
        ]
        for n in ("gateway", "worker")
    }


def test_three_servers_with_routes_to_every_pod() -> None:
    objs = render("defaults")
    sts = find(objs, "StatefulSet", NATS)
    assert sts["spec"]["replicas"] == 3
    assert sts["spec"]["serviceName"] == NATS
    assert sts["spec"]["podManagementPolicy"] == "Parallel"
    args = args_of(objs)
    assert args["cluster_name"] == NATS
    # The cluster port asks the routes for the user and password of the Secret.
    assert args["cluster"] == "nats://$(NATS_USER):$(NATS_PASSWORD)@0.0.0.0:6222"
    routes = args["routes"].split(",")
    assert routes == [
        f"nats://$(NATS_USER):$(NATS_PASSWORD)@{NATS}-{i}.{NATS}.{NAMESPACE}.svc:6222"
        for i in range(3)
    ]
    assert args["cluster_advertise"] == f"$(POD_NAME).{NATS}.{NAMESPACE}.svc:6222"
    ports = {p["name"]: p["containerPort"] for p in container(sts, "nats")["ports"]}
    assert ports == {"client": 4222, "cluster": 6222, "monitor": 8222}
    # JetStream on a volume of each pod's own.
    (claim,) = sts["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert args["store_dir"] == "/data/jetstream"


def test_routes_resolve_before_the_servers_are_ready() -> None:
    objs = render("defaults")
    headless = find(objs, "Service", NATS)
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["publishNotReadyAddresses"] is True
    assert {p["name"] for p in headless["spec"]["ports"]} == {"client", "cluster", "monitor"}
    client = find(objs, "Service", f"{NATS}-client")
    assert "publishNotReadyAddresses" not in client["spec"]
    assert [p["port"] for p in client["spec"]["ports"]] == [4222]


def test_disruption_budget_and_spreading() -> None:
    objs = render("defaults")
    pdb = find(objs, "PodDisruptionBudget", NATS)
    assert pdb["spec"] == {"maxUnavailable": 1, "selector": {"matchLabels": SELECTOR}}
    anti = find(objs, "StatefulSet", NATS)["spec"]["template"]["spec"]["affinity"]
    (preferred,) = anti["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    term = preferred["podAffinityTerm"]
    assert term == {
        "topologyKey": "kubernetes.io/hostname",
        "labelSelector": {"matchLabels": SELECTOR},
    }
    assert "requiredDuringSchedulingIgnoredDuringExecution" not in anti["podAntiAffinity"]
    hard = render("scaling-monitoring")
    anti = find(hard, "StatefulSet", NATS)["spec"]["template"]["spec"]["affinity"]
    (required,) = anti["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert required == term


@pytest.mark.parametrize(("replicas", "expected"), [("1", "1"), ("2", "2"), ("3", "3"), ("5", "3")])
def test_stream_replicas_follow_the_cluster(replicas: str, expected: str) -> None:
    objs = render("defaults", NEWEST_KUBE, "--set", f"nats.replicas={replicas}")
    assert stream_replicas(objs) == {expected}
    if replicas != "1":
        assert len(args_of(objs)["routes"].split(",")) == int(replicas)


def test_a_single_server_for_development() -> None:
    objs = render("dev-bundled")
    assert find(objs, "StatefulSet", NATS)["spec"]["replicas"] == 1
    args = args_of(objs)
    assert not {"cluster", "cluster_name", "routes"} & set(args)
    assert not kinds(objs, "PodDisruptionBudget")
    assert "affinity" not in find(objs, "StatefulSet", NATS)["spec"]["template"]["spec"]
    assert stream_replicas(objs) == {"1"}


def test_an_external_nats_renders_no_nats() -> None:
    objs = render("external-services")
    for obj in objs:
        labels = obj["metadata"].get("labels") or {}
        assert labels.get("app.kubernetes.io/component") != "nats", obj["metadata"]["name"]
    assert stream_replicas(objs) == {"3"}
    objs = render("external-services", NEWEST_KUBE, "--set", "nats.external.streamReplicas=5")
    assert stream_replicas(objs) == {"5"}


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_sets_the_stream_replicas(variant: str) -> None:
    (value,) = stream_replicas(render(variant))
    assert 1 <= int(value) <= 5


def test_route_tls_from_your_secret() -> None:
    objs = render("ha")
    sts = find(objs, "StatefulSet", NATS)
    c = container(sts, "nats")
    assert "--config=/etc/nats/config/nats.conf" in c["args"]
    volumes = {v["name"]: v for v in sts["spec"]["template"]["spec"]["volumes"]}
    assert volumes["tls"]["secret"]["secretName"] == "crm-nats-routes-tls"
    assert volumes["config"]["configMap"]["name"] == f"{NATS}-config"
    conf = find(objs, "ConfigMap", f"{NATS}-config")["data"]["nats.conf"]
    assert "cluster {" in conf and "verify: true" in conf
    assert "ca_file" in conf and "password" not in conf.lower()
    plain = find(render("defaults"), "StatefulSet", NATS)
    assert "--config=/etc/nats/config/nats.conf" not in container(plain, "nats")["args"]


def test_routes_are_open_between_the_servers_only() -> None:
    policy = find(render("defaults"), "NetworkPolicy", NATS)["spec"]
    (routes,) = [
        r for r in policy["ingress"] if r.get("ports") == [{"port": "cluster", "protocol": "TCP"}]
    ]
    assert routes["from"] == [{"podSelector": {"matchLabels": SELECTOR}}]
