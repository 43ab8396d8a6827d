"""The Serve application: `import_path: ocr_cluster.app:build_app` in serve_config.yaml.

No `from __future__ import annotations` here: Serve reads the builder's annotation at run
time to turn the config's `args` into `OcrAppArgs` (a string annotation would skip that).
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict
from ray.serve import Application

from ocr_cluster.deployments import Ingress, OcrReader, QrReader


class OcrAppArgs(BaseModel):
    """`args:` of an application block in the Serve config."""

    model_config = ConfigDict(extra="forbid")

    # Which replica group this application is. The label only: the GPU itself comes
    # from `ray_actor_options.num_gpus` in the config.
    ocr_device: Literal["cpu", "gpu"] = "cpu"


def build_app(args: OcrAppArgs) -> Application:
    return Ingress.bind(QrReader.bind(), OcrReader.bind(device=args.ocr_device))
