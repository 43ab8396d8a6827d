"""skaffold.yaml agrees with the repository: its artifacts build targets that
images/Dockerfile has, its Helm release wires every artifact into the chart's image values,
every value it sets (with each profile applied) is one the chart declares and renders, and
its port-forwards name Services the release creates."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import jsonpatch
import pytest
import yaml

from tests.chart.chart import CHART, ROOT, find, helm, template_args

SKAFFOLD = yaml.safe_load((ROOT / "skaffold.yaml").read_text())
VALUES = yaml.safe_load((CHART / "values.yaml").read_text())
# artifact -> the chart's image block it must fill
IMAGE_VALUES = {
    "ibbase-gateway": "image",
    "ibbase-operator": "operator.image",
    "ibbase-ocr": "ocr.image",
}
PROFILES = [None, *(p["name"] for p in SKAFFOLD.get("profiles", []))]


def config(profile: str | None) -> dict[str, Any]:
    if profile is None:
        return SKAFFOLD
    spec = next(p for p in SKAFFOLD["profiles"] if p["name"] == profile)
    return jsonpatch.apply_patch(copy.deepcopy(SKAFFOLD), spec.get("patches", []))


def release(cfg: dict[str, Any]) -> dict[str, Any]:
    (rel,) = cfg["deploy"]["helm"]["releases"]
    return rel


def lookup(tree: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        assert isinstance(tree, dict) and part in tree, f"values.yaml has no {dotted}"
        tree = tree[part]
    return tree


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for dotted, value in flat.items():
        *parents, leaf = dotted.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def test_artifacts_build_targets_of_the_dockerfile() -> None:
    for artifact in SKAFFOLD["build"]["artifacts"]:
        dockerfile = ROOT / artifact.get("context", ".") / artifact["docker"]["dockerfile"]
        assert dockerfile.is_file(), dockerfile
        stages = re.findall(r"^FROM \S+ AS (\S+)$", dockerfile.read_text(), re.M)
        assert artifact["docker"]["target"] in stages
    assert {a["image"] for a in SKAFFOLD["build"]["artifacts"]} == set(IMAGE_VALUES)


def test_release_is_the_chart_with_every_image_wired_in() -> None:
    rel = release(SKAFFOLD)
    assert (ROOT / rel["chartPath"]).resolve() == CHART
    templates = rel["setValueTemplates"]
    for artifact, block in IMAGE_VALUES.items():
        key = artifact.replace("-", "_")  # skaffold's template names: '-', '.', '/' -> '_'
        assert templates[f"{block}.repository"] == f"{{{{.IMAGE_REPO_{key}}}}}"
        assert templates[f"{block}.tag"] == (
            f"{{{{.IMAGE_TAG_{key}}}}}@{{{{.IMAGE_DIGEST_{key}}}}}"
        )
    assert set(templates) == {
        f"{b}.{k}" for b in IMAGE_VALUES.values() for k in ("repository", "tag")
    }
    hook = SKAFFOLD["deploy"]["helm"]["hooks"]["before"][0]["host"]["command"]
    assert (ROOT / hook[1]).is_file() and hook[2:] == [rel["namespace"], rel["name"]]


@pytest.mark.parametrize("profile", PROFILES)
def test_every_value_set_is_declared_and_renders(profile: str | None, tmp_path: Path) -> None:
    rel = release(config(profile))
    flat = dict(rel.get("setValues", {}))
    for key in [*flat, *rel["setValueTemplates"]]:
        lookup(VALUES, key)
    # What skaffold would pass once it has built: a repository and a tag@digest.
    for key, template in rel["setValueTemplates"].items():
        name = re.search(r"IMAGE_\w+?_(ibbase_\w+)", template)
        assert name is not None
        flat[key] = (
            f"registry.local/{name.group(1)}" if key.endswith("repository")
            else "0123abc@sha256:" + "0" * 64
        )  # fmt: skip
    values = tmp_path / "skaffold-values.yaml"
    values.write_text(yaml.safe_dump(nest(flat)))
    # The release's own namespace (helm takes the last --namespace).
    out = helm(*template_args(values, "--namespace", rel["namespace"])).stdout
    objs = tuple(doc for doc in yaml.safe_load_all(out) if doc)
    gateway = find(objs, "Deployment", f"{rel['name']}-gateway")
    assert gateway["spec"]["template"]["spec"]["containers"][0]["image"] == (
        "registry.local/ibbase_gateway:0123abc@sha256:" + "0" * 64
    )
    for forward in config(profile)["portForward"]:
        if forward["resourceName"].endswith("-head-svc"):  # made by KubeRay from the RayService
            find(objs, "RayService", forward["resourceName"].removesuffix("-head-svc"))
        else:
            service = find(objs, "Service", forward["resourceName"])
            assert forward["port"] in [p["port"] for p in service["spec"]["ports"]]
        assert forward["namespace"] == rel["namespace"]


def test_gpu_profile_builds_the_gpu_image_for_the_gpu_group() -> None:
    """`skaffold dev -p gpu`: the `ocr-gpu` target (the OCR image plus the `gpu` extra) is
    built and given to the chart's GPU worker group; the CPU groups keep the `ocr` image."""
    artifacts = {a["image"]: a for a in config("gpu")["build"]["artifacts"]}
    assert artifacts["ibbase-ocr-gpu"]["docker"]["target"] == "ocr-gpu"
    assert artifacts["ibbase-ocr"]["docker"]["target"] == "ocr"
    assert "FROM ocr AS ocr-gpu" in (ROOT / "images" / "Dockerfile").read_text()
    templates = release(config("gpu"))["setValueTemplates"]
    assert templates["ocr.gpuWorkers.image.repository"] == "{{.IMAGE_REPO_ibbase_ocr_gpu}}"
    assert "IMAGE_DIGEST_ibbase_ocr_gpu" in templates["ocr.gpuWorkers.image.tag"]
    assert release(config("gpu"))["setValues"]["ocr.gpuWorkers.enabled"] is True
