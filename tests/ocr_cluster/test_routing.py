"""The ingress's choice between the CPU and GPU replica groups (ocr_cluster.routing)."""

from __future__ import annotations

import pytest

from ocr_cluster.routing import Decision, RouteRefused, choose


def decide(**kw: object) -> Decision:
    base: dict[str, object] = dict(
        asked=None, route="auto", gpu_deployed=True, gpu_replicas=0, cpu_in_flight=0,
        wake_gpu_at=4,
    )  # fmt: skip
    return choose(**{**base, **kw})  # type: ignore[arg-type]


def test_the_gpu_group_reads_while_it_has_replicas() -> None:
    assert decide(gpu_replicas=2) == Decision("gpu")
    assert decide(gpu_replicas=0) == Decision("cpu")


def test_a_busy_cpu_group_wakes_a_gpu_group_at_zero_but_reads_the_card_itself() -> None:
    assert decide(cpu_in_flight=3) == Decision("cpu", wake_gpu=False)
    assert decide(cpu_in_flight=4) == Decision("cpu", wake_gpu=True)
    assert decide(cpu_in_flight=9, gpu_deployed=False) == Decision("cpu")


def test_callers_and_the_tunable_may_choose() -> None:
    assert decide(asked="cpu", gpu_replicas=3) == Decision("cpu")
    assert decide(asked="GPU") == Decision("gpu")  # even at zero replicas: it wakes one
    assert decide(route="cpu", gpu_replicas=3) == Decision("cpu")
    assert decide(route="gpu") == Decision("gpu")
    assert decide(asked="auto", route="cpu", gpu_replicas=3) == Decision("gpu")


def test_what_cannot_be_done_is_the_callers_error() -> None:
    with pytest.raises(RouteRefused, match="no GPU replica group"):
        decide(asked="gpu", gpu_deployed=False)
    with pytest.raises(RouteRefused, match="cpu, gpu or auto"):
        decide(asked="tpu")
