"""Where the neural stages run: ONNX Runtime on the CPU, or PyTorch on a CUDA GPU.

The PP-OCR models are ONNX files. On a CPU they run on ONNX Runtime (a dependency of every
reader). On a GPU they run through PyTorch: each ONNX graph is converted once, at start,
into a ``torch.nn.Module`` (``onnx2torch``) and moved to the device. PyTorch rather than
``onnxruntime-gpu`` because the GPU machine this project measures on ships PyTorch on CUDA
and a CPU-only ONNX Runtime, and cannot install anything: what is measured there must be
what the GPU replicas run. PyTorch, CUDA and onnx2torch are the ``gpu`` extra, installed in
the GPU image only.

``select_device("auto")`` takes the GPU when one can be used and says why not otherwise;
``select_device("gpu")`` never falls back: a GPU replica that cannot use CUDA must fail its
health check with the reason, not read on its CPU while holding a GPU.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import onnxruntime as ort

log = logging.getLogger(__name__)
DEVICES = ("auto", "cpu", "gpu")


class DeviceUnavailable(RuntimeError):
    """The device asked for cannot be used here; the message says why."""


@dataclass(frozen=True)
class Device:
    kind: str  # "cpu" | "gpu"
    backend: str  # "onnxruntime" | "torch"
    detail: str  # the ONNX Runtime provider, or the CUDA device's name

    def __str__(self) -> str:
        return f"{self.kind} ({self.backend}: {self.detail})"


CPU = Device("cpu", "onnxruntime", "CPUExecutionProvider")


def gpu_problem() -> str | None:
    """Why the neural stages cannot run on a GPU here; None when they can."""
    for module in ("torch", "onnx2torch"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (the `gpu` extra of the GPU image)"
    import torch

    if not torch.cuda.is_available():
        return f"PyTorch {torch.__version__} sees no CUDA device"
    return None


def select_device(requested: str = "auto") -> Device:
    if requested not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, not {requested!r}")
    if requested == "cpu":
        return CPU
    problem = gpu_problem()
    if problem is None:
        import torch

        return Device("gpu", "torch", torch.cuda.get_device_name(0))
    if requested == "gpu":
        raise DeviceUnavailable(f"a GPU was asked for but cannot be used: {problem}")
    log.info("neural stages on the CPU: %s", problem)
    return CPU


class Model(Protocol):
    """One neural stage: a float32 NCHW batch in, its first output out (NumPy both)."""

    @property
    def classes(self) -> int: ...

    def __call__(self, batch: np.ndarray) -> np.ndarray: ...


class OrtModel:
    def __init__(self, path: Path, threads: int) -> None:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, threads)
        opts.inter_op_num_threads = 1
        opts.enable_cpu_mem_arena = False  # requests vary in size; don't keep the peak
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        # Sessions may be run from several threads at once.
        self.session = ort.InferenceSession(
            str(path), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        self.input = self.session.get_inputs()[0].name

    @property
    def classes(self) -> int:
        """The output's last dimension; 0 when the graph leaves it dynamic."""
        last = self.session.get_outputs()[0].shape[-1]
        return last if isinstance(last, int) else 0

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return np.asarray(self.session.run(None, {self.input: batch})[0])


class TorchModel:
    """The ONNX graph as a PyTorch module on the GPU, run without autograd."""

    def __init__(self, path: Path) -> None:
        import onnx
        import torch
        from onnx2torch import convert

        graph = onnx.load(str(path))
        self.output_shape = [d.dim_value for d in graph.graph.output[0].type.tensor_type.shape.dim]
        self.torch: Any = torch
        self.module = convert(graph).to("cuda").eval()

    @property
    def classes(self) -> int:
        return int(self.output_shape[-1]) if self.output_shape else 0

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        torch = self.torch
        with torch.inference_mode():
            out = self.module(torch.from_numpy(np.ascontiguousarray(batch)).to("cuda"))
            first = out[0] if isinstance(out, list | tuple) else out
            return np.asarray(first.float().cpu().numpy())


def load_model(path: Path, device: Device, threads: int = 1) -> Model:
    if device.backend == "torch":
        return TorchModel(path)
    return OrtModel(path, threads)
