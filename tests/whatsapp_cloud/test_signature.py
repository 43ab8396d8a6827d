import json
from pathlib import Path

import pytest

from whatsapp_cloud.errors import BadSignature, MissingSignature
from whatsapp_cloud.signature import expected_signature, verify_signature

# Known-answer vector from pywa's test suite (tests/test_server.py): a real payload Meta
# delivered, its app secret (since reset) and the X-Hub-Signature-256 Meta sent with it.
_VECTOR = json.loads(
    (
        Path(__file__).resolve().parents[1] / "data" / "signatures" / "pywa_known_answer.json"
    ).read_text()
)
PYWA_SECRET: str = _VECTOR["app_secret"]
PYWA_BODY: bytes = _VECTOR["body"].encode()
PYWA_SIGNATURE: str = _VECTOR["signature"]


def test_known_answer_vector_verifies() -> None:
    assert expected_signature(PYWA_BODY, PYWA_SECRET) == PYWA_SIGNATURE
    verify_signature(PYWA_BODY, PYWA_SIGNATURE, PYWA_SECRET)


def test_reserialised_body_is_rejected() -> None:
    import json

    reserialised = json.dumps(json.loads(PYWA_BODY)).encode()  # same JSON, other bytes
    assert reserialised != PYWA_BODY
    with pytest.raises(BadSignature):
        verify_signature(reserialised, PYWA_SIGNATURE, PYWA_SECRET)


@pytest.mark.parametrize("header", [None, ""])
def test_missing_signature_is_unauthorized(header: str | None) -> None:
    with pytest.raises(MissingSignature):
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
    with pytest.raises(BadSignature):
        verify_signature(PYWA_BODY, header, PYWA_SECRET)


def test_wrong_secret_is_forbidden() -> None:
    with pytest.raises(BadSignature):
        verify_signature(PYWA_BODY, PYWA_SIGNATURE, "another-secret")
