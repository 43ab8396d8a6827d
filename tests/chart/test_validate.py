"""Every rendered object against the Kubernetes API's own schemas, offline.

kubernetes-validate's strict schemas (unknown fields are errors, as the API server would
prune or refuse them) for the oldest and the newest Kubernetes the chart supports. Custom
resources have no schema there: the RayService and the ServiceMonitor are checked against
the subsets of their APIs kept in schemas/, and the RayService's pod templates against the
Kubernetes PodTemplateSpec.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema
import kubernetes_validate
import pytest

from tests.chart.chart import NEWEST_KUBE, OLDEST_KUBE, SCHEMAS, VARIANTS, render

KUBES = [OLDEST_KUBE, NEWEST_KUBE]
CUSTOM = {
    ("ray.io/v1", "RayService"): "rayservice.ray.io-v1.json",
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "servicemonitor.monitoring.coreos.com-v1.json",
    ("monitoring.coreos.com/v1", "PodMonitor"): "podmonitor.monitoring.coreos.com-v1.json",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "prometheusrule.monitoring.coreos.com-v1.json",
    ("keda.sh/v1alpha1", "ScaledObject"): "scaledobject.keda.sh-v1alpha1.json",
    ("postgresql.cnpg.io/v1", "Cluster"): "cluster.postgresql.cnpg.io-v1.json",
}


def minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


@cache
def custom_validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def k8s_errors(obj: dict[str, Any], kube: str) -> list[str]:
    where = f"{obj['kind']}/{obj['metadata']['name']}"
    try:
        used = kubernetes_validate.validate(obj, kube, strict=True)
    except kubernetes_validate.ValidationError as exc:
        path = ".".join(str(p) for p in exc.path)
        return [f"{where} @ {path}: {exc.message}"]
    except kubernetes_validate.SchemaNotFoundError as exc:
        return [f"{where}: {exc.message}"]
    # No silent fallback to an older schema set.
    assert used == minor(kube), f"{where} was validated against {used}, not {kube}"
    return []


@pytest.mark.parametrize("kube", KUBES)
@pytest.mark.parametrize("variant", VARIANTS)
def test_builtin_objects_validate_strictly(variant: str, kube: str) -> None:
    objs = render(variant, kube)
    builtin = [o for o in objs if (o["apiVersion"], o["kind"]) not in CUSTOM]
    assert builtin
    errors = [e for obj in builtin for e in k8s_errors(obj, kube)]
    assert not errors, "\n".join(errors)


def test_every_custom_kind_rendered_has_a_schema() -> None:
    builtin_groups = {"v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v2"}
    builtin_groups |= {
        "networking.k8s.io/v1",
        "rbac.authorization.k8s.io/v1",
        "apiextensions.k8s.io/v1",
    }
    for variant in VARIANTS:
        for obj in render(variant):
            key = (obj["apiVersion"], obj["kind"])
            assert obj["apiVersion"] in builtin_groups or key in CUSTOM, (variant, key)


@pytest.mark.parametrize("variant", VARIANTS)
def test_custom_resources_validate_against_their_schemas(variant: str) -> None:
    errors = []
    for obj in render(variant):
        key = (obj["apiVersion"], obj["kind"])
        if key in CUSTOM:
            validator = custom_validator(CUSTOM[key])
            errors += [
                f"{obj['kind']}/{obj['metadata']['name']} @ {'.'.join(map(str, e.path))}: "
                f"{e.message}"
                for e in validator.iter_errors(obj)
            ]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("kube", KUBES)
@pytest.mark.parametrize("variant", VARIANTS)
def test_ray_pod_templates_validate_strictly(variant: str, kube: str) -> None:
    errors = []
    for rs in (o for o in render(variant, kube) if o["kind"] == "RayService"):
        cluster = rs["spec"]["rayClusterConfig"]
        groups = [("head", cluster["headGroupSpec"])]
        groups += [(g["groupName"], g) for g in cluster.get("workerGroupSpecs", [])]
        for group, spec in groups:
            wrapped = {
                "apiVersion": "v1",
                "kind": "PodTemplate",
                "metadata": {"name": f"{rs['metadata']['name']}-{group}"},
                "template": spec["template"],
            }
            errors += k8s_errors(wrapped, kube)
    assert not errors, "\n".join(errors)


def test_the_validation_is_not_vacuous() -> None:
    deployment = next(o for o in render("defaults") if o["kind"] == "Deployment")
    bad = json.loads(json.dumps(deployment))
    bad["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGett"] = {}
    assert k8s_errors(bad, OLDEST_KUBE)
    rs = next(o for o in render("defaults") if o["kind"] == "RayService")
    bad = json.loads(json.dumps(rs))
    bad["spec"]["rayClusterConfig"]["workerGroupSpecs"][0]["maxReplica"] = 3
    assert list(custom_validator(CUSTOM[("ray.io/v1", "RayService")]).iter_errors(bad))


def test_newest_schemas_are_the_newest_available() -> None:
    """kubernetes-validate ships schemas up to NEWEST_KUBE: bump it with the package."""
    assert minor(kubernetes_validate.utils.latest_version()) == minor(NEWEST_KUBE)
