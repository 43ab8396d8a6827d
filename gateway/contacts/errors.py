"""Errors of the contacts API, with their HTTP meaning (mapped by ``gateway.app``)."""

from __future__ import annotations

from gateway.errors import ApiError


class InvalidContact(ApiError):
    """An edit refused: its message names the field and what it should look like."""

    status_code = 422
    code = "invalid_contact"
