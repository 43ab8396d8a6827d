"""The Serve application: `import_path: ocr_cluster.app:build_app` in serve_config.yaml.

No `from __future__ import annotations` here: Serve reads the builder's annotation at run
time to turn the config's `args` into `OcrAppArgs` (a string annotation would skip that).
"""

from typing import Literal, cast

from pydantic import BaseModel, ConfigDict
from ray.serve import Application, Deployment

from ocr_cluster.deployments import Ingress, OcrReader, QrReader


class OcrAppArgs(BaseModel):
    """`args:` of an application block in the Serve config."""

    model_config = ConfigDict(extra="forbid")

    # Which replica group this application is. The label only: the GPU itself comes
    # from `ray_actor_options.num_gpus` in the config.
    ocr_device: Literal["cpu", "gpu"] = "cpu"


def build_app(args: OcrAppArgs) -> Application:
    # `@serve.deployment` turned these classes into Deployments; mypy keeps a decorated
    # class's own type (it ignores what a class decorator returns).
    ingress, qr, ocr = (cast(Deployment, d) for d in (Ingress, QrReader, OcrReader))
    return ingress.bind(qr.bind(), ocr.bind(device=args.ocr_device))
