"""The channel registry: which WhatsApp numbers this deployment serves, and with what secrets.

The operator writes one entry (``whatsapp_cloud.registry.ChannelEntry``) per
``WhatsAppChannel`` resource into one Secret; the gateway and the worker mount that Secret as
a directory (without ``subPath``, so the kubelet swaps the files in place when a token
rotates) and read it from there.

:class:`ChannelRegistry` reads such a directory and follows its changes by polling (a few
``stat`` calls a second): environment variables are not updated on rotation, files are.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from gateway.log_config import mask_secrets
from whatsapp_cloud.registry import ChannelEntry, channel_id

log = logging.getLogger(__name__)

GRAPH_URL_RE = re.compile(r"^https?://[^/]+(/.*)?/v\d+\.\d+/?$")
# (target of ``..data`` or None, sorted (file name, inode, mtime_ns, size) of the entries)
Fingerprint = tuple[str | None, tuple[tuple[str, int, int, int], ...]]


@dataclass(frozen=True)
class _Snapshot:
    by_id: Mapping[str, ChannelEntry]
    by_phone: Mapping[str, ChannelEntry]


@dataclass(frozen=True, order=True)
class _Conflict:
    """An entry skipped because an older claim on its phone number won."""

    file: str
    channel: str
    owner: str
    phone_number_id: str


class ChannelRegistry:
    """The channels of one registry directory, re-read when the directory changes.

    Works with the kubelet's layout (``{key} -> ..data/{key}``, ``..data -> ..2026_…``,
    swapped atomically) and with plain files. Invalid files are logged by name with what is
    wrong (never their content) and skipped. When two entries claim one phone number, the
    older claim (``ChannelEntry.claim``) is served and the other entry is skipped, its
    webhook route included; the conflict is logged once. Lookups are lock-free: a reload
    builds a new snapshot and swaps one reference, so a reader sees either the old or the
    new mapping.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        reload_s: float = 1.0,
        on_reload: Callable[[ChannelRegistry], None] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.reload_s = reload_s
        self._on_reload = on_reload
        self._snapshot = _Snapshot({}, {})
        self._fingerprint: Fingerprint | None = None
        self._missing_reported = False
        self._conflicts: set[_Conflict] = set()  # reported, so each is logged once
        self.loaded_at: float | None = None  # Unix time of the last (re)load
        self.invalid: tuple[str, ...] = ()  # files skipped at the last (re)load

    # -- lookups ---------------------------------------------------------------------

    def get(self, channel_id: str) -> ChannelEntry | None:
        return self._snapshot.by_id.get(channel_id)

    def by_phone(self, phone_number_id: str) -> ChannelEntry | None:
        return self._snapshot.by_phone.get(phone_number_id)

    @property
    def channels(self) -> tuple[ChannelEntry, ...]:
        return tuple(self._snapshot.by_id.values())

    @property
    def count(self) -> int:
        return len(self._snapshot.by_id)

    # -- loading ---------------------------------------------------------------------

    def refresh(self) -> bool:
        """Re-read the directory if it changed since the last read; True if it did.

        Blocking (a few ``stat`` calls when nothing changed): run it off the event loop.
        """
        for _ in range(5):
            before = self._fingerprint_now()
            if before is None:
                if not self._missing_reported:
                    log.warning(
                        "channel registry %s is not a readable directory; serving %d channels",
                        self.directory,
                        self.count,
                    )
                    self._missing_reported = True
                return False
            self._missing_reported = False
            if before == self._fingerprint:
                return False
            snapshot, invalid, conflicts = self._read(before)
            # A swap in the middle of the read may have mixed old and new files: read again.
            if self._fingerprint_now() == before:
                mask_secrets(
                    secret.get_secret_value()
                    for entry in snapshot.by_id.values()
                    for secret in (entry.app_secret, entry.access_token, *entry.verify_tokens)
                )
                self._report(conflicts)
                self._swap(snapshot, invalid, before)
                return True
        log.warning("channel registry %s kept changing while read; retrying later", self.directory)
        return False

    async def watch(self) -> None:
        """Poll every ``reload_s`` seconds until cancelled; never dies of a bad read."""
        while True:
            await asyncio.sleep(self.reload_s)
            try:
                await asyncio.to_thread(self.refresh)
            except Exception:  # keep serving the last good mapping
                log.exception("channel registry %s: reload failed", self.directory)

    @asynccontextmanager
    async def watching(self) -> AsyncIterator[ChannelRegistry]:
        """Load now, then keep reloading in a task that ends with the block."""
        await asyncio.to_thread(self.refresh)
        task = asyncio.create_task(self.watch(), name=f"channel-registry {self.directory}")
        try:
            yield self
        finally:
            task.cancel()
            await asyncio.wait([task])

    def _fingerprint_now(self) -> Fingerprint | None:
        try:
            data = os.readlink(self.directory / "..data")
        except OSError:
            data = None  # plain files, not a kubelet mount
        files = []
        try:
            with os.scandir(self.directory) as entries:
                for item in entries:
                    if item.name.startswith(".") or not item.name.endswith(".json"):
                        continue
                    try:
                        st = os.stat(item.path)  # follows the kubelet's symlinks
                    except OSError:
                        continue  # dangling during a swap: the next poll sees the new state
                    files.append((item.name, st.st_ino, st.st_mtime_ns, st.st_size))
        except OSError:
            return None
        return data, tuple(sorted(files))

    def _read(self, fingerprint: Fingerprint) -> tuple[_Snapshot, list[str], list[_Conflict]]:
        entries: list[tuple[str, ChannelEntry]] = []
        invalid: list[str] = []
        for name, *_ in fingerprint[1]:
            try:
                raw = (self.directory / name).read_bytes()
            except OSError as exc:
                log.error("channel registry: cannot read %s (%s); skipped", name, exc.strerror)
                invalid.append(name)
                continue
            try:
                entry = ChannelEntry.model_validate_json(raw)
            except ValidationError as exc:
                log.error(
                    "channel registry: %s is not a valid channel, skipped: %s", name, _why(exc)
                )
                invalid.append(name)
                continue
            problem = _problem(name, entry)
            if problem:
                log.error("channel registry: %s skipped: %s", name, problem)
                invalid.append(name)
                continue
            entries.append((name, entry))
        # One number, one owner: the oldest claim, never the file that happens to sort first.
        by_id: dict[str, ChannelEntry] = {}
        by_phone: dict[str, ChannelEntry] = {}
        conflicts: list[_Conflict] = []
        for name, entry in sorted(entries, key=lambda item: item[1].claim):
            owner = by_phone.get(entry.phone_number_id)
            if owner is not None:
                conflicts.append(_Conflict(name, entry.id, owner.id, entry.phone_number_id))
                invalid.append(name)
                continue
            by_id[entry.id] = entry
            by_phone[entry.phone_number_id] = entry
        return _Snapshot(by_id, by_phone), invalid, conflicts

    def _report(self, conflicts: list[_Conflict]) -> None:
        """Log each conflict once, while it lasts (not at every reload of the directory):
        which entry lost which number to which channel, never a secret."""
        current = set(conflicts)
        for conflict in sorted(current - self._conflicts):
            log.error(
                "channel registry: %s skipped: phone_number_id %s is claimed by channel %s "
                "too, whose claim is older; channel %s is not served",
                conflict.file,
                conflict.phone_number_id,
                conflict.owner,
                conflict.channel,
            )
        self._conflicts = current

    def _swap(self, snapshot: _Snapshot, invalid: list[str], fingerprint: Fingerprint) -> None:
        previous = set(self._snapshot.by_id)
        self._snapshot = snapshot
        self._fingerprint = fingerprint
        self.invalid = tuple(invalid)
        self.loaded_at = time.time()
        current = set(snapshot.by_id)
        log.info(
            "channel registry %s: %d channels (added %s, removed %s, %d invalid files)",
            self.directory,
            len(current),
            sorted(current - previous) or "none",
            sorted(previous - current) or "none",
            len(invalid),
        )
        if self._on_reload is not None:
            try:
                self._on_reload(self)
            except Exception:  # metrics must never break a reload
                log.exception("channel registry on_reload hook failed")


def _why(exc: ValidationError) -> str:
    """What is wrong, by field: never the input (it holds the secrets)."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}"
        for e in exc.errors(include_url=False, include_input=False, include_context=False)
    )


def _problem(name: str, entry: ChannelEntry) -> str | None:
    if entry.id != channel_id(entry.namespace, entry.name):
        return f"id {entry.id} is not namespace.name ({entry.namespace}.{entry.name})"
    if name != entry.key:
        # The operator names each file after its channel: a file under another name could
        # stand in for that channel.
        return f"a file of channel {entry.id} must be named {entry.key}"
    if not GRAPH_URL_RE.match(entry.graph_api_url):
        return "graph_api_url must be an http(s) URL ending with a pinned version (/v25.0)"
    return None


@asynccontextmanager
async def open_registry(
    directory: str | os.PathLike[str] | None,
    *,
    reload_s: float = 1.0,
    on_reload: Callable[[ChannelRegistry], None] | None = None,
) -> AsyncIterator[ChannelRegistry | None]:
    """A watched registry for the block, or None when no directory is configured."""
    if directory is None:
        yield None
        return
    async with ChannelRegistry(directory, reload_s=reload_s, on_reload=on_reload).watching() as r:
        yield r
