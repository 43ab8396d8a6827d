"""vCard 3.0 (RFC 2426) export of one contact, written by hand: the subset is small, and
the two details that matter (escaping and UTF-8-safe folding) are easy to get right here."""

from __future__ import annotations

from gateway.models import Contact

CRLF = "\r\n"
# Every field of business_card.contact.CONTACT_FIELDS is written, except these (a test
# holds the two lists together): the QR code's raw payload is what the fields came from,
# and vCard 3.0 has no language property.
NOT_EXPORTED = frozenset({"qr", "lang"})
MAX_LINE_OCTETS = 75  # RFC 2426 §2.6: lines SHOULD NOT be longer than 75 octets


def escape(text: str) -> str:
    """Escape a text value (RFC 2426 §4): backslash first, then the separators."""
    text = text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def _plain(value: str) -> str:
    # TEL, EMAIL and URL values are not text-typed, so not escaped; a line break in
    # one would still start a forged property, so it goes.
    return " ".join(value.splitlines()).strip()


def fold(line: str) -> str:
    """Fold a content line at 75 octets; a continuation starts with one space. Cuts fall
    between characters, never inside a multi-byte UTF-8 sequence."""
    parts: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > MAX_LINE_OCTETS:
            parts.append(current)
            current, size = " ", 1
        current += char
        size += width
    parts.append(current)
    return CRLF.join(parts)


def display_name(contact: Contact) -> str:
    """FN is mandatory: the printed name, else the name parts, company, e-mail or phone."""
    parts = (contact.first_name, contact.middle_name, contact.last_name)
    candidates = [
        contact.name,
        " ".join(p for p in parts if p),
        contact.company,
        contact.emails[0].email if contact.emails else None,
        contact.phones[0].phone if contact.phones else None,
    ]
    return next((c for c in candidates if c), f"Contact {contact.id}")


def to_vcard(contact: Contact) -> str:
    structured = (contact.last_name, contact.first_name, contact.middle_name, None, None)
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        "N:" + ";".join(escape(p or "") for p in structured),
        "FN:" + escape(display_name(contact)),
    ]
    if contact.company:
        lines.append("ORG:" + escape(contact.company))
    if contact.title:
        lines.append("TITLE:" + escape(contact.title))
    lines += [f"TEL;TYPE=WORK,VOICE:{_plain(p.phone)}" for p in contact.phones]
    if contact.fax:
        lines.append(f"TEL;TYPE=WORK,FAX:{_plain(contact.fax)}")
    lines += [f"EMAIL;TYPE=INTERNET:{_plain(e.email)}" for e in contact.emails]
    # Websites are stored without a scheme; a URL value is a URI, so it gets one back.
    lines += [f"URL:https://{_plain(w)}" for w in contact.websites or []]
    if contact.address:
        # The address is one printed string: it goes in the street component.
        lines.append(f"ADR;TYPE=WORK:;;{escape(contact.address)};;;;")
    lines.append("END:VCARD")
    return "".join(fold(line) + CRLF for line in lines)
