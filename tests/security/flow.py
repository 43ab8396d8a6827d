"""One full flow through a running stack, with its failure paths, for the secret-leak tests:
Meta's handshake (right and wrong), signed events, bad signatures, an invalid-token answer
and a media 500 from the Graph API, a card photo, admin sends and contact reads with every
kind of token (bootstrap, admin, viewer, wrong, revoked)."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from ibbase_dev.simulate import SimulatedUser
from tests.cardgen.known import QR_CARD

WA_ID = "79007770001"


@dataclass
class Flow:
    http: httpx.AsyncClient
    gateway: str
    sandbox_url: str
    phone_id: str
    verify_token: str
    app_secret: str
    admin_token: str
    issue: Callable[[str], Awaitable[str]]  # scope -> a new API token
    revoke: Callable[[str], Awaitable[None]]  # token -> revoked
    answers: list[str] = field(default_factory=list)  # every HTTP answer: status, headers, body

    async def call(self, method: str, url: str, **kw: object) -> httpx.Response:
        response = await self.http.request(method, url, **kw)  # type: ignore[arg-type]
        self.answers.append(f"{response.status_code} {dict(response.headers)} {response.text}")
        return response

    async def handshake(self, token: str) -> tuple[int, str]:
        # urllib, not httpx: the test's own client would log the verify token in this URL
        # (httpx logs every request URL), and the test's client is not what is under test.
        query = {"hub.mode": "subscribe", "hub.challenge": "4242", "hub.verify_token": token}
        url = f"{self.gateway}/api/whatsapp/webhook?{urllib.parse.urlencode(query)}"

        def get() -> tuple[int, str]:
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    return response.status, response.read().decode()
            except urllib.error.HTTPError as error:
                return error.code, error.read().decode()

        status, body = await asyncio.to_thread(get)
        self.answers.append(f"{status} {body}")
        return status, body

    async def run(self) -> dict[str, str]:
        """The whole flow; the API tokens it made, by name."""
        admin, viewer = await self.issue("admin"), await self.issue("viewer")
        assert await self.handshake(self.verify_token) == (200, "4242")
        assert (await self.handshake("guess"))[0] == 403
        hook = f"{self.gateway}/api/whatsapp/webhook"
        for headers in ({"X-Hub-Signature-256": "sha256=" + "0" * 64}, {}):
            bad = await self.call("POST", hook, content=b'{"object":"x"}', headers=headers)
            assert bad.status_code in (401, 403)

        user = SimulatedUser(
            self.http,
            gateway_url=self.gateway,
            sandbox_url=self.sandbox_url,
            phone_number_id=self.phone_id,
            app_secret=self.app_secret,
            wa_id=WA_ID,
        )
        await user.wait_reply(await user.send_text("/start"), timeout=90)
        faults = f"{self.sandbox_url}/sandbox/faults"
        await self.call("POST", faults, json={"endpoint": "messages", "code": 190, "count": 1})
        await user.wait_reply(await user.send_text("/help"), timeout=90)
        await self.call("POST", faults, json={"endpoint": "media_download", "http_status": 500})
        await user.wait_reply(await user.send_image(QR_CARD.jpeg), timeout=120)

        send = f"{self.gateway}/api/whatsapp/send"
        body = {"to": WA_ID, "message": "from the admin API"}
        for token, expected in (
            (self.admin_token, 200),
            (admin, 200),
            (viewer, 403),
            ("wrong-" + self.admin_token, 401),
            (admin + "x", 401),
        ):
            response = await self.call("POST", send, json=body, headers=bearer(token))
            assert response.status_code == expected, response.text
        contacts = f"{self.gateway}/api/contacts"
        listing = await self.call("GET", contacts, headers=bearer(viewer))
        assert listing.status_code == 200
        for item in listing.json()["items"][:1]:
            vcard = await self.call("GET", f"{contacts}/{item['id']}/vcard", headers=bearer(viewer))
            assert vcard.status_code == 200
        await self.revoke(viewer)
        assert (await self.call("GET", contacts, headers=bearer(viewer))).status_code == 401

        tokens = {"admin API token": admin, "viewer API token": viewer}
        for name, token in list(tokens.items()):
            tokens[f"{name} (its secret part)"] = token.split("_", 2)[2]
        return tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def leaks(secrets: dict[str, str], corpus: dict[str, str]) -> list[str]:
    return [
        f"the {name} in {where}"
        for name, value in secrets.items()
        for where, text in corpus.items()
        if value in text
    ]
