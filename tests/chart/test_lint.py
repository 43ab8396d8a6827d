"""`helm lint --strict` on the defaults and every ci/ values file; the kubeVersion floor."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import yaml

from tests.chart.chart import (
    CHART,
    NAMESPACE,
    OLDEST_KUBE,
    ROOT,
    VARIANTS,
    helm,
    refusal,
    template_args,
)


@pytest.mark.parametrize("variant", VARIANTS)
def test_lint_strict(variant: str) -> None:
    values = VARIANTS[variant]
    args: list[str | Path] = ["lint", "--strict", CHART, "--namespace", NAMESPACE]
    if values is not None:
        args += ["--values", values]
    result = helm(*args, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[ERROR]" not in result.stdout and "[WARNING]" not in result.stdout, result.stdout


def test_ci_files_cover_the_variants() -> None:
    assert set(VARIANTS) >= {
        "defaults",
        "default",
        "external-services",
        "gpu",
        "scaling-monitoring",
        "namespaced-operator",
        "dev-bundled",
    }


def test_chart_metadata() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2"
    assert chart["kubeVersion"] == f">={OLDEST_KUBE}-0"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert chart["appVersion"] == project["version"]
    first = (CHART / "values.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=values.schema.json"


def test_kubernetes_older_than_the_floor_is_refused() -> None:
    older = "1.28.9"
    stderr = refusal(*template_args(None, kube=older))
    assert "kubeVersion" in stderr or "incompatible" in stderr, stderr
