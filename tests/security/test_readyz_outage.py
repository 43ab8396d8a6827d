"""/readyz follows what the webhook needs, JetStream, and not the database: a PostgreSQL
outage leaves the gateway ready (Kubernetes keeps it in the Service) and Meta's signed
webhooks answered 200 and stored in the stream, with the database reported down and no
address or secret in the report; a NATS outage makes it unready. Real processes: the
gateway as `ibbase gateway`, nats-server and a PostgreSQL cluster of the test's own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph_sandbox import webhooks as wh
from tests.faults.stack import PHONE_ID, Stack, eventually, open_stack
from tests.services import PostgresCluster

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def pg_cluster() -> Iterator[PostgresCluster]:
    """A cluster of our own, whatever runs on 5432: the test stops and starts it."""
    cluster = PostgresCluster()
    cluster.start()
    yield cluster
    cluster.destroy()


async def readiness(stack: Stack) -> tuple[int, dict[str, Any], str]:
    response = await stack.http.get(f"{stack.gateway_url}/readyz")
    return response.status_code, response.json(), response.text


async def test_readyz_follows_jetstream_not_the_database(
    tmp_path: Path, pg_cluster: PostgresCluster
) -> None:
    async with open_stack(tmp_path, pg_cluster) as stack:
        assert await readiness(stack) == (
            200,
            {"ready": True, "checks": {"jetstream": "ok", "database": "ok"}},
            '{"ready":true,"checks":{"jetstream":"ok","database":"ok"}}',
        )
        database = await stack.http.get(f"{stack.gateway_url}/healthz/database")
        assert (database.status_code, database.json()) == (200, {"database": "ok"})

        pg_cluster.stop("fast")
        status, body, text = await readiness(stack)
        assert status == 200, text
        assert body["ready"] is True and body["checks"]["jetstream"] == "ok"
        assert body["checks"]["database"].startswith("unavailable: "), text
        # The reason is an exception's type, never its message: no host, port, user or URL.
        for secret in (stack.database_url, f":{pg_cluster.port}", "127.0.0.1", "postgres@"):
            assert secret not in text
        database = await stack.http.get(f"{stack.gateway_url}/healthz/database")
        assert database.status_code == 503
        assert database.json() == {"database": body["checks"]["database"]}
        assert (await stack.http.get(f"{stack.gateway_url}/healthz")).status_code == 200

        # Meta's webhooks are taken and stored while the database is down.
        before = await stack.stream_messages()
        ids = []
        for i in range(5):
            message = wh.text_message(f"7900000000{i}", f"during the outage {i}")
            ids.append(message["id"])
            response = await stack.post(wh.envelope(PHONE_ID, messages=[message]))
            assert response.status_code == 200, response.text
            assert response.json() == {"status": "ok", "events": 1}
        info = await stack.js.stream_info(stack.settings.stream)
        assert int(info.state.messages) == before + len(ids)
        stored = [
            (await stack.js.get_msg(stack.settings.stream, seq)).data
            for seq in range(int(info.state.last_seq) - len(ids) + 1, int(info.state.last_seq) + 1)
        ]
        assert all(msg_id.encode() in data for msg_id, data in zip(ids, stored, strict=True))

        # JetStream is what the webhook needs: without it the gateway is not ready.
        stack.nats.stop()
        status, body, text = await readiness(stack)
        assert status == 503, text
        assert body["ready"] is False
        assert body["checks"]["jetstream"].startswith("unavailable: "), text
        assert body["checks"]["database"].startswith("unavailable: "), text
        message = wh.text_message("79000000009", "while NATS is down")
        assert (await stack.post(wh.envelope(PHONE_ID, messages=[message]))).status_code == 503

        # Both back: ready again, on its own, with both checks ok.
        stack.nats.start()
        pg_cluster.start()

        async def recovered() -> bool:
            status, body, _ = await readiness(stack)
            return status == 200 and body["checks"] == {"jetstream": "ok", "database": "ok"}

        await eventually(recovered, 60, "/readyz recovers with NATS and PostgreSQL", stack)
