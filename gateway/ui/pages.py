"""Rendering for ``/ui``: the templates, and a route class that answers the pages' errors as
pages (a redirect to the login form, an HTML error) rather than the API's JSON."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from gateway.errors import ApiError
from gateway.ui.auth import COOKIE, PREFIX, LoginRequired, csrf_token, forget
from gateway.ui.forms import LABELS

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")

# No script, style or image from anywhere but here, no framing, no form posted elsewhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _when(stamp: datetime | None) -> str:
    if stamp is None:
        return ""
    # SQLite hands timezone-aware columns back naive; they were written in UTC.
    stamp = stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
    return stamp.strftime("%Y-%m-%d %H:%M UTC")


templates.env.filters["when"] = _when
templates.env.globals.update(prefix=PREFIX, labels=LABELS)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    """A page; every page but the login form carries the session's CSRF token."""
    context.setdefault("csrf", csrf_token(request) if request.cookies.get(COOKIE) else "")
    headers = {"Cache-Control": "no-store"}  # pages hold contacts' personal data
    return templates.TemplateResponse(
        request, name, context, status_code=status_code, headers=headers
    )


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


class PageRoute(APIRoute):
    """A route of the pages: ``LoginRequired`` becomes a redirect to the login form (the
    stale cookie cleared), an ``ApiError`` (404, 403, 429…) an error page of its status."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                response = await handler(request)
            except LoginRequired:
                response = redirect(f"{PREFIX}/login")
                if request.cookies.get(COOKIE):
                    forget(response, request)
            except ApiError as exc:
                response = render(
                    request, "error.html", exc.status_code, status=exc.status_code, error=exc
                )
                response.headers.update(exc.headers or {})
            response.headers.update(SECURITY_HEADERS)
            return response

        return page
