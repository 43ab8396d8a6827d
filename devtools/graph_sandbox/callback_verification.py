"""Meta's check of a callback URL while it is being set: shape first, then the challenge.

Every endpoint that sets a callback (app subscription, WABA override, phone-number override)
goes through ``verified_callback``: a malformed URL is error 100; a URL that does not answer
the challenge over publicly valid TLS is error 2200; either way nothing is changed. The
check itself is ``whatsapp_cloud.probe``, the same one the operator runs before registering.
"""

from __future__ import annotations

from typing import Any

from graph_sandbox.errors import callback_verification_failed, invalid_parameter
from graph_sandbox.params import string_param
from graph_sandbox.state import Sandbox
from graph_sandbox.subscriptions import Callback
from whatsapp_cloud.probe import probe_callback

# Meta's limit for override_callback_uri.
MAX_OVERRIDE_LEN = 200


def callback_params(
    params: dict[str, Any], url_name: str, *, max_len: int | None = None
) -> Callback | None:
    """The URL and verify token from the parameters; None when the URL is absent or empty."""
    url = string_param(params, url_name)
    if not url:
        return None
    if max_len is not None and len(url) > max_len:
        raise invalid_parameter(f"Param {url_name} must be at most {max_len} characters long.")
    if not url.startswith("https://") or len(url) <= len("https://"):
        raise invalid_parameter(f"Param {url_name} must be a valid https URL.")
    verify_token = string_param(params, "verify_token")
    if not verify_token:
        raise invalid_parameter(f"The parameter verify_token is required with {url_name}.")
    return Callback(url, verify_token)


async def verify(sandbox: Sandbox, callback: Callback) -> None:
    """Send Meta's challenge to the URL; raise 2200 unless it is answered right."""
    config = sandbox.config
    result = await probe_callback(
        callback.uri,
        callback.verify_token,
        ca_bundle=config.callback_ca_bundle,
        resolve=config.callback_resolve,
        timeout_s=config.callback_timeout_s,
    )
    if not result.ok:
        raise callback_verification_failed(result.detail)


async def verified_callback(
    sandbox: Sandbox, params: dict[str, Any], url_name: str, *, max_len: int | None = None
) -> Callback | None:
    callback = callback_params(params, url_name, max_len=max_len)
    if callback is not None:
        await verify(sandbox, callback)
    return callback
