import pytest

from gateway.errors import Forbidden, Unauthorized
from gateway.whatsapp.signature import expected_signature, verify_signature

# Meta's known-answer vector as published in pywa's tests/test_server.py (the secret is reset).
PYWA_SECRET = "1222e786b144d0e85b9f365372d93676"
PYWA_BODY = (
    b'{"object":"whatsapp_business_account","entry":[{"id":"264937493375603","changes":[{"value":'
    b'{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550953877",'
    b'"phone_number_id":"277321005464405"},"contacts":[{"profile":{"name":"PyWa Tests"},'
    b'"wa_id":"972544401243"}],"messages":[{"from":"972544401243","id":"wamid.HBgMOTcyNTQ0NDAxM'
    b'jQzFQIAEhggM0RFQTNCMEEwRTY3QzUwODYzMDc4NjQ4QzM4ODAxM0YA","timestamp":"1730231903","text":'
    b'{"body":"Hey there! I am using PyWa."},"type":"text"}]},"field":"messages"}]}]}'
)
PYWA_SIGNATURE = "sha256=54edfa1d7259e0eb13c677cc7d73d1b5c86cfa12433d19156e058ab9251bc441"


def test_known_answer_vector_verifies() -> None:
    assert expected_signature(PYWA_BODY, PYWA_SECRET) == PYWA_SIGNATURE
    verify_signature(PYWA_BODY, PYWA_SIGNATURE, PYWA_SECRET)


def test_reserialised_body_is_rejected() -> None:
    import json

    reserialised = json.dumps(json.loads(PYWA_BODY)).encode()  # same JSON, other bytes
    assert reserialised != PYWA_BODY
    with pytest.raises(Forbidden):
        verify_signature(reserialised, PYWA_SIGNATURE, PYWA_SECRET)


@pytest.mark.parametrize("header", [None, ""])
def test_missing_signature_is_unauthorized(header: str | None) -> None:
    with pytest.raises(Unauthorized):
        verify_signature(PYWA_BODY, header, PYWA_SECRET)


@pytest.mark.parametrize(
    "header",
    [
        "sha256=" + "0" * 64,
        "sha1=54edfa1d",
        "54edfa1d7259e0eb13c677cc7d73d1b5c86cfa12433d19156e058ab9251bc441",
        PYWA_SIGNATURE[:-1],
        "sha256=ünïcode",
    ],
)
def test_wrong_signature_is_forbidden(header: str) -> None:
    with pytest.raises(Forbidden):
        verify_signature(PYWA_BODY, header, PYWA_SECRET)


def test_wrong_secret_is_forbidden() -> None:
    with pytest.raises(Forbidden):
        verify_signature(PYWA_BODY, PYWA_SIGNATURE, "another-secret")
