"""The databases and the Ray head's fault tolerance: an external PostgreSQL by default, a
CloudNativePG Cluster only where its API exists (or when told to skip that check), the
migration hook in every mode; GCS fault tolerance on an external Redis; Serve-aware
readiness of the Ray workers."""

from __future__ import annotations

import pytest

from tests.chart.chart import (
    FULLNAME,
    NEWEST_KUBE,
    container,
    env_of,
    find,
    kinds,
    refusal,
    render,
    template_args,
)

CNPG = ("--set", "postgresql.cnpg.enabled=true")
API = ("--api-versions", "postgresql.cnpg.io/v1")
CLUSTER = f"{FULLNAME}-db"


def database_ref(objs: tuple[dict, ...], name: str, container_name: str) -> dict[str, str]:
    workload = find(objs, "Job" if name == "migrate" else "Deployment", f"{FULLNAME}-{name}")
    env = env_of(container(workload, container_name))
    return env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]


def hook(objs: tuple[dict, ...]) -> str:
    job = find(objs, "Job", f"{FULLNAME}-migrate")
    return job["metadata"]["annotations"]["helm.sh/hook"]


def test_cnpg_cluster_renders_with_the_api() -> None:
    objs = render("defaults", NEWEST_KUBE, *CNPG, *API)
    cluster = find(objs, "Cluster", CLUSTER)
    assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
    spec = cluster["spec"]
    assert spec["instances"] == 3
    assert spec["bootstrap"]["initdb"] == {"database": "ibbase", "owner": "ibbase"}
    assert spec["affinity"]["enablePodAntiAffinity"] is True
    # The operator's application Secret is DATABASE_URL everywhere, the hook included.
    for name in ("gateway", "worker", "migrate"):
        assert database_ref(objs, name, name) == {"name": f"{CLUSTER}-app", "key": "uri"}
    assert hook(objs) == "post-install,pre-upgrade"
    # The app reaches the instances, by the operator's label of their Cluster.
    policy = find(objs, "NetworkPolicy", f"{FULLNAME}-worker")["spec"]
    peer = {"podSelector": {"matchLabels": {"cnpg.io/cluster": CLUSTER}}}
    assert any(peer in r.get("to", []) for r in policy["egress"])


def test_cnpg_cluster_is_refused_without_the_api() -> None:
    stderr = refusal(*template_args(None, *CNPG))
    assert "postgresql.cnpg.io/v1" in stderr and "skipApiCheck" in stderr
    # Off (the default), nothing of it renders, API or not.
    assert not kinds(render("defaults", NEWEST_KUBE, *API), "Cluster")
    assert kinds(render("ha"), "Cluster")  # skipApiCheck


@pytest.mark.parametrize(
    ("variant", "secret", "expected_hook"),
    [
        ("defaults", {"name": f"{FULLNAME}-database", "key": "url"}, "pre-install,pre-upgrade"),
        (
            "external-services",
            {"name": "crm-database", "key": "DATABASE_URL"},
            "pre-install,pre-upgrade",
        ),
        ("dev-bundled", {"name": f"{FULLNAME}-database", "key": "url"}, "post-install,pre-upgrade"),
        ("ha", {"name": f"{CLUSTER}-app", "key": "uri"}, "post-install,pre-upgrade"),
    ],
)
def test_migrations_run_as_a_hook_in_every_mode(
    variant: str, secret: dict[str, str], expected_hook: str
) -> None:
    objs = render(variant)
    assert hook(objs) == expected_hook
    assert database_ref(objs, "migrate", "migrate") == secret
    assert database_ref(objs, "gateway", "gateway") == secret


def rayservice(variant: str, *extra: str) -> dict:
    (rs,) = kinds(render(variant, NEWEST_KUBE, *extra), "RayService")
    return rs


def test_gcs_fault_tolerance_on_an_external_redis() -> None:
    cluster = rayservice("external-services")["spec"]["rayClusterConfig"]
    assert cluster["gcsFaultToleranceOptions"] == {
        "redisAddress": "redis.ray-gcs.svc:6379",
        "redisPassword": {
            "valueFrom": {"secretKeyRef": {"name": "crm-ray-redis", "key": "password"}}
        },
    }
    assert "gcsFaultToleranceOptions" not in rayservice("defaults")["spec"]["rayClusterConfig"]
    no_password = rayservice(
        "defaults",
        "--set",
        "ocr.gcsFaultTolerance.enabled=true",
        "--set",
        "ocr.gcsFaultTolerance.redisAddress=redis:6379",
    )["spec"]["rayClusterConfig"]["gcsFaultToleranceOptions"]
    assert no_password == {"redisAddress": "redis:6379"}


def test_ray_workers_are_ready_while_their_serve_proxy_is() -> None:
    for group in rayservice("gpu")["spec"]["rayClusterConfig"]["workerGroupSpecs"]:
        (c,) = group["template"]["spec"]["containers"]
        assert c["readinessProbe"]["httpGet"] == {"path": "/-/healthz", "port": "serve"}
        assert "serve" in {p["name"] for p in c["ports"]}
        # Liveness stays the raylet's: a draining proxy is no reason for a restart.
        assert c["livenessProbe"]["httpGet"]["path"] == "/api/local_raylet_healthz"
