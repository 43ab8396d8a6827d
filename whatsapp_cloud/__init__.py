"""Meta's WhatsApp Cloud API as ibbase uses it: the Graph client and its one error taxonomy,
the webhook callback probe, and the channel-registry entry the operator writes and the
gateway reads.

The bottom layer: it imports nothing else of this project, and ``gateway``,
``ibbase_operator`` and ``ocr_cluster`` build on it without importing each other.
"""
