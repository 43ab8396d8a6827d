"""Properties of the webhook parser (``parse_body`` + ``split_envelope``): any bytes give
either events that can be published or a clear client error, and a well-formed batch gives
each of its messages, statuses and errors back exactly once."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.bad_input.support import examples, tally
from tests.conftest import SANDBOX_PHONE_ID
from whatsapp_cloud.errors import WebhookRejected
from whatsapp_cloud.webhook import (
    InboundEvent,
    _check_tree,
    _parse_exactly,
    parse_body,
    split_envelope,
)

SUBJECT = re.compile(r"^p\.[A-Za-z0-9_-]{1,64}\.(message|status|error|other)$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# --- strategies ---------------------------------------------------------------------------

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="


def weighted(*options: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of ``options``, each drawn in proportion to its weight."""
    table = [strategy for weight, strategy in options for _ in range(weight)]
    return st.integers(0, len(table) - 1).flatmap(lambda i: table[i])


# Text with everything JSON can carry: control characters, astral characters, and (rarely,
# or every envelope would hold one) lone surrogates, which json.dumps escapes as \udXXX
# and UTF-8 cannot encode.
any_text = weighted(
    (12, st.text(max_size=12)),
    (2, st.text(st.characters(min_codepoint=0, max_codepoint=0x20), max_size=4)),
    (1, st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=2)),
    (1, st.text(max_size=300).map(lambda t: t * 2)),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=False, allow_infinity=False),
    any_text,
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(any_text, children, max_size=4)
    ),
    max_leaves=24,
)


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any] = json_values) -> Any:
    """``good`` most of the time, any JSON value otherwise: the parser is reached deeply."""
    return weighted((12, good), (1, bad))


def digits(low: int, high: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=low, max_size=high)


ids = weighted(
    (8, st.text(B64, min_size=10, max_size=60).map(lambda t: "wamid." + t)),
    (2, st.text(min_size=1, max_size=60)),
    (1, st.text(min_size=250, max_size=270)),
)
messages = st.fixed_dictionaries(
    {"id": mostly(ids)},
    optional={
        "from": mostly(digits(5, 15)),
        "from_user_id": mostly(digits(5, 20).map(lambda d: "US." + d)),
        "type": mostly(st.sampled_from(["text", "image", "document", "contacts", "x"])),
        "text": mostly(st.fixed_dictionaries({"body": any_text})),
        "timestamp": mostly(st.integers(0, 2**40).map(str)),
    },
)
statuses = st.fixed_dictionaries(
    {"id": mostly(ids), "status": mostly(st.sampled_from(["sent", "delivered", "read"]))},
    optional={"recipient_id": json_values, "errors": json_values},
)
values = st.fixed_dictionaries(
    {},
    optional={
        "metadata": mostly(
            # The pipeline's own number often, or the edge's ownership check refuses them all.
            st.fixed_dictionaries(
                {"phone_number_id": mostly(st.just(SANDBOX_PHONE_ID) | digits(15, 15) | any_text)}
            )
        ),
        "contacts": mostly(st.lists(st.dictionaries(any_text, json_values, max_size=3))),
        "messages": mostly(st.lists(mostly(messages), max_size=3)),
        "statuses": mostly(st.lists(mostly(statuses), max_size=3)),
        "errors": mostly(st.lists(st.dictionaries(any_text, json_values, max_size=3))),
    },
)
changes = st.fixed_dictionaries(
    {
        "field": mostly(st.sampled_from(["messages", "account_update", "x"]) | any_text),
        "value": mostly(values),
    }
)
entries = st.fixed_dictionaries(
    {"changes": mostly(st.lists(mostly(changes), max_size=3))},
    optional={"id": mostly(digits(15, 15))},
)
envelopes = st.fixed_dictionaries(
    {
        "object": mostly(st.just("whatsapp_business_account")),
        "entry": mostly(st.lists(mostly(entries), min_size=1, max_size=3)),
    }
)

JSON_SOUP = [
    "[", "]", "{", "}", '"', ":", ",", " ", "NaN", "-Infinity", "1e999", "-0", "1" * 50,
    "true", "null", '"\\ud800"', '"\\udc00\\ud800"', '"\\u0000"', '"a"', "\\", "\xff",
    '{"object":"whatsapp_business_account","entry":[',
]  # fmt: skip
raw_bodies = st.one_of(
    st.binary(max_size=600),
    json_values.map(lambda v: json.dumps(v).encode()),
    envelopes.map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    st.lists(st.sampled_from(JSON_SOUP), max_size=40).map(lambda p: "".join(p).encode()),
    st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(1, 3000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
)


# --- the properties -----------------------------------------------------------------------


def outcome(raw: bytes, name: str, channel_id: str = "") -> list[InboundEvent] | WebhookRejected:
    """Events, or the client error; any other exception fails the test."""
    tally(name)
    try:
        events = split_envelope(parse_body(raw), now=1.5, channel_id=channel_id)
    except WebhookRejected as exc:
        assert 400 <= exc.http_status < 500, exc
        assert str(exc).strip()
        return exc
    tally(f"{name} (accepted)")
    for event in events:
        assert_publishable(event)
    return events


def assert_publishable(event: InboundEvent) -> None:
    """What JetStream and the worker need of every event that passes the edge."""
    encoded = event.to_json()  # UTF-8: raises on a lone surrogate
    assert InboundEvent.from_json(encoded) == event
    assert event.kind in ("message", "status", "error", "other")
    assert SUBJECT.match(event.subject("p")), event.subject("p")
    assert 0 < len(event.event_id) <= 300 and not CONTROL.search(event.event_id)
    assert len(event.phone_number_id) <= 64


@examples(1200)
@given(raw_bodies)
def test_any_bytes_give_events_or_a_client_error(raw: bytes) -> None:
    outcome(raw, "webhook parser: any bytes")


@examples(700)
@given(envelopes, st.booleans())
def test_near_envelopes_give_events_or_a_client_error(body: dict, ascii_only: bool) -> None:
    raw = json.dumps(body, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    outcome(raw, "webhook parser: envelope-shaped JSON with wrong parts", channel_id="crm.sales")


def exact_reading(raw: bytes) -> dict[str, Any] | None:
    """The standard library's reading alone, with the same checks; None where refused."""
    try:
        body = _parse_exactly(raw)
        if not isinstance(body, dict):
            return None
        _check_tree(body, strings=True)
    except WebhookRejected:
        return None
    return body


@examples(1200)
@given(raw_bodies)
def test_the_fast_reading_agrees_with_the_exact_one(raw: bytes) -> None:
    """orjson and the standard library give the same document, types included (an integer
    past 64 bits stays an exact int), or both refuse it."""
    tally("webhook parser: fast vs exact reading")
    try:
        fast: dict[str, Any] | None = parse_body(raw)
    except WebhookRejected:
        fast = None
    exact = exact_reading(raw)
    assert (fast is None) == (exact is None)
    if fast is not None:
        assert json.dumps(fast, sort_keys=True) == json.dumps(exact, sort_keys=True)


# --- round trip ---------------------------------------------------------------------------

texts = st.text(max_size=40)  # no lone surrogates: Meta sends valid UTF-8
payload_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(texts, c, max_size=3),
    max_leaves=8,
)
wamid_tails = st.text(B64, max_size=40)


@st.composite
def batches(draw: st.DrawFn) -> tuple[dict[str, Any], list[tuple[str, str, dict[str, Any]]]]:
    """A well-formed POST and the events it must give: (kind, event id, data) in order."""
    serial = iter(range(10**6))
    expected: list[tuple[str, str, dict[str, Any]]] = []

    def item(kind: str) -> dict[str, Any]:
        extra = draw(st.dictionaries(st.sampled_from(["x", "y", "Ж", "😀"]), payload_values))
        if kind == "message":
            msg = {
                **extra,
                "id": f"wamid.{draw(wamid_tails)}.{next(serial)}",
                "from": draw(digits(5, 15)),
                "type": draw(st.sampled_from(["text", "image", "reaction", "new_type"])),
                "timestamp": str(draw(st.integers(0, 2**33))),
                "text": {"body": draw(texts)},
            }
            expected.append(("message", f"msg:{msg['id']}", msg))
            return msg
        state = draw(st.sampled_from(["sent", "delivered", "read", "failed"]))
        status = {**extra, "id": f"wamid.{draw(wamid_tails)}.{next(serial)}", "status": state}
        expected.append(("status", f"status:{status['id']}:{state}", status))
        return status

    entry_list = []
    for _ in range(draw(st.integers(1, 3))):
        waba = draw(digits(15, 15))
        change_list = []
        for _ in range(draw(st.integers(0, 3))):
            phone = draw(digits(15, 15))
            field = draw(st.sampled_from(["messages", "messages", "account_update"]))
            value: dict[str, Any] = {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550000000", "phone_number_id": phone},
            }
            if field != "messages":
                value["event"] = draw(texts)
                expected.append(("other", "", value))
            else:
                value["contacts"] = [{"profile": {"name": draw(texts)}, "wa_id": "7900"}]
                value["messages"] = [item("message") for _ in range(draw(st.integers(0, 3)))]
                value["statuses"] = [item("status") for _ in range(draw(st.integers(0, 3)))]
                errs = draw(st.lists(st.fixed_dictionaries({"code": st.integers()}), max_size=2))
                value["errors"] = errs
                expected += [("error", "", e) for e in errs]
            change_list.append({"value": value, "field": field})
        entry_list.append({"id": waba, "changes": change_list})
    return {"object": "whatsapp_business_account", "entry": entry_list}, expected


@examples(400)
@given(batches(), st.booleans())
def test_every_generated_message_and_status_comes_out_exactly_once(
    batch: tuple[dict[str, Any], list[tuple[str, str, dict[str, Any]]]], ascii_only: bool
) -> None:
    body, expected = batch
    raw = json.dumps(body, ensure_ascii=ascii_only).encode()
    events = outcome(raw, "webhook parser: round trip of well-formed batches", channel_id="crm.x")
    assert isinstance(events, list), events
    assert [(e.kind, e.data) for e in events] == [(k, d) for k, _, d in expected]
    for event, (_, event_id, _) in zip(events, expected, strict=True):
        if event_id:
            assert event.event_id == event_id
        assert event.channel_id == "crm.x" and event.received_at == 1.5
    ids = [e.event_id for e in events if e.kind in ("message", "status")]
    assert len(ids) == len(set(ids))
    # Each event knows where it came from: the entry's WABA, the change's number.
    where = [
        (entry["id"], change["value"]["metadata"]["phone_number_id"], change)
        for entry in body["entry"]
        for change in entry["changes"]
    ]
    for event in events:
        assert any(
            event.waba_id == waba and event.phone_number_id == phone for waba, phone, _ in where
        )
        if event.kind == "message":
            owner = next(c for _, _, c in where if event.data in c["value"].get("messages", []))
            assert list(event.contacts) == owner["value"]["contacts"]
