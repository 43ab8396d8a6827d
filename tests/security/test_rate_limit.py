"""Rate limits of the admin and contacts API: a token bucket per API token, one per client
address for failed authentications; 429 with Retry-After; never on the webhook."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gateway.auth.service import create_token
from gateway.auth.tokens import Scope
from gateway.db import make_engine, make_sessionmaker, transaction
from gateway.ratelimit import TokenBuckets, retry_after
from tests.harness import admin_headers

# The refill is so slow (one request per 1000 s) that no test can see one: no timing.
LIMITS = dict(
    api_rate_per_s=0.001, api_rate_burst=3, api_failed_auth_per_s=0.001, api_failed_auth_burst=2
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_then_refills_at_the_rate() -> None:
    clock = Clock()
    buckets = TokenBuckets(rate=2.0, burst=3, clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(0.5)  # one more in half a second
    assert buckets.take("b") == 0.0  # every key has its own bucket
    clock.now += 0.25
    assert buckets.take("a") == pytest.approx(0.25)  # a refused request spends nothing
    clock.now += 0.25
    assert buckets.take("a") == 0.0
    clock.now += 3600
    assert [buckets.take("a") for _ in range(4)][-1] > 0  # never more than the burst


def test_bucket_off_and_bounded() -> None:
    assert TokenBuckets(rate=0, burst=1).take("x") == 0.0  # rate 0: no limit
    clock = Clock()
    buckets = TokenBuckets(rate=1.0, burst=2, clock=clock, max_keys=100)
    for i in range(1000):
        buckets.take(f"client:{i}")
    assert len(buckets._buckets) <= 100
    assert retry_after(0.01) == "1" and retry_after(2.2) == "3"


@pytest.fixture
def limited(start_gateway):
    return start_gateway(**LIMITS)


def contacts_url(pipeline) -> str:
    return f"{pipeline.gateway.url}/api/contacts"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_each_token_has_its_own_bucket(limited, database_url) -> None:
    engine = make_engine(database_url)
    with transaction(make_sessionmaker(engine)) as session:
        viewer, _ = create_token(
            session, name="viewer", scope=Scope.VIEWER, channels=None, expires_in=timedelta(days=1)
        )
    engine.dispose()
    admin = admin_headers(limited.settings)
    for _ in range(3):
        assert (await limited.http.get(contacts_url(limited), headers=admin)).status_code == 200
    refused = await limited.http.get(contacts_url(limited), headers=admin)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["retry-after"]) >= 1
    send = await limited.http.post(
        f"{limited.gateway.url}/api/whatsapp/send",
        json={"to": "79001234567", "message": "hi"},
        headers=admin,
    )
    assert send.status_code == 429  # one bucket per token, across routes
    other = {"Authorization": f"Bearer {viewer.value}"}
    assert (await limited.http.get(contacts_url(limited), headers=other)).status_code == 200


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_failed_authentications_are_limited_per_client(limited) -> None:
    wrong = {"Authorization": "Bearer guess"}
    for _ in range(2):
        assert (await limited.http.get(contacts_url(limited), headers=wrong)).status_code == 401
    refused = await limited.http.get(contacts_url(limited), headers=wrong)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert (await limited.http.get(contacts_url(limited))).status_code == 429  # no token either
    # The limit comes before the token lookup: a locked-out address learns nothing more,
    # not even that a token is valid, until its Retry-After has passed.
    ok = await limited.http.get(contacts_url(limited), headers=admin_headers(limited.settings))
    assert ok.status_code == 429


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_behind_a_trusted_proxy_each_client_has_its_own_limit(start_gateway) -> None:
    """Behind an ingress controller every request comes from its address: the client is the
    one X-Forwarded-For names, believed only from the proxies in IBBASE_TRUSTED_PROXIES."""
    behind = start_gateway(**LIMITS, trusted_proxies="127.0.0.1/32")
    url, wrong = contacts_url(behind), {"Authorization": "Bearer guess"}

    def via(client: str) -> dict[str, str]:
        return {**wrong, "X-Forwarded-For": client}

    for _ in range(2):
        assert (await behind.http.get(url, headers=via("203.0.113.5"))).status_code == 401
    assert (await behind.http.get(url, headers=via("203.0.113.5"))).status_code == 429
    assert (await behind.http.get(url, headers=via("203.0.113.6"))).status_code == 401
    admin = {**admin_headers(behind.settings), "X-Forwarded-For": "203.0.113.7"}
    assert (await behind.http.get(url, headers=admin)).status_code == 200

    # Without trust, X-Forwarded-For is the client's own claim: a new one each time buys
    # no new attempts.
    direct = start_gateway(**LIMITS)
    url = contacts_url(direct)
    answers = [
        (await direct.http.get(url, headers=via(f"198.51.100.{i}"))).status_code for i in range(4)
    ]
    assert answers == [401, 401, 429, 429]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_webhook_is_never_rate_limited(limited) -> None:
    admin = admin_headers(limited.settings)
    wrong = {"Authorization": "Bearer guess"}
    for headers in [admin] * 4 + [wrong] * 3:  # both API buckets empty
        await limited.http.get(contacts_url(limited), headers=headers)
    user = limited.user()
    for i in range(10):
        await user.send_text(f"/status {i}")  # raises unless 200
    for _ in range(5):
        bad = await limited.http.post(
            limited.webhook, content=b"{}", headers={"X-Hub-Signature-256": "sha256=00"}
        )
        assert bad.status_code == 403
        handshake = await limited.http.get(
            limited.webhook,
            params={"hub.mode": "subscribe", "hub.verify_token": "no", "hub.challenge": "1"},
        )
        assert handshake.status_code == 403
    assert (await limited.http.get(f"{limited.gateway.url}/healthz")).status_code == 200
