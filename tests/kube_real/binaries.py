"""The control plane's binaries, built by ``scripts/build-kube.sh`` on first need."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = ROOT / "scripts" / "build-kube.sh"
BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager")


class BuildFailed(RuntimeError):
    pass


def built() -> bool:
    """Whether the pinned binaries are there (what the script checks before building)."""
    script = BUILD_SCRIPT.read_text()
    version = script.split("KUBE_VERSION=${KUBE_VERSION:-", 1)[1].split("}", 1)[0]
    bin_dir = ROOT / ".tools" / "kube" / version / "bin"
    stamp = bin_dir / ".built"
    return stamp.is_file() and all((bin_dir / b).is_file() for b in BINARIES)


def prebuild(say: Callable[[str], None]) -> None:
    """Build before the tests run (outside any test's timeout), saying so; a failure is kept
    for the tests that need the binaries to report."""
    if built():
        return
    say(
        "building etcd, kube-apiserver and kube-controller-manager from source "
        f"({BUILD_SCRIPT.name}, once; minutes)..."
    )
    start = time.monotonic()
    try:
        ensure_binaries()
    except BuildFailed as exc:
        say(f"FAILED: {exc}")
        return
    say(f"built in {time.monotonic() - start:.0f} s")


_outcome: Path | BuildFailed | None = None


def ensure_binaries() -> Path:
    """The directory holding etcd, kube-apiserver and kube-controller-manager; built from
    the Go module proxy when missing (minutes, once), instantly found afterwards. Raises
    BuildFailed with what failed and the end of the build's output (tried once a run)."""
    global _outcome
    if _outcome is None:
        try:
            _outcome = _build()
        except BuildFailed as exc:
            _outcome = exc
    if isinstance(_outcome, BuildFailed):
        raise _outcome
    return _outcome


def _build() -> Path:
    try:
        result = subprocess.run(
            ["bash", str(BUILD_SCRIPT)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildFailed(f"{BUILD_SCRIPT.relative_to(ROOT)} could not run: {exc}") from exc
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-40:])
        raise BuildFailed(
            f"building the real Kubernetes control plane failed "
            f"(bash {BUILD_SCRIPT.relative_to(ROOT)} exited {result.returncode}; "
            f"`make kube-tools` runs it alone):\n{tail}"
        )
    bin_dir = Path(result.stdout.strip().splitlines()[-1])
    missing = [b for b in BINARIES if not (bin_dir / b).is_file()]
    if missing:
        raise BuildFailed(f"{BUILD_SCRIPT.name} finished but {bin_dir} lacks {missing}")
    return bin_dir
