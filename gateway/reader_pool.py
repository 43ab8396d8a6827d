"""Card reading in child processes, so that a photo cannot take the worker down.

The reader is native code (OpenCV, zxing-cpp, tesseract) fed with photos from strangers. A
photo that crashes it (a segmentation fault) or makes it hang must cost one attempt at that
photo, not the worker and every event it holds: a crash in the worker's own process drops
the events of other users that were in flight beside the photo, and brings them back with
it, again and again, until they are all dead-lettered together.

``ReaderPool`` keeps ``processes`` lanes, each one child process holding its own reader
(built by ``factory``, ``"module:callable"``, with ``kwargs``) and reading one photo at a
time. ``read()`` takes an idle lane. A lane whose process dies mid-read is replaced and the
read raises :class:`ReaderCrashed`; a read that takes longer than ``timeout_s`` has its
process killed, replaced, and raises :class:`ReaderCrashed` too. Errors the reader raises
(``ImageError`` for a photo that is not an image) come back as they are.

The pipe, per read: the parent sends one message ``(fallback_regions, data)`` (a tuple of
ISO codes, maybe empty, and the photo's bytes: one message, so that a failed send cannot
leave half a request in the pipe); the child answers ``(ok, value)``: the result, or the
exception the reader raised.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import pickle
import queue
import threading
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_FACTORY = "ocr_cluster.reader:CardReader"


class ReaderCrashed(RuntimeError):
    """The reader's process died (or was stopped, over time) while reading this photo."""


def _build(factory: str, kwargs: dict[str, Any]) -> Any:
    module, _, name = factory.partition(":")
    return getattr(importlib.import_module(module), name)(**kwargs)


def _exit_with_parent() -> None:
    """A reader whose worker is gone (SIGKILL gives it no time to say so) leaves too."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _serve(conn: Connection, factory: str, kwargs: dict[str, Any]) -> None:
    """The child's loop: build the reader (and warm it up, when it can), then answer one
    read per request."""
    _exit_with_parent()
    try:
        reader = _build(factory, kwargs)
        # Set up what the first read would (see ocr_cluster/warmup.py) before saying ready.
        warm_up = getattr(reader, "warm_up", None)
        if warm_up is not None:
            warm_up()
    except Exception as exc:
        conn.send((False, _portable(exc)))
        return
    conn.send((True, None))
    while True:
        try:
            request: tuple[tuple[str, ...], bytes] = conn.recv()
        except (EOFError, OSError):  # the worker closed the lane or is gone
            return
        try:
            regions, data = request
            answer: tuple[bool, Any] = (True, reader.read(data, fallback_regions=regions))
        except Exception as exc:
            answer = (False, _portable(exc))
        conn.send(answer)


def _portable(exc: Exception) -> Exception:
    """The exception itself if it survives pickling, else a RuntimeError that names it."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


class _Lane:
    """One child process with its reader."""

    def __init__(self, ctx: Any, factory: str, kwargs: dict[str, Any]):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(
            target=_serve, args=(child, factory, kwargs), name="card-reader", daemon=True
        )
        self.proc.start()
        child.close()
        self.ready = False

    def wait_ready(self, timeout: float) -> None:
        if self.ready:
            return
        ok, error = self._answer(timeout, "starting the card reader")
        if not ok:
            raise error
        self.ready = True

    def read(self, data: bytes, regions: tuple[str, ...], timeout: float) -> Any:
        self.wait_ready(timeout)
        try:
            self.conn.send((regions, data))
        except OSError as exc:
            raise ReaderCrashed(f"the card reader process is gone ({exc})") from exc
        ok, value = self._answer(timeout, "reading the card")
        if ok:
            return value
        raise value

    def _answer(self, timeout: float, doing: str) -> tuple[bool, Any]:
        if not self.conn.poll(timeout):
            raise ReaderCrashed(f"{doing} took over {timeout:.0f}s; its process was stopped")
        try:
            answer: tuple[bool, Any] = self.conn.recv()
        except (EOFError, OSError):
            self.proc.join(5)
            raise ReaderCrashed(
                f"the card reader process died while {doing} (exit code {self.proc.exitcode})"
            ) from None
        return answer

    def kill(self) -> None:
        self.conn.close()
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)


class ReaderPool:
    """Card readers in ``processes`` child processes; ``read()`` is thread-safe."""

    def __init__(
        self,
        factory: str = DEFAULT_FACTORY,
        kwargs: dict[str, Any] | None = None,
        *,
        processes: int = 1,
        timeout_s: float = 60.0,
        start_timeout_s: float = 120.0,
    ):
        if processes < 1:
            raise ValueError("a reader pool needs at least one process")
        # spawn: the worker runs threads and an event loop, which fork must not copy.
        self._ctx = multiprocessing.get_context("spawn")
        self._factory = factory
        self._kwargs = dict(kwargs or {})
        self._timeout_s = timeout_s
        self._idle: queue.Queue[_Lane] = queue.Queue()
        self._lanes: set[_Lane] = set()
        self._lock = threading.Lock()
        self._closed = False
        lanes = [self._new_lane() for _ in range(processes)]
        try:
            for lane in lanes:  # fail at start-up, loudly, if the reader cannot be built
                lane.wait_ready(start_timeout_s)
        except BaseException:
            self.close()
            raise
        for lane in lanes:
            self._idle.put(lane)

    @property
    def ready(self) -> bool:
        return not self._closed

    def read(self, data: bytes, fallback_regions: Sequence[str] = ()) -> Any:
        """The reader's ``read(data, fallback_regions=...)`` in a child process."""
        if self._closed:
            raise RuntimeError("the reader pool is closed")
        regions = tuple(str(r) for r in fallback_regions)
        lane = self._idle.get()
        try:
            result = lane.read(data, regions, self._timeout_s)
        except ReaderCrashed as exc:
            log.error("%s; starting a new card reader process", exc)
            self._replace(lane)
            raise
        except BaseException:
            self._idle.put(lane)
            raise
        self._idle.put(lane)
        return result

    def close(self) -> None:
        with self._lock:
            self._closed = True
            lanes, self._lanes = list(self._lanes), set()
        for lane in lanes:
            lane.kill()

    def _new_lane(self) -> _Lane:
        lane = _Lane(self._ctx, self._factory, self._kwargs)
        with self._lock:
            self._lanes.add(lane)
        return lane

    def _replace(self, lane: _Lane) -> None:
        lane.kill()
        with self._lock:
            self._lanes.discard(lane)
            if self._closed:
                return
        # The new lane's reader loads in the background; its first read waits for it.
        self._idle.put(self._new_lane())
