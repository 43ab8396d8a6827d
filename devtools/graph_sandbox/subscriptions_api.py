"""Webhook registration: ``/{waba-id}/subscribed_apps`` and ``/{app-id}/subscriptions``.

Order of checks, as Graph applies them: the caller's token (190), the object (100/33), the
caller's right to it (#200, or #15 where an app token is required), the parameters (100),
then the synchronous callback verification (2200); only then is anything changed.

``DELETE /{waba-id}/subscribed_apps`` answers ``{"success": true}`` also when the app was
not subscribed: Meta's endpoint is idempotent in practice, and an operator's cleanup must
be able to repeat it (after a crash, or after Meta disabled the subscription itself).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from graph_sandbox.access import app_for_app_token, waba_for_management
from graph_sandbox.callback_verification import MAX_OVERRIDE_LEN, verified_callback
from graph_sandbox.errors import invalid_parameter
from graph_sandbox.params import list_param, read_params, string_param
from graph_sandbox.state import Authorized, PrincipalDep, SandboxDep, Versioned
from graph_sandbox.subscriptions import WABA_OBJECT

router = APIRouter(dependencies=[Versioned, Authorized])

# The webhook fields of the whatsapp_business_account object.
WABA_FIELDS = frozenset(
    {
        "account_alerts",
        "account_review_update",
        "account_update",
        "business_capability_update",
        "business_status_update",
        "calls",
        "flows",
        "history",
        "message_echoes",
        "message_template_components_update",
        "message_template_quality_update",
        "message_template_status_update",
        "messages",
        "partner_solutions",
        "payment_configuration_update",
        "phone_number_name_update",
        "phone_number_quality_update",
        "security",
        "smb_app_state_sync",
        "smb_message_echoes",
        "template_category_update",
        "tracking_events",
        "user_preferences",
    }
)


# --- /{waba-id}/subscribed_apps ----------------------------------------------------------


@router.post("/{version}/{waba_id}/subscribed_apps")
async def subscribe_app(
    waba_id: str, request: Request, sandbox: SandboxDep, principal: PrincipalDep
) -> dict[str, bool]:
    """Subscribe the token's app to the WABA, with or without a WABA-level override."""
    await sandbox.faults.trigger("subscribed_apps", method="POST", object_id=waba_id)
    token = waba_for_management(sandbox, principal, waba_id, "post")
    params = await read_params(request)
    override = await verified_callback(
        sandbox, params, "override_callback_uri", max_len=MAX_OVERRIDE_LEN
    )
    sandbox.subscriptions.subscribe(waba_id, token.app_id, override)
    return {"success": True}


@router.get("/{version}/{waba_id}/subscribed_apps")
async def list_subscribed_apps(
    waba_id: str, sandbox: SandboxDep, principal: PrincipalDep
) -> dict[str, list[dict[str, Any]]]:
    await sandbox.faults.trigger("subscribed_apps", method="GET", object_id=waba_id)
    waba_for_management(sandbox, principal, waba_id, "get")
    data = []
    for app_id, override in sandbox.subscriptions.subscribed_apps(waba_id).items():
        app = sandbox.accounts.apps.get(app_id)
        entry: dict[str, Any] = {
            "whatsapp_business_api_data": {
                "id": app_id,
                "link": app.link if app else "",
                "name": app.name if app else "",
            }
        }
        if override is not None:
            entry["override_callback_uri"] = override.uri
        data.append(entry)
    return {"data": data}


@router.delete("/{version}/{waba_id}/subscribed_apps")
async def unsubscribe_app(
    waba_id: str, sandbox: SandboxDep, principal: PrincipalDep
) -> dict[str, bool]:
    await sandbox.faults.trigger("subscribed_apps", method="DELETE", object_id=waba_id)
    token = waba_for_management(sandbox, principal, waba_id, "delete")
    phones = sandbox.accounts.wabas[waba_id].phone_number_ids
    sandbox.subscriptions.unsubscribe(waba_id, token.app_id, phones)
    return {"success": True}


# --- /{app-id}/subscriptions ----------------------------------------------------------------


def _object(params: dict[str, Any], *, required: bool) -> str | None:
    value = string_param(params, "object")
    if not value:
        if required:
            raise invalid_parameter("The parameter object is required.")
        return None
    if value != WABA_OBJECT:
        # Meta has other objects (page, user, instagram…); the sandbox models this one.
        raise invalid_parameter(f"Param object must be {WABA_OBJECT} in the sandbox.")
    return value


def _fields(params: dict[str, Any], *, required: bool) -> list[str] | None:
    fields = list_param(params, "fields")
    if not fields:
        if required:
            raise invalid_parameter("The parameter fields is required.")
        return None
    unknown = sorted(set(fields) - WABA_FIELDS)
    if unknown:
        raise invalid_parameter(f"Param fields has unknown fields for {WABA_OBJECT}: {unknown}.")
    return fields


@router.post("/{version}/{app_id}/subscriptions")
async def set_app_subscription(
    version: str, app_id: str, request: Request, sandbox: SandboxDep, principal: PrincipalDep
) -> dict[str, bool]:
    """The app's callback for an object; fields add to those already subscribed."""
    await sandbox.faults.trigger("app_subscriptions", method="POST", object_id=app_id)
    app_for_app_token(sandbox, principal, app_id, "post")
    params = await read_params(request)
    obj = _object(params, required=True)
    fields = _fields(params, required=True)
    assert obj is not None and fields is not None
    callback = await verified_callback(sandbox, params, "callback_url")
    if callback is None:
        raise invalid_parameter("The parameter callback_url is required.")
    sandbox.subscriptions.set_app_callback(
        app_id, obj, callback.uri, callback.verify_token, fields, version
    )
    return {"success": True}


@router.get("/{version}/{app_id}/subscriptions")
async def list_app_subscriptions(
    app_id: str, sandbox: SandboxDep, principal: PrincipalDep
) -> dict[str, list[dict[str, Any]]]:
    await sandbox.faults.trigger("app_subscriptions", method="GET", object_id=app_id)
    app_for_app_token(sandbox, principal, app_id, "get")
    callbacks = sandbox.subscriptions.app_callbacks.get(app_id, {})
    return {
        "data": [
            {
                "object": cb.object,
                "callback_url": cb.callback_url,
                "active": True,
                "fields": [{"name": n, "version": v} for n, v in sorted(cb.fields.items())],
            }
            for cb in callbacks.values()
        ]
    }


@router.delete("/{version}/{app_id}/subscriptions")
async def delete_app_subscription(
    app_id: str, request: Request, sandbox: SandboxDep, principal: PrincipalDep
) -> dict[str, bool]:
    """Without ``object``: every object; with ``fields``: only those fields."""
    await sandbox.faults.trigger("app_subscriptions", method="DELETE", object_id=app_id)
    app_for_app_token(sandbox, principal, app_id, "delete")
    params = await read_params(request)
    obj = _object(params, required=False)
    fields = _fields(params, required=False) if obj is not None else None
    sandbox.subscriptions.remove_app_callback(app_id, obj, fields)
    return {"success": True}
