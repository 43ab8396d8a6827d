"""``POST /{version}/{phone-number-id}/messages``: sends and read receipts.

A valid free-form send (anything but a template) to a user outside the 24-hour
customer-service window fails with 131047 and is not recorded (``graph_sandbox.window``).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request

from graph_sandbox import messages
from graph_sandbox.access import phone_for_messaging
from graph_sandbox.errors import from_code, invalid_parameter
from graph_sandbox.state import Authorized, PrincipalDep, SandboxDep, Versioned

router = APIRouter(dependencies=[Versioned, Authorized])


@router.post("/{version}/{phone_number_id}/messages")
async def post_message(
    phone_number_id: str, request: Request, sandbox: SandboxDep, principal: PrincipalDep
) -> dict[str, Any]:
    waba = phone_for_messaging(sandbox, principal, phone_number_id, "post")
    try:
        body = json.loads(await request.body())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise invalid_parameter(f"The request body is not valid JSON: {exc}") from exc
    to = body.get("to") if isinstance(body, dict) else None
    await sandbox.faults.trigger(
        "messages", method="POST", object_id=phone_number_id, to=to if isinstance(to, str) else None
    )
    record = messages.validate(
        body,
        media=sandbox.media,
        phone_number_id=phone_number_id,
        max_text_len=sandbox.config.max_text_len,
        templates=sandbox.templates,
        waba_id=waba.waba_id,
    )
    free_form = record["kind"] == "message" and record["type"] != "template"
    if free_form and not sandbox.windows.is_open(phone_number_id, record["to"]):
        raise from_code(131047)
    stored, response = messages.accept(record)
    sandbox.outbox.record(stored)
    return response
