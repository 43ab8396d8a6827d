"""``helm template | kubectl apply --server-side --dry-run=server`` against the real API
server, for the chart's defaults and every ci/ variant: the CRDs are installed first (the
chart's, and those of the other projects' kinds it renders, built from the schemas
tests/chart keeps), then every rendered object (RBAC, Deployments, StatefulSets, Services,
NetworkPolicies, Jobs, the RayService, hooks) goes through the server's own validation,
defaulting and admission with ``fieldValidation=Strict`` (an unknown field fails), and
nothing is stored."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.chart.chart import NAMESPACE, VARIANTS
from tests.kube_real.cluster import Cluster, install_crds
from tests.kube_real.manifests import render_chart
from tests.kube_real.rest import ApiError

pytestmark = pytest.mark.timeout(300)


def _dry_run_all(cluster: Cluster, objs: list[dict[str, Any]]) -> list[str]:
    rest = cluster.plane.rest
    failures = []
    for obj in objs:
        try:
            answer = rest.apply(obj, obj["metadata"].get("namespace") or NAMESPACE, dry_run=True)
        except (ApiError, KeyError) as exc:
            failures.append(f"{obj['kind']}/{obj['metadata']['name']}: {exc}")
            continue
        assert answer["metadata"].get("uid"), answer  # the server really processed it
    return failures


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_chart_applies_with_server_side_dry_run(real_cluster: Cluster, variant: str) -> None:
    cluster = real_cluster
    cluster.ensure_namespace(NAMESPACE)
    objs = render_chart(NAMESPACE, VARIANTS[variant])
    crds = [o for o in objs if o["kind"] == "CustomResourceDefinition"]
    assert crds, "the chart's CRD is rendered with --include-crds"
    install_crds(cluster.plane, crds)  # as helm installs crds/ before the templates
    rest_of_chart = [o for o in objs if o["kind"] != "CustomResourceDefinition"]
    kinds = {o["kind"] for o in rest_of_chart}
    assert {"Deployment", "Service", "ClusterRole"} <= kinds, kinds
    # The namespaces a release reaches into (the watched ones' Roles) exist beforehand.
    for namespace in {o["metadata"].get("namespace") for o in rest_of_chart} - {None}:
        cluster.ensure_namespace(namespace)

    assert _dry_run_all(cluster, rest_of_chart) == []

    # A dry run stores nothing.
    deployment = next(o for o in rest_of_chart if o["kind"] == "Deployment")
    rest = cluster.plane.rest
    assert rest.get("deployments", NAMESPACE, deployment["metadata"]["name"]) is None


def test_the_dry_run_refuses_what_the_server_refuses(real_cluster: Cluster) -> None:
    """The check is not vacuous: an unknown field, a bad value and an unknown RayService field
    are each refused by the server."""
    objs = render_chart(NAMESPACE, VARIANTS["defaults"])
    deployment = copy.deepcopy(next(o for o in objs if o["kind"] == "Deployment"))
    deployment["spec"]["replicaz"] = 2
    service = copy.deepcopy(next(o for o in objs if o["kind"] == "Service"))
    service["spec"]["ports"][0]["port"] = 70000
    broken = [deployment, service]
    rays = [o for o in objs if o["kind"] == "RayService"]
    if rays:
        ray = copy.deepcopy(rays[0])
        ray["spec"]["rayClusterConfig"]["headGroupSpec"]["unknownField"] = True
        broken.append(ray)
    failures = _dry_run_all(real_cluster, broken)
    assert len(failures) == len(broken), failures
    assert "spec.replicaz" in failures[0]  # SSA: "field not declared in schema"
    assert "70000" in failures[1]
