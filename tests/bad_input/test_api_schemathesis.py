"""Schemathesis against the gateway's own OpenAPI document: every operation, positive and
negative generated requests, sent over real HTTP to the real app (uvicorn with its
lifespan: real JetStream, PostgreSQL, the Graph API sandbox). Never a 5xx, and the gateway
logs no error.

The admin and contacts API get a valid admin token (and the rate limit is off) so that the
requests reach the handlers and the database; contacts exist so that ids resolve; webhook
bodies are signed with the right secret half of the time so that they reach the parser;
the registry channel's routes are exercised with its real id as well as generated ones.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from gateway.contacts.schemas import ContactFields
from gateway.contacts.service import upsert_contact
from gateway.db import make_engine, make_sessionmaker, transaction
from gateway.settings import Settings
from graph_sandbox import webhooks as wh
from ibbase_dev.nats_server import NatsServer
from tests.bad_input.support import RAN, examples, tally
from tests.conftest import SANDBOX_PHONE_ID, SANDBOX_TOKEN
from tests.gateway.channel_volume import CHANNEL_A, SecretVolume
from tests.harness import ServerThread, pipeline_settings

DATA = Path(__file__).resolve().parents[1] / "data" / "whatsapp"
# Generated requests per operation and mode. Webhook bodies are deep documents and slow to
# generate (~0.1 s each): fewer of them, the parser's own properties cover it in depth.
EXAMPLES = 30
WEBHOOK_EXAMPLES = 12

CONTACTS = [
    ContactFields(
        name="Добровольская Людмила Петровна",
        company='ООО «Вектор; Групп», "A\\B"',
        phones=["+74956379106"],
        emails=["l.d@vektor.example.ru"],
        websites=["vektor.example.ru/путь?q=1"],
        address="г. Москва,\nул. Ленина, д. 5",
    ),
    ContactFields(name="Joseph T. Mitchell", title="CTO", emails=["jo@example.com"]),
    ContactFields(company="x" * 256, qr="BEGIN:VCARD\nFN:😀\nEND:VCARD"),
]


@dataclass
class Api:
    settings: Settings
    server: ServerThread
    contact_ids: list[int]


@pytest.fixture
async def api(
    nats_server: NatsServer, database_url: str, sandbox: ServerThread, tmp_path: Path
) -> AsyncIterator[Api]:
    volume = SecretVolume(tmp_path / "registry")
    volume.write_channels(CHANNEL_A)
    settings = pipeline_settings(
        nats_url=nats_server.url,
        database_url=database_url,
        api_url=f"{sandbox.url}/v25.0",
        phone_id=SANDBOX_PHONE_ID,
        access_token=SANDBOX_TOKEN,
        channels_dir=volume.directory,
        api_rate_per_s=0,  # the rate limit would answer 429 before the handlers run
        api_failed_auth_per_s=0,
    )
    engine = make_engine(database_url)
    with transaction(make_sessionmaker(engine)) as session:
        ids = [upsert_contact(session, c, owner_id=None, source="card")[0].id for c in CONTACTS]
    engine.dispose()
    from gateway.app import create_app

    server = ServerThread(create_app(settings)).start()
    async with httpx.AsyncClient() as http:
        await http.delete(f"{sandbox.url}/sandbox/faults")
    yield Api(settings=settings, server=server, contact_ids=ids)
    server.stop()


def _body_bytes(kwargs: dict[str, Any]) -> bytes:
    """The body schemathesis would send, as bytes (to be signed and sent as they are)."""
    if "json" in kwargs:
        return json.dumps(kwargs.pop("json")).encode()
    data = kwargs.pop("data", b"")
    if isinstance(data, str):
        return data.encode()
    return data if isinstance(data, bytes) else json.dumps(data).encode()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_no_generated_request_is_a_server_error(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    base = api.server.url
    raw = requests.get(f"{base}/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(raw)
    admin = {"Authorization": f"Bearer {api.settings.admin_token.get_secret_value()}"}
    secrets = {
        "/api/whatsapp/webhook": api.settings.whatsapp_app_secret.get_secret_value(),
        "/api/whatsapp/webhook/{channel_id}": CHANNEL_A.app_secret.get_secret_value(),
    }
    statuses: Counter[str] = Counter()
    failures: list[str] = []
    results = list(schema.get_all_operations())
    assert all(isinstance(r, Ok) for r in results), [r for r in results if not isinstance(r, Ok)]
    operations = [r.ok() for r in results if isinstance(r, Ok)]
    session = requests.Session()

    def send(case: Any, sign: bool) -> requests.Response:
        kwargs = case.as_transport_kwargs(base_url=base, headers=admin)
        secret = secrets.get(case.operation.path)
        if case.method.upper() == "POST" and secret is not None:
            body = kwargs["data"] = _body_bytes(kwargs)
            if sign:
                kwargs["headers"]["X-Hub-Signature-256"] = wh.sign(body, secret)
        return session.request(**kwargs, timeout=30, allow_redirects=False)

    def run(operation: Any, mode: GenerationMode, n: int, **fixed: Any) -> None:
        label = f"{operation.label} [{mode.value}{', ' + str(fixed) if fixed else ''}]"

        @examples(n)
        @given(operation.as_strategy(generation_mode=mode, **fixed), st.booleans())
        def check(case: Any, sign: bool) -> None:
            tally("schemathesis: generated requests")
            try:
                response = send(case, sign)
            except requests.ConnectionError as exc:  # the server dropped the connection
                failures.append(f"{label}: {exc!r} {case.as_curl_command()[:300]}")
                return
            statuses[f"{operation.label} {response.status_code}"] += 1
            if response.status_code >= 500:
                failures.append(f"{label}: {response.status_code} {case.as_curl_command()[:300]}")

        try:
            check()
        except Unsatisfiable:  # nothing to vary (no parameters): one plain request
            response = session.get(f"{base}{operation.path}", timeout=30)
            tally("schemathesis: generated requests")
            statuses[f"{operation.label} {response.status_code}"] += 1
            if response.status_code >= 500:
                failures.append(f"{label}: {response.status_code} {response.text[:200]}")

    for operation in operations:
        is_webhook_post = operation.method.upper() == "POST" and "webhook" in operation.path
        n = WEBHOOK_EXAMPLES if is_webhook_post else EXAMPLES
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run(operation, mode, n)
        # The same with ids that exist, so that the handlers go all the way.
        if "{channel_id}" in operation.path:
            run(operation, GenerationMode.POSITIVE, n, path_parameters={"channel_id": CHANNEL_A.id})
        if "{contact_id}" in operation.path:
            for contact_id in api.contact_ids:
                run(
                    operation,
                    GenerationMode.POSITIVE,
                    3,
                    path_parameters={"contact_id": contact_id},
                )

    # Generated bodies seldom survive the parser's checks (a derandomized run may sign none
    # that does): real-shaped ones, signed, must go all the way to JetStream as well.
    for name in ("message_text.json", "message_image.json", "status_delivered.json"):
        body = (DATA / name).read_bytes()
        signature = wh.sign(body, secrets["/api/whatsapp/webhook"])
        response = session.post(
            f"{base}/api/whatsapp/webhook",
            data=body,
            headers={"X-Hub-Signature-256": signature, "content-type": "application/json"},
            timeout=30,
        )
        statuses[f"POST /api/whatsapp/webhook {response.status_code}"] += 1

    RAN["schemathesis: operations"] = len(operations)
    RAN["schemathesis: server errors (5xx) and dropped connections"] = len(failures)
    print(f"\nschemathesis: {len(operations)} operations, {statuses.total()} requests")
    for key, value in sorted(statuses.items()):
        print(f"  {key}: {value}")
    assert not failures, "\n".join(failures[:20])
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors[:5]
    # The deep paths were reached: contacts found and vCards served with the admin token,
    # signed events published.
    for expected in (
        "GET /api/contacts/{contact_id} 200",
        "GET /api/contacts/{contact_id}/vcard 200",
        "POST /api/whatsapp/webhook 200",
    ):
        assert statuses[expected] > 0, expected


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
@pytest.mark.parametrize(
    "path",
    [
        "/api/contacts/2147483648",  # past a 32-bit id
        "/api/contacts/99999999999999999999999999/vcard",
        "/api/contacts/-1",
        "/api/contacts?offset=100000000000000000000000",
        "/api/contacts?q=%00&offset=9223372036854775808",
        "/api/contacts?email=a%00b",
        "/api/contacts?name=%00&company=%00&phone=%00",
    ],
)
def test_edge_values_found_by_schemathesis(api: Api, path: str) -> None:
    """What schemathesis once turned into 500s (PostgreSQL: integer out of range, NUL in a
    text parameter): now 404, 422 or an empty page."""
    admin = {"Authorization": f"Bearer {api.settings.admin_token.get_secret_value()}"}
    response = requests.get(f"{api.server.url}{path}", headers=admin, timeout=30)
    assert response.status_code in (200, 404, 422), response.text[:300]
    if response.status_code == 200:
        assert response.json()["items"] == []
