"""`ibbase admin token create|list|revoke` on the real database, against the real gateway."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from gateway.auth.tokens import TOKEN_RE, hash_token
from ibbase.cli import main


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database_url: str, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("DATABASE_URL", database_url)

    def run(*args: str) -> tuple[int, str, str]:
        try:
            code = main(["admin", "token", *args])
        except SystemExit as exc:  # argparse's refusals, and database errors
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run


async def test_create_list_revoke(pipeline, cli) -> None:
    code, out, err = cli(
        "create", "--name", "crm sync", "--scope", "viewer", "--expires-in", "30d",
        "--channel", "default", "--channel", "crm.sales-ru",
    )  # fmt: skip
    assert code == 0
    token = out.strip()
    assert TOKEN_RE.fullmatch(token), out  # stdout holds the token alone
    token_id = TOKEN_RE.fullmatch(token).group(1)  # type: ignore[union-attr]
    assert (
        f"created API token {token_id} ('crm sync', scope viewer, "
        "channels crm.sales-ru,default, expires "
    ) in err
    assert "shown only this once" in err and token not in err

    url = f"{pipeline.gateway.url}/api/contacts"
    headers = {"Authorization": f"Bearer {token}"}
    assert (await pipeline.http.get(url, headers=headers)).status_code == 200

    code, out, err = cli("create", "--name", "ops", "--scope", "admin", "--all-channels")
    admin_token = out.strip()
    code, out, err = cli("list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "ID",
        "NAME",
        "SCOPE",
        "CHANNELS",
        "STATUS",
        "CREATED",
        "EXPIRES",
        "LAST",
        "USED",
    ]
    (viewer,) = [line for line in lines if line.startswith(token_id)]
    assert re.search(r"crm sync\s+viewer\s+crm.sales-ru,default\s+active", viewer)
    in_30_days = datetime.now(UTC) + timedelta(days=30)
    days = {(in_30_days - timedelta(minutes=m)).strftime("%Y-%m-%d") for m in (0, 5)}
    assert any(day in viewer for day in days), viewer
    assert viewer.rstrip().endswith("UTC")  # it was used: a last-used time, not "never"
    (ops,) = [line for line in lines if " ops " in line]
    assert re.search(r"ops\s+admin\s+\*\s+active\s+.+\s+never\s+never$", ops)
    for secret in (token, admin_token):
        assert secret.split("_", 2)[2] not in out + err
        assert hash_token(secret) not in out + err

    code, out, _ = cli("revoke", token_id)
    assert code == 0 and out.startswith(f"revoked API token {token_id}")
    assert (await pipeline.http.get(url, headers=headers)).status_code == 401
    code, out, _ = cli("list")
    assert re.search(rf"^{token_id}\s+crm sync\s+viewer\s+\S+\s+revoked", out, re.M)
    assert cli("revoke", token_id)[0] == 0  # again: harmless


def test_refusals(cli) -> None:
    code, out, err = cli("revoke", "000000000000")
    assert code == 1 and "no API token '000000000000'" in err
    every = ("--all-channels",)
    code, out, err = cli(
        "create", "--name", "x", "--scope", "admin", "--expires-in", "soon", *every
    )
    assert code == 2 and "--expires-in" in err and out == ""
    code, out, err = cli("create", "--name", " ", "--scope", "viewer", *every)
    assert code == 2 and out == ""
    code, out, err = cli("create", "--name", "x", "--scope", "owner", *every)
    assert code == 2 and "invalid choice: 'owner'" in err
    # Which channels a token reaches is always said, never assumed.
    code, out, err = cli("create", "--name", "x", "--scope", "viewer")
    assert code == 2 and "--channel" in err and out == ""
    code, out, err = cli("create", "--name", "x", "--scope", "viewer", "--channel", "Bad Name")
    assert code == 2 and "not a channel id" in err and out == ""
    code, out, err = cli(
        "create", "--name", "x", "--scope", "viewer", "--channel", "default", *every
    )
    assert code == 2 and "not allowed with" in err


def test_missing_table_is_a_clear_error(cli, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'unmigrated.db'}")
    code, out, err = cli("create", "--name", "x", "--scope", "admin", "--all-channels")
    assert code == 2 and out == ""
    assert "ibbase migrate" in err
