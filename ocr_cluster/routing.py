"""Which replica group reads a card: the ingress's choice between the CPU and GPU groups.

Plain Python (no Ray), so the rules are tested on their own. One Serve application holds
both groups behind one URL (``OCR_URL``); the GPU group starts at zero replicas and grows
with traffic. The rules:

- a caller may ask for a group (``X-Ibbase-Device: cpu|gpu``), as may the ingress's
  tunable ``route``; a GPU asked for where no GPU group is deployed is the caller's error;
- otherwise (``auto``) the GPU group reads while it has running replicas, the CPU group
  while it has none;
- while the GPU group has none and the CPU group is busy (``wake_gpu_at`` reads in flight),
  the GPU group is woken: a request queued at its handle is what makes Serve's autoscaler
  start a replica from zero. The card itself still goes to the CPU group, which answers in
  seconds, not after a GPU node's cold start.
- a GPU group that refuses a read for load (its queue full) passes it to the CPU group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Group = Literal["cpu", "gpu"]
ROUTES = ("auto", "cpu", "gpu")
HEADER = "x-ibbase-device"


class RouteRefused(ValueError):
    """The caller asked for something this cluster cannot do (answered 400)."""


@dataclass(frozen=True)
class Decision:
    group: Group
    wake_gpu: bool = False  # also nudge the GPU group's autoscaler


def choose(
    *,
    asked: str | None,
    route: str,
    gpu_deployed: bool,
    gpu_replicas: int,
    cpu_in_flight: int,
    wake_gpu_at: int,
) -> Decision:
    """The group for one read. ``asked``: the caller's header, if any; ``route``: the
    ingress's tunable; ``gpu_replicas``: the GPU group's running replicas."""
    wanted = (asked or "").strip().lower() or route
    if wanted not in ROUTES:
        raise RouteRefused(f"{HEADER} must be cpu, gpu or auto (got {wanted[:16]!r})")
    if wanted == "gpu":
        if not gpu_deployed:
            raise RouteRefused("this OCR cluster has no GPU replica group")
        return Decision("gpu")
    if wanted == "cpu" or not gpu_deployed:
        return Decision("cpu")
    if gpu_replicas > 0:
        return Decision("gpu")
    return Decision("cpu", wake_gpu=cpu_in_flight >= wake_gpu_at)
