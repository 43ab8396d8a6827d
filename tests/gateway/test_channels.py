"""The channel registry read from a directory laid out as the kubelet lays out a Secret, and
from plain files: lookups, atomic reloads, invalid files skipped without leaking secrets."""

import asyncio
import json
import logging
import os
import time
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from pydantic import SecretStr

from gateway.channels import ChannelRegistry, open_registry
from gateway.metrics import channel_registry_loaded
from gateway.settings import Settings
from tests.gateway.channel_volume import CHANNEL_A, CHANNEL_B, SecretVolume, make_channel
from tests.harness import wait_for
from whatsapp_cloud.registry import ChannelEntry

A, B = CHANNEL_A, CHANNEL_B


def tokens(registry: ChannelRegistry, cid: str) -> list[str]:
    entry = registry.get(cid)
    assert entry is not None
    return [t.get_secret_value() for t in entry.verify_tokens]


def test_kubelet_layout_loads_and_follows_the_data_swap(tmp_path: Path) -> None:
    volume = SecretVolume(tmp_path / "registry")
    volume.write_channels(A, B)
    assert sorted(p.name for p in volume.directory.iterdir() if not p.name.startswith("..")) == [
        "crm.sales-a.json",
        "crm.sales-b.json",
    ]
    assert (volume.directory / "crm.sales-a.json").is_symlink()
    registry = ChannelRegistry(volume.directory)
    assert registry.refresh() is True
    assert registry.count == 2 and registry.invalid == ()
    assert registry.get(A.id) == A
    assert registry.by_phone(B.phone_number_id) == B
    assert registry.get("crm.nope") is None and registry.by_phone("1") is None
    loaded_at = registry.loaded_at
    assert loaded_at is not None
    assert registry.refresh() is False  # nothing changed: nothing re-read

    rotating = make_channel(
        "sales-a",
        phone_number_id=A.phone_number_id,
        business_account_id=A.business_account_id,
        verify_tokens=("verify-a-2", "verify-a-1"),
        app_secret="app-secret-a",
        access_token="access-a-2",
    )
    volume.write_channels(rotating, B)
    assert registry.refresh() is True
    assert tokens(registry, A.id) == ["verify-a-2", "verify-a-1"]
    entry = registry.by_phone(A.phone_number_id)
    assert entry is not None and entry.access_token.get_secret_value() == "access-a-2"

    volume.write_channels(rotating.model_copy(update={"verify_tokens": rotating.verify_tokens[:1]}))
    assert registry.refresh() is True
    assert tokens(registry, A.id) == ["verify-a-2"]
    assert registry.get(B.id) is None and registry.by_phone(B.phone_number_id) is None
    assert registry.count == 1


def test_plain_files_and_dot_entries(tmp_path: Path) -> None:
    directory = tmp_path / "registry"
    directory.mkdir()
    (directory / A.key).write_text(A.dump_json())
    (directory / f".{B.key}").write_text(B.dump_json())  # hidden: not a channel
    (directory / "README.txt").write_text("not json")
    registry = ChannelRegistry(directory)
    assert registry.refresh() is True
    assert [c.id for c in registry.channels] == [A.id]

    # A rewrite in place (same size, maybe the same mtime tick) is still seen: inode or size.
    changed = A.model_copy(update={"access_token": SecretStr("access-a-9")})
    tmp = directory / "tmp"
    tmp.write_text(changed.dump_json())
    os.replace(tmp, directory / A.key)
    assert registry.refresh() is True
    entry = registry.get(A.id)
    assert entry is not None and entry.access_token.get_secret_value() == "access-a-9"

    (directory / A.key).unlink()
    assert registry.refresh() is True
    assert registry.count == 0


def test_invalid_files_are_skipped_and_never_leak_secrets(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    leaky = A.dump_json().replace('"phone_number_id":"111000000000001"', '"phone_number_id":"x"')
    clash = make_channel(
        "sales-c",
        phone_number_id=B.phone_number_id,  # B's number: ambiguous, so refused
        business_account_id="211000000000003",
        app_secret="app-secret-c-never-logged",
    )
    unversioned = make_channel(
        "sales-d",
        phone_number_id="111000000000004",
        business_account_id="211000000000004",
        graph_api_url="https://graph.facebook.com",
    )
    volume = SecretVolume(tmp_path / "registry")
    volume.write_channels(
        B,
        clash,
        unversioned,
        extra={
            "crm.broken.json": b'{"id": "crm.broken", "app_secret": "half-written-secret',
            "crm.leaky.json": leaky,
            "crm.empty.json": b"",
        },
    )
    registry = ChannelRegistry(volume.directory, on_reload=channel_registry_loaded)
    with caplog.at_level(logging.ERROR, logger="gateway.channels"):
        registry.refresh()
    assert [c.id for c in registry.channels] == [B.id]
    assert sorted(registry.invalid) == sorted(
        ["crm.broken.json", "crm.leaky.json", "crm.empty.json", clash.key, unversioned.key]
    )
    text = caplog.text
    for name in registry.invalid:
        assert name in text
    assert "phone_number_id" in text  # what is wrong is said…
    for secret in ("app-secret", "access-token", "verify-current", "half-written-secret"):
        assert secret not in text  # …never the values
    assert REGISTRY.get_sample_value("whatsapp_channel_registry_channels") == 1
    assert REGISTRY.get_sample_value("whatsapp_channel_registry_invalid_files") == 5
    reloaded = REGISTRY.get_sample_value("whatsapp_channel_registry_last_reload_timestamp_seconds")
    assert reloaded is not None and abs(reloaded - time.time()) < 60


def claimed(entry: ChannelEntry, created: str | None) -> ChannelEntry:
    """``entry`` with its claim time, as the operator writes it (validated like a file)."""
    return ChannelEntry.model_validate_json(
        json.dumps({**json.loads(entry.dump_json()), "created": created})
    )


def shop(namespace: str, created: str | None, secret: str) -> ChannelEntry:
    """A channel called ``shop`` on one shared phone number, in ``namespace``."""
    entry = make_channel(
        "shop",
        namespace=namespace,
        phone_number_id="111000000000007",
        business_account_id="211000000000007",
        app_secret=f"app-secret-{secret}",
        access_token=f"access-{secret}",
        verify_tokens=(f"verify-{secret}",),
    )
    return claimed(entry, created)


def test_the_older_claim_on_a_number_wins_whatever_the_files_are_called(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Security issue 15, finding 1: ``aaa.shop.json`` sorts before ``zzz.shop.json``, yet
    the channel that claimed the number first keeps it; the newer entry is not served at
    all (no route, no replies), and the conflict is logged once, without secrets."""
    victim = shop("zzz", "2025-01-01T00:00:00Z", "victim")
    attacker = shop("aaa", "2025-06-01T12:00:00Z", "attacker")
    volume = SecretVolume(tmp_path / "registry")
    volume.write_channels(attacker, victim)
    registry = ChannelRegistry(volume.directory, on_reload=channel_registry_loaded)
    with caplog.at_level(logging.ERROR, logger="gateway.channels"):
        registry.refresh()
        assert registry.by_phone(victim.phone_number_id) == victim
        assert registry.get(victim.id) == victim
        assert registry.get(attacker.id) is None  # its webhook route answers 404
        assert registry.invalid == (attacker.key,)
        conflict = [r.getMessage() for r in caplog.records if attacker.key in r.getMessage()]
        assert len(conflict) == 1
        assert victim.id in conflict[0] and victim.phone_number_id in conflict[0]
        # Reloads while the conflict lasts (a token rotated elsewhere) do not repeat it.
        volume.write_channels(attacker, victim, A)
        assert registry.refresh() is True and registry.count == 2
        volume.write_channels(attacker, victim, B)
        assert registry.refresh() is True
    assert sum(attacker.key in r.getMessage() for r in caplog.records) == 1
    for secret in ("app-secret-", "access-", "verify-"):
        assert secret not in caplog.text

    # Once the older claim is gone, the newer one is served.
    volume.write_channels(attacker)
    assert registry.refresh() is True
    assert registry.by_phone(attacker.phone_number_id) == attacker
    assert registry.get(attacker.id) == attacker and registry.invalid == ()


@pytest.mark.parametrize(
    ("first", "second", "winner"),
    [
        # The same second: namespace, then name.
        (("zzz", "2025-01-01T00:00:00Z"), ("aaa", "2025-01-01T00:00:00Z"), "aaa"),
        # An entry written before claim times existed loses to one that has one…
        (("aaa", None), ("zzz", "2025-01-01T00:00:00Z"), "zzz"),
        # …and two of those are ordered by namespace, as before.
        (("zzz", None), ("aaa", None), "aaa"),
        # Time zones are times: 01:00+02:00 is before 00:00Z.
        (("zzz", "2025-01-01T01:00:00+02:00"), ("aaa", "2025-01-01T00:00:00Z"), "zzz"),
    ],
)
def test_claims_are_ranked_by_time_then_namespace(
    tmp_path: Path,
    first: tuple[str, str | None],
    second: tuple[str, str | None],
    winner: str,
) -> None:
    entries = [shop(ns, created, ns) for ns, created in (first, second)]
    volume = SecretVolume(tmp_path / "registry")
    volume.write_channels(*entries)
    registry = ChannelRegistry(volume.directory)
    registry.refresh()
    served = registry.by_phone("111000000000007")
    assert served is not None and served.namespace == winner
    assert [c.namespace for c in registry.channels] == [winner]


def test_an_entry_under_another_channels_name_is_refused(tmp_path: Path) -> None:
    volume = SecretVolume(tmp_path / "registry")
    impostor = A.model_copy(update={"phone_number_id": "111000000000009"}).dump_json()
    mismatched = json.loads(B.dump_json())
    mismatched["id"] = "aaa.sales-b"  # not its namespace.name
    volume.write_channels(
        extra={"aaa.sales-a.json": impostor, "aaa.sales-b.json": json.dumps(mismatched)}
    )
    registry = ChannelRegistry(volume.directory)
    registry.refresh()
    assert registry.count == 0
    assert sorted(registry.invalid) == ["aaa.sales-a.json", "aaa.sales-b.json"]


def test_the_claim_time_round_trips_and_old_entries_still_read() -> None:
    entry = claimed(A, "2025-01-02T03:04:05Z")
    assert json.loads(entry.dump_json())["created"] == "2025-01-02T03:04:05Z"
    assert ChannelEntry.model_validate_json(entry.dump_json()) == entry
    assert "created" not in json.loads(A.dump_json())  # as older operators wrote it
    assert ChannelEntry.model_validate_json(A.dump_json()).created is None


def test_a_missing_directory_keeps_the_last_mapping(tmp_path: Path) -> None:
    volume = SecretVolume(tmp_path / "registry")
    registry = ChannelRegistry(tmp_path / "registry")
    volume.write_channels(A)
    registry.refresh()
    os.rename(volume.directory, tmp_path / "moved")
    assert registry.refresh() is False
    assert registry.get(A.id) == A
    os.rename(tmp_path / "moved", volume.directory)
    volume.write_channels(A, B)
    assert registry.refresh() is True
    assert registry.count == 2


async def test_watching_reloads_in_the_background_and_stops(tmp_path: Path) -> None:
    volume = SecretVolume(tmp_path / "registry")
    volume.write_channels(A)
    async with open_registry(volume.directory, reload_s=0.02) as registry:
        assert registry is not None
        assert registry.count == 1  # loaded before the block starts
        volume.write_channels(A, B)
        await wait_for(lambda: registry.get(B.id) is not None, timeout=5, interval=0.01)
        task_names = {t.get_name() for t in asyncio.all_tasks()}
        assert f"channel-registry {volume.directory}" in task_names
    task_names = {t.get_name() for t in asyncio.all_tasks()}
    assert f"channel-registry {volume.directory}" not in task_names
    async with open_registry(None) as nothing:
        assert nothing is None


def test_settings_name_the_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IBBASE_CHANNELS_DIR", str(tmp_path))
    monkeypatch.setenv("IBBASE_CHANNELS_RELOAD_S", "0.5")
    settings = Settings()
    assert settings.channels_dir == tmp_path and settings.channels_reload_s == 0.5
    # In prod a registry makes the single channel optional, but never a placeholder.
    Settings(env="prod", admin_token="a-real-admin-token", channels_dir=tmp_path)
    with pytest.raises(ValueError, match="whatsapp_app_secret"):
        Settings(
            env="prod",
            admin_token="a-real-admin-token",
            channels_dir=tmp_path,
            whatsapp_app_secret="changeme",
        )
    monkeypatch.delenv("IBBASE_CHANNELS_DIR")
    with pytest.raises(ValueError, match="whatsapp_access_token"):
        Settings(env="prod", admin_token="a-real-admin-token")
