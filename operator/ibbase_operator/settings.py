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
    # Level-based resync: every channel is re-checked this often against the cluster
    # (children, certificate, registry entry, token and rotation schedules).
    resync_interval_s: float = 60.0
    # How often a channel's registration is read back from Meta to notice drift (Meta
    # dropped a subscription). Every management call counts against Meta's per-app, per-WABA
    # hourly limit (200 an hour for a WABA without a registered number), so this is much
    # rarer than the resync: None = 10 resyncs (600 s by default). Each check is moved by up
    # to ±drift_jitter of the interval so that channels created together do not check
    # together.
    drift_interval_s: float | None = None
    drift_jitter: float = Field(default=0.2, ge=0.0, lt=1.0)
    # At most this many Meta calls an hour for drift checks on one (app, WABA); a check that
    # would exceed it is skipped until the budget refills.
    drift_calls_per_hour: int = Field(default=20, ge=0)
    # Backoff for temporary failures (Meta 5xx/429, webhook not reachable yet).
    backoff_base_s: float = 2.0
    backoff_max_s: float = 300.0
    # Deletion: after this many failed attempts to remove a registration at Meta the channel
    # says so (condition Deleting=False, a Warning event); the finalizer stays and the
    # attempts go on at the backoff's pace until Meta confirms, or until the annotation
    # ibbase.io/abandon-registration: "true" lets the channel go.
    delete_attempts: int = 5
    # /healthz and /metrics on this port; 0 turns them off.
    health_port: int = 8080
    # Leader election over a coordination.k8s.io Lease, so that two replicas (a rollout, a
    # partitioned node) never reconcile at once: only the holder runs kopf. The Lease lives
    # in lease_namespace (None: registry_namespace, the release's namespace). The chart
    # turns it on (operator.leaderElection); off, one process is trusted to run alone.
    leader_election: bool = False
    lease_name: str = "ibbase-operator"
    lease_namespace: str | None = None
    # client-go's defaults: a lease not renewed for lease_duration_s may be taken over; the
    # leader renews every lease_retry_s and gives up (stops) when it could not renew for
    # lease_renew_deadline_s; a standby retries every lease_retry_s.
    lease_duration_s: float = 15.0
    lease_renew_deadline_s: float = 10.0
    lease_retry_s: float = 2.0

    def backoff(self, attempt: int) -> float:
        """Seconds before retry ``attempt`` (0-based) of a temporary failure: doubling from
        ``backoff_base_s``, capped at ``backoff_max_s``."""
        return min(self.backoff_max_s, self.backoff_base_s * 2.0 ** min(attempt, 20))

    @property
    def drift_every_s(self) -> float:
        return self.drift_interval_s or 10 * self.resync_interval_s

    @property
    def lease_ns(self) -> str:
        return self.lease_namespace or self.registry_namespace
