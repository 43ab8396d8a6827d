"""Where Meta would deliver webhooks: app callbacks, WABA subscriptions, overrides.

Three layers, as Meta resolves them for a phone number's events (first one set wins):

1. the phone number's ``webhook_configuration.override_callback_uri`` (per app);
2. the WABA's ``override_callback_uri`` set with ``POST /{waba-id}/subscribed_apps``;
3. the app's callback for the ``whatsapp_business_account`` object
   (``POST /{app-id}/subscriptions``).

An app gets a WABA's events only while it is subscribed to that WABA. Meta disables a
subscription whose callback keeps failing (``disable`` simulates it): the app then drops
out of ``subscribed_apps`` and its overrides are gone, and an operator must notice and
re-subscribe. Verify tokens are secrets: ``repr`` hides them and ``snapshot`` gives only
their SHA-256 so that tests can still check which one was registered.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

WABA_OBJECT = "whatsapp_business_account"


@dataclass(frozen=True)
class Callback:
    uri: str
    verify_token: str = field(repr=False)


@dataclass
class AppCallback:
    """``POST /{app-id}/subscriptions`` for one object: a URL and the fields sent to it."""

    object: str
    callback_url: str
    verify_token: str = field(repr=False)
    fields: dict[str, str] = field(default_factory=dict)  # field name -> API version


def fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Subscriptions:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        # app_id -> object -> callback
        self.app_callbacks: dict[str, dict[str, AppCallback]] = {}
        # waba_id -> app_id -> the WABA override (None: subscribed without one)
        self.waba_apps: dict[str, dict[str, Callback | None]] = {}
        # phone_number_id -> app_id -> override
        self.phone_overrides: dict[str, dict[str, Callback]] = {}
        # What Meta disabled, oldest first: {"waba_id", "app_id", "disabled_at"}.
        self.disabled: list[dict[str, Any]] = []
        self._lock = threading.RLock()

    # --- app callbacks --------------------------------------------------------------

    def set_app_callback(
        self,
        app_id: str,
        object: str,
        url: str,
        verify_token: str,
        fields: Iterable[str],
        version: str,
    ) -> AppCallback:
        """Set the URL and token; add ``fields`` to those already subscribed (as Meta does)."""
        with self._lock:
            current = self.app_callbacks.setdefault(app_id, {}).get(object)
            merged = dict(current.fields) if current else {}
            for name in fields:
                merged.setdefault(name, version)
            callback = AppCallback(object, url, verify_token, merged)
            self.app_callbacks[app_id][object] = callback
            return callback

    def remove_app_callback(
        self, app_id: str, object: str | None = None, fields: Iterable[str] | None = None
    ) -> None:
        """Remove the object's callback (every object's without one), or only some fields."""
        with self._lock:
            callbacks = self.app_callbacks.get(app_id, {})
            if object is None:
                callbacks.clear()
                return
            callback = callbacks.get(object)
            if callback is None:
                return
            for name in fields or ():
                callback.fields.pop(name, None)
            if fields is None or not callback.fields:
                del callbacks[object]

    def app_callback(self, app_id: str, object: str = WABA_OBJECT) -> AppCallback | None:
        return self.app_callbacks.get(app_id, {}).get(object)

    # --- WABA subscriptions and overrides ----------------------------------------------

    def subscribe(self, waba_id: str, app_id: str, override: Callback | None) -> None:
        with self._lock:
            self.waba_apps.setdefault(waba_id, {})[app_id] = override

    def is_subscribed(self, waba_id: str, app_id: str) -> bool:
        return app_id in self.waba_apps.get(waba_id, {})

    def subscribed_apps(self, waba_id: str) -> dict[str, Callback | None]:
        with self._lock:
            return dict(self.waba_apps.get(waba_id, {}))

    def unsubscribe(self, waba_id: str, app_id: str, phone_number_ids: Iterable[str]) -> bool:
        """Drop the app's subscription and every override it had on the WABA's numbers."""
        with self._lock:
            apps = self.waba_apps.get(waba_id, {})
            was = app_id in apps
            apps.pop(app_id, None)
            for phone in phone_number_ids:
                self.phone_overrides.get(phone, {}).pop(app_id, None)
            return was

    def set_phone_override(
        self, phone_number_id: str, app_id: str, override: Callback | None
    ) -> None:
        with self._lock:
            overrides = self.phone_overrides.setdefault(phone_number_id, {})
            if override is None:
                overrides.pop(app_id, None)
            else:
                overrides[app_id] = override

    def phone_override(self, phone_number_id: str, app_id: str) -> Callback | None:
        return self.phone_overrides.get(phone_number_id, {}).get(app_id)

    def disable(
        self, waba_id: str, phone_number_ids: Iterable[str], app_id: str | None = None
    ) -> list[str]:
        """Meta disabled the subscription (every app's, or one app's): the apps it hit."""
        phones = list(phone_number_ids)
        with self._lock:
            apps = [app_id] if app_id is not None else list(self.waba_apps.get(waba_id, {}))
            hit = [a for a in apps if self.unsubscribe(waba_id, a, phones)]
            now = self.clock()
            self.disabled.extend({"waba_id": waba_id, "app_id": a, "disabled_at": now} for a in hit)
            return hit

    def effective_callback(self, waba_id: str, phone_number_id: str, app_id: str) -> str | None:
        """Where the app would get this number's events, or None if nowhere."""
        with self._lock:
            if not self.is_subscribed(waba_id, app_id):
                return None
            phone = self.phone_override(phone_number_id, app_id)
            if phone is not None:
                return phone.uri
            waba = self.waba_apps[waba_id][app_id]
            if waba is not None:
                return waba.uri
            app = self.app_callback(app_id)
            return app.callback_url if app is not None and "messages" in app.fields else None

    def snapshot(self, phones_of: Callable[[str], Iterable[str]]) -> dict[str, Any]:
        """Everything, JSON-ready, with verify tokens as SHA-256 fingerprints."""
        with self._lock:
            apps = [
                {
                    "app_id": app_id,
                    "object": cb.object,
                    "callback_url": cb.callback_url,
                    "verify_token_sha256": fingerprint(cb.verify_token),
                    "fields": sorted(cb.fields),
                }
                for app_id, objects in self.app_callbacks.items()
                for cb in objects.values()
            ]
            wabas = [
                {
                    "waba_id": waba_id,
                    "app_id": app_id,
                    "override_callback_uri": override.uri if override else None,
                    "verify_token_sha256": fingerprint(override.verify_token) if override else None,
                }
                for waba_id, subscribed in self.waba_apps.items()
                for app_id, override in subscribed.items()
            ]
            phones = []
            for waba_id, subscribed in self.waba_apps.items():
                for phone in sorted(phones_of(waba_id)):
                    for app_id in subscribed:
                        override = self.phone_override(phone, app_id)
                        phones.append(
                            {
                                "phone_number_id": phone,
                                "waba_id": waba_id,
                                "app_id": app_id,
                                "override_callback_uri": override.uri if override else None,
                                "verify_token_sha256": (
                                    fingerprint(override.verify_token) if override else None
                                ),
                                "effective_callback_uri": self.effective_callback(
                                    waba_id, phone, app_id
                                ),
                            }
                        )
            return {
                "apps": apps,
                "wabas": wabas,
                "phone_numbers": phones,
                "disabled": list(self.disabled),
            }
