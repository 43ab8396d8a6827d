"""Thin Serve deployments around the plain reader: QR, OCR and the HTTP ingress.

Replica bounds, resources (`num_cpus`, `num_gpus`) and tunables (`user_config`) come from
`serve_config.yaml`; nothing here sets them. Reading logic stays in `reader`/`pipeline`.
"""

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal, cast

import phonenumbers
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from ray import serve
from ray.exceptions import RayActorError
from ray.serve._private.common import ReplicaState
from ray.serve.exceptions import BackPressureError, DeploymentUnavailableError
from ray.serve.handle import DeploymentHandle, DeploymentResponse, DeploymentResponseGenerator

from business_card.reading import is_card_mime
from ocr_cluster import routing
from ocr_cluster.reader import CardReader, CardResult, ImageError

log = logging.getLogger("ray.serve")
# The GPU replica group: the OcrReader deployment under this name (app.py, serve_config.yaml).
GPU_DEPLOYMENT = "OcrReaderGpu"

# `POST /read?regions=BR,US`: the caller's guesses for a card that shows no country itself.
MAX_REGIONS = 4
_REGION_CODE = re.compile(r"[A-Za-z]{2}")


def parse_regions(values: Sequence[str]) -> tuple[str, ...]:
    """The `regions` query values (comma-separated, maybe repeated) as upper-case ISO codes in
    the caller's order, repeats dropped; ValueError, with a message for the caller, otherwise."""
    codes: list[str] = []
    for value in values:
        if not value.strip():
            continue
        for item in value.split(","):
            code = item.strip()
            if not _REGION_CODE.fullmatch(code):
                raise ValueError(
                    "regions must be ISO 3166 two-letter country codes separated by commas, "
                    f"e.g. regions=BR,US (got {code[:16]!r})"
                )
            code = code.upper()
            if code not in phonenumbers.SUPPORTED_REGIONS:
                raise ValueError(f"regions: {code!r} is not a known country code")
            if code not in codes:
                codes.append(code)
            if len(codes) > MAX_REGIONS:
                raise ValueError(f"regions: at most {MAX_REGIONS} country codes")
    return tuple(codes)


class ReaderTunables(BaseModel):
    """`user_config` of the QR and OCR deployments; applied live by `reconfigure()`."""

    pool_size: int = Field(default=2, ge=1, le=32)  # tesseract API objects = OCRs at once
    langs: str = "rus+eng"
    tessdata: str | None = None
    engine: Literal["auto", "neural", "tesseract"] = "auto"
    threads: int = Field(default=1, ge=1, le=64)  # ONNX Runtime threads per neural stage
    # Where the neural stages run; unset: the replica group's own (cpu, or gpu: never a
    # silent CPU fallback on a replica that holds a GPU).
    device: Literal["auto", "cpu", "gpu"] | None = None


class IngressTunables(BaseModel):
    """`user_config` of the ingress."""

    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    qr_timeout_s: float = Field(default=10.0, gt=0)
    ocr_timeout_s: float = Field(default=60.0, gt=0)
    # A replica that dies mid-request is replaced; the read is retried this many times.
    replica_retries: int = Field(default=2, ge=0, le=5)
    # Which group reads (ocr_cluster.routing): auto, or always cpu / gpu.
    route: Literal["auto", "cpu", "gpu"] = "auto"
    # CPU reads in flight at which a GPU group at zero replicas is woken.
    wake_gpu_at: int = Field(default=4, ge=1)
    gpu_poll_s: float = Field(default=2.0, gt=0)  # how often the GPU group's size is read


class _Unavailable(Exception):
    """Answer 503: the caller should back off and retry.

    Defined above the deployments: Serve pickles a deployment class when it is decorated,
    with the module names that exist at that moment."""


@dataclass(frozen=True)
class Refused:
    """The bytes are not a readable image: returned, not raised, so that a bad upload is
    neither logged as a replica error nor wrapped in a Ray traceback."""

    reason: str

    @property
    def status(self) -> int:
        return 413 if "too large" in self.reason else 400


class _ReaderDeployment:
    """Holds one CardReader; a new one is made when the tunables change what it loads.

    ``group``: the replica group ("cpu" or "gpu"), whose device the reader uses unless the
    tunables name one. A GPU replica that cannot use its GPU fails at start with the reason
    (``DeviceUnavailable``), which Serve reports as the deployment's status message."""

    def __init__(self, group: str = "cpu") -> None:
        self.group = group
        self.tunables = ReaderTunables()
        # Loaded by reconfigure() (Serve calls it before the first health check when the
        # config has a user_config), else at the first health check: never twice.
        self.reader: CardReader | None = None

    def _load(self, tunables: ReaderTunables) -> None:
        old = self.reader
        device = tunables.device or self.group
        self.reader = CardReader(
            tessdata=tunables.tessdata,
            langs=tunables.langs,
            pool_size=tunables.pool_size,
            engine=tunables.engine,
            threads=tunables.threads,
            device=device,
        )
        log.info(
            "card reader (%s group): engine %s, neural stages on %s",
            self.group,
            tunables.engine,
            self.reader.device,
        )
        self.tunables = tunables
        if old is not None:
            old.close()

    def reconfigure(self, user_config: dict[str, Any]) -> None:
        tunables = ReaderTunables.model_validate(user_config or {})
        if tunables != self.tunables or self.reader is None:
            self._load(tunables)

    def check_health(self) -> None:
        if self.reader is None:
            self._load(self.tunables)
        assert self.reader is not None
        if not self.reader.ready:
            raise RuntimeError("card reader not loaded")
        problem = self.reader.device_problem()
        if problem:
            raise RuntimeError(f"the {self.group} replica cannot read: {problem}")

    def health(self) -> dict[str, Any]:
        """What this replica runs on, and what it has done (decodes and QR scans per read)."""
        assert self.reader is not None
        return {"group": self.group, "device": self.reader.device, **self.reader.stats}

    def _run(self, fn: Callable[[bytes], CardResult], data: bytes) -> CardResult | Refused:
        try:
            return fn(data)
        except ImageError as exc:
            return Refused(str(exc))


@serve.deployment
class QrReader(_ReaderDeployment):
    """QR only: milliseconds per card, so it never waits behind OCR."""

    def read_qr(self, data: bytes) -> CardResult | Refused:
        assert self.reader is not None
        return self._run(self.reader.read_qr, data)


@serve.deployment
class OcrReader(_ReaderDeployment):
    """The full read (QR + OCR). The CPU and the GPU replica groups both run this class
    (the GPU group as the deployment ``OcrReaderGpu``)."""

    def warm(self) -> str:
        """Nothing but a request: queued at a group with no replica, it starts one."""
        assert self.reader is not None
        return self.reader.device

    def read(self, data: bytes, regions: Sequence[str] = ()) -> CardResult | Refused:
        assert self.reader is not None
        return self._run(partial(self.reader.read, fallback_regions=tuple(regions)), data)


api = FastAPI(title="ibbase OCR cluster", docs_url=None, redoc_url=None)


def _problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


@serve.deployment
@serve.ingress(api)
class Ingress:
    """HTTP: `POST /read`, `POST /qr`, `GET /-/healthz`. Orchestrates, never reads itself.

    Reads go to the CPU or the GPU replica group (``ocr_cluster.routing``); the answer's
    ``X-Ibbase-Replica-Group`` header says which one read the card."""

    def __init__(
        self,
        qr: DeploymentHandle[Any],
        ocr: DeploymentHandle[Any],
        ocr_gpu: DeploymentHandle[Any] | None = None,
    ) -> None:
        self.qr = qr
        self.groups: dict[str, DeploymentHandle[Any]] = {"cpu": ocr}
        if ocr_gpu is not None:
            self.groups["gpu"] = ocr_gpu
        self.tunables = IngressTunables()
        self.gpu_replicas = 0
        self.in_flight = {"cpu": 0, "gpu": 0}
        self._watch: asyncio.Task[None] | None = None

    def reconfigure(self, user_config: dict[str, Any]) -> None:
        self.tunables = IngressTunables.model_validate(user_config or {})

    def check_health(self) -> None:
        """Nothing to load here; the QR and OCR replicas report their own health."""

    @api.post("/read")
    async def read(self, request: Request) -> JSONResponse:
        try:
            regions = parse_regions(request.query_params.getlist("regions"))
        except ValueError as exc:
            return _problem(400, str(exc))
        data = await self._body(request)
        if isinstance(data, JSONResponse):
            return data
        t = self.tunables
        self._watch_gpu_group()
        try:
            decision = routing.choose(
                asked=request.headers.get(routing.HEADER),
                route=t.route,
                gpu_deployed="gpu" in self.groups,
                gpu_replicas=self.gpu_replicas,
                cpu_in_flight=self.in_flight["cpu"],
                wake_gpu_at=t.wake_gpu_at,
            )
        except routing.RouteRefused as exc:
            return _problem(400, str(exc))
        if decision.wake_gpu:
            self.groups["gpu"].warm.remote()  # queued at a group of 0: Serve starts one
        served = [decision.group]

        # The reader's one policy (QR and OCR on every card, the QR's fields first) runs in
        # the OCR replica, which decodes the photo and scans its code once.
        async def work() -> CardResult | Refused:
            group = decision.group
            try:
                return await self._read_on(group, data, regions)
            except _Unavailable:
                asked = request.headers.get(routing.HEADER)
                if group != "gpu" or asked:
                    raise
            served[0] = "cpu"  # the GPU group's queue is full: the CPU group reads it
            return await self._read_on("cpu", data, regions)

        answer = await self._answer(work, "card reading")
        answer.headers["X-Ibbase-Replica-Group"] = served[0]
        return answer

    async def _read_on(
        self, group: str, data: bytes, regions: tuple[str, ...]
    ) -> CardResult | Refused:
        handle = self.groups[group]
        self.in_flight[group] += 1
        try:
            return await self._call(
                lambda: handle.read.remote(data, regions), self.tunables.ocr_timeout_s
            )
        finally:
            self.in_flight[group] -= 1

    def _watch_gpu_group(self) -> None:
        """Keep ``gpu_replicas`` current from Serve's status, in the background."""
        if "gpu" in self.groups and (self._watch is None or self._watch.done()):
            self._watch = asyncio.create_task(self._count_gpu_replicas())

    async def _count_gpu_replicas(self) -> None:
        app = serve.get_replica_context().app_name
        while True:
            try:
                status = await asyncio.to_thread(serve.status)
                deployment = status.applications[app].deployments.get(GPU_DEPLOYMENT)
                running = (
                    deployment.replica_states.get(ReplicaState.RUNNING, 0) if deployment else 0
                )
                self.gpu_replicas = int(running)
            except Exception as exc:  # a status hiccup must not stop the reads
                log.warning("could not read the GPU group's size: %s", exc)
            await asyncio.sleep(self.tunables.gpu_poll_s)

    @api.post("/qr")
    async def read_qr(self, request: Request) -> JSONResponse:
        data = await self._body(request)
        if isinstance(data, JSONResponse):
            return data
        timeout = self.tunables.qr_timeout_s
        return await self._answer(
            lambda: self._call(lambda: self.qr.read_qr.remote(data), timeout), "QR reading"
        )

    @api.get("/-/healthz")
    @api.get("/healthz")
    async def healthz(self) -> dict[str, Any]:
        # At route prefix "/" Serve's proxy answers /-/healthz itself; /healthz reaches here.
        self._watch_gpu_group()
        return {
            "status": "ok",
            "gpu_group": "gpu" in self.groups,
            "gpu_replicas": self.gpu_replicas,
        }

    async def _answer(
        self, work: Callable[[], Awaitable[CardResult | Refused]], what: str
    ) -> JSONResponse:
        """One mapping of outcomes to HTTP for every route: refusals and overload are 4xx/5xx."""
        try:
            result = await work()
        except _Unavailable as exc:
            return _problem(503, str(exc))
        except TimeoutError:
            return _problem(504, f"{what} timed out")
        if isinstance(result, Refused):
            return _problem(result.status, result.reason)
        return JSONResponse(result.to_dict())

    async def _body(self, request: Request) -> bytes | JSONResponse:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if not is_card_mime(ctype):
            return _problem(
                415, f"Content-Type must be image/* or application/pdf (got {ctype or 'none'!r})"
            )
        limit = self.tunables.max_body_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return _problem(413, f"image too large: {declared} bytes (limit {limit})")
        data = await request.body()
        if not data:
            return _problem(400, "empty body: send the image bytes")
        if len(data) > limit:
            return _problem(413, f"image too large: {len(data)} bytes (limit {limit})")
        return data

    async def _call(
        self,
        send: Callable[[], DeploymentResponse[Any] | DeploymentResponseGenerator[Any]],
        timeout: float,
    ) -> CardResult | Refused:
        """One read, retried when the replica died under it (reads are idempotent)."""
        attempts = self.tunables.replica_retries + 1
        for attempt in range(attempts):
            # Never a generator: these handles are not `stream=True`. Serve's `remote()` is
            # annotated for both, and its responses do not say what the method returns.
            response = cast("DeploymentResponse[CardResult | Refused]", send())
            try:
                return await asyncio.wait_for(response, timeout)
            except TimeoutError:
                response.cancel()  # type: ignore[no-untyped-call]  # unannotated in Serve
                raise
            except RayActorError as exc:
                if attempt + 1 >= attempts:
                    raise _Unavailable(f"reader replica lost {attempts} times") from exc
                log.warning("reader replica died mid-request; retrying (%d)", attempt + 1)
            except (BackPressureError, DeploymentUnavailableError) as exc:
                raise _Unavailable(f"OCR cluster overloaded: {exc}") from exc
        raise AssertionError("unreachable")
