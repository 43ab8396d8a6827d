"""NATS asks every connection for a user and a password from a Secret, and no password is
in values, a ConfigMap or a pod spec; the streams' limits reach the gateway and the worker."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway import jetstream
from gateway.settings import Settings
from tests.chart.chart import (
    CHART,
    FULLNAME,
    NEWEST_KUBE,
    VARIANTS,
    container,
    env_of,
    find,
    helm,
    kinds,
    refusal,
    render,
    template_args,
)

SECRET = f"{FULLNAME}-nats-auth"
CLIENTS = ("gateway", "worker")
URL_SAFE = re.compile(r"^[A-Za-z0-9._~-]+$")


def nats_container(objs: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    return container(find(objs, "StatefulSet", f"{FULLNAME}-nats"), "nats")


def secret_ref(env: dict[str, dict[str, Any]], name: str) -> dict[str, str]:
    return dict(env[name]["valueFrom"]["secretKeyRef"])


def test_bundled_server_requires_the_user_and_password_of_the_secret() -> None:
    objs = render("defaults")
    nats = nats_container(objs)
    assert {"--user=$(NATS_USER)", "--pass=$(NATS_PASSWORD)"} <= set(nats["args"])
    env = env_of(nats)
    assert secret_ref(env, "NATS_USER") == {"name": SECRET, "key": "user"}
    assert secret_ref(env, "NATS_PASSWORD") == {"name": SECRET, "key": "password"}
    # The kubelet expands $(VAR) only from variables defined before the arguments use them:
    # env is read whole before args, so only the names matter here.
    data = find(objs, "Secret", SECRET)["data"]
    user, password = (base64.b64decode(data[k]).decode() for k in ("user", "password"))
    assert URL_SAFE.match(user) and URL_SAFE.match(password) and len(password) >= 32
    # Random per install (an upgrade keeps the live one through lookup).
    again = helm(*template_args(None, "--show-only", "templates/secrets.yaml")).stdout
    assert data["password"] not in again


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v != "external-services"])
def test_clients_connect_with_the_secrets_credentials(variant: str) -> None:
    objs = render(variant)
    for name in CLIENTS:
        c = container(find(objs, "Deployment", f"{FULLNAME}-{name}"), name)
        names = [e["name"] for e in c["env"]]
        # $(NATS_USER) and $(NATS_PASSWORD) expand only from variables set before NATS_URL.
        assert names.index("NATS_USER") < names.index("NATS_URL")
        assert names.index("NATS_PASSWORD") < names.index("NATS_URL")
        env = env_of(c)
        assert secret_ref(env, "NATS_USER") == {"name": SECRET, "key": "user"}
        assert secret_ref(env, "NATS_PASSWORD") == {"name": SECRET, "key": "password"}
        assert env["NATS_URL"]["value"] == (
            f"nats://$(NATS_USER):$(NATS_PASSWORD)@{FULLNAME}-nats-client:4222"
        )


def test_external_servers_each_get_the_credentials_of_your_secret() -> None:
    objs = render("external-services")
    assert not [s for s in kinds(objs, "Secret") if s["metadata"]["name"] == SECRET]
    for name in CLIENTS:
        env = env_of(container(find(objs, "Deployment", f"{FULLNAME}-{name}"), name))
        assert secret_ref(env, "NATS_USER") == {"name": "crm-nats", "key": "username"}
        assert secret_ref(env, "NATS_PASSWORD") == {"name": "crm-nats", "key": "password"}
        assert env["NATS_URL"]["value"] == (
            "nats://$(NATS_USER):$(NATS_PASSWORD)@nats.messaging.svc:4222,"
            "nats://$(NATS_USER):$(NATS_PASSWORD)@nats-1.messaging.svc:4222"
        )


def values_file(tmp_path: Path, values: dict[str, Any]) -> Path:
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    return path


def test_an_external_server_without_credentials_is_a_choice_not_a_default(
    tmp_path: Path,
) -> None:
    external = {"nats": {"external": {"url": "nats://nats.messaging.svc:4222"}}}
    assert "nats.auth.existingSecret" in refusal(*template_args(values_file(tmp_path, external)))
    external["nats"]["auth"] = {"enabled": False}
    objs = render("defaults", NEWEST_KUBE, "--values", str(values_file(tmp_path, external)))
    env = env_of(container(find(objs, "Deployment", f"{FULLNAME}-gateway"), "gateway"))
    assert env["NATS_URL"]["value"] == "nats://nats.messaging.svc:4222"
    assert "NATS_PASSWORD" not in env


def test_no_credentials_in_the_nats_url_value(tmp_path: Path) -> None:
    values = {"nats": {"external": {"url": "nats://ibbase:hunter2hunter2@nats:4222"}}}
    assert "/nats/external/url" in refusal(*template_args(values_file(tmp_path, values)))


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_password_is_nowhere_but_in_its_secret(variant: str) -> None:
    """No ConfigMap, no value, no pod spec holds a password: the rendered chart without its
    generated Secrets contains neither the password nor its base64."""
    objs = render(variant)
    generated = [s for s in kinds(objs, "Secret") if s["metadata"]["name"] == SECRET]
    rest = yaml.safe_dump_all([o for o in objs if o["kind"] != "Secret"])
    for secret in generated:
        encoded = secret["data"]["password"]
        assert encoded not in rest and base64.b64decode(encoded).decode() not in rest
    # values.yaml names the Secret and its keys, nothing more.
    auth = yaml.safe_load((CHART / "values.yaml").read_text())["nats"]["auth"]
    assert auth == {
        "enabled": True,
        "existingSecret": "",
        "userKey": "user",
        "passwordKey": "password",
    }


def test_stream_limits_reach_the_settings_and_the_streams(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    objs = render(
        "defaults",
        NEWEST_KUBE,
        "--set",
        "nats.streams.maxBytes=5368709120",  # past 2**32: still an integer, not 5.3e+09
        "--set",
        "nats.streams.maxMsgsPerSubject=1000",
    )
    for name in CLIENTS:
        env = env_of(container(find(objs, "Deployment", f"{FULLNAME}-{name}"), name))
        limits = {
            k: env[k]["value"] for k in env if k.startswith(("IBBASE_STREAM_MAX", "IBBASE_DLQ_MAX"))
        }
        assert limits == {
            "IBBASE_STREAM_MAX_AGE_S": "604800",
            "IBBASE_STREAM_MAX_BYTES": "5368709120",
            "IBBASE_STREAM_MAX_MSGS_PER_SUBJECT": "1000",
            "IBBASE_DLQ_MAX_BYTES": "536870912",
        }
        for key, value in limits.items():
            monkeypatch.setenv(key, value)
        settings = Settings()
        inbound = jetstream.stream_config(
            settings, settings.stream, settings.subject_prefix, settings.stream_max_bytes
        )
        assert (inbound.max_bytes, inbound.max_msgs_per_subject) == (5368709120, 1000)
        assert inbound.max_age == 604800
        assert inbound.discard == "new" and inbound.discard_new_per_subject is True
        assert settings.dlq_max_bytes == 536870912
