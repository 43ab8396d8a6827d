"""The RayService: its serveConfigV2 is ocr_cluster/serve_config.yaml, valid for the pinned
Ray Serve; one Ray version; the worker's OCR_URL; the GPU group."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest
import yaml

from tests.chart.chart import CHART, NAMESPACE, ROOT, VARIANTS, container, env_of, find, render

SOURCE = ROOT / "ocr_cluster" / "serve_config.yaml"
COPY = CHART / "files" / "serve_config.yaml"
RAY_VARIANTS = [
    name
    for name, path in VARIANTS.items()
    if path is None
    or ((yaml.safe_load(path.read_text()) or {}).get("ocr") or {}).get("enabled", True)
]


def rayservice(variant: str) -> dict[str, Any]:
    (rs,) = [o for o in render(variant) if o["kind"] == "RayService"]
    return rs


def groups(rs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {g["groupName"]: g for g in rs["spec"]["rayClusterConfig"]["workerGroupSpecs"]}


def test_chart_copy_is_identical_to_the_source() -> None:
    assert COPY.read_bytes() == SOURCE.read_bytes(), (
        "charts/ibbase/files/serve_config.yaml must be a copy of ocr_cluster/serve_config.yaml: "
        "cp ocr_cluster/serve_config.yaml charts/ibbase/files/serve_config.yaml"
    )


@pytest.mark.parametrize("variant", RAY_VARIANTS)
def test_serve_config_v2_is_the_file_and_valid_for_ray_serve(variant: str) -> None:
    from ray.serve.schema import ServeDeploySchema

    rendered = rayservice(variant)["spec"]["serveConfigV2"]
    assert rendered.rstrip("\n") == SOURCE.read_text().rstrip("\n")
    config = ServeDeploySchema.model_validate(yaml.safe_load(rendered))
    assert {a.name for a in config.applications} == {"ocr"}
    assert {a.import_path for a in config.applications} == {"ocr_cluster.app:build_app"}


def test_ray_version_is_the_pinned_one() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (ray,) = {d for d in project["optional-dependencies"]["ocr"] if re.match(r"ray\b", d)}
    pinned = ray.split("==")[1]
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert values["ocr"]["rayVersion"] == pinned
    for variant in RAY_VARIANTS:
        assert rayservice(variant)["spec"]["rayClusterConfig"]["rayVersion"] == pinned


@pytest.mark.parametrize("variant", RAY_VARIANTS)
def test_worker_reads_cards_on_the_serve_service(variant: str) -> None:
    rs = rayservice(variant)
    serve = yaml.safe_load(rs["spec"]["serveConfigV2"])
    port = serve["http_options"]["port"]
    worker = container(find(render(variant), "Deployment", "ibbase-worker"), "worker")
    url = env_of(worker)["OCR_URL"]["value"]
    # KubeRay names the RayService's Serve Service "<name>-serve-svc".
    assert url == f"http://{rs['metadata']['name']}-serve-svc.{NAMESPACE}.svc:{port}"
    ports = {
        p["name"]: p["containerPort"]
        for g in groups(rs).values()
        for p in g["template"]["spec"]["containers"][0]["ports"]
    }
    assert ports["serve"] == port


def test_no_ocr_cluster_means_in_process_reading() -> None:
    objs = render("dev-bundled")
    assert not [o for o in objs if o["kind"] == "RayService"]
    worker = container(find(objs, "Deployment", "ibbase-worker"), "worker")
    assert "OCR_URL" not in env_of(worker)


def test_head_takes_no_serve_replicas_and_autoscaling_is_on() -> None:
    cluster = rayservice("defaults")["spec"]["rayClusterConfig"]
    assert cluster["headGroupSpec"]["rayStartParams"]["num-cpus"] == "0"
    assert cluster["enableInTreeAutoscaling"] is True
    cpu = groups(rayservice("defaults"))["cpu"]
    assert 0 < cpu["minReplicas"] <= cpu["replicas"] <= cpu["maxReplicas"]


def test_gpu_group_is_off_by_default() -> None:
    assert set(groups(rayservice("defaults"))) == {"cpu"}
    text = yaml.safe_dump(rayservice("defaults"))
    assert "nvidia.com/gpu" not in text.replace(rayservice("defaults")["spec"]["serveConfigV2"], "")


def test_gpu_group() -> None:
    gpu = groups(rayservice("gpu"))["gpu"]
    pod = gpu["template"]["spec"]
    (ray,) = pod["containers"]
    assert ray["image"].startswith("ghcr.io/ibbase/ocr-gpu:")  # the `gpu` extra's image
    (cpu_ray,) = groups(rayservice("gpu"))["cpu"]["template"]["spec"]["containers"]
    assert cpu_ray["image"].startswith("ghcr.io/ibbase/ocr:")
    assert ray["resources"]["limits"]["nvidia.com/gpu"] >= 1
    assert (
        ray["resources"]["requests"]["nvidia.com/gpu"]
        == ray["resources"]["limits"]["nvidia.com/gpu"]
    )
    assert gpu["rayStartParams"]["num-gpus"] == str(ray["resources"]["limits"]["nvidia.com/gpu"])
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod[
        "tolerations"
    ]
    assert pod["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    # A GPU replica of the Serve config fits on one pod of the group.
    serve = yaml.safe_load(rayservice("gpu")["spec"]["serveConfigV2"])
    asks = [
        d["ray_actor_options"].get("num_gpus", 0)
        for app in serve["applications"]
        for d in app["deployments"]
    ]
    assert 0 < max(asks) <= ray["resources"]["limits"]["nvidia.com/gpu"]
