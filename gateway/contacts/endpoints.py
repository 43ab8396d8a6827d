"""Contacts API: list/search and export (viewer and admin tokens), one contact, its vCard
and card photo; edit and delete (admin tokens: ``contacts:write``). Each token sees the
contacts of its channels only: another channel's contact is "not found", for every method.

Routes with a fixed segment (``/export``) come before ``/{contact_id}``, which would take
it for an id; and the sub-resources before the contact itself, so that the OpenAPI
document (and what walks it in order) reads and exports before it edits and deletes.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import privacy
from gateway.auth.tokens import Permission, Principal
from gateway.contacts import service
from gateway.contacts.errors import InvalidContact
from gateway.contacts.export import to_csv, to_vcards
from gateway.contacts.schemas import ContactEdit, ContactOut, ContactPage, Erased, ErasePerson
from gateway.contacts.search import Filters, all_matching, load_in_order, matching_ids
from gateway.contacts.vcard import to_vcard
from gateway.deps import DbSessionDep, ReadContacts, Reader
from gateway.errors import Forbidden, NotFound
from gateway.models import CardImage, Contact, User

router = APIRouter(prefix="/api/contacts", tags=["contacts"], dependencies=[ReadContacts])


def _writer(caller: Reader) -> Principal:
    # Built on the reader dependency (cached per request), so a write authenticates the
    # token and spends its rate limit once, not once per permission.
    if not caller.can(Permission.WRITE_CONTACTS):
        raise Forbidden(
            f"a token of scope {caller.scope.value!r} may not change contacts "
            f"({Permission.WRITE_CONTACTS.value})"
        )
    return caller


Writer = Annotated[Principal, Depends(_writer)]


def _filters(
    caller: Reader,
    q: Annotated[str | None, Query(description="name, company, e-mail or phone")] = None,
    name: str | None = None,
    company: str | None = None,
    phone: Annotated[str | None, Query(description="any format: digits are compared")] = None,
    email: str | None = None,
    owner: Annotated[int | None, Query(description="the id of the user who sent it")] = None,
    channel: Annotated[
        str | None, Query(description="a channel id; one outside the token's finds nothing")
    ] = None,
) -> Filters:
    return Filters(
        q=q,
        name=name,
        company=company,
        phone=phone,
        email=email,
        owner_id=owner,
        channel_id=channel,
        channels=caller.channels,
    )


FiltersDep = Annotated[Filters, Depends(_filters)]


def _get_or_404(session: Session, contact_id: int, caller: Principal) -> Contact:
    # Another channel's contact is "not found": its id says nothing more than a gap would.
    contact = service.get_contact(session, contact_id, caller.channels)
    if contact is None:
        raise NotFound(f"contact {contact_id} does not exist")
    return contact


def _out(session: Session, contact: Contact) -> ContactOut:
    has_image = bool(service.contact_ids_with_image(session, [contact.id]))
    uncertain = service.uncertain_fields(contact)
    return ContactOut.from_contact(contact, has_image=has_image, uncertain=uncertain)


@router.get("")
def list_contacts(
    session: DbSessionDep,
    filters: FiltersDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ContactPage:
    ids, total = matching_ids(session, filters, limit=limit, offset=offset)
    contacts = load_in_order(session, ids)
    with_image = service.contact_ids_with_image(session, ids)
    items = [
        ContactOut.from_contact(
            c, has_image=c.id in with_image, uncertain=service.uncertain_fields(c)
        )
        for c in contacts
    ]
    return ContactPage(items=items, total=total, limit=limit, offset=offset)


_EXPORTS = {
    "csv": ("text/csv; charset=utf-8", to_csv),
    "vcf": ("text/vcard; charset=utf-8", to_vcards),
}


@router.get("/export", response_class=Response)
def export_contacts(
    session: DbSessionDep,
    filters: FiltersDep,
    file_format: Annotated[Literal["csv", "vcf"], Query(alias="format")] = "csv",
) -> Response:
    """Every contact the filters match (as the list finds them), as one file to download."""
    media_type, render = _EXPORTS[file_format]
    return Response(
        content=render(all_matching(session, filters)),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="contacts.{file_format}"'},
    )


@router.get("/{contact_id}/vcard", response_class=Response)
def read_contact_vcard(session: DbSessionDep, caller: Reader, contact_id: int) -> Response:
    contact = _get_or_404(session, contact_id, caller)
    return Response(
        content=to_vcard(contact),
        media_type="text/vcard; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="contact-{contact_id}.vcf"'},
    )


# Shown inline by a browser; any other type a sender's media claims is a download, never a
# page of this origin (an HTML "photo" would run as this API's script).
INLINE = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*")


def _photo_response(contact_id: int, photo: CardImage) -> Response:
    media_type = photo.mime_type.split(";")[0].strip().lower()
    if not _MEDIA_TYPE.fullmatch(media_type):
        media_type = "application/octet-stream"  # nothing a header could be forged with
    disposition = "inline" if media_type in INLINE else "attachment"
    headers = {
        "Content-Disposition": f'{disposition}; filename="contact-{contact_id}-card"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-cache",
        "ETag": f'"{photo.sha256}"',
    }
    return Response(content=photo.data, media_type=media_type, headers=headers)


@router.get("/{contact_id}/photo", response_class=Response)
def read_contact_photo(session: DbSessionDep, caller: Reader, contact_id: int) -> Response:
    """The contact's newest card photo, as it was received."""
    contact = _get_or_404(session, contact_id, caller)
    photo = service.newest_photo(session, contact.id)
    if photo is None:
        raise NotFound(f"contact {contact_id} has no card photo")
    return _photo_response(contact_id, photo)


@router.get("/{contact_id}")
def read_contact(session: DbSessionDep, caller: Reader, contact_id: int) -> ContactOut:
    return _out(session, _get_or_404(session, contact_id, caller))


@router.patch("/{contact_id}")
def edit_contact(
    session: DbSessionDep, caller: Writer, contact_id: int, edit: ContactEdit
) -> ContactOut:
    """Change the given fields: a person's edit, which later card readings never
    overwrite. 422 names the first value refused; then nothing is changed."""
    contact = _get_or_404(session, contact_id, caller)
    try:
        service.edit_contact(session, contact, edit.changes(), by="api")
    except ValueError as exc:
        session.rollback()
        raise InvalidContact(str(exc)) from exc
    session.commit()
    return _out(session, contact)


@router.post("/erase", response_model=Erased)
def erase_person(session: DbSessionDep, caller: Writer, person: ErasePerson) -> Erased:
    """Erase a person from the CRM (a data-subject request): every contact carrying their
    phone or e-mail, with its photos and the content of the messages that brought it, and,
    where the phone is a sender's WhatsApp number, everything that sender sent."""
    if person.channel is not None and not caller.reaches(person.channel):
        raise NotFound(f"channel {person.channel!r} does not exist")
    channels = [person.channel] if person.channel else _reached(session, caller)
    erased = privacy.erase_person(
        session,
        channels,
        phones=[person.phone] if person.phone else [],
        emails=[person.email] if person.email else [],
    )
    session.commit()
    return Erased(**asdict(erased))


def _reached(session: Session, caller: Principal) -> list[str]:
    if caller.channels is not None:
        return sorted(caller.channels)
    known = session.scalars(select(User.channel_id).union(select(Contact.channel_id)))
    return sorted(set(known))


@router.delete("/{contact_id}", status_code=204, response_class=Response)
def delete_contact(session: DbSessionDep, caller: Writer, contact_id: int) -> Response:
    """Delete the contact with its card photos; its messages stay, pointing nowhere."""
    service.delete_contact(session, _get_or_404(session, contact_id, caller))
    session.commit()
    return Response(status_code=204)
