"""Media storage and the short-lived download URLs Meta hands out for it.

Meta's flow: ``GET /{version}/{media-id}`` answers a URL on its lookaside CDN, valid for
5 minutes, that must be fetched with the same Bearer token. Each metadata call issues a
fresh URL. The sandbox mirrors the shape of Meta's URLs
(``/whatsapp_business/attachments/?mid=…&ext=…&hash=…``) under ``public_url``.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

MB = 1024 * 1024

# Meta's supported media types and their size limits.
SUPPORTED_TYPES: dict[str, tuple[str, int]] = {
    "audio/aac": ("audio", 16 * MB),
    "audio/amr": ("audio", 16 * MB),
    "audio/mpeg": ("audio", 16 * MB),
    "audio/mp4": ("audio", 16 * MB),
    "audio/ogg": ("audio", 16 * MB),
    "text/plain": ("document", 100 * MB),
    "application/pdf": ("document", 100 * MB),
    "application/vnd.ms-powerpoint": ("document", 100 * MB),
    "application/msword": ("document", 100 * MB),
    "application/vnd.ms-excel": ("document", 100 * MB),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
        "document",
        100 * MB,
    ),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        "document",
        100 * MB,
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("document", 100 * MB),
    "image/jpeg": ("image", 5 * MB),
    "image/png": ("image", 5 * MB),
    "image/webp": ("sticker", 500 * 1024),
    "video/3gpp": ("video", 16 * MB),
    "video/mp4": ("video", 16 * MB),
}


@dataclass(frozen=True)
class StoredMedia:
    id: str
    data: bytes
    mime_type: str
    sha256: str  # hex, as the media endpoint answers it
    phone_number_id: str
    filename: str | None = None

    @property
    def file_size(self) -> int:
        return len(self.data)

    def metadata(self, url: str) -> dict[str, object]:
        return {
            "messaging_product": "whatsapp",
            "url": url,
            "mime_type": self.mime_type,
            "sha256": self.sha256,
            # Meta sends the size as a number on some versions and a string on others.
            "file_size": self.file_size,
            "id": self.id,
        }


@dataclass(frozen=True)
class _Grant:
    media_id: str
    expires_at: float  # monotonic


def new_media_id() -> str:
    return str(10**15 + secrets.randbelow(9 * 10**15))


class MediaStore:
    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._media: dict[str, StoredMedia] = {}
        self._grants: dict[str, _Grant] = {}

    def add(
        self, data: bytes, mime_type: str, phone_number_id: str, filename: str | None = None
    ) -> StoredMedia:
        media = StoredMedia(
            id=new_media_id(),
            data=data,
            mime_type=mime_type,
            sha256=hashlib.sha256(data).hexdigest(),
            phone_number_id=phone_number_id,
            filename=filename,
        )
        self._media[media.id] = media
        return media

    def get(self, media_id: str) -> StoredMedia | None:
        return self._media.get(media_id)

    def delete(self, media_id: str) -> bool:
        return self._media.pop(media_id, None) is not None

    def issue_url(self, media: StoredMedia, public_url: str) -> str:
        self._drop_expired()
        token = secrets.token_urlsafe(24)
        self._grants[token] = _Grant(media.id, time.monotonic() + self.ttl_s)
        query = urlencode({"mid": media.id, "ext": int(time.time() + self.ttl_s), "hash": token})
        return f"{public_url.rstrip('/')}/whatsapp_business/attachments/?{query}"

    def resolve(self, mid: str, token: str) -> StoredMedia | None:
        """The media a download URL points to, or None if it is unknown or expired."""
        grant = self._grants.get(token)
        if grant is None or grant.media_id != mid or time.monotonic() >= grant.expires_at:
            return None
        return self._media.get(mid)

    def _drop_expired(self) -> None:
        now = time.monotonic()
        for token in [t for t, g in self._grants.items() if now >= g.expires_at]:
            del self._grants[token]
