"""The phone number node: ``GET /{version}/{id}`` (fields) and ``POST`` (webhook override);
and the WABA's ``GET /{version}/{waba-id}/phone_numbers`` edge that lists them.

``GET /{version}/{id}`` is one route for every node the sandbox knows: a phone number id
gets the phone number's fields, anything else is looked up as media (Meta's URL shape is the
same for both).

A phone-number override (``webhook_configuration.override_callback_uri``) belongs to the
token's app, which must already be subscribed to the number's WABA: Meta refuses it with
#100 otherwise, so an operator must subscribe first and override second. An empty URL
removes the override.

``/{waba-id}/phone_numbers`` lists the WABA's numbers with their default fields (``fields``
picks others), in pages (``limit``, default 25; ``after``/``before`` cursors, a ``next``
link while more follow), to a token that may manage the WABA: #200 otherwise, 100/33 for a
WABA that does not exist. Meta sorts by onboarding time, newest first; the sandbox by id.
"""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Request

from graph_sandbox import media_api
from graph_sandbox.access import may_read_phone, phone_for_management, waba_for_management
from graph_sandbox.accounts import Token, Waba
from graph_sandbox.callback_verification import MAX_OVERRIDE_LEN, callback_params, verify
from graph_sandbox.errors import GraphError, invalid_parameter, unknown_object
from graph_sandbox.params import object_param, read_params
from graph_sandbox.state import Authorized, PrincipalDep, Sandbox, SandboxDep, Versioned
from graph_sandbox.subscriptions import WABA_OBJECT

router = APIRouter(dependencies=[Versioned, Authorized])

# The fields of a number in the WABA's phone_numbers edge when none are asked for.
LIST_FIELDS = (
    "verified_name",
    "code_verification_status",
    "display_phone_number",
    "quality_rating",
    "id",
)
PAGE_SIZE = 25
MAX_PAGE_SIZE = 100

DEFAULT_FIELDS = (
    "verified_name",
    "code_verification_status",
    "display_phone_number",
    "quality_rating",
    "platform_type",
    "throughput",
    "id",
)


def _display_number(sandbox: Sandbox, phone_number_id: str) -> str:
    if phone_number_id == sandbox.config.phone_number_id:
        return sandbox.config.display_phone_number
    return "1555" + phone_number_id[-7:].rjust(7, "0")


def _webhook_configuration(
    sandbox: Sandbox, waba: Waba, phone_number_id: str, token: Token
) -> dict[str, str]:
    """The callbacks that apply to the token's app for this number, most specific first."""
    subs = sandbox.subscriptions
    config: dict[str, str] = {}
    phone = subs.phone_override(phone_number_id, token.app_id)
    if phone is not None:
        config["phone_number"] = phone.uri
    waba_override = subs.subscribed_apps(waba.waba_id).get(token.app_id)
    if waba_override is not None:
        config["whatsapp_business_account"] = waba_override.uri
    app = subs.app_callback(token.app_id, WABA_OBJECT)
    if app is not None:
        config["application"] = app.callback_url
    return config


def _phone_fields(
    sandbox: Sandbox, phone_number_id: str, token: Token, fields: list[str]
) -> dict[str, Any]:
    waba = sandbox.accounts.waba_of_phone(phone_number_id)
    assert waba is not None
    values: dict[str, Any] = {
        "verified_name": sandbox.config.app_name,
        "code_verification_status": "VERIFIED",
        "display_phone_number": _display_number(sandbox, phone_number_id),
        "quality_rating": "GREEN",
        "platform_type": "CLOUD_API",
        "throughput": {"level": "STANDARD"},
    }
    node: dict[str, Any] = {}
    for name in fields:
        if name == "webhook_configuration":
            node[name] = _webhook_configuration(sandbox, waba, phone_number_id, token)
        elif name in values:
            node[name] = values[name]
        elif name != "id":
            raise GraphError(
                400,
                100,
                f"(#100) Tried accessing nonexisting field ({name}) on node type "
                "(WhatsAppBusinessPhoneNumber)",
            )
    node["id"] = phone_number_id
    return node


def _cursor(index: int) -> str:
    # Opaque to clients, as Meta's cursors are.
    return base64.urlsafe_b64encode(f"phone:{index}".encode()).decode().rstrip("=")


def _position(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, index = text.partition(":")
        if kind == "phone" and index.isdigit():
            return int(index)
    except (ValueError, UnicodeDecodeError):
        pass
    raise invalid_parameter(f"Invalid cursor: {cursor[:64]}")


def _page_size(raw: str | None) -> int:
    if raw is None:
        return PAGE_SIZE
    if not raw.isdigit() or int(raw) < 1:
        raise invalid_parameter("Param limit must be a positive integer.")
    return min(int(raw), MAX_PAGE_SIZE)


@router.get("/{version}/{waba_id}/phone_numbers")
async def list_phone_numbers(
    waba_id: str, request: Request, sandbox: SandboxDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The WABA's phone numbers, a page at a time."""
    await sandbox.faults.trigger("phone_numbers", method="GET", object_id=waba_id)
    token = waba_for_management(sandbox, principal, waba_id, "get")
    query = request.query_params
    requested = query.get("fields")
    fields = [f.strip() for f in requested.split(",") if f.strip()] if requested else []
    size = _page_size(query.get("limit"))
    phones = sorted(sandbox.accounts.wabas[waba_id].phone_number_ids)
    start = 0
    if query.get("after"):
        start = _position(query["after"]) + 1
    elif query.get("before"):
        start = max(0, _position(query["before"]) - size)
    page = phones[start : start + size]
    body: dict[str, Any] = {
        "data": [_phone_fields(sandbox, p, token, fields or list(LIST_FIELDS)) for p in page]
    }
    if page:
        body["paging"] = {
            "cursors": {"before": _cursor(start), "after": _cursor(start + len(page) - 1)}
        }
        if start + len(page) < len(phones):
            after = _cursor(start + len(page) - 1)
            base = str(request.url.remove_query_params(["after", "before", "access_token"]))
            body["paging"]["next"] = f"{base}{'&' if '?' in base else '?'}after={after}"
    return body


@router.get("/{version}/{object_id}")
async def get_node(
    object_id: str, request: Request, sandbox: SandboxDep, principal: PrincipalDep
) -> dict[str, Any]:
    if sandbox.accounts.waba_of_phone(object_id) is None:
        return await media_api.retrieve_media_url(object_id, request, sandbox, principal)
    await sandbox.faults.trigger("phone_number", method="GET", object_id=object_id)
    if not may_read_phone(sandbox, principal, object_id):
        raise unknown_object(object_id, "get")
    assert isinstance(principal, Token)  # may_read_phone holds only for user tokens
    requested = request.query_params.get("fields")
    fields = [f.strip() for f in requested.split(",") if f.strip()] if requested else []
    return _phone_fields(sandbox, object_id, principal, fields or list(DEFAULT_FIELDS))


@router.post("/{version}/{phone_number_id}")
async def update_phone_number(
    phone_number_id: str, request: Request, sandbox: SandboxDep, principal: PrincipalDep
) -> dict[str, bool]:
    """Set or remove the number's callback override for the token's app."""
    await sandbox.faults.trigger("phone_number", method="POST", object_id=phone_number_id)
    waba, token = phone_for_management(sandbox, principal, phone_number_id, "post")
    params = await read_params(request)
    configuration = object_param(params, "webhook_configuration")
    if configuration is None:
        raise invalid_parameter("The parameter webhook_configuration is required.")
    override = callback_params(configuration, "override_callback_uri", max_len=MAX_OVERRIDE_LEN)
    if override is not None:
        # Removing an override needs no subscription: cleanup must be repeatable.
        if not sandbox.subscriptions.is_subscribed(waba.waba_id, token.app_id):
            raise GraphError(
                400,
                100,
                "(#100) Invalid parameter",
                details="The app is not subscribed to the WhatsApp Business Account of this "
                "phone number: subscribe it with POST /{waba-id}/subscribed_apps first.",
            )
        await verify(sandbox, override)
    sandbox.subscriptions.set_phone_override(phone_number_id, token.app_id, override)
    return {"success": True}
