"""The operator's process settings, validated once at start-up (env prefix IBBASE_OPERATOR_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class OperatorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IBBASE_OPERATOR_", extra="ignore")

    # Which namespaces to watch: a list, or none for the whole cluster.
    namespaces: list[str] = Field(default_factory=list)
    # Where the channel registry Secret lives: the namespace of the gateway and the worker.
    registry_namespace: str = "ibbase"
    registry_secret: str = "ibbase-channels"
    # Meta's Graph API root (the version comes from each channel's spec).
    graph_url: str = "https://graph.facebook.com"
    graph_timeout_s: float = 15.0
    # How the operator checks that a webhook answers Meta's challenge over TLS before it
    # registers it. Defaults are the public internet; tests point them at a local CA/server.
    probe_ca_bundle: str | None = None
    probe_resolve: dict[str, str] = Field(default_factory=dict)
    probe_timeout_s: float = 10.0
    # Level-based resync: every channel is re-checked this often (drift, tokens, rotation).
    resync_interval_s: float = 60.0
    # Backoff for temporary failures (Meta 5xx/429, webhook not reachable yet).
    backoff_base_s: float = 2.0
    backoff_max_s: float = 300.0
    # Deletion: how many attempts to remove a registration at Meta before letting go with a
    # Warning event that names what is left behind.
    delete_attempts: int = 5
    # Liveness endpoint of kopf (/healthz); 0 turns it off.
    health_port: int = 8080

    def backoff(self, attempt: int) -> float:
        """Seconds before retry ``attempt`` (0-based) of a temporary failure: doubling from
        ``backoff_base_s``, capped at ``backoff_max_s``."""
        return min(self.backoff_max_s, self.backoff_base_s * 2.0 ** min(attempt, 20))
