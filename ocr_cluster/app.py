"""The Serve application: `import_path: ocr_cluster.app:build_app` in serve_config.yaml.

No `from __future__ import annotations` here: Serve reads the builder's annotation at run
time to turn the config's `args` into `OcrAppArgs` (a string annotation would skip that).
"""

from typing import cast

from pydantic import BaseModel, ConfigDict
from ray.serve import Application, Deployment

from ocr_cluster.deployments import GPU_DEPLOYMENT, Ingress, OcrReader, QrReader


class OcrAppArgs(BaseModel):
    """`args:` of the application block in the Serve config."""

    model_config = ConfigDict(extra="forbid")

    # The GPU replica group (deployment OcrReaderGpu), beside the CPU one. Its GPUs come
    # from `ray_actor_options.num_gpus` in the config; it starts at zero replicas.
    gpu_group: bool = True


def build_app(args: OcrAppArgs) -> Application:
    # `@serve.deployment` turned these classes into Deployments; mypy keeps a decorated
    # class's own type (it ignores what a class decorator returns).
    ingress, qr, ocr = (cast(Deployment, d) for d in (Ingress, QrReader, OcrReader))
    gpu = ocr.options(name=GPU_DEPLOYMENT).bind(group="gpu") if args.gpu_group else None
    return ingress.bind(qr.bind(), ocr.bind(group="cpu"), gpu)
