"""``/sandbox/…``: what tests and the demo use to look inside and to steer the sandbox.

No authentication: these routes are not part of Meta's API and the sandbox is a local tool.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any, Literal

from fastapi import APIRouter, Request

from graph_sandbox.errors import invalid_parameter, unknown_object
from graph_sandbox.faults import FaultSpec
from graph_sandbox.media_api import read_upload
from graph_sandbox.state import SandboxDep
from graph_sandbox.templates import ApprovedTemplate

router = APIRouter(prefix="/sandbox", tags=["sandbox"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/messages")
async def list_messages(
    sandbox: SandboxDep, to: str | None = None, kind: Literal["message", "read"] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Accepted sends and read receipts, oldest first.

    Each record: ``kind`` (``message`` or ``read``), ``id`` (the wamid sent, or the one
    marked read), ``to``, ``type``, the content under its type key (``text``, ``image``…),
    ``body`` (the text, or a caption), ``context``, ``biz_opaque_callback_data``,
    ``typing`` (read receipts with a typing indicator) and ``timestamp`` (Unix seconds).
    """
    return {"data": sandbox.outbox.list(to=to, kind=kind)}


@router.delete("/messages")
async def clear_messages(sandbox: SandboxDep) -> dict[str, bool]:
    sandbox.outbox.clear()
    return {"success": True}


@router.post("/faults")
async def add_fault(spec: FaultSpec, sandbox: SandboxDep) -> dict[str, Any]:
    sandbox.faults.add(spec)
    return {"success": True, "pending": sandbox.faults.pending()}


@router.get("/faults")
async def list_faults(sandbox: SandboxDep) -> dict[str, Any]:
    return {"data": sandbox.faults.pending()}


@router.delete("/faults")
async def clear_faults(sandbox: SandboxDep) -> dict[str, bool]:
    sandbox.faults.clear()
    return {"success": True}


@router.get("/calls")
async def list_calls(
    sandbox: SandboxDep, endpoint: str | None = None, to: str | None = None
) -> dict[str, Any]:
    """Every call that reached a fault check (faulted or not), oldest first."""
    return {"data": sandbox.faults.calls(endpoint=endpoint, to=to)}


@router.delete("/calls")
async def clear_calls(sandbox: SandboxDep) -> dict[str, bool]:
    sandbox.faults.clear_calls()
    return {"success": True}


@router.post("/media")
async def add_inbound_media(
    request: Request, sandbox: SandboxDep, phone_number_id: str | None = None
) -> dict[str, Any]:
    """Store media as if a WhatsApp user had sent it; the webhook then names its id.

    Same multipart form as Meta's upload. Answers both digests: ``sha256`` (hex, as the
    media endpoint gives it) and ``sha256_b64`` (base64, as webhooks carry it). The media
    belongs to the configured number unless ``?phone_number_id=`` names another.
    """
    phone = phone_number_id or sandbox.config.phone_number_id
    if sandbox.accounts.waba_of_phone(phone) is None:
        raise unknown_object(phone, "post")
    data, mime_type, filename = await read_upload(request)
    media = sandbox.media.add(data, mime_type, phone, filename)
    return {
        "id": media.id,
        "mime_type": media.mime_type,
        "sha256": media.sha256,
        "sha256_b64": base64.b64encode(hashlib.sha256(data).digest()).decode(),
        "file_size": media.file_size,
    }


@router.post("/inbound")
async def record_inbound(request: Request, sandbox: SandboxDep) -> dict[str, Any]:
    """A webhook notification of users' messages, as Meta would deliver it: each sender's
    24-hour window opens (or extends) from the message's ``timestamp``. Nothing is
    delivered: post the same bytes to the receiver under test."""
    try:
        payload = await request.json()
    except ValueError as exc:
        raise invalid_parameter(f"The request body is not valid JSON: {exc}") from exc
    return {"data": sandbox.windows.record_notification(payload)}


@router.delete("/inbound")
async def forget_inbound(sandbox: SandboxDep) -> dict[str, bool]:
    """Forget every user's last message (every window closes, or counts as unseen)."""
    sandbox.windows.forget()
    return {"success": True}


@router.get("/wabas/{waba_id}/templates")
async def list_templates(waba_id: str, sandbox: SandboxDep) -> dict[str, Any]:
    if waba_id not in sandbox.accounts.wabas:
        raise unknown_object(waba_id, "get")
    return {"data": [t.model_dump() for t in sandbox.templates.listing(waba_id)]}


@router.post("/wabas/{waba_id}/templates")
async def approve_template(
    waba_id: str, template: ApprovedTemplate, sandbox: SandboxDep
) -> dict[str, Any]:
    """Approve a template for one WABA (as if Meta had reviewed it)."""
    if waba_id not in sandbox.accounts.wabas:
        raise unknown_object(waba_id, "post")
    sandbox.templates.approve(waba_id, template)
    return {"success": True, "body_params": template.body_params}
