"""The operator's pure parts: durations, conditions, the channel's children, Meta's errors."""

from __future__ import annotations

import httpx
import pytest

from ibbase_operator import conditions as c
from ibbase_operator.channel import Channel
from ibbase_operator.children import build_ingress
from ibbase_operator.durations import parse_duration
from whatsapp_cloud.errors import GraphApiError, from_response


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("720h", 720 * 3600), ("1h30m", 5400), ("90s", 90), ("500ms", 0.5), ("1.5h", 5400)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "10", "h", "10d", "1h 30m", "-1h", "1hm"])
def test_durations_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_condition_transition_time_moves_only_when_the_status_flips() -> None:
    conds = c.Conditions(None, generation=1)
    conds.set(c.TOKEN_VALID, True, "TokenValid", "fine")
    first = dict(conds.get(c.TOKEN_VALID) or {})
    later = c.Conditions([{**first, "lastTransitionTime": "2020-01-01T00:00:00Z"}], generation=2)
    later.set(c.TOKEN_VALID, True, "TokenExpiring", "soon")
    now = later.get(c.TOKEN_VALID) or {}
    assert now["lastTransitionTime"] == "2020-01-01T00:00:00Z"
    assert now["observedGeneration"] == 2
    assert [t.reason for t in later.transitions] == ["TokenExpiring"]
    later.set(c.TOKEN_VALID, False, "TokenExpired", "gone")
    assert (later.get(c.TOKEN_VALID) or {})["lastTransitionTime"] != "2020-01-01T00:00:00Z"
    assert later.transitions[-1].warning


def test_ready_summarises_the_first_condition_that_is_not_true() -> None:
    conds = c.Conditions(None, generation=3)
    conds.summarize()
    assert (conds.get(c.READY) or {})["status"] == "Unknown"
    for ctype in c.ORDER:
        conds.set(ctype, True, "Fine")
    conds.set(c.CERTIFICATE_READY, False, "CertificatePending", "not issued")
    conds.summarize()
    ready = conds.get(c.READY) or {}
    assert (ready["status"], ready["reason"]) == ("False", "CertificatePending")
    conds.set(c.CERTIFICATE_READY, True, "CertificateIssued")
    conds.summarize()
    assert (conds.get(c.READY) or {})["status"] == "True"
    assert [x["type"] for x in conds.as_list()] == [*c.ORDER, c.READY]


def _channel(**spec: object) -> Channel:
    return Channel.from_object(
        {
            "metadata": {"name": "sales-ru", "namespace": "crm", "uid": "u-1", "generation": 2},
            "spec": {
                "phoneNumberId": "123456789012345",
                "businessAccountId": "987654321098765",
                "appId": "112233445566778",
                "host": "wa.example.com",
                "credentialsSecretRef": {"name": "meta-credentials"},
                **spec,
            },
        }
    )


def test_ingress_routes_the_channels_path_to_the_gateway_with_tls() -> None:
    ch = _channel(ingress={"className": "nginx", "clusterIssuer": "le"})
    ingress = build_ingress(ch)
    assert ch.webhook_url == "https://wa.example.com/api/whatsapp/webhook/crm.sales-ru"
    assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "le"
    assert ingress["metadata"]["ownerReferences"][0]["uid"] == "u-1"
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == [
        {"hosts": ["wa.example.com"], "secretName": "sales-ru-webhook-tls"}
    ]
    path = ingress["spec"]["rules"][0]["http"]["paths"][0]
    assert path["path"] == "/api/whatsapp/webhook/crm.sales-ru"
    assert path["backend"]["service"] == {"name": "ibbase-gateway", "port": {"number": 80}}


def _meta(status: int, code: int, subcode: int | None, message: str) -> GraphApiError:
    """What Meta answered, classified as every caller classifies it."""
    error = {"message": message, "code": code, "error_subcode": subcode}
    return from_response(httpx.Response(status, json={"error": error}))


@pytest.mark.parametrize(
    ("error", "temporary", "reason"),
    [
        (_meta(503, 2, None, "Service temporarily unavailable"), True, "MetaUnavailable"),
        (_meta(429, 80007, None, "rate limit"), True, "MetaRateLimited"),
        (_meta(400, 4, None, "Application request limit reached"), True, "MetaRateLimited"),
        (GraphApiError.no_answer("timed out"), True, "MetaUnavailable"),
        (_meta(403, 200, None, "(#200) Permissions error"), False, "PermissionDenied"),
        (_meta(400, 100, 33, "Unsupported post request"), False, "InvalidObject"),
        (_meta(401, 190, 463, "Session has expired"), False, "TokenInvalid"),
        (
            _meta(400, 2200, None, "Callback verification failed"),
            True,
            "CallbackVerificationFailed",
        ),
    ],
)
def test_meta_errors_are_classified(error: GraphApiError, temporary: bool, reason: str) -> None:
    assert error.temporary is temporary
    assert error.reason == reason
