"""One Ray version everywhere: pyproject's pin, the lock, the installed Ray, the Serve config."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "ocr_cluster" / "serve_config.yaml"


def pinned() -> str:
    # The OCR image's extra pins Ray; nothing else may name another version.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = [
        *project["dependencies"],
        *(d for ds in project["optional-dependencies"].values() for d in ds),
    ]
    rays = [d for d in deps if re.match(r"ray\b", d)]
    assert len(rays) == 1, rays
    m = re.fullmatch(r"ray\[serve\]==(\d+\.\d+\.\d+)", rays[0])
    assert m, f"Ray must be pinned exactly: {rays[0]!r}"
    return m.group(1)


def test_lock_installed_and_config_agree_with_the_pin() -> None:
    version = pinned()
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    locked = {p["version"] for p in lock["package"] if p["name"] == "ray"}
    assert locked == {version}

    import ray

    assert ray.__version__ == version
    stated = re.findall(r"Ray (\d+\.\d+\.\d+)", CONFIG.read_text())
    assert stated == [version]


def test_config_is_valid_for_the_pinned_serve() -> None:
    import yaml
    from ray.serve.schema import ServeDeploySchema

    schema = ServeDeploySchema.model_validate(yaml.safe_load(CONFIG.read_text()))
    apps = {a.name: a for a in schema.applications}
    # One application, one URL: both replica groups behind one ingress.
    assert set(apps) == {"ocr"}
    assert apps["ocr"].import_path == "ocr_cluster.app:build_app"
    deployments = {d.name: d for d in apps["ocr"].deployments}
    assert set(deployments) == {"Ingress", "QrReader", "OcrReader", "OcrReaderGpu"}
    gpu = deployments["OcrReaderGpu"]
    assert gpu.ray_actor_options.num_gpus == 1
    assert gpu.autoscaling_config["min_replicas"] == 0  # from zero, on queue length
    assert not deployments["OcrReader"].ray_actor_options.num_gpus


def test_app_builder_is_typed() -> None:
    from pydantic import ValidationError
    from ray.serve._private.api import call_user_app_builder_with_args_if_necessary
    from ray.serve.deployment import Application

    from ocr_cluster.app import build_app

    app = call_user_app_builder_with_args_if_necessary(build_app, {"gpu_group": False})
    assert isinstance(app, Application)
    with pytest.raises(ValidationError):
        call_user_app_builder_with_args_if_necessary(build_app, {"ocr_device": "gpu"})
