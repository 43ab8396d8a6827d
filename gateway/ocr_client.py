"""The worker's client to the OCR cluster (`OCR_URL`): a drop-in for the in-process reader.

`read(data, fallback_regions)` is synchronous like `CardReader.read`, so the worker's executor
can call either. It returns `CardResult` and raises `ImageError` for a refused image, so the
worker's handling does not change. The fallback
regions travel as the query parameter `regions=BR,US` (left out when there are none).

Backpressure: at most `max_in_flight` reads are outstanding from this process; the rest
wait here, not in the cluster's queues. 503 (cluster overloaded or a replica restarting),
502/504 and connection errors are retried with exponential backoff and jitter until
`deadline_s`; other 4xx are the image's fault and are never retried.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from business_card.contact import CONTACT_FIELDS, CardResult, Contact
from business_card.reading import ImageError

RETRY_STATUSES = frozenset({502, 503, 504})


class OcrUnavailable(RuntimeError):
    """The cluster did not answer in time; the worker retries the event later."""


@dataclass(frozen=True)
class OcrClientConfig:
    url: str
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 60.0
    deadline_s: float = 90.0  # all attempts together; keep under card_read_timeout_s
    max_in_flight: int = 8
    backoff_s: float = 0.5
    backoff_max_s: float = 8.0


def result_from_dict(body: dict[str, Any]) -> CardResult:
    """The ingress's JSON (`CardResult.to_dict()`) back into a `CardResult`."""
    raw = body.get("contact") or {}
    contact = Contact(**{k: raw[k] for k in CONTACT_FIELDS if raw.get(k) is not None})
    return CardResult(
        contact=contact,
        confidence={k: float(v) for k, v in (body.get("confidence") or {}).items()},
        source={k: str(v) for k, v in (body.get("source") or {}).items()},
        timings={k: float(v) for k, v in (body.get("timings") or {}).items()},
        others=tuple(result_from_dict(other) for other in body.get("others") or ()),
    )


class OcrClient:
    def __init__(self, config: OcrClientConfig) -> None:
        self.config = config
        self._url = config.url.rstrip("/") + "/read"
        timeout = httpx.Timeout(config.read_timeout_s, connect=config.connect_timeout_s)
        limits = httpx.Limits(max_connections=config.max_in_flight)
        self._http = httpx.Client(timeout=timeout, limits=limits)
        self._slots = threading.BoundedSemaphore(config.max_in_flight)

    @property
    def ready(self) -> bool:
        """Made and not closed; whether the cluster answers shows on the first read."""
        return not self._http.is_closed

    def close(self) -> None:
        self._http.close()

    def read(
        self,
        data: bytes,
        fallback_regions: Sequence[str] = (),
        *,
        content_type: str = "image/jpeg",
    ) -> CardResult:
        params = _regions_query(fallback_regions)
        deadline = time.monotonic() + self.config.deadline_s
        if not self._slots.acquire(timeout=self.config.deadline_s):
            raise OcrUnavailable(f"{self.config.max_in_flight} OCR reads already in flight")
        try:
            attempt = 0
            while True:
                try:
                    r = self._http.post(
                        self._url,
                        content=data,
                        params=params,
                        headers={"content-type": content_type},
                    )
                    outcome = _outcome(r)
                except httpx.TransportError as exc:
                    outcome = exc
                if isinstance(outcome, CardResult):
                    return outcome
                pause = self._pause(attempt, deadline, outcome)
                time.sleep(pause)
                attempt += 1
        finally:
            self._slots.release()

    def _pause(self, attempt: int, deadline: float, why: Exception) -> float:
        """Exponential backoff with full jitter, or OcrUnavailable once past the deadline."""
        pause = random.uniform(
            0, min(self.config.backoff_max_s, self.config.backoff_s * 2**attempt)
        )
        if time.monotonic() + pause >= deadline:
            raise OcrUnavailable(
                f"OCR cluster at {self.config.url} failed for {self.config.deadline_s}s "
                f"({attempt + 1} attempts): {why}"
            ) from why
        return pause


def _regions_query(regions: Sequence[str]) -> dict[str, str]:
    """`?regions=BR,US`, or no parameter at all when there are no regions."""
    return {"regions": ",".join(regions)} if regions else {}


def _outcome(r: httpx.Response) -> CardResult | Exception:
    """A result, an ImageError raised for a refused image, or a retryable error returned."""
    if r.status_code == 200:
        return result_from_dict(r.json())
    if r.status_code in RETRY_STATUSES:
        return OcrUnavailable(f"HTTP {r.status_code}: {r.text[:200]}")
    if 400 <= r.status_code < 500:
        try:
            detail = str(r.json().get("detail", r.text))
        except ValueError:
            detail = r.text
        raise ImageError(detail[:300])
    # Any other answer is a bug on the cluster's side: the worker's redelivery handles it.
    raise OcrUnavailable(f"HTTP {r.status_code} from the OCR cluster: {r.text[:200]}")
