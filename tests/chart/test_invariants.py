"""What must hold of everything the chart renders, in every variant."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from tests.chart.chart import (
    FULLNAME,
    NAMESPACE,
    NEWEST_KUBE,
    VARIANTS,
    container,
    env_of,
    find,
    kinds,
    pod_templates,
    render,
)

RECOMMENDED = {
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/component",
    "app.kubernetes.io/version",
    "app.kubernetes.io/managed-by",
    "app.kubernetes.io/part-of",
    "helm.sh/chart",
}
INSTANCE = {"app.kubernetes.io/name": "ibbase", "app.kubernetes.io/instance": "ibbase"}
SECRETISH = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|DATABASE_URL|CREDENTIAL|_KEY$", re.I)
# Variables whose value names a Secret, not a secret value.
SECRET_NAMES = {"IBBASE_OPERATOR_REGISTRY_SECRET"}
REGISTRY = f"{FULLNAME}-channels"
# The only ConfigMaps the chart renders, none with a credential: the Grafana dashboard and
# the NATS servers' route-TLS settings (file paths only).
CONFIGMAPS = {f"{FULLNAME}-dashboard", f"{FULLNAME}-nats-config"}
# The only Secrets the chart renders: credentials it generates itself when no existingSecret
# is named (random, kept on upgrades by lookup; tests/chart/test_nats_security.py and
# test_ocr_security.py), with their keys.
GENERATED = {f"{FULLNAME}-nats-auth": {"user", "password"}, f"{FULLNAME}-ray-auth": {"auth_token"}}
# $(NAME) in a variable's value: the kubelet expands it from a variable set before it.
EXPANDED = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
CHANNELS_DIR = "/etc/ibbase/channels"

variants = pytest.mark.parametrize("variant", VARIANTS)


def containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*spec.get("initContainers", []), *spec["containers"]]


@variants
def test_every_object_has_the_recommended_labels(variant: str) -> None:
    for obj in render(variant):
        if obj["kind"] == "CustomResourceDefinition":
            continue  # from crds/, not templated
        labels = obj["metadata"].get("labels") or {}
        assert RECOMMENDED <= set(labels), f"{obj['kind']}/{obj['metadata']['name']}"


@variants
def test_containers_are_locked_down_and_sized(variant: str) -> None:
    problems = []
    for pod in pod_templates(render(variant)):
        psc = pod.spec.get("securityContext") or {}
        if not (psc.get("runAsNonRoot") and psc.get("runAsUser") == 10001):
            problems.append(f"{pod.owner}: pod securityContext {psc}")
        if (psc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
            problems.append(f"{pod.owner}: pod seccompProfile")
        for c in containers(pod.spec):
            where = f"{pod.owner}/{c['name']}"
            sc = c.get("securityContext") or {}
            if not (sc.get("runAsNonRoot") is True and sc.get("readOnlyRootFilesystem") is True):
                problems.append(f"{where}: runAsNonRoot/readOnlyRootFilesystem")
            if sc.get("allowPrivilegeEscalation") is not False or sc.get("privileged"):
                problems.append(f"{where}: privilege escalation")
            if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                problems.append(f"{where}: capabilities not dropped")
            if (sc.get("capabilities") or {}).get("add"):
                problems.append(f"{where}: capabilities added")
            if (sc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
                problems.append(f"{where}: seccompProfile")
            res = c.get("resources") or {}
            if not (res.get("requests", {}).get("cpu") and res.get("requests", {}).get("memory")):
                problems.append(f"{where}: no cpu/memory requests")
            if not res.get("limits", {}).get("memory"):
                problems.append(f"{where}: no memory limit")
            # A read-only root needs a writable /tmp (Python, Ray, PostgreSQL write there).
            mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
            if "/tmp" not in mounts:
                problems.append(f"{where}: no writable /tmp")
    assert not problems, "\n".join(problems)


@variants
def test_long_running_containers_have_probes(variant: str) -> None:
    problems = []
    for pod in pod_templates(render(variant)):
        if pod.runs_to_completion:
            continue
        for c in pod.spec["containers"]:
            missing = {"livenessProbe", "readinessProbe"} - set(c)
            if missing:
                problems.append(f"{pod.owner}/{c['name']}: no {sorted(missing)}")
    assert not problems, "\n".join(problems)


@variants
def test_selectors_use_the_component_label(variant: str) -> None:
    objs = render(variant)
    for obj in kinds(objs, "Deployment") + kinds(objs, "StatefulSet"):
        selector = obj["spec"]["selector"]["matchLabels"]
        labels = obj["spec"]["template"]["metadata"]["labels"]
        assert "app.kubernetes.io/component" in selector, obj["metadata"]["name"]
        assert "helm.sh/chart" not in selector and "app.kubernetes.io/version" not in selector
        assert selector.items() <= labels.items()
    for svc in kinds(objs, "Service"):
        assert "app.kubernetes.io/component" in svc["spec"]["selector"], svc["metadata"]["name"]
        # Every Service selects the pods of exactly one workload of the release.
        matched = [
            pod.owner
            for pod in pod_templates(objs)
            if pod.kind in {"Deployment", "StatefulSet"}
            and svc["spec"]["selector"].items() <= pod.labels.items()
        ]
        assert len(matched) == 1, (svc["metadata"]["name"], matched)
    for pdb in kinds(objs, "PodDisruptionBudget"):
        # Each budget covers the pods of its namesake workload, exactly.
        name = pdb["metadata"]["name"]
        (workload,) = [
            o
            for o in kinds(objs, "Deployment") + kinds(objs, "StatefulSet")
            if o["metadata"]["name"] == name
        ]
        assert pdb["spec"]["selector"] == workload["spec"]["selector"]


@variants
def test_operator_is_a_single_recreated_replica(variant: str) -> None:
    objs = render(variant)
    operator = find(objs, "Deployment", f"{FULLNAME}-operator")
    assert operator["spec"]["replicas"] == 1
    assert operator["spec"]["strategy"] == {"type": "Recreate"}
    pod = operator["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == f"{FULLNAME}-operator"
    c = container(operator, "operator")
    env = env_of(c)
    assert env["IBBASE_OPERATOR_REGISTRY_NAMESPACE"]["value"] == NAMESPACE
    assert env["IBBASE_OPERATOR_REGISTRY_SECRET"]["value"] == REGISTRY
    assert env["IBBASE_OPERATOR_GRAPH_URL"]["value"].startswith("https://")
    port = int(env["IBBASE_OPERATOR_HEALTH_PORT"]["value"])
    assert c["ports"] == [{"name": "health", "containerPort": port, "protocol": "TCP"}]
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    watched = [a.split("=", 1)[1] for a in c["command"] if a.startswith("--namespace=")]
    if variant == "namespaced-operator":
        assert watched == ["crm", "crm-staging"]
        assert "--all-namespaces" not in c["command"]
    else:
        assert c["command"] == ["ibbase", "operator", "--all-namespaces"]


@variants
def test_no_secret_value_is_written_anywhere(variant: str) -> None:
    objs = render(variant)
    for secret in kinds(objs, "Secret"):
        name = secret["metadata"]["name"]
        assert name in GENERATED, f"Secret/{name}: credentials are referenced, never rendered"
        assert set(secret["data"]) == GENERATED[name] and "stringData" not in secret
    for cm in kinds(objs, "ConfigMap"):
        assert cm["metadata"]["name"] in CONFIGMAPS, cm["metadata"]["name"]
        assert not SECRETISH.search(" ".join(cm["data"])), cm["metadata"]["name"]
    for pod in pod_templates(objs):
        for c in containers(pod.spec):
            assert not c.get("envFrom"), f"{pod.owner}/{c['name']}: envFrom hides what is read"
            from_secrets: set[str] = set()  # variables set so far from a Secret
            for e in c.get("env", []):
                where = f"{pod.owner}/{c['name']}: {e['name']}"
                secretish = SECRETISH.search(e["name"]) and e["name"] not in SECRET_NAMES
                if "value" in e:
                    assert not secretish, f"{where} is a literal"
                    # A password may appear only as $(VAR) of a variable from a Secret.
                    value = e["value"]
                    for name in set(EXPANDED.findall(value)) & from_secrets:
                        value = value.replace(f"$({name})", "")
                    assert not re.search(r"://[^/@\s]+:[^/@\s]+@", value), f"{where} has a password"
                else:
                    source = e["valueFrom"]
                    assert set(source) <= {"secretKeyRef", "fieldRef"}, where
                    if "secretKeyRef" in source:
                        from_secrets.add(e["name"])
                if secretish:
                    assert "secretKeyRef" in e.get("valueFrom", {}), where


@variants
def test_channel_registry_is_mounted_as_a_directory(variant: str) -> None:
    objs = render(variant)
    for name in ("gateway", "worker"):
        deployment = find(objs, "Deployment", f"{FULLNAME}-{name}")
        pod = deployment["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        secret = volumes["channels"]["secret"]
        assert secret["secretName"] == REGISTRY
        assert secret["optional"] is True  # pods start before the operator writes it
        c = container(deployment, name)
        (mount,) = [m for m in c["volumeMounts"] if m["name"] == "channels"]
        assert mount == {"name": "channels", "mountPath": CHANNELS_DIR, "readOnly": True}
        assert "subPath" not in mount and "subPathExpr" not in mount  # subPath never updates
        assert env_of(c)["IBBASE_CHANNELS_DIR"]["value"] == CHANNELS_DIR
        assert pod["automountServiceAccountToken"] is False


@variants
def test_commands_and_migration_hook(variant: str) -> None:
    objs = render(variant)
    assert container(find(objs, "Deployment", f"{FULLNAME}-gateway"), "gateway")["command"] == [
        "ibbase",
        "gateway",
    ]
    assert container(find(objs, "Deployment", f"{FULLNAME}-worker"), "worker")["command"] == [
        "ibbase",
        "worker",
    ]
    job = find(objs, "Job", f"{FULLNAME}-migrate")
    assert container(job, "migrate")["command"] == ["ibbase", "migrate"]
    hook = job["metadata"]["annotations"]["helm.sh/hook"]
    # A database that the release itself creates does not exist before the install.
    in_release = any(
        s["metadata"]["name"] == f"{FULLNAME}-postgresql" for s in kinds(objs, "StatefulSet")
    ) or bool(kinds(objs, "Cluster"))
    assert hook == ("post-install,pre-upgrade" if in_release else "pre-install,pre-upgrade")
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


@variants
def test_gateway_and_worker_probes_hit_their_endpoints(variant: str) -> None:
    objs = render(variant)
    gw = container(find(objs, "Deployment", f"{FULLNAME}-gateway"), "gateway")
    assert gw["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert gw["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert env_of(gw)["IBBASE_HOST"]["value"] == "0.0.0.0"
    wk = container(find(objs, "Deployment", f"{FULLNAME}-worker"), "worker")
    metrics_port = int(env_of(wk)["IBBASE_WORKER_METRICS_PORT"]["value"])
    assert {"name": "metrics", "containerPort": metrics_port, "protocol": "TCP"} in wk["ports"]
    assert wk["livenessProbe"]["httpGet"] == {"path": "/metrics", "port": "metrics"}


def test_default_render_list() -> None:
    rendered = sorted(
        (o["kind"], o["metadata"]["name"])
        for o in render("defaults")
        if o["kind"] != "CustomResourceDefinition"
    )
    assert rendered == sorted(
        [
            ("ClusterRole", f"{NAMESPACE}-{FULLNAME}-operator"),
            ("ClusterRoleBinding", f"{NAMESPACE}-{FULLNAME}-operator"),
            ("Deployment", f"{FULLNAME}-gateway"),
            ("Deployment", f"{FULLNAME}-operator"),
            ("Deployment", f"{FULLNAME}-worker"),
            ("Job", f"{FULLNAME}-migrate"),
            ("NetworkPolicy", f"{FULLNAME}-default-deny-ingress"),
            ("NetworkPolicy", f"{FULLNAME}-gateway"),
            ("NetworkPolicy", f"{FULLNAME}-migrate"),
            ("NetworkPolicy", f"{FULLNAME}-nats"),
            ("NetworkPolicy", f"{FULLNAME}-ocr"),
            ("NetworkPolicy", f"{FULLNAME}-ocr-head"),
            ("NetworkPolicy", f"{FULLNAME}-operator"),
            ("NetworkPolicy", f"{FULLNAME}-worker"),
            ("Pod", f"{FULLNAME}-test-webhook-challenge"),
            ("PodDisruptionBudget", f"{FULLNAME}-nats"),
            ("RayService", f"{FULLNAME}-ocr"),
            ("Role", f"{FULLNAME}-operator-registry"),
            ("RoleBinding", f"{FULLNAME}-operator-registry"),
            ("Secret", f"{FULLNAME}-nats-auth"),
            ("Secret", f"{FULLNAME}-ray-auth"),
            ("Service", f"{FULLNAME}-gateway"),
            ("Service", f"{FULLNAME}-nats"),
            ("Service", f"{FULLNAME}-nats-client"),
            ("Service", f"{FULLNAME}-operator"),
            ("Service", f"{FULLNAME}-worker"),
            ("ServiceAccount", f"{FULLNAME}-operator"),
            ("StatefulSet", f"{FULLNAME}-nats"),
        ]
    )


def test_autoscaled_gateway_leaves_replicas_to_the_hpa() -> None:
    objs = render("scaling-monitoring")
    gateway = find(objs, "Deployment", f"{FULLNAME}-gateway")
    assert "replicas" not in gateway["spec"]
    hpa = find(objs, "HorizontalPodAutoscaler", f"{FULLNAME}-gateway")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": f"{FULLNAME}-gateway",
    }
    monitors = {m["metadata"]["name"]: m for m in kinds(objs, "ServiceMonitor")}
    assert set(monitors) == {f"{FULLNAME}-{c}" for c in ("gateway", "worker", "operator")}
    for name, monitor in monitors.items():
        service = find(objs, "Service", name)
        assert (
            monitor["spec"]["selector"]["matchLabels"].items()
            <= service["metadata"]["labels"].items()
        )
        ports = {p["name"] for p in service["spec"]["ports"]}
        assert {e["port"] for e in monitor["spec"]["endpoints"]} <= ports


def test_helm_test_checks_the_webhook_challenge() -> None:
    for variant, with_token in (("defaults", False), ("external-services", True)):
        pod = find(render(variant), "Pod", f"{FULLNAME}-test-webhook-challenge")
        assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
        (c,) = pod["spec"]["containers"]
        script = c["args"][0]
        assert "/api/whatsapp/webhook" in script
        assert all(p in script for p in ("hub.mode", "hub.verify_token", "hub.challenge"))
        env = env_of(c)
        assert env["GATEWAY_URL"]["value"] == f"http://{FULLNAME}-gateway.{NAMESPACE}.svc:80"
        if with_token:
            ref = env["VERIFY_TOKEN"]["valueFrom"]["secretKeyRef"]
            assert ref == {"name": "whatsapp-single-channel", "key": "verifyToken"}
        else:
            assert "VERIFY_TOKEN" not in env
    script_env = find(render("external-services"), "Deployment", f"{FULLNAME}-gateway")
    gateway_env = env_of(container(script_env, "gateway"))
    assert gateway_env["WHATSAPP_VERIFY_TOKEN"]["valueFrom"]["secretKeyRef"] == ref


def accepted_env(settings: type[BaseSettings]) -> set[str]:
    """The variables a pydantic-settings class reads: its aliases, else prefix + field name."""
    prefix = settings.model_config.get("env_prefix", "")
    names = set()
    for name, field in settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names |= {a for a in alias.choices if isinstance(a, str)}
        elif isinstance(alias, str):
            names.add(alias)
        else:
            names.add(f"{prefix}{name}".upper())
    return names


@variants
def test_every_variable_set_is_one_the_process_reads(variant: str) -> None:
    """A typo in a variable name would be silently ignored by the process."""
    from gateway.settings import Settings
    from ibbase_operator.settings import OperatorSettings

    objs = render(variant)
    reads = {
        "gateway": accepted_env(Settings),
        "worker": accepted_env(Settings),
        "migrate": accepted_env(Settings),
        "operator": accepted_env(OperatorSettings),
    }
    for name, known in reads.items():
        workload = next(
            (o for o in objs if o["metadata"]["name"] == f"{FULLNAME}-{name}" and "spec" in o),
            None,
        )
        if workload is None or workload["kind"] not in {"Deployment", "Job"}:
            continue
        env = env_of(container(workload, name))
        # Variables that only feed another through $(NAME) (NATS_USER, NATS_PASSWORD).
        expanded = {n for e in env.values() for n in EXPANDED.findall(e.get("value", ""))}
        unknown = set(env) - known - expanded
        assert not unknown, f"{name}: {sorted(unknown)}"


def test_each_component_runs_its_own_image() -> None:
    """Three images from images/Dockerfile: the gateway one (gateway, worker, migrations,
    helm test), the operator's, and the OCR cluster's (every Ray pod)."""
    images: dict[str, set[str]] = {}
    for pod in pod_templates(render("defaults")):
        for c in containers(pod.spec):
            if not c["image"].startswith(("nats:", "postgres:")):
                images.setdefault(c["image"].rsplit(":", 1)[0], set()).add(pod.owner)
    assert set(images) == {
        "ghcr.io/ibbase/gateway",
        "ghcr.io/ibbase/operator",
        "ghcr.io/ibbase/ocr",
    }
    assert images["ghcr.io/ibbase/operator"] == {f"Deployment/{FULLNAME}-operator"}
    assert all(o.startswith("RayService/") for o in images["ghcr.io/ibbase/ocr"])
    # An empty repository falls back to the gateway image, with the tag that is set.
    objs = render(
        "defaults", NEWEST_KUBE, "--set", "operator.image.repository=", "--set", "image.tag=1.2.3"
    )
    op = container(find(objs, "Deployment", f"{FULLNAME}-operator"), "operator")
    assert op["image"] == "ghcr.io/ibbase/gateway:1.2.3"
