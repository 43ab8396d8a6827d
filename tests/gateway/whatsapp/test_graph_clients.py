"""Which Graph client answers for which event: the channel whose route received it, when
the event's number is that channel's; one client per channel and one connection pool per
Graph origin."""

from pathlib import Path

import pytest
from pydantic import SecretStr

from gateway.channels import ChannelRegistry
from gateway.whatsapp.graph_clients import GraphClients, UnknownChannel
from tests.gateway.channel_volume import SecretVolume, make_channel

SINGLE_PHONE = "106540352242922"


def channel(name: str, phone: str, url: str, token: str = "token-1"):
    return make_channel(
        name,
        phone_number_id=phone,
        business_account_id="2" + phone[1:],
        graph_api_url=url,
        access_token=token,
    )


async def test_channels_are_chosen_by_route_and_number_and_follow_the_registry(
    tmp_path: Path,
) -> None:
    a = channel("a", "111000000000001", "https://graph.facebook.com/v25.0", "token-a-1")
    b = channel("b", "111000000000002", "https://graph.facebook.com/v25.0")
    c = channel("c", "111000000000003", "https://graph.example.test/v25.0")
    volume = SecretVolume(tmp_path / "registry")
    volume.write_channels(a, b, c)
    registry = ChannelRegistry(volume.directory)
    registry.refresh()
    graphs = GraphClients(
        api_url="http://127.0.0.1:8081/v25.0",
        phone_number_id=SINGLE_PHONE,
        access_token=SecretStr("single-token"),
        registry=registry,
    )
    try:
        client_a = graphs.for_phone(a.phone_number_id, a.id)
        assert graphs.for_phone(a.phone_number_id, a.id) is client_a  # one client per channel
        client_b = graphs.for_phone(b.phone_number_id, b.id)
        client_c = graphs.for_phone(c.phone_number_id, c.id)
        assert len({id(client_a), id(client_b), id(client_c), id(graphs.single)}) == 4
        assert client_a._http is client_b._http  # same Graph origin: one connection pool
        assert client_c._http is not client_a._http
        assert graphs.for_phone(SINGLE_PHONE) is graphs.single
        assert graphs.for_phone("") is graphs.single  # events that name no number, as before
        assert graphs.for_phone("", a.id) is client_a  # …unless their route named a channel
        with pytest.raises(UnknownChannel, match="199999999999999"):
            graphs.for_phone("199999999999999")
        # The single route never speaks for a registry channel's number, and a channel's
        # route never for another channel's: the route and the number must agree.
        with pytest.raises(UnknownChannel, match="single-channel"):
            graphs.for_phone(a.phone_number_id)
        with pytest.raises(UnknownChannel, match=b.phone_number_id):
            graphs.for_phone(b.phone_number_id, a.id)
        with pytest.raises(UnknownChannel):
            graphs.for_phone(SINGLE_PHONE, a.id)

        # A rotated token is read at the next call; a new Graph version gets a new client.
        assert client_a._secret() == "token-a-1"
        moved = channel("a", a.phone_number_id, "https://graph.facebook.com/v26.0", "token-a-2")
        volume.write_channels(moved, b, c)
        registry.refresh()
        assert client_a._secret() == "token-a-2"
        assert graphs.for_phone(a.phone_number_id, a.id) is not client_a
        # A channel removed from the registry: its number is no longer served.
        volume.write_channels(b, c)
        registry.refresh()
        with pytest.raises(UnknownChannel):
            graphs.for_phone(a.phone_number_id, a.id)
    finally:
        await graphs.aclose()


async def test_without_a_registry_only_the_single_channel_is_served() -> None:
    graphs = GraphClients(
        api_url="http://127.0.0.1:8081/v25.0",
        phone_number_id=SINGLE_PHONE,
        access_token=SecretStr("single-token"),
    )
    try:
        assert graphs.for_phone(SINGLE_PHONE) is graphs.single
        with pytest.raises(UnknownChannel):
            graphs.for_phone("111000000000001")
    finally:
        await graphs.aclose()
    with pytest.raises(ValueError, match="pinned"):
        GraphClients(api_url="http://x/", phone_number_id="1", access_token=SecretStr("t"))
