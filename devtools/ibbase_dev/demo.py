"""``ibbase demo`` (``make demo``): a signed ``/start`` and a card photo sent to the stack that
``ibbase up`` runs; prints the replies and the stored contact; exit 0 only if all happened."""

from __future__ import annotations

import asyncio
import json
import mimetypes
import sys
from pathlib import Path

import httpx

from ibbase_dev.simulate import SimulatedUser, reply_text
from ibbase_dev.stack import STACK_FILE, Stack

# A card of the project's own generator (`python -m tests.cardgen DIR --n 60 --seed 7`,
# gen_0034: a Brazilian card photographed on a desk): the demo is the same in every clone,
# whatever lies beside it. CARD=path/to/card.jpg sends another.
SAMPLE_CARD = Path(__file__).resolve().parent / "data" / "sample_card.jpg"


def default_card() -> Path:
    if SAMPLE_CARD.is_file():
        return SAMPLE_CARD
    raise FileNotFoundError(f"{SAMPLE_CARD} is missing; pass CARD=path/to/card.jpg")


async def _demo(stack: Stack, card: Path, timeout: float) -> int:
    if not stack.sandbox_url:
        print("ibbase demo needs the local Graph API sandbox (WHATSAPP_API_URL unset)")
        return 2
    async with httpx.AsyncClient(timeout=30) as http:
        user = SimulatedUser(
            http,
            gateway_url=stack.gateway_url,
            sandbox_url=stack.sandbox_url,
            phone_number_id=stack.phone_number_id,
            app_secret=stack.app_secret,
        )
        print(f"→ /start from +{user.wa_id}")
        start = await user.send_text("/start")
        print(f"← {reply_text(await user.wait_reply(start, timeout))}\n")

        mime = mimetypes.guess_type(card.name)[0] or "image/jpeg"
        print(f"→ card photo {card} ({card.stat().st_size} bytes)")
        photo = await user.send_image(card.read_bytes(), mime, card.name)
        reply = await user.wait_reply(photo, timeout)
        print(f"← {reply_text(reply)}")
        buttons = (reply.get("interactive") or {}).get("action", {}).get("buttons", [])
        print("  " + "  ".join(f"[{b['reply']['title']}]" for b in buttons) + "\n")
        confirm = next((b["reply"]["id"] for b in buttons if ":confirm:" in b["reply"]["id"]), "")
        if confirm:
            print("→ taps the first button (confirm)")
            tap = await user.tap(reply, confirm)
            await user.wait_reply(tap, timeout)
            for _ in range(50):  # the confirmation, then the contact card
                if len(await user.replies_to(tap)) >= 2:
                    break
                await asyncio.sleep(0.1)
            for message in await user.replies_to(tap):
                print(f"← {reply_text(message)}")
            print()

        response = await http.get(
            f"{stack.gateway_url}/api/contacts",
            params={"limit": 1},
            headers={"Authorization": f"Bearer {stack.admin_token}"},
        )
        response.raise_for_status()
        items = response.json()["items"]
        if not items:
            print("✗ no contact was stored")
            return 1
        print("stored contact:")
        print(json.dumps(items[0], ensure_ascii=False, indent=2))
    return 0


def run_demo(card: str | None = None, timeout: float = 90) -> int:
    if not STACK_FILE.exists():
        print("no running stack found: start it with `make run` in another terminal first")
        return 2
    try:
        return asyncio.run(_demo(Stack.load(), Path(card) if card else default_card(), timeout))
    except (httpx.HTTPError, TimeoutError, FileNotFoundError) as exc:
        print(f"✗ demo failed: {exc}", file=sys.stderr)
        return 1
