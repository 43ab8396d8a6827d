"""Sender policies: who may add to a channel's CRM, from the channel's own rules or the
installation's settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from gateway.channels import ChannelRegistry
from gateway.settings import Settings
from gateway.whatsapp.graph_clients import GraphClients
from gateway.whatsapp.senders import SenderPolicy
from gateway.whatsapp.users import Sender
from gateway.worker_context import WorkerContext
from tests.gateway.channel_volume import SecretVolume, make_channel
from whatsapp_cloud.registry import SenderRules


def sender(wa_id: str) -> Sender:
    return Sender(user_key=f"wa:{wa_id}", bsuid=None, wa_id=wa_id, profile_name=None)


def test_open_and_allowlist_policies() -> None:
    anyone = SenderPolicy.of("open", [], 0)
    assert anyone.may_add(sender("79000000001")) and not anyone.shared_crm
    assert not anyone.over_quota(10_000)  # 0: no cap
    staff = SenderPolicy.of("allowlist", ["+7 (900) 000-00-01"], 3)
    assert staff.may_add(sender("79000000001")) and staff.shared_crm
    assert not staff.may_add(sender("79000000002"))
    assert not staff.may_add(Sender(user_key="bsuid:x", bsuid="x", wa_id=None, profile_name=None))
    assert not staff.over_quota(2) and staff.over_quota(3)
    with pytest.raises(ValueError, match="open, allowlist"):
        SenderPolicy.of("everyone", [], 1)


async def test_a_channels_own_rules_win_over_the_installations(tmp_path: Path) -> None:
    own = make_channel("own", phone_number_id="111000000000001", business_account_id="2110")
    own = own.model_copy(
        update={
            "senders": SenderRules(policy="allowlist", allowlist=["79000000001"]),
            "contact_card": "never",
        }
    )
    plain = make_channel("plain", phone_number_id="111000000000002", business_account_id="2111")
    volume = SecretVolume(tmp_path / "registry")
    volume.write_channels(own, plain)
    registry = ChannelRegistry(volume.directory)
    registry.refresh()
    settings = Settings(sender_policy="open", sender_cards_per_hour=7)
    graphs = GraphClients(
        api_url="http://127.0.0.1:8081/v25.0",
        phone_number_id="106540352242922",
        access_token=SecretStr("t"),
        registry=registry,
    )
    ctx = WorkerContext(settings, None, graphs, None, None, None)  # type: ignore[arg-type]
    try:
        assert ctx.sender_policy(own.id).mode == "allowlist"
        assert not ctx.sender_policy(own.id).may_add(sender("79000000002"))
        assert ctx.sender_policy(plain.id) == SenderPolicy.of("open", [], 7)
        assert ctx.sender_policy("default") == SenderPolicy.of("open", [], 7)
        # The contact card's moment: the channel's own choice, else the installation's.
        assert ctx.contact_card(own.id) == "never"
        assert ctx.contact_card(plain.id) == ctx.contact_card("default") == "on_confirm"
    finally:
        await graphs.aclose()
