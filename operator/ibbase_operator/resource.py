"""Names that identify the custom resource and the objects the operator makes for it."""

from __future__ import annotations

GROUP = "ibbase.io"
VERSION = "v1alpha1"
PLURAL = "whatsappchannels"
KIND = "WhatsAppChannel"
API_VERSION = f"{GROUP}/{VERSION}"

# Labels on every child, so that `kubectl get -l` finds a channel's objects.
LABEL_CHANNEL = "ibbase.io/channel"
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "ibbase-operator"

# Keys of the per-channel Secret that holds the webhook verify token.
VERIFY_TOKEN_KEY = "verifyToken"
PREVIOUS_VERIFY_TOKEN_KEY = "previousVerifyToken"


# The operator-owned Secret with a refreshed access token (the user's credentials Secret is
# never written: External Secrets Operator or a GitOps tool may own it), and its annotation
# naming the user's token it was refreshed from.
ACCESS_TOKEN_KEY = "accessToken"
REFRESHED_FROM = "ibbase.io/refreshed-from"
EXPIRES_AT = "ibbase.io/expires-at"

# Set on a channel being deleted to let it go although Meta could not confirm that its
# registration is removed (a Warning event names what is left at Meta).
ABANDON_REGISTRATION = "ibbase.io/abandon-registration"


def webhook_secret_name(channel: str) -> str:
    return f"{channel}-webhook"


def token_secret_name(channel: str) -> str:
    return f"{channel}-token"


def ingress_name(channel: str) -> str:
    return f"{channel}-webhook"


def tls_secret_name(channel: str) -> str:
    """cert-manager's ingress-shim names the Certificate after the TLS secret, so this one
    name finds both."""
    return f"{channel}-webhook-tls"
