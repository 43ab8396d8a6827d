"""The second line of defence: every log line is redacted, and neither a settings error
nor the `ibbase up` banner echoes a secret."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from pydantic import SecretStr, ValidationError

from gateway.auth.tokens import new_token
from gateway.channels import ChannelRegistry
from gateway.log_config import configure_logging, redact
from gateway.settings import Settings
from ibbase_dev.stack import Stack
from ibbase_dev.up import _banner
from tests.gateway.channel_volume import SecretVolume, make_channel


@pytest.fixture
def root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def test_patterns() -> None:
    token = new_token().value
    token_id = token.split("_")[1]
    cases = {
        f"auth with {token} failed": f"auth with ibb_{token_id}_*** failed",
        "{'Authorization': 'Bearer s3cr3t-value-0123456789'}": "{'Authorization': 'Bearer ***'}",
        "GET /webhook?hub.mode=subscribe&hub.verify_token=vt-123&hub.challenge=9": (
            "GET /webhook?hub.mode=subscribe&hub.verify_token=***&hub.challenge=9"
        ),
        "GET /debug_token?input_token=EAAx&access_token=1|2": (
            "GET /debug_token?input_token=***&access_token=***"
        ),
        "postgresql+psycopg://ibbase:pa55word@db:5432/ibbase": (
            "postgresql+psycopg://ibbase:***@db:5432/ibbase"
        ),
        "no secret: sha256=abc, user_id 42": "no secret: sha256=abc, user_id 42",
        "Invalid OAuth access token [code 190]": "Invalid OAuth access token [code 190]",
    }
    for text, expected in cases.items():
        assert redact(text) == expected


def test_log_lines_and_tracebacks_are_redacted(root_logging: None, monkeypatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    settings = Settings(
        whatsapp_app_secret=SecretStr("app-secret-0123456789"),
        whatsapp_access_token=SecretStr("EAAG-access-token-abcdef"),
        database_url="postgresql://ibbase:db-pa%24%24word@127.0.0.1/ibbase",
    )
    configure_logging("test", "DEBUG", settings.secret_values())
    log = logging.getLogger("gateway.test")
    log.debug("using %s", settings.whatsapp_app_secret.get_secret_value())
    try:
        raise RuntimeError("Graph said no to EAAG-access-token-abcdef")
    except RuntimeError:
        log.exception("call failed; password db-pa$$word")
    output = stream.getvalue()
    assert "DEBUG" in output and "RuntimeError" in output and "Traceback" in output
    for secret in ("app-secret-0123456789", "EAAG-access-token-abcdef", "db-pa$$word"):
        assert secret not in output
    assert "using ***" in output and "RuntimeError: Graph said no to ***" in output
    # Libraries that would log credentials in URLs or every SQL parameter stay quiet.
    for noisy in ("httpx", "httpcore", "sqlalchemy.engine"):
        assert not logging.getLogger(noisy).isEnabledFor(logging.INFO)


def test_registry_channels_secrets_are_redacted_once_loaded(
    root_logging: None, monkeypatch, tmp_path
) -> None:
    """The registry's secrets are not in the settings the redactor starts with: it learns
    each channel's app secret, access token and verify tokens as the registry loads them,
    and keeps masking a token after it is rotated away."""
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    configure_logging("test", "DEBUG")
    volume = SecretVolume(tmp_path / "registry")
    first = make_channel(
        "sales", phone_number_id="111000000000001", business_account_id="211000000000001",
        app_secret="reg-app-secret-1", access_token="EAAreg-token-1",
        verify_tokens=("reg-verify-1",),
    )  # fmt: skip
    volume.write_channels(first)
    registry = ChannelRegistry(volume.directory)
    registry.refresh()
    log = logging.getLogger("gateway.test")
    log.warning("leaked %s %s %s", "reg-app-secret-1", "EAAreg-token-1", "reg-verify-1")
    rotated = first.model_copy(update={"access_token": SecretStr("EAAreg-token-2")})
    volume.write_channels(rotated)
    registry.refresh()
    log.warning("leaked again %s and %s", "EAAreg-token-1", "EAAreg-token-2")
    output = stream.getvalue()
    for secret in ("reg-app-secret-1", "EAAreg-token-1", "EAAreg-token-2", "reg-verify-1"):
        assert secret not in output
    assert "leaked *** *** ***" in output and "leaked again *** and ***" in output


def test_settings_errors_do_not_echo_inputs() -> None:
    with pytest.raises(ValidationError) as error:
        Settings(
            env="prod",
            whatsapp_access_token=SecretStr("EAAG-real-access-token"),
            whatsapp_verify_token=SecretStr("changeme"),
            whatsapp_app_secret=SecretStr("real-app-secret-42"),
            admin_token=SecretStr("real-admin-token-42"),
            database_url="postgresql://u:db-password-42@h/db",
        )
    text = str(error.value)
    assert "whatsapp_verify_token must be set to a real secret" in text
    for secret in ("EAAG-real-access-token", "real-app-secret-42", "real-admin-token-42"):
        assert secret not in text
    assert "db-password-42" not in text


def test_up_banner_hides_the_database_password(capsys) -> None:
    stack = Stack(
        gateway_url="http://127.0.0.1:8000",
        sandbox_url=None,
        api_url="https://graph.facebook.com/v25.0",
        phone_number_id="1",
        access_token="EAAG-given",
        verify_token="vt-given",
        app_secret="as-given",
        admin_token="admin-given",
    )
    given = {"WHATSAPP_ACCESS_TOKEN", "WHATSAPP_VERIFY_TOKEN", "WHATSAPP_APP_SECRET"}
    given.add("IBBASE_ADMIN_TOKEN")
    _banner(stack, "nats://127.0.0.1:4222", "postgresql://ibbase:db-pw-77@db/ibbase", given, None)
    out = capsys.readouterr().out
    assert "postgresql://ibbase:***@db/ibbase" in out
    for secret in ("db-pw-77", "EAAG-given", "vt-given", "as-given", "admin-given"):
        assert secret not in out
