"""Process settings, validated once at start-up and passed down. Library code never reads
the environment. The WhatsApp variables keep the names ibbase users already know."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urlsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from whatsapp_cloud.client import META_MEDIA_HOSTS, MediaHosts

PLACEHOLDERS = {"", "changeme", "change-me", "secret", "token", "xxx", "test", "dev"}


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


def _string_list(value: Any) -> Any:
    """A list setting as the environment gives it: a JSON list or comma-separated values;
    blanks dropped. Anything else is left to pydantic to refuse."""
    if isinstance(value, str):
        text = value.strip()
        value = json.loads(text) if text.startswith("[") else text.split(",")
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return value


class Settings(BaseSettings):
    # hide_input_in_errors: a validation error would otherwise echo the raw input, secrets
    # and the database URL's password included.
    model_config = SettingsConfigDict(
        env_prefix="IBBASE_", extra="ignore", populate_by_name=True, hide_input_in_errors=True
    )

    env: Literal["dev", "prod"] = "dev"

    # WhatsApp Cloud API (single channel; several channels come from the channel registry)
    whatsapp_api_url: str = Field(
        "http://127.0.0.1:8081/v25.0", validation_alias=_env("WHATSAPP_API_URL")
    )
    whatsapp_phone_id: str = Field("100000000000001", validation_alias=_env("WHATSAPP_PHONE_ID"))
    # The single route accepts events for WHATSAPP_PHONE_ID only, and, when this is set, for
    # this WhatsApp Business Account only: one app secret signs for every number of the app.
    whatsapp_business_account_id: str = Field(
        "", validation_alias=_env("WHATSAPP_BUSINESS_ACCOUNT_ID")
    )
    whatsapp_access_token: SecretStr = Field(
        SecretStr(""), validation_alias=_env("WHATSAPP_ACCESS_TOKEN")
    )
    whatsapp_verify_token: SecretStr = Field(
        SecretStr(""), validation_alias=_env("WHATSAPP_VERIFY_TOKEN")
    )
    whatsapp_app_secret: SecretStr = Field(
        SecretStr(""), validation_alias=_env("WHATSAPP_APP_SECRET")
    )
    # Who may add cards and shared contacts (gateway/whatsapp/senders.py): "open" (anyone;
    # each sender's contacts are their own) or "allowlist" (only these wa_ids/phones, into
    # one shared CRM; others get a polite refusal); and a cap per sender per hour (0: none).
    sender_policy: Literal["open", "allowlist"] = "open"
    sender_allowlist: Annotated[list[str], NoDecode] = []
    sender_cards_per_hour: int = Field(60, ge=0)
    # Photos of one sender within this many seconds are sides of one card (a caption such as
    # "оборот"/"back" says so within card_back_window_s); 0 turns the window off.
    card_sides_window_s: float = Field(60.0, ge=0)
    card_back_window_s: float = Field(3600.0, ge=0)
    # When the contact goes back as a WhatsApp contact card: on ✅ (confirm), at once with
    # the card's reply (immediately), or never.
    contact_card: Literal["on_confirm", "immediately", "never"] = "on_confirm"
    # Retention (gateway/retention.py): card photos and raw inbound events older than this
    # many days are purged by the worker, checked every retention_check_s; 0 keeps them.
    retain_photos_days: int = Field(0, ge=0)
    retain_events_days: int = Field(0, ge=0)
    retention_check_s: float = Field(3600.0, gt=0)
    # The bootstrap admin token; more tokens, scoped and revocable: `ibbase admin token`.
    admin_token: SecretStr = Field(SecretStr(""), validation_alias=_env("IBBASE_ADMIN_TOKEN"))
    # Admin and contacts API rate limits, per gateway process (never the webhook): a token
    # bucket per API token, and one per client address for failed authentications.
    api_rate_per_s: float = Field(10.0, ge=0)  # 0 turns the limit off
    api_rate_burst: int = Field(50, ge=1)
    api_failed_auth_per_s: float = Field(0.5, ge=0)
    api_failed_auth_burst: int = Field(10, ge=1)
    # Proxies (addresses or CIDRs, e.g. the ingress controller's pod network) whose
    # X-Forwarded-For names the client; none: the peer's own address is the client's.
    trusted_proxies: Annotated[list[str], NoDecode] = []
    # Browser origins allowed to call the API (CORS); none by default. JSON list or commas.
    cors_origins: Annotated[list[str], NoDecode] = []
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # The operator's channel registry, mounted as a directory (no subPath): one
    # {namespace}.{name}.json per channel; re-read when it changes (polled every
    # channels_reload_s). None: the single channel above only.
    channels_dir: Path | None = None
    channels_reload_s: float = Field(1.0, gt=0)

    database_url: str = Field("sqlite:///.run/ibbase.db", validation_alias=_env("DATABASE_URL"))
    nats_url: str = Field("nats://127.0.0.1:4222", validation_alias=_env("NATS_URL"))
    # IBBASE_STREAM: outside tools count what arrived in this stream.
    stream: str = "WHATSAPP"
    subject_prefix: str = "whatsapp.inbound"
    dlq_stream: str = "WHATSAPP_DLQ"
    dlq_subject_prefix: str = "whatsapp.dlq"
    stream_max_age_s: float = 7 * 24 * 3600
    dedup_window_s: float = 120
    publish_timeout_s: float = 2.0
    # JetStream limits (0 or less: none). A full stream refuses new events instead of
    # dropping its oldest (gateway/jetstream.py says why). Per subject, i.e. per channel and
    # event kind (<prefix>.<phone_number_id>.<kind>), over stream_max_age_s: one channel at
    # its limit is refused alone and cannot fill the stream for the others.
    stream_max_bytes: int = 2 * 1024**3
    stream_max_msgs_per_subject: int = 250_000
    dlq_max_bytes: int = 512 * 1024**2
    # Copies of each stream (and of the worker's consumer) across a JetStream cluster: 3
    # survives the loss of one node. More than 1 needs a clustered nats-server.
    stream_replicas: int = Field(1, ge=1, le=5)

    host: str = "127.0.0.1"
    port: int = Field(8000, validation_alias=_env("IBBASE_PORT"))
    max_body_bytes: int = 1_000_000  # Meta's payloads are a few KB; this is generous
    # Every other request body (the admin and contacts API), refused before authentication.
    # The largest legitimate one, a send of 4096 characters each escaped as \uXXXX\uXXXX,
    # is under 50 KiB.
    api_max_body_bytes: int = Field(64 * 1024, gt=0)

    # worker
    consumer: str = "ibbase-worker"
    worker_concurrency: int = 4
    # Slots of worker_concurrency one channel may hold at once; 0: all but one.
    worker_channel_concurrency: int = Field(0, ge=0)
    ack_wait_s: float = 60
    max_deliver: int = 5
    retry_backoff_s: list[float] = [1, 5, 30, 120]
    max_media_bytes: int = 16 * 1024 * 1024  # WhatsApp's own limit for images is 5 MB
    ocr_tessdata: str | None = None
    # Read cards on the Ray Serve OCR cluster instead of in-process when set.
    ocr_url: str | None = Field(None, validation_alias=_env("OCR_URL"))
    ocr_max_in_flight: int = 8
    card_read_timeout_s: float = 60
    worker_metrics_port: int = 9101  # the worker's /metrics; 0 turns it off

    # Media are downloaded, with the access token, only from these hosts besides each
    # channel's own Graph API host: host, host:port, or .example.com for any host under it
    # (JSON list or commas). Database timeouts, on every connection; 0: none.
    whatsapp_media_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(META_MEDIA_HOSTS),
        validation_alias=_env("WHATSAPP_MEDIA_HOSTS"),
    )
    database_connect_timeout_s: float = Field(5.0, ge=0)
    database_statement_timeout_s: float = Field(15.0, ge=0)
    database_idle_in_transaction_timeout_s: float = Field(60.0, ge=0)

    @field_validator("whatsapp_media_hosts", mode="before")
    @classmethod
    def _media_hosts(cls, value: Any) -> Any:
        hosts = _string_list(value)
        if isinstance(hosts, list):
            MediaHosts(hosts, api_url="")  # ValueError for an entry that is no host
        return hosts

    @field_validator("sender_allowlist", "trusted_proxies", mode="before")
    @classmethod
    def _strings(cls, value: Any) -> Any:
        return _string_list(value)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: Any) -> Any:
        origins = _string_list(value)
        if isinstance(origins, list):
            origins = [o.rstrip("/") for o in origins]
            for origin in origins:
                # A browser's Origin is scheme://host[:port]; a path never matches.
                if origin != "*" and (
                    not origin.startswith(("http://", "https://")) or "/" in origin.split("//")[1]
                ):
                    raise ValueError(f"{origin!r} is not an origin like https://crm.example.com")
        return origins

    def secret_values(self) -> list[str]:
        """Every configured secret, for the log redactor: tokens, app secret, DB password."""
        values = [
            s.get_secret_value()
            for s in (
                self.whatsapp_access_token,
                self.whatsapp_verify_token,
                self.whatsapp_app_secret,
                self.admin_token,
            )
        ]
        # NATS_URL may list servers, each nats://user:password@host:port.
        for url in (self.database_url, *self.nats_url.split(",")):
            password = urlsplit(url.strip()).password
            if password:
                values += [password, unquote(password)]
        return [v for v in values if v]

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.env == "prod":
            for name in (
                "whatsapp_access_token",
                "whatsapp_verify_token",
                "whatsapp_app_secret",
                "admin_token",
            ):
                value: SecretStr = getattr(self, name)
                secret = value.get_secret_value().strip()
                # With a channel registry the single channel is optional: unset is fine,
                # a placeholder is not.
                if self.channels_dir is not None and name != "admin_token" and not secret:
                    continue
                if secret.lower() in PLACEHOLDERS:
                    raise ValueError(f"{name} must be set to a real secret when IBBASE_ENV=prod")
        return self
