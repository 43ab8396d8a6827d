"""Logging for every process: one line per record, no secrets.

Settings are never logged, and every line goes through a redactor as a second line of
defence: the configured secrets, ibbase API tokens, Bearer credentials, token query
parameters and URL passwords are masked, in messages and tracebacks alike.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

MASK = "***"
PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # ibbase API tokens: the id stays readable (it is not secret), the secret goes.
    (re.compile(r"\b(ibb_[0-9a-f]{12}_)[A-Za-z0-9_-]+"), r"\1" + MASK),
    # Credentials are long; "OAuth access token" in Meta's error messages is not one.
    (re.compile(r"(?i)\b(bearer|oauth)(\s+)[\w.~+/=|-]{16,}"), r"\1\2" + MASK),
    (
        re.compile(
            r"(?i)\b((?:hub\.)?verify_token|access_token|input_token|fb_exchange_token"
            r"|client_secret|appsecret_proof)(=)[^&\s'\"]+"
        ),
        r"\1\2" + MASK,
    ),
    (re.compile(r"(://[^/:@\s]+:)[^@/\s]+@"), r"\1" + MASK + "@"),  # scheme://user:password@
]


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(logging.Formatter):
    def __init__(self, fmt: str, datefmt: str, secrets: Iterable[str] = ()):
        super().__init__(fmt, datefmt)
        self.secrets: list[str] = []
        self.learn(secrets)

    def learn(self, secrets: Iterable[str]) -> None:
        """Mask these too from now on (secrets learnt at run time: the channel registry's)."""
        # Longest first, so that a secret containing another is masked whole. Very short
        # values would mask innocent text and are no secrets anyway.
        known = set(self.secrets) | {s for s in secrets if len(s) >= 6}
        self.secrets = sorted(known, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)


def mask_secrets(secrets: Iterable[str]) -> None:
    """Give the process's redactor secrets it learnt after start-up. Secrets that leave
    (a rotated token) stay masked: a line may still quote them."""
    values = list(secrets)
    for handler in logging.getLogger().handlers:
        if isinstance(handler.formatter, RedactingFormatter):
            handler.formatter.learn(values)


def configure_logging(process: str, level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter(
            f"%(asctime)s {process:<8} %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S", secrets
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO; media URLs are short-lived credentials.
    # SQLAlchemy at DEBUG logs every parameter and row: contacts, photos, token hashes.
    for noisy in ("httpx", "httpcore", "uvicorn.access", "sqlalchemy.engine"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
