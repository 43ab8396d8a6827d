"""Contacts API (admin and viewer tokens): list/search, one contact, its vCard; each token
sees the contacts of its channels only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from gateway.contacts import service
from gateway.contacts.schemas import ContactOut, ContactPage
from gateway.contacts.vcard import to_vcard
from gateway.deps import DbSessionDep, ReadContacts, Reader
from gateway.errors import NotFound
from gateway.models import Contact

router = APIRouter(prefix="/api/contacts", tags=["contacts"], dependencies=[ReadContacts])


def _get_or_404(session: DbSessionDep, contact_id: int, caller: Reader) -> Contact:
    # Another channel's contact is "not found": its id says nothing more than a gap would.
    contact = service.get_contact(session, contact_id, caller.channels)
    if contact is None:
        raise NotFound(f"contact {contact_id} does not exist")
    return contact


@router.get("")
def list_contacts(
    session: DbSessionDep,
    caller: Reader,
    q: Annotated[str | None, Query(description="name, company, e-mail or phone")] = None,
    name: str | None = None,
    company: str | None = None,
    phone: Annotated[str | None, Query(description="any format: digits are compared")] = None,
    email: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ContactPage:
    contacts, total = service.search_contacts(
        session,
        q=q,
        name=name,
        company=company,
        phone=phone,
        email=email,
        limit=limit,
        offset=offset,
        channels=caller.channels,
    )
    with_image = service.contact_ids_with_image(session, [c.id for c in contacts])
    items = [ContactOut.from_contact(c, has_image=c.id in with_image) for c in contacts]
    return ContactPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/{contact_id}")
def read_contact(session: DbSessionDep, caller: Reader, contact_id: int) -> ContactOut:
    contact = _get_or_404(session, contact_id, caller)
    has_image = bool(service.contact_ids_with_image(session, [contact.id]))
    return ContactOut.from_contact(contact, has_image=has_image)


@router.get("/{contact_id}/vcard", response_class=Response)
def read_contact_vcard(session: DbSessionDep, caller: Reader, contact_id: int) -> Response:
    contact = _get_or_404(session, contact_id, caller)
    return Response(
        content=to_vcard(contact),
        media_type="text/vcard; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="contact-{contact_id}.vcf"'},
    )
