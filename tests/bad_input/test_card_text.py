"""Properties of the card-text extraction (``ocr_cluster.reader.read_text``: OCR lines and
a QR payload → contact): any text gives a contact whose every field is valid, and a card
generated with known fields gives those fields back."""

from __future__ import annotations

import re
from typing import Any

import phonenumbers
from hypothesis import assume, given
from hypothesis import strategies as st

from business_card import contact as contact_limits
from business_card.contact import Contact
from gateway.contacts.schemas import ContactFields
from gateway.models import Contact as StoredContact
from ocr_cluster.fields import TextLine
from ocr_cluster.reader import read_text
from ocr_cluster.sanity import LANGS
from tests.bad_input.support import examples, tally

# --- what a valid contact is ----------------------------------------------------------------

LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"  # one domain label: letters or digits at both ends
HOST = rf"(?:{LABEL}\.)+[^\W\d_]{{2,24}}"  # ... and a top-level domain of letters
EMAIL = re.compile(rf"^[^\s@<>()\[\]\\,;:\"]{{1,64}}@{HOST}$")
WEBSITE = re.compile(rf"^{HOST}(?:[/?#]\S*)?$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# The CRM's columns: a longer value could not be stored. The address column is TEXT; the
# reader keeps it to the contract's limit.
MAX_LENGTH = {
    key: StoredContact.__table__.columns[key].type.length or contact_limits.MAX_LENGTH[key]
    for key in (*contact_limits.MAX_LENGTH, "fax")
}


def assert_valid(contact: Contact) -> None:
    for email in contact.emails:
        assert EMAIL.match(email) and len(email) <= 254 and email == email.lower(), email
    for phone in [*contact.phones, *([contact.fax] if contact.fax else [])]:
        assert E164.match(phone), phone
        assert phonenumbers.is_possible_number(phonenumbers.parse(phone)), phone
    for site in contact.websites:
        assert WEBSITE.match(site) and len(site) <= 2048 and site == site.lower(), site
    for key, limit in MAX_LENGTH.items():
        value = getattr(contact, key)
        if value is not None:
            assert value and value == value.strip(), (key, value)
            assert len(value) <= limit and not CONTROL.search(value), (key, value)
    assert contact.qr is None or "\x00" not in contact.qr
    assert contact.lang in (None, *LANGS)
    for values in (contact.phones, contact.emails, contact.websites):
        assert len(values) == len(set(values))
    # The worker stores exactly this: nothing may be lost or refused on the way.
    stored = ContactFields.from_reader(contact.to_dict())
    assert stored.phones == contact.phones and stored.emails == contact.emails
    assert stored.websites == contact.websites


# --- any text -------------------------------------------------------------------------------

CARD_CHARS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ"
    "0123456789      @@..,,--++()/:;«»\"'&_|#*%=?!~—–ı"
)
WORDS = [
    "Tel", "Тел.:", "Fax", "Факс", "+7", "8 (495)", "+1", "E-mail:", "www.", "https://",
    "@", ".ru", ".com", ".рф", "ООО", "«Ромашка»", "LLC", "Inc.", "ул.", "д.", "Street",
    "Director", "директор", "Иван", "James", "Петрович", "ИНН", "ext.", "доб.", "mailto:",
    "xn--", "..", "-.", ".-", "@.", "a@b.c", "1.2.3.4", "0000000", "9" * 20,
]  # fmt: skip
words = st.one_of(
    st.text(CARD_CHARS, min_size=1, max_size=12),
    st.sampled_from(WORDS),
    st.text(min_size=1, max_size=6),  # anything at all, control characters included
)
line_texts = st.lists(words, min_size=1, max_size=8).map(" ".join) | st.text(max_size=80)
text_lines = st.builds(
    TextLine,
    text=line_texts,
    height=st.floats(1, 80),
    conf=st.floats(0, 1),
    block=st.integers(0, 3),
)


@examples(1000)
@given(st.lists(text_lines, max_size=14))
def test_any_card_text_gives_a_valid_contact(lines: list[TextLine]) -> None:
    tally("card text: any OCR lines")
    assert_valid(read_text(lines).contact)


# --- any QR payload -------------------------------------------------------------------------

qr_values = st.one_of(
    st.text(CARD_CHARS, max_size=30),
    st.sampled_from(WORDS),
    st.text(max_size=20),
    st.text(CARD_CHARS, min_size=300, max_size=400),  # longer than any column
)
vcard_props = st.sampled_from(
    ["FN", "N", "ORG", "TITLE", "TEL", "TEL;TYPE=FAX", "EMAIL", "URL", "ADR", "NOTE",
     "item1.TEL", "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE", "X-FOO"]
)  # fmt: skip
vcards = st.lists(st.tuples(vcard_props, qr_values), max_size=10).map(
    lambda props: (
        "BEGIN:VCARD\nVERSION:3.0\n" + "".join(f"{k}:{v}\n" for k, v in props) + "END:VCARD"
    )
)
mecard_keys = st.sampled_from(["N", "TEL", "EMAIL", "URL", "ORG", "TITLE", "NOTE", "ADR", "X"])
mecards = st.lists(st.tuples(mecard_keys, qr_values), max_size=10).map(
    lambda props: "MECARD:" + "".join(f"{k}:{v};" for k, v in props) + ";"
)
payloads = st.one_of(
    vcards,
    mecards,
    qr_values.map(lambda v: f"TEL:{v}"),
    qr_values.map(lambda v: f"MAILTO:{v}"),
    qr_values.map(lambda v: f"https://{v}"),
    st.text(max_size=200),
)


@examples(1000)
@given(payloads, st.lists(text_lines, max_size=4))
def test_any_qr_payload_gives_a_valid_contact(payload: str, lines: list[TextLine]) -> None:
    tally("card text: any QR payload (+ OCR lines)")
    assert_valid(read_text(lines, payload).contact)


# --- generated cards with known fields ------------------------------------------------------

EN_FIRST = ["James", "Mary", "Robert", "Linda", "Daniel", "Sarah", "Peter", "Emma", "Oliver"]
EN_LAST = ["Mitchell", "Foster", "Hughes", "Carter", "Bennett", "Walsh", "Porter", "Reid"]
RU_FIRST = ["Ирина", "Сергей", "Анна", "Дмитрий", "Ольга", "Михаил", "Елена", "Никита"]
RU_LAST = ["Орлов", "Смирнов", "Кузнецов", "Волков", "Соколов", "Лебедев", "Попов"]
RU_MIDDLE = {"Орлов": "Петрович", "Смирнов": "Иванович", "Кузнецов": "Андреевич"}
EN_TITLES = ["Sales Manager", "Chief Technology Officer", "Marketing Director", "Senior Engineer"]
RU_TITLES = ["Генеральный директор", "Менеджер по продажам", "Ведущий инженер", "Главный бухгалтер"]
EN_BRANDS = ["Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware", "Adventure Works"]
RU_BRANDS = ["Ромашка", "Вектор", "Сигма", "Северный ветер", "Гранит"]
DOMAINS = ["example.com", "northwind.io", "contoso.co.uk", "romashka.ru", "vektor-group.ru"]


def _feminine(surname: str, first: str) -> str:
    return surname + "а" if first in ("Ирина", "Анна", "Ольга", "Елена") else surname


@st.composite
def phones(draw: st.DrawFn) -> tuple[str, str]:
    """(as printed, E.164): Russian and North American numbers, printed several ways."""
    if draw(st.booleans()):
        code = draw(st.sampled_from(["916", "903", "495", "812", "925"]))
        rest = draw(st.text("0123456789", min_size=7, max_size=7))
        a, b, c = rest[:3], rest[3:5], rest[5:]
        printed = draw(
            st.sampled_from(
                [f"+7 ({code}) {a}-{b}-{c}", f"8 ({code}) {a}-{b}-{c}", f"+7 {code} {a} {b} {c}"]
            )
        )
        e164 = f"+7{code}{rest}"
    else:
        code = draw(st.sampled_from(["212", "415", "617", "303", "206"]))
        exchange = draw(st.integers(200, 999).filter(lambda x: x % 100 != 11 and x != 555))
        line = draw(st.text("0123456789", min_size=4, max_size=4))
        printed = draw(
            st.sampled_from(
                [f"+1 ({code}) {exchange}-{line}", f"+1 {code}-{exchange}-{line}",
                 f"({code}) {exchange}-{line}", f"+1 {code}.{exchange}.{line}"]
            )
        )  # fmt: skip
        e164 = f"+1{code}{exchange}{line}"
    assume(phonenumbers.is_valid_number(phonenumbers.parse(e164)))
    return printed, e164


@st.composite
def cards(draw: st.DrawFn) -> tuple[list[TextLine], dict[str, Any]]:
    """Card lines (name, title and company on top, contact lines in any order) and the
    fields they hold."""
    russian = draw(st.booleans())
    if russian:
        first, last = draw(st.sampled_from(RU_FIRST)), draw(st.sampled_from(RU_LAST))
        last = _feminine(last, first)
        middle = RU_MIDDLE.get(last)
        name = f"{last} {first} {middle}" if middle else f"{first} {last}"
        title = draw(st.sampled_from(RU_TITLES))
        company = f"ООО «{draw(st.sampled_from(RU_BRANDS))}»"
    else:
        name = f"{draw(st.sampled_from(EN_FIRST))} {draw(st.sampled_from(EN_LAST))}"
        title = draw(st.sampled_from(EN_TITLES))
        company = f"{draw(st.sampled_from(EN_BRANDS))} {draw(st.sampled_from(['LLC', 'Inc.']))}"
    local = draw(st.from_regex(r"\A[a-z]{2,10}(\.[a-z]{2,10})?\Z"))
    domain = draw(st.sampled_from(DOMAINS))
    email = f"{local}@{domain}"
    printed, e164 = draw(phones())
    phone_label = draw(st.sampled_from(["", "Tel.: ", "Phone: ", "Тел.: ", "M ", "Моб. "]))
    email_label = draw(st.sampled_from(["", "E-mail: ", "Email: ", "E "]))
    web_prefix = draw(st.sampled_from(["www.", "https://www.", "https://"]))
    contact_lines = [f"{phone_label}{printed}", f"{email_label}{email}", f"{web_prefix}{domain}"]
    contact_lines = draw(st.permutations(contact_lines))
    top = [(name, 40.0), (title, 24.0), (company, 28.0)]
    if draw(st.booleans()):
        top = [top[2], top[0], top[1]]  # the company above the name, as many cards do
    lines = [TextLine(text=t, height=h, conf=0.9) for t, h in top]
    lines += [TextLine(text=t, height=18.0, conf=0.9) for t in contact_lines]
    truth = {
        "name": name,
        "title": title,
        "company": company,
        "phones": [e164],
        "emails": [email],
        "websites": [domain],
    }
    return lines, truth


@examples(400)
@given(cards())
def test_generated_cards_give_their_fields_back(card: tuple[list[TextLine], dict]) -> None:
    tally("card text: generated cards with known fields")
    lines, truth = card
    contact = read_text(lines).contact
    assert_valid(contact)
    got = {key: getattr(contact, key) for key in truth}
    assert got == truth, [ln.text for ln in lines]


@examples(300)
@given(cards())
def test_generated_cards_as_vcards_give_their_fields_back(
    card: tuple[list[TextLine], dict],
) -> None:
    tally("card text: generated vCards with known fields")
    _, truth = card
    vcard = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\n"
        f"FN:{truth['name']}\r\nORG:{truth['company']}\r\nTITLE:{truth['title']}\r\n"
        f"TEL;TYPE=CELL:{truth['phones'][0]}\r\nEMAIL:{truth['emails'][0]}\r\n"
        f"URL:https://www.{truth['websites'][0]}/\r\nEND:VCARD"
    )
    contact = read_text([], vcard).contact
    assert_valid(contact)
    assert {key: getattr(contact, key) for key in truth} == truth
