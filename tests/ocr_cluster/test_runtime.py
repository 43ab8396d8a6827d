"""Where the neural stages run: the device selection and its fallback rules."""

from __future__ import annotations

import importlib.util

import pytest

from ocr_cluster import runtime
from ocr_cluster.reader import CardReader
from ocr_cluster.runtime import CPU, DeviceUnavailable, select_device

NO_GPU_HERE = runtime.gpu_problem() is not None


def test_cpu_is_onnx_runtime() -> None:
    assert select_device("cpu") == CPU
    assert str(CPU) == "cpu (onnxruntime: CPUExecutionProvider)"
    with pytest.raises(ValueError, match="auto, cpu, gpu"):
        select_device("tpu")


def test_auto_takes_a_gpu_only_when_one_can_be_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "gpu_problem", lambda: "PyTorch sees no CUDA device")
    assert select_device("auto") == CPU  # and says why in the log
    with pytest.raises(DeviceUnavailable, match="sees no CUDA device"):
        select_device("gpu")  # never a silent CPU fallback on a GPU replica


def test_the_gpu_problem_names_what_is_missing() -> None:
    problem = runtime.gpu_problem()
    if importlib.util.find_spec("torch") is None:
        assert problem == "torch is not installed (the `gpu` extra of the GPU image)"
    elif importlib.util.find_spec("onnx2torch") is None:
        assert problem is not None and "onnx2torch" in problem


@pytest.mark.skipif(not NO_GPU_HERE, reason="this machine has a usable GPU")
def test_a_reader_asked_for_a_gpu_it_lacks_refuses_to_start() -> None:
    with pytest.raises(DeviceUnavailable, match="cannot be used"):
        CardReader(device="gpu")


def test_a_reader_says_where_it_reads() -> None:
    reader = CardReader(device="cpu", engine="neural")
    try:
        assert reader.device == "cpu (onnxruntime: CPUExecutionProvider)"
        assert reader.device_problem() is None
    finally:
        reader.close()
