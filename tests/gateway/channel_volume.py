"""The channel registry Secret as the kubelet mounts it, for tests that have no kubelet:
written with :func:`tests.kubelet.project`, the kubelet's atomic layout."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import SecretStr

from tests.kubelet import project
from whatsapp_cloud.registry import ChannelEntry, channel_id, webhook_path


class SecretVolume:
    def __init__(self, directory: Path):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)

    def write(self, data: Mapping[str, bytes | str]) -> None:
        """Replace the whole Secret's content, atomically for a reader of ``..data``."""
        project(
            self.directory, {k: v.encode() if isinstance(v, str) else v for k, v in data.items()}
        )

    def write_channels(
        self, *channels: ChannelEntry, extra: Mapping[str, bytes | str] | None = None
    ) -> None:
        """The registry Secret as the operator writes it: one ``{id}.json`` per channel,
        plus ``extra`` keys as they are."""
        data: dict[str, bytes | str] = {c.key: c.dump_json() for c in channels}
        data.update(extra or {})
        self.write(data)


def make_channel(
    name: str,
    *,
    phone_number_id: str,
    business_account_id: str,
    graph_api_url: str = "http://127.0.0.1:9/v25.0",
    verify_tokens: tuple[str, ...] = ("verify-current",),
    app_secret: str = "app-secret",
    access_token: str = "access-token",
    namespace: str = "crm",
) -> ChannelEntry:
    cid = channel_id(namespace, name)
    return ChannelEntry(
        id=cid,
        namespace=namespace,
        name=name,
        phone_number_id=phone_number_id,
        business_account_id=business_account_id,
        app_id="900000000000001",
        graph_api_url=graph_api_url,
        webhook_path=webhook_path(cid),
        verify_tokens=[SecretStr(t) for t in verify_tokens],
        app_secret=SecretStr(app_secret),
        access_token=SecretStr(access_token),
    )


# Two channels on different WABAs and app secrets: what the multi-channel tests share.
CHANNEL_A = make_channel(
    "sales-a",
    phone_number_id="111000000000001",
    business_account_id="211000000000001",
    verify_tokens=("verify-a-1",),
    app_secret="app-secret-a",
    access_token="access-a-1",
)
CHANNEL_B = make_channel(
    "sales-b",
    phone_number_id="111000000000002",
    business_account_id="211000000000002",
    verify_tokens=("verify-b-1",),
    app_secret="app-secret-b",
    access_token="access-b-1",
)
