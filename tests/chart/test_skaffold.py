"""skaffold.yaml agrees with the repository: its artifacts build targets that
images/Dockerfile has, its Helm release wires every artifact into the chart's image values,
every value it sets (with each profile applied) is one the chart declares and renders, and
its port-forwards name Services the release creates."""

from __future__ import annotations

import copy
import functools
import os
import re
import subprocess
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import jsonpatch
import pytest
import yaml

from tests.chart.chart import CHART, ROOT, find, helm, kinds, pod_templates, template_args

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


# ---------------------------------------------------------------------------------------------
# skaffold itself: built from source on first need (scripts/build-skaffold.sh, minutes once),
# with the helm 3 it drives. `skaffold render` and `skaffold diagnose` run offline.

SKAFFOLD_DIR = ROOT / ".tools" / "skaffold"
BUILD_SKAFFOLD = ROOT / "scripts" / "build-skaffold.sh"
RENDER_TAG = "skaffold-render"
# Where each image has the project installed (images/Dockerfile): the gateway's and the
# operator's venv, and the Python of the Ray image the `ocr` target is built on by default
# (rayproject/ray's conda environment; scripts/build_images.sh's local stand-in differs).
RAY_IMAGE_PYTHON = {"docker.io/rayproject/ray": "/home/ray/anaconda3"}


@functools.cache
def skaffold_tools() -> tuple[Path, Path]:
    """(the skaffold binary, the directory of its helm 3), built when missing; a failed
    build fails the test with the build's own words."""
    result = subprocess.run(
        ["bash", str(BUILD_SKAFFOLD)], capture_output=True, text=True, timeout=3000
    )
    if result.returncode != 0:
        pytest.fail(f"scripts/build-skaffold.sh failed:\n{result.stderr[-4000:]}")
    return SKAFFOLD_DIR / "skaffold", Path(result.stdout.split()[-1])


@pytest.fixture(scope="module")
def skaffold_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home of skaffold's own: no metrics, survey or update check, an empty kubeconfig
    (nothing here talks to a cluster)."""
    home = tmp_path_factory.mktemp("skaffold-home")
    (home / ".skaffold").mkdir()
    (home / ".skaffold" / "config").write_text(
        "global:\n  collect-metrics: false\n  update-check: false\n"
        "  survey:\n    disable-prompt: true\n"
    )
    (home / "kubeconfig").write_text("")
    return home


def skaffold(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    binary, helm3 = skaffold_tools()
    env = {
        **os.environ,
        "PATH": f"{helm3}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(home),
        "KUBECONFIG": str(home / "kubeconfig"),
        "HELM_CONFIG_HOME": str(home / "helm" / "config"),
        "HELM_CACHE_HOME": str(home / "helm" / "cache"),
        "HELM_DATA_HOME": str(home / "helm" / "data"),
    }
    result = subprocess.run(
        [str(binary), *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300
    )
    assert result.returncode == 0, f"skaffold {' '.join(args)} failed:\n{result.stderr[-4000:]}"
    return result


def profile_args(profile: str | None) -> list[str]:
    return [] if profile is None else ["--profile", profile]


@functools.cache
def _rendered(home: Path, profile: str | None) -> str:
    return skaffold(
        home, "render", "--offline=true", "--digest-source=tag", f"--tag={RENDER_TAG}",
        *profile_args(profile),
    ).stdout  # fmt: skip


def as_set_values(values: dict[str, Any]) -> dict[str, str]:
    """setValues as skaffold hands them to helm: strings, lists flattened to key[i]."""
    out: dict[str, str] = {}
    for key, value in values.items():
        if isinstance(value, list):
            out |= as_set_values({f"{key}[{i}]": v for i, v in enumerate(value)})
        elif isinstance(value, bool):
            out[key] = str(value).lower()
        else:
            out[key] = str(value)
    return out


def chart_render(profile: str | None) -> tuple[dict[str, Any], ...]:
    """What the repository's helm (4) renders for the release with the profile's values,
    passed as skaffold passes them (`--set`, so helm types them alike), and the images
    skaffold's render gives: `<artifact>:<tag>`."""
    rel = release(config(profile))
    flat = as_set_values(rel.get("setValues", {}))
    for key, template in rel["setValueTemplates"].items():
        name = re.search(r"IMAGE_\w+?_(ibbase_\w+)", template)
        assert name is not None
        artifact = name.group(1).replace("_", "-")
        flat[key] = artifact if key.endswith("repository") else RENDER_TAG
    sets = [arg for key, value in flat.items() for arg in ("--set", f"{key}={value}")]
    out = helm(*template_args(None, "--namespace", rel["namespace"], *sets)).stdout
    return tuple(doc for doc in yaml.safe_load_all(out) if doc)


def comparable(obj: dict[str, Any]) -> dict[str, Any]:
    """An object without what differs between two renders: generated secrets (and the
    checksums of them on pod templates)."""
    obj = copy.deepcopy(obj)
    if obj["kind"] == "Secret":
        for field in ("data", "stringData"):
            obj[field] = sorted(obj.get(field) or {})

    def strip(node: Any) -> None:
        if isinstance(node, dict):
            annotations = node.get("annotations")
            if isinstance(annotations, dict):
                for key in [k for k in annotations if k.startswith("checksum/")]:
                    del annotations[key]
            for value in node.values():
                strip(value)
        elif isinstance(node, list):
            for value in node:
                strip(value)

    strip(obj)
    return obj


def key_of(obj: dict[str, Any]) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


def pods(objs: tuple[dict[str, Any], ...]) -> dict[str, dict[str, Any]]:
    return {p.owner: p.spec for p in pod_templates(objs)}


def check_default(objs: tuple[dict[str, Any], ...]) -> None:
    gateway = find(objs, "Deployment", "ibbase-gateway")
    assert gateway["spec"]["replicas"] == VALUES["gateway"]["replicas"]
    assert kinds(objs, "NetworkPolicy"), "the chart's NetworkPolicies are on by default"
    find(objs, "StatefulSet", "ibbase-postgresql")  # the bundled database of `environment: dev`
    cluster = find(objs, "RayService", "ibbase-ocr")["spec"]["rayClusterConfig"]
    assert "ibbase-ocr-gpu" not in yaml.safe_dump(cluster)


def check_local(objs: tuple[dict[str, Any], ...]) -> None:
    assert find(objs, "Deployment", "ibbase-gateway")["spec"]["replicas"] == 1
    assert kinds(objs, "NetworkPolicy") == []
    cluster = find(objs, "RayService", "ibbase-ocr")["spec"]["rayClusterConfig"]
    head = cluster["headGroupSpec"]["template"]["spec"]["containers"][0]
    assert head["resources"]["requests"]["cpu"] == "250m"
    (cpu,) = [g for g in cluster["workerGroupSpecs"] if "gpu" not in g["groupName"]]
    requests = cpu["template"]["spec"]["containers"][0]["resources"]["requests"]
    # skaffold hands setValues to `helm --set`, which types "1" as the number 1: a valid
    # quantity all the same.
    assert (str(requests["cpu"]), requests["memory"]) == ("1", "2Gi")


def check_gpu(objs: tuple[dict[str, Any], ...]) -> None:
    cluster = find(objs, "RayService", "ibbase-ocr")["spec"]["rayClusterConfig"]
    images = {
        g["groupName"]: g["template"]["spec"]["containers"][0] for g in cluster["workerGroupSpecs"]
    }
    gpu = [c for c in images.values() if c["image"] == f"ibbase-ocr-gpu:{RENDER_TAG}"]
    assert len(gpu) == 1, images
    assert "nvidia.com/gpu" in gpu[0]["resources"]["limits"]
    others = [c["image"] for c in images.values() if c is not gpu[0]]
    assert others and set(others) == {f"ibbase-ocr:{RENDER_TAG}"}
    head = cluster["headGroupSpec"]["template"]["spec"]["containers"][0]
    assert head["image"] == f"ibbase-ocr:{RENDER_TAG}"


def check_sync(objs: tuple[dict[str, Any], ...]) -> None:
    """The sync profile lets `kubectl exec … tar` write into site-packages: root, writable."""
    check_default(objs)
    for owner, spec in pods(objs).items():
        for c in spec["containers"]:
            if not c["image"].startswith("ibbase-"):
                continue
            context = c.get("securityContext", {})
            assert context.get("readOnlyRootFilesystem") is False, owner
            assert context.get("runAsUser") == 0, owner


PROFILE_CHECKS = {None: check_default, "local": check_local, "gpu": check_gpu}
PROFILE_CHECKS["sync"] = check_sync


def test_every_profile_has_its_render_check() -> None:
    assert set(PROFILE_CHECKS) == set(PROFILES)


@pytest.mark.timeout(3600)  # the first test to run builds skaffold (about 10 minutes)
@pytest.mark.parametrize("profile", PROFILES)
def test_skaffold_renders_the_chart_with_the_profile(
    profile: str | None, skaffold_home: Path
) -> None:
    """`skaffold render` (offline, helm 3, no build: the images named by a fixed tag) gives
    exactly the objects the repository's helm renders for the release with the profile's
    values, every ibbase image being one of the profile's artifacts, and the profile's own
    changes there."""
    out = _rendered(skaffold_home, profile)
    objs = tuple(doc for doc in yaml.safe_load_all(out) if doc)
    counts = Counter(o["kind"] for o in objs)
    print(
        f"\nskaffold render {profile or 'default'}: {len(out.encode())} bytes, {len(objs)} "
        f"objects ({', '.join(f'{n} {kind}' for kind, n in sorted(counts.items()))})"
    )
    expected = {key_of(o): comparable(o) for o in chart_render(profile)}
    got = {key_of(o): comparable(o) for o in objs}
    assert sorted(got) == sorted(expected)
    for key, obj in got.items():
        assert obj == expected[key], f"{key} differs from the chart's own render"
    artifacts = {a["image"] for a in config(profile)["build"]["artifacts"]}
    for owner, spec in pods(objs).items():
        for c in spec.get("initContainers", []) + spec["containers"]:
            if c["image"].startswith("ibbase"):
                name, tag = c["image"].split(":")
                assert name in artifacts and tag == RENDER_TAG, (owner, c["image"])
    PROFILE_CHECKS[profile](objs)


@pytest.mark.timeout(3600)
@pytest.mark.parametrize("profile", PROFILES)
def test_skaffold_diagnose_is_clean(profile: str | None, skaffold_home: Path) -> None:
    """`skaffold diagnose --yaml-only`: skaffold parses skaffold.yaml, upgrades it to its
    newest schema and applies the profile, without a warning, to what this file's own
    reading (jsonpatch) gives. The full diagnose also sizes each artifact's build context,
    which needs the base images' configs (ONBUILD triggers) from a registry or a Docker
    daemon: neither is reachable here."""
    result = skaffold(skaffold_home, "diagnose", "--yaml-only", *profile_args(profile))
    assert "warn" not in result.stderr.lower(), result.stderr
    effective = yaml.safe_load(result.stdout)
    ours = config(profile)
    assert [
        (a["image"], a["docker"]["target"], a.get("sync")) for a in ours["build"]["artifacts"]
    ] == [
        (a["image"], a["docker"]["target"], a.get("sync")) for a in effective["build"]["artifacts"]
    ]
    for a in effective["build"]["artifacts"]:
        assert Path(a["context"]) == ROOT
    mine, theirs = release(ours), release(effective)
    assert as_set_values(mine.get("setValues", {})) == theirs.get("setValues", {})
    for field in ("name", "namespace", "setValueTemplates"):
        assert mine.get(field) == theirs.get(field), field
    assert Path(theirs["chartPath"]).resolve() == CHART


# ---------------------------------------------------------------------------------------------
# File sync (the `sync` profile): a saved .py file of the wheel's packages lands where the
# image has that package installed.

DOCKERFILE = (ROOT / "images" / "Dockerfile").read_text()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def site_packages(target: str) -> str:
    """Where images/Dockerfile installs the project for a target."""
    python = re.search(r'requires-python = ">=(\d+\.\d+)', (ROOT / "pyproject.toml").read_text())
    assert python is not None
    lib = f"lib/python{python.group(1)}/site-packages"
    final = re.search(rf"^FROM (\S+) AS {target}$(.*?)(?=^FROM |\Z)", DOCKERFILE, re.M | re.S)
    assert final is not None, target
    if copied := re.search(r"^COPY --from=(venv-\S+) (\S+) (\S+)$", final.group(2), re.M):
        stage, src, dest = copied.groups()
        assert src == dest, "the venv must run where it was made (scripts keep their paths)"
        env = re.search(r"UV_PROJECT_ENVIRONMENT=(\S+)", DOCKERFILE)
        assert env is not None and env.group(1) == src
        assert f"FROM sources AS {stage}" in DOCKERFILE
        return f"{dest}/{lib}"
    # The `ocr` target: the wheel pip-installed into the Ray image's own Python.
    assert final.group(1) == "${RAY_IMAGE}"
    assert "pip install --no-cache-dir --disable-pip-version-check --no-deps" in final.group(2)
    ray_image = re.search(r"^ARG RAY_IMAGE=([^:@\s]+)", DOCKERFILE, re.M)
    assert ray_image is not None
    return f"{RAY_IMAGE_PYTHON[ray_image.group(1)]}/{lib}"


def test_sync_rules_put_sources_where_each_image_installed_them() -> None:
    wheel_packages = PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    copied = set(re.findall(r"^COPY (?!--from)(\S+) \1$", DOCKERFILE, re.M))
    sources = {p for package in wheel_packages for p in (ROOT / package).rglob("*.py")}
    assert sources
    for artifact in config("sync")["build"]["artifacts"]:
        target = artifact["docker"]["target"]
        rules = artifact["sync"]["manual"]
        dest = site_packages(target)
        covered: set[Path] = set()
        for rule in rules:
            package = rule["src"].split("/**")[0]
            assert package in wheel_packages, f"{target}: {rule['src']} is no wheel package"
            assert package in copied, f"{target}: images/Dockerfile copies no {package}"
            files = set(ROOT.glob(rule["src"]))
            assert files, f"{target}: {rule['src']} matches no file"
            covered |= files
            assert rule["dest"] == dest, (target, rule)
            # The installed package's name: its folder less the rule's strip.
            strip = rule.get("strip", "")
            assert package.startswith(strip)
            assert package.removeprefix(strip) == package.rsplit("/", 1)[-1]
        # Every source file of the wheel is synced: none falls back to a rebuild unnoticed.
        assert covered == sources, sorted(map(str, sources - covered))[:5]
    assert "sync" not in yaml.safe_dump(SKAFFOLD["build"]), "sync is the `sync` profile's only"
