"""Rendering the chart with the repository's helm, and walking what it renders."""

from __future__ import annotations

import functools
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "ibbase"
HELM = ROOT / ".tools" / "helm" / "helm"
INSTALL_HELM = ROOT / "scripts" / "install_helm.sh"
SCHEMAS = Path(__file__).resolve().parent / "schemas"

RELEASE = "ibbase"
NAMESPACE = "crm"
FULLNAME = "ibbase"
# The chart's kubeVersion floor, and the newest Kubernetes whose schemas kubernetes-validate
# ships (checked against Chart.yaml and the package in test_validate.py).
OLDEST_KUBE = "1.29.0"
NEWEST_KUBE = "1.37.0"

# name -> values file (None: the chart's defaults alone)
VARIANTS: dict[str, Path | None] = {"defaults": None} | {
    p.stem.removesuffix("-values"): p for p in sorted((CHART / "ci").glob("*.yaml"))
}

# helm's config, cache and data stay next to the binary, not in the user's home.
_HELM_HOME = HELM.parent / "home"
HELM_ENV = {
    **os.environ,
    "HELM_CONFIG_HOME": str(_HELM_HOME / "config"),
    "HELM_CACHE_HOME": str(_HELM_HOME / "cache"),
    "HELM_DATA_HOME": str(_HELM_HOME / "data"),
}


def ensure_helm() -> Path:
    if not HELM.exists():
        subprocess.run(["bash", str(INSTALL_HELM)], check=True, timeout=300)
    return HELM


def helm(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(ensure_helm()), *map(str, args)],
        capture_output=True,
        text=True,
        env=HELM_ENV,
        timeout=60,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"helm {' '.join(map(str, args))} failed:\n{result.stderr}")
    return result


def refusal(*args: str | Path) -> str:
    """helm's error text for a command that must fail (`helm template` of values the chart
    refuses); the test fails if it succeeds."""
    result = helm(*args, check=False)
    assert result.returncode != 0, f"helm {' '.join(map(str, args))} was not refused"
    return result.stderr


def template_args(values: Path | None, *extra: str, kube: str = NEWEST_KUBE) -> list[str]:
    args = ["template", RELEASE, str(CHART), "--namespace", NAMESPACE, "--kube-version", kube]
    if values is not None:
        args += ["--values", str(values)]
    return [*args, *extra]


@functools.cache
def render(variant: str, kube: str = NEWEST_KUBE, *extra: str) -> tuple[dict[str, Any], ...]:
    """Every object ``helm template`` renders for a variant, CRDs and test hooks included;
    ``extra``: more helm arguments (``--set``)."""
    out = helm(*template_args(VARIANTS[variant], "--include-crds", *extra, kube=kube)).stdout
    return tuple(doc for doc in yaml.safe_load_all(out) if doc)


@dataclass(frozen=True)
class PodTemplate:
    """A pod spec found in a rendered object, with where it came from."""

    owner: str  # Kind/name[/group]
    kind: str
    labels: dict[str, str]
    annotations: dict[str, str]
    spec: dict[str, Any]

    @property
    def runs_to_completion(self) -> bool:
        """Jobs and `helm test` pods: probes make no sense for them."""
        return self.kind in {"Job", "Pod"}


def pod_templates(objs: tuple[dict[str, Any], ...]) -> Iterator[PodTemplate]:
    for obj in objs:
        kind, name = obj["kind"], obj["metadata"]["name"]
        found: list[tuple[str, dict[str, Any]]] = []  # (owner, {metadata, spec})
        if kind in {"Deployment", "StatefulSet", "Job"}:
            found = [(f"{kind}/{name}", obj["spec"]["template"])]
        elif kind == "Pod":
            found = [(f"Pod/{name}", obj)]
        elif kind == "RayService":
            cluster = obj["spec"]["rayClusterConfig"]
            groups = [("head", cluster["headGroupSpec"])]
            groups += [(g["groupName"], g) for g in cluster.get("workerGroupSpecs", [])]
            found = [(f"{kind}/{name}/{group}", spec["template"]) for group, spec in groups]
        for owner, pod in found:
            meta = pod.get("metadata") or {}
            labels, annotations = meta.get("labels") or {}, meta.get("annotations") or {}
            yield PodTemplate(owner, kind, labels, annotations, pod["spec"])


def find(objs: tuple[dict[str, Any], ...], kind: str, name: str) -> dict[str, Any]:
    matches = [o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} rendered"
    return matches[0]


def kinds(objs: tuple[dict[str, Any], ...], kind: str) -> list[dict[str, Any]]:
    return [o for o in objs if o["kind"] == kind]


def container(obj: dict[str, Any], name: str) -> dict[str, Any]:
    spec = obj["spec"]["template"]["spec"] if "template" in obj["spec"] else obj["spec"]
    return next(c for c in spec["containers"] if c["name"] == name)


def env_of(c: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in c.get("env", [])}
