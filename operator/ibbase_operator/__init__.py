"""The WhatsAppChannel operator (kopf): one resource gives a WhatsApp number its secrets, a TLS
ingress, a webhook registered with Meta, and tokens that are checked and rotated.

The import package is not called ``operator``: that would shadow the standard library."""
