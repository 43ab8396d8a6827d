"""Secrets are compared in constant time everywhere: no ``==``/``!=`` on anything named like
a token, secret, signature, password, digest or proof in the shipped code.

Audit of this change: the webhook signature (``hmac.compare_digest`` on the raw-bytes HMAC),
the verify token (every expected token compared, constant time each), the bootstrap admin
token (SHA-256 digests compared, so not even the length leaks) and stored API tokens (the
hash, by ``compare_digest``) — the sandbox, the kube emulator and the callback receiver
already used ``compare_digest``.
"""

from __future__ import annotations

import ast
import re

import pytest

from tests.conftest import REPO

# What the images ship, and the development stand-ins too (they hold secrets of their own).
SHIPPED = [
    "whatsapp_cloud", "business_card", "gateway", "ibbase", "ocr_cluster",
    "operator/ibbase_operator", "devtools/graph_sandbox", "devtools/kube_emulator",
    "devtools/ibbase_dev",
]  # fmt: skip
SECRET_NAME = re.compile(
    r"(token|secret|signature|passw|digest|proof|hmac)(?!_(id|key|type|kind|name|every|ref))",
    re.I,
)
# Comparisons that look like secrets and are not, each with the reason.
NOT_SECRETS = {
    ("whatsapp_cloud/client.py", "decode(padded) == digest"): (
        "the downloaded media's sha256 against the one Meta's metadata gave: a checksum"
    ),
    (
        "operator/ibbase_operator/tokens.py",
        "ch.status.token_credentials_version == p.status.credentials_version",
    ): "resourceVersions of the credentials Secret, not its content",
}


def _name(node: ast.expr) -> str | None:
    """The identifier an operand ends in: ``x``, ``a.b.x``, ``x()`` or ``a.x()``."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def equality_on_secrets(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Compare):
            continue
        if not any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops):
            continue
        for operand in (node.left, *node.comparators):
            name = _name(operand)
            # UPPER_CASE names are constants (error codes…), not secrets.
            if name and not name.isupper() and SECRET_NAME.search(name):
                found.append((node.lineno, ast.unparse(node)))
    return found


def test_the_audit_catches_the_patterns() -> None:
    assert equality_on_secrets("ok = given == settings.admin_token.get_secret_value()")
    assert equality_on_secrets("ok = header != expected_signature(body, secret)")
    assert equality_on_secrets("ok = hmac.new(k, m, h).hexdigest() == sent")
    assert not equality_on_secrets("ok = hmac.compare_digest(a.encode(), token.encode())")
    assert not equality_on_secrets("ok = token.app_id == app_id")


@pytest.mark.parametrize("package", SHIPPED)
def test_no_equality_on_secrets(package: str) -> None:
    assert list((REPO / package).rglob("*.py")), f"{package} has no Python files: moved?"
    offenders = [
        f"{path.relative_to(REPO)}:{line}: {code}"
        for path in sorted((REPO / package).rglob("*.py"))
        for line, code in equality_on_secrets(path.read_text())
        if (str(path.relative_to(REPO)), code) not in NOT_SECRETS
    ]
    assert offenders == [], "compare secrets with hmac.compare_digest:\n" + "\n".join(offenders)


def test_the_exceptions_still_exist() -> None:
    # An exception that no longer matches anything must go, not linger as a blind spot.
    for (path, code), _reason in NOT_SECRETS.items():
        assert code in {c for _, c in equality_on_secrets((REPO / path).read_text())}, path
