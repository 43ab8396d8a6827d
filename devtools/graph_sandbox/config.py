"""What one sandbox instance starts as: one business phone number behind one token.

More apps, WABAs, numbers and tokens are provisioned at run time (``/sandbox/apps``,
``/sandbox/wabas``, ``/sandbox/tokens``, or ``Sandbox.accounts``); the configured token
is a never-expiring system-user token of ``app_id`` for ``waba_id``, which holds
``phone_number_id``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from graph_sandbox.templates import ANY_WABA, DEFAULT_TEMPLATES, ApprovedTemplate
from graph_sandbox.window import WINDOW_S, UnseenUsers

# The WABA id the webhook builders put in their envelopes by default.
DEFAULT_WABA_ID = "102290129340398"
DEFAULT_APP_ID = "1092012934039811"


class SandboxConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    access_token: SecretStr
    phone_number_id: str
    # Base of the media download links the sandbox hands out (Meta's are on lookaside).
    public_url: str = Field(examples=["http://127.0.0.1:8081"])
    # Meta's media URLs are valid for 5 minutes.
    media_url_ttl_s: float = 300
    max_text_len: int = 4096
    display_phone_number: str = "15550000000"
    # The app and WABA the configured token and number belong to. Without an app secret
    # the app has no app access token ({app_id}|{app_secret}), so no app-level callback.
    waba_id: str = DEFAULT_WABA_ID
    app_id: str = DEFAULT_APP_ID
    app_secret: SecretStr | None = None
    app_name: str = "ibbase sandbox"
    # How the sandbox, acting as Meta, reaches callback URLs it must verify: a CA bundle
    # to trust instead of the public roots (a test CA, cert-manager's CA in a local
    # cluster) and a curl-style resolve map, "host" (or "*") -> "ip:port".
    callback_ca_bundle: str | None = None
    callback_resolve: dict[str, str] = Field(default_factory=dict)
    callback_timeout_s: float = Field(default=5.0, gt=0)
    # Approved message templates by WABA id; "*" lists those every WABA has.
    templates: dict[str, tuple[ApprovedTemplate, ...]] = Field(
        default_factory=lambda: {ANY_WABA: DEFAULT_TEMPLATES}
    )
    # The customer-service window (see graph_sandbox.window): its length, and whether users
    # the sandbox never heard from are inside it ("open") or outside ("closed", Meta's rule).
    customer_window_s: float = Field(default=WINDOW_S, gt=0)
    unseen_users: UnseenUsers = "open"
