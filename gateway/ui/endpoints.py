"""The review pages: sign in with an API token, list and search the latest contacts, check
one against its card photo, fix it, confirm it or delete it. Plain HTML forms; each token
sees its own channels' contacts only, as in the contacts API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from sqlalchemy.orm import Session

from gateway.auth.tokens import Permission, Principal
from gateway.contacts import service
from gateway.deps import DbSessionDep
from gateway.errors import Forbidden, NotFound, TooManyRequests, Unauthorized
from gateway.models import CardImage, Contact
from gateway.ui import forms
from gateway.ui.auth import (
    COOKIE,
    PREFIX,
    WRITE,
    Reader,
    Writer,
    check_csrf,
    forget,
    login_csrf,
    login_form_is_genuine,
    principal_of,
    remember,
)
from gateway.ui.pages import HERE, PageRoute, redirect, render

router = APIRouter(prefix=PREFIX, route_class=PageRoute, include_in_schema=False)
PAGE_SIZE = 25


@router.get("/login")
def login_form(request: Request) -> Response:
    return _login_page(request, 200)


def _login_page(request: Request, status_code: int, error: str | None = None) -> Response:
    """The login form, with a fresh nonce cookie and the CSRF token that signs it."""
    nonce_holder = Response()
    csrf = login_csrf(request, nonce_holder)
    response = render(request, "login.html", status_code, error=error, login_csrf=csrf)
    response.headers.append("set-cookie", nonce_holder.headers["set-cookie"])
    return response


@router.post("/login")
def login(
    request: Request,
    token: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    if not login_form_is_genuine(request, csrf):
        return _login_page(request, 403, "This form has expired: sign in again.")
    if not token.strip():
        return _login_page(request, 401, "Enter an API token.")
    try:
        principal_of(request, token, Permission.READ_CONTACTS)
    except (Unauthorized, Forbidden, TooManyRequests) as exc:
        response = _login_page(request, exc.status_code, exc.message)
        response.headers.update(exc.headers or {})
        return response
    response = redirect(PREFIX)
    remember(response, request, token)
    return response


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    # The cookie's own CSRF token, whether or not its API token is still valid: a revoked
    # token must still be able to sign out.
    if request.cookies.get(COOKIE):
        check_csrf(request, csrf)
    response = redirect(f"{PREFIX}/login")
    forget(response, request)
    return response


@router.get("/ui.css")
def stylesheet() -> Response:
    return Response(
        (HERE / "ui.css").read_bytes(),
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("")
def contact_list(
    request: Request,
    session: DbSessionDep,
    caller: Reader,
    q: Annotated[str | None, Query(max_length=200)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    deleted: int | None = None,
) -> Response:
    contacts, total = service.search_contacts(
        session, q=q, limit=PAGE_SIZE, offset=offset, channels=caller.channels
    )
    with_image = service.contact_ids_with_image(session, [c.id for c in contacts])
    rows = [(c, forms.values(c), forms.uncertain(c), c.id in with_image) for c in contacts]
    return render(
        request,
        "list.html",
        caller=caller,
        rows=rows,
        q=q or "",
        total=total,
        offset=offset,
        page_size=PAGE_SIZE,
        deleted=deleted,
    )


def _contact(session: Session, caller: Principal, contact_id: int) -> Contact:
    # Another channel's contact is "not found": its id says nothing more than a gap would.
    contact = service.get_contact(session, contact_id, caller.channels)
    if contact is None:
        raise NotFound(f"contact {contact_id} does not exist")
    return contact


def _contact_page(
    request: Request,
    session: Session,
    caller: Principal,
    contact: Contact,
    *,
    texts: dict[str, str] | None = None,
    error: str | None = None,
    saved: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    photos = service.contact_photos(session, contact.id)
    return render(
        request,
        "contact.html",
        status_code,
        caller=caller,
        contact=contact,
        photo_ids=[p.id for p in photos],
        texts=texts or forms.texts(contact),
        uncertain=forms.uncertain(contact),
        can_write=caller.can(WRITE),
        error=error,
        saved=saved,
        fields=forms.FIELDS,
    )


@router.get("/contacts/{contact_id}")
def contact_page(
    request: Request,
    session: DbSessionDep,
    caller: Reader,
    contact_id: int,
    saved: str | None = None,
) -> Response:
    contact = _contact(session, caller, contact_id)
    # ?saved= lists the fields the last save changed; only known names are shown.
    shown = [f for f in (saved or "").split(",") if f in forms.FIELDS] if saved else None
    return _contact_page(request, session, caller, contact, saved=shown)


@router.post("/contacts/{contact_id}")
def save_contact(
    request: Request,
    session: DbSessionDep,
    caller: Writer,
    contact_id: int,
    form: Annotated[forms.ContactForm, Form()],
) -> Response:
    contact = _contact(session, caller, contact_id)
    try:
        changed = service.edit_contact(session, contact, form.changes(contact), by="ui")
    except ValueError as exc:
        session.rollback()  # nothing of a refused form is kept
        contact = _contact(session, caller, contact_id)
        return _contact_page(
            request, session, caller, contact, texts=form.texts(), error=str(exc), status_code=422
        )
    session.commit()
    return redirect(f"{PREFIX}/contacts/{contact_id}?saved={','.join(changed) or '-'}")


@router.post("/contacts/{contact_id}/confirm")
def confirm(session: DbSessionDep, caller: Writer, contact_id: int) -> Response:
    service.confirm_contact(session, _contact(session, caller, contact_id))
    session.commit()
    return redirect(f"{PREFIX}/contacts/{contact_id}")


@router.post("/contacts/{contact_id}/delete")
def delete(session: DbSessionDep, caller: Writer, contact_id: int) -> Response:
    service.delete_contact(session, _contact(session, caller, contact_id))
    session.commit()
    return redirect(f"{PREFIX}?deleted={contact_id}")


# Shown inline; anything else a sender's media type claims is served as a download, never
# as a page of this origin.
INLINE = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})


def _photo(request: Request, image: CardImage) -> Response:
    headers = {"ETag": f'"{image.sha256}"', "Cache-Control": "private, no-cache"}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    media_type = image.mime_type.split(";")[0].strip().lower()
    if media_type not in INLINE:
        media_type = "application/octet-stream"
        headers["Content-Disposition"] = f'attachment; filename="card-{image.id}"'
    return Response(image.data, media_type=media_type, headers=headers)


@router.get("/contacts/{contact_id}/photo")
def newest_photo(
    request: Request, session: DbSessionDep, caller: Reader, contact_id: int
) -> Response:
    image = service.newest_photo(session, _contact(session, caller, contact_id).id)
    if image is None:
        raise NotFound(f"contact {contact_id} has no card photo")
    return _photo(request, image)


@router.get("/contacts/{contact_id}/photos/{image_id}")
def photo(
    request: Request, session: DbSessionDep, caller: Reader, contact_id: int, image_id: int
) -> Response:
    photos = service.contact_photos(session, _contact(session, caller, contact_id).id)
    image = next((p for p in photos if p.id == image_id), None)
    if image is None:
        raise NotFound(f"contact {contact_id} has no photo {image_id}")
    return _photo(request, image)
