"""What a card prints, line by line, and the truth that follows from exactly those lines."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from tests.cardgen import people, phones, places, wording
from tests.cardgen.phones import Phone

COUNTRIES = ("BR", "JP", "VN", "RU", "SG", "DE", "US", "GB", "FR")
LANG = {"BR": "pt", "JP": "ja", "VN": "vi", "RU": "ru", "SG": "en", "DE": "de", "US": "en",
        "GB": "en", "FR": "fr"}  # fmt: skip
TLD = {"BR": ["example.com.br"], "JP": ["example.co.jp"], "VN": ["example.vn", "example.com.vn"],
       "RU": ["example.ru"], "SG": ["example.com.sg", "example.sg"], "DE": ["example.de"],
       "US": ["example.com"], "GB": ["example.co.uk"], "FR": ["example.fr"]}  # fmt: skip
PERSON: dict[str, Callable[[random.Random], people.Person]] = {
    "BR": people.brazil, "JP": people.japan, "VN": people.vietnam, "RU": people.russia,
    "SG": people.singapore, "DE": people.germany, "US": people.english, "GB": people.english,
    "FR": people.france,
}  # fmt: skip
EXTENSION = {"US": ["ext. {n}", "x{n}"], "GB": ["ext. {n}"], "RU": ["доб. {n}"],
             "BR": ["Ramal {n}"], "JP": ["内線 {n}"]}  # fmt: skip


@dataclass
class Line:
    text: str
    role: str  # company, company_other, slogan, name, name_other, title, title_other, dept,
    #            phone, fax, email, web, address, extra
    icon: str | None = None  # phone, mobile, fax, mail, web, pin


@dataclass
class Content:
    country: str
    company: list[Line]
    person: list[Line]
    contacts: list[Line]
    address: list[Line]
    extras: list[Line]
    initials: str
    truth: dict = field(default_factory=dict)
    icons: bool = False
    qr: str | None = None  # the payload of a QR code printed beside the text (qr.add)

    def lines(self) -> list[Line]:
        return [*self.company, *self.person, *self.contacts, *self.address, *self.extras]


def build(cc: str, r: random.Random, company_only: bool, icons: bool) -> Content:
    """A card's content for country `cc`; `icons` prints glyphs instead of most labels."""
    person = None if company_only else PERSON[cc](r)
    company = places.company(cc, r)
    city = r.choice(places.CITIES[cc])
    alt: dict[str, list[str]] = {}
    bilingual = {"JP": 0.6, "RU": 0.25, "VN": 0.35, "SG": 0.3}.get(cc, 0.0) > r.random()

    head = [Line(company.printed, "company")]
    if bilingual and company.other and (cc != "JP" or r.random() < 0.7):
        head.append(Line(company.other, "company_other"))
        alt["company"] = [company.other]
    if r.random() < (0.6 if company_only else 0.25):
        slogan = r.choice(wording.SLOGANS[cc]).format(year=r.randint(1962, 2015))
        head.append(Line(slogan, "slogan"))

    who: list[Line] = []
    title = None
    if person:
        who.append(Line(person.shown or person.printed, "name"))
        if person.shown:
            alt["name"] = [person.shown]
        if person.other and ((cc == "JP" and r.random() < 0.6) or (cc != "JP" and bilingual)):
            who.append(Line(person.other, "name_other"))
            alt["name"] = [person.other]
        if r.random() < 0.85:
            m, f, en = r.choice(wording.TITLES[cc])
            title = m if person.gender == "m" else f
            who.append(Line(title, "title"))
            if bilingual and en != title and cc in ("JP", "RU", "VN") and r.random() < 0.7:
                who.append(Line(en, "title_other"))
                alt["title"] = [en]
        if r.random() < 0.25:
            dept = Line(r.choice(wording.DEPARTMENTS[cc]), "dept")
            at = next((i for i, x in enumerate(who) if x.role == "title"), len(who))
            who.insert(at + (r.random() < 0.5 and at < len(who)), dept)

    has_address = r.random() < (0.85 if company_only else 0.65)
    contacts, phone_truth, fax = _phones(cc, city, r, icons, bilingual, local_ok=has_address)
    domain = f"{company.slug}.{r.choice(TLD[cc])}"
    emails = _emails(cc, person, domain, r)
    websites = [domain] if r.random() < (0.7 if company_only else 0.5) else []
    mail_label = r.choice([*wording.EMAIL_LABELS[cc], ""])  # one label style per card
    web_label = r.choice([*wording.WEB_LABELS[cc], ""])
    contacts += [_labelled("email", mail_label, e, icons) for e in emails]
    contacts += [_labelled("web", web_label, _show_web(w, r), icons) for w in websites]

    address = places.address(cc, city, r) if has_address else []
    addr_lines = [
        Line(a, "address", "pin" if icons and i == 0 else None) for i, a in enumerate(address)
    ]

    extras = []
    if r.random() < (0.4 if company_only else 0.2):
        extras.append(Line(r.choice(wording.HOURS[cc]), "extra"))
    if r.random() < {"BR": 0.5, "RU": 0.45}.get(cc, 0.2):
        extras.append(Line(wording.registration(cc, r), "extra"))
    if r.random() < 0.15 and (h := wording.handle(cc, company.slug.replace("-", "_"), r)):
        extras.append(Line(h, "extra"))

    lang = "mixed" if any(k in alt for k in ("company", "title")) or (
        bilingual and "name" in alt
    ) else LANG[cc]  # fmt: skip
    truth = {
        "name": person.printed if person else None,
        "first_name": person.first if person else None,
        "last_name": person.last if person else None,
        "middle_name": person.middle if person else None,
        "title": title,
        "company": company.printed,
        "phones": phone_truth,
        "fax": fax,
        "emails": emails,
        "websites": websites,
        "address": ", ".join(address) or None,
        "qr": None,
        "lang": lang,
        "alt": alt,
    }
    return Content(cc, head, who, contacts, addr_lines, extras, company.initials, truth, icons)


def _office(cc: str, city: places.City, r: random.Random) -> Phone:
    return phones.land(cc, city.area, r)


def _mobile(cc: str, city: places.City, r: random.Random) -> Phone:
    if cc == "BR":
        return phones.br_mobile(city.area, r)
    if cc == "US":
        return replace(phones.land(cc, city.area, r), mobile=True)
    return phones.mobile(cc, r)


def _phones(
    cc: str, city: places.City, r: random.Random, icons: bool, bilingual: bool, local_ok: bool
) -> tuple[list[Line], list[str], str | None]:
    styles = [s for s in phones.STYLES[cc] if local_ok or s != "local"]
    style = r.choice(styles)
    numbers: list[Phone] = []
    if r.random() < 0.85:
        numbers.append(_office(cc, city, r))
        if r.random() < 0.15:
            numbers.append(_office(cc, city, r))
    if r.random() < 0.6 or not numbers:
        numbers.append(_mobile(cc, city, r))
    fax = None
    if r.random() < (0.5 if cc in ("SG", "JP", "RU") else 0.35):  # still common there
        base = next((p for p in numbers if not p.mobile), None)
        fax = phones.sibling(base, r) if base and r.random() < 0.7 else _office(cc, city, r)
    numbers = list({p.e164: p for p in numbers}.values())
    if fax and fax.e164 in {p.e164 for p in numbers}:
        fax = None

    lines: list[Line] = []
    label_phone = r.choice(wording.PHONE_LABELS[cc])
    label_mobile = r.choice(wording.MOBILE_LABELS[cc])
    for i, p in enumerate(numbers):
        text = phones.show(p, style)
        if i == 0 and not p.mobile and cc in EXTENSION and r.random() < 0.12:
            text += " " + r.choice(EXTENSION[cc]).format(n=r.randint(11, 499))
        label = label_mobile if p.mobile else label_phone
        if icons:
            lines.append(Line(text, "phone", "mobile" if p.mobile else "phone"))
        else:
            lines.append(Line(f"{label} {text}", "phone"))
    if fax:
        text = phones.show(fax, style)
        if cc == "SG" and bilingual:
            fax_line = f"传真 Fax: {text}"
        elif r.random() < 0.2:
            fax_line = f"{text} {wording.FAX_AFTER[cc]}"
        else:
            fax_line = f"{r.choice(wording.FAX_BEFORE[cc])} {text}"
        lines.append(Line(fax_line, "fax", "fax" if icons else None))
        # Office and fax on one line, as many cards print them.
        if len(lines) >= 2 and not icons and r.random() < 0.35 and lines[0].role == "phone":
            sep = r.choice([" | ", " · ", "   ", " / "])
            lines = [Line(lines[0].text + sep + fax_line, "phone"), *lines[1:-1]]
    return lines, [p.e164 for p in numbers], fax.e164 if fax else None


def _emails(cc: str, person: people.Person | None, domain: str, r: random.Random) -> list[str]:
    out = []
    if person and r.random() < 0.85:
        f, last = person.ascii_first.replace(" ", ""), person.ascii_last.replace(" ", "")
        local = r.choice([f"{f}.{last}", f"{f[0]}.{last}", f"{f[0]}{last}", f, f"{last}.{f[0]}",
                          f"{f}_{last}", last])  # fmt: skip
        out.append(f"{local}@{domain}")
    if (not out and r.random() < 0.7) or r.random() < 0.15:
        out.append(f"{r.choice(wording.ROLE_MAILBOXES[cc])}@{domain}")
    return out


def _show_web(domain: str, r: random.Random) -> str:
    return r.choice([f"www.{domain}", f"www.{domain}", domain, f"https://{domain}",
                     f"http://www.{domain}/", f"https://www.{domain}/"])  # fmt: skip


def _labelled(kind: str, label: str, text: str, icons: bool) -> Line:
    if icons:
        return Line(text, kind, "mail" if kind == "email" else "web")
    return Line(f"{label} {text}".strip(), kind)
