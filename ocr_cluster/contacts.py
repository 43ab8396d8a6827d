"""Phones (E.164), e-mails and websites out of single text lines."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import Leniency, PhoneNumberFormat, PhoneNumberMatcher

# Cyrillic letters OCR confuses with Latin ones inside e-mails and domains.
_HOMOGLYPHS = str.maketrans("аеорсухкмнтвіАЕОРСУХКМНТВІ", "aeopcyxkmhtbiAEOPCYXKMHTBI")

_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+", re.UNICODE)
_URL = re.compile(
    r"(?i)(?<![@\w.\-])((?:https?://)?(?:www\.)?[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?"
    r"(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.([a-z]{2,12}|рф))(/[^\s,;]*)?"
)
COMMON_TLDS = frozenset(
    "com ru org net de uk io co biz info su us eu fr it es nl ch at pl ua by kz uz am ge "
    "me tv pro online site tech store app dev ai cc in cn jp kr ca au nz se no fi dk be cz "
    "рф moscow shop club agency group company studio digital global world".split()
)
# Messenger and social handles are not the company's website.
SOCIAL_DOMAINS = frozenset(
    "t.me telegram.me telegram.org vk.com vk.ru instagram.com facebook.com fb.com "
    "twitter.com x.com linkedin.com wa.me whatsapp.com youtube.com ok.ru skype.com "
    "tiktok.com github.com".split()
)

FAX_LABEL = re.compile(r"(?i)(?<![a-zа-яё])(fax|факс|телефакс|f|ф)(?![a-zа-яё])\s*[.:]?")
PHONE_LABEL = re.compile(
    r"(?i)(?<![a-zа-яё])(tel|phone|mob|mobile|cell|тел|телефон|моб|сот|t|m|т|м|p|w|o|"
    r"office|direct|work|раб|офис|whatsapp|viber)(?![a-zа-яё])\s*[.:]?"
)
# The letter before "x" matters: without the look-behind "Fax 410…" loses its number.
_EXTENSION = re.compile(
    r"(?i)[,;]?\s*(?<![a-zа-яё])(?:доб|ext|extension|вн|x)\.?\s*\d{1,6}(?![\d\-.])"
)
# How a number is grouped tells its country when no code is printed:
# "410-555-1234" is North American, "8 (916) 123-45-67" and "123-45-67" are Russian.
_NANP_STYLE = re.compile(r"(?<![\d+])(?:1[\s.\-])?\(?[2-9]\d{2}\)?[\s.\-]\d{3}[\s.\-]\d{4}(?!\d)")
_RU_TRUNK_STYLE = re.compile(
    r"(?<![\d+])8[\s\-]?\(?\d{3,5}\)?[\s\-]?\d{1,3}[\s\-]?\d{2}[\s\-]?\d{2}(?!\d)"
)
_RU_STYLE = re.compile(
    rf"{_RU_TRUNK_STYLE.pattern}|(?<![\d+])\d{{3}}[\s\-]\d{{2}}[\s\-]\d{{2}}(?!\d)"
)
# Registration and tax numbers look like phone numbers to a matcher; skip such lines.
NOT_PHONE_LINE = re.compile(
    r"(?i)(инн|огрн|кпп|окпо|окato|оквэд|бик|р/с|к/с|р/сч|к/сч|счет|счёт|inn|ogrn|kpp|"
    r"vat|ust-?id|steuer|reg\.?\s*no|company\s+no|registration|iban|swift|bic|"
    r"пн|вт|ср|чт|пт|сб|вс|mon|tue|wed|thu|fri|sat|sun|\d{1,2}:\d{2})"
)


# What an e-mail address or a website must look like to be kept, whatever OCR or a QR code
# gave: domain labels of letters and digits (hyphens inside), a top-level domain of letters.
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_HOST = rf"(?:{_LABEL}\.)+[^\W\d_]{{2,24}}"
_VALID_EMAIL = re.compile(rf"[^\s@<>()\[\]\\,;:\"]{{1,64}}@{_HOST}")
_VALID_WEBSITE = re.compile(rf"{_HOST}(?:[/?#]\S*)?")
MAX_EMAIL = 254
MAX_WEBSITE = 2048


def valid_email(email: str) -> bool:
    return len(email) <= MAX_EMAIL and _VALID_EMAIL.fullmatch(email) is not None


def valid_website(url: str) -> bool:
    """``url`` as ``normalize_website`` leaves it: no scheme, no ``www.``."""
    return len(url) <= MAX_WEBSITE and _VALID_WEBSITE.fullmatch(url) is not None


def fix_homoglyphs(token: str) -> str:
    return token.translate(_HOMOGLYPHS)


# A dot OCR'd as a space (or a space after it) inside an address: "daniel. foster@x",
# "foster@northwind example.com". Label words before the address are left alone.
_LOCAL_GAP = re.compile(
    r"(?<![\w.])(?!(?:e-?mail|mail|email|e|m|почта)\b)([a-z0-9_\-]+)\.?\s+(?=[\w.+\-]+@)"
)
_DOMAIN_TOKENS = re.compile(r"@([\w.\-]+)((?:\s+[\w.\-]+){0,3})")


def _close_gaps(text: str) -> str:
    if "@" not in text:
        return text
    text = _LOCAL_GAP.sub(r"\1.", text)

    def join_domain(m: re.Match[str]) -> str:
        parts = [m.group(1), *m.group(2).split()]
        # The fewest following words that make the domain end in a known top-level domain.
        for k in range(len(parts)):
            domain = ".".join(p.strip(".") for p in parts[: k + 1])
            if "." in domain and domain.rsplit(".", 1)[-1].lower() in COMMON_TLDS:
                return "@" + domain + "".join(" " + p for p in parts[k + 1 :])
        return m.group(0)

    return _DOMAIN_TOKENS.sub(join_domain, text)


def find_emails(line: str) -> list[str]:
    text = _close_gaps(re.sub(r"\s*@\s*", "@", fix_homoglyphs(line)))
    out = []
    for m in _EMAIL.finditer(text):
        email = m.group(0).strip(".-_").lower()
        if email.startswith("mailto:"):
            email = email[7:]
        local, _, domain = email.partition("@")
        if local and re.fullmatch(r"[a-z0-9.\-]+", domain) and valid_email(email):
            out.append(email)
    return out


def normalize_website(url: str) -> str:
    u = url.strip().strip(".,;:()[]<>\"'«»").lower()
    u = re.sub(r"^[a-z]+://", "", u)
    if u.startswith("www."):
        u = u[4:]
    return u.rstrip("/")


def is_social(url: str) -> bool:
    host = normalize_website(url).split("/")[0]
    return host in SOCIAL_DOMAINS or any(host.endswith("." + d) for d in SOCIAL_DOMAINS)


def find_websites(line: str) -> list[str]:
    text = _EMAIL.sub(" ", re.sub(r"\s*@\s*", "@", fix_homoglyphs(line)))
    # "www. example.com" (a space read after the dot), icons glued on ("awww.") and
    # "www" misread as "vww" or "wvw"; "https:/A" is "https://" with its slash misread.
    text = re.sub(r"(?i)(https?:)/+[a-z]?(?=[a-z]?[vw]{3}\.)", r"\1//", text)
    text = re.sub(r"(?i)(?<![\w.\-])[^\s.]*?(?:www|vww|wvw|wwv|vvw)\.\s*", " www.", text)
    text = re.sub(r"(?i)(https?://)\s+", r"\1", text)
    out = []
    for m in _URL.finditer(text):
        raw = m.group(0)
        explicit = bool(re.match(r"(?i)(https?://|www\.)", raw))
        tld = m.group(2).lower()
        if not explicit and tld not in COMMON_TLDS:
            continue
        url = normalize_website(raw)
        if is_social(url) or not valid_website(url):
            continue
        out.append(url)
    return out


def to_e164(number: str, regions: tuple[str, ...] = ("RU", "US")) -> str | None:
    """One number as printed → E.164, trying `regions` for numbers without a country code."""
    for region in regions:
        try:
            parsed = phonenumbers.parse(number, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
    return None


def find_phones(line: str, regions: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(phones, faxes) in E.164 on one line; extensions dropped, tax-number lines ignored."""
    if NOT_PHONE_LINE.search(line) or "@" in line:
        return [], []
    text = _EXTENSION.sub(" ", line)
    text = re.sub(r"(?<=\d)[oOоО](?=\d)", "0", text)
    phones: list[str] = []
    faxes: list[str] = []
    # A fax label applies to the numbers after it, up to the next label.
    segments = _split_by_labels(text)
    for is_fax, segment in segments:
        found = _match_numbers(segment, regions)
        (faxes if is_fax else phones).extend(found)
    return phones, faxes


def _plausible(raw: str, number: phonenumbers.PhoneNumber) -> bool:
    """A merely possible number is kept only if written like a phone number."""
    digits = sum(ch.isdigit() for ch in raw)
    return digits >= 10 and phonenumbers.is_possible_number(number)


def _split_by_labels(text: str) -> list[tuple[bool, str]]:
    marks = [(m.start(), m.end(), True) for m in FAX_LABEL.finditer(text)]
    marks += [(m.start(), m.end(), False) for m in PHONE_LABEL.finditer(text)]
    marks.sort()
    if not marks:
        return [(False, text)]
    out = [(False, text[: marks[0][0]])]
    for i, (_, end, is_fax) in enumerate(marks):
        stop = marks[i + 1][0] if i + 1 < len(marks) else len(text)
        out.append((is_fax, text[end:stop]))
    return out


def _styled_regions(text: str, regions: tuple[str, ...]) -> tuple[str, ...]:
    """Put RU or US first when the number is clearly grouped the way that country does.

    "8 (916) 123-45-67" (Russia's trunk 8) and "(212) 555-0142" are Russian and North
    American whatever else the card suggests (a .co.uk e-mail): elsewhere a national number
    starts with the trunk 0. A bare "123-45-67" is only preferred as Russian over US:
    other countries group local numbers the same way."""
    if not regions:
        return regions
    if _RU_TRUNK_STYLE.search(text) or (_RU_STYLE.search(text) and regions[0] in ("RU", "US")):
        preferred = "RU"
    elif _NANP_STYLE.search(text):
        preferred = "US"
    else:
        return regions
    return (preferred, *(r for r in regions if r != preferred))


def _match_numbers(text: str, regions: tuple[str, ...]) -> list[str]:
    digits = sum(ch.isdigit() for ch in text)
    if digits < 7:
        return []
    regions = _styled_regions(text, regions)
    # Numbers in reserved ranges (UK drama numbers, 555-01xx) are "possible", not "valid":
    # accept them when the country code is printed or for the card's most likely region.
    attempts = [(regions[0], Leniency.VALID)]
    if "+" in text or digits >= 10:
        attempts.append((regions[0], Leniency.POSSIBLE))
    attempts += [(r, Leniency.VALID) for r in regions[1:]]
    for region, leniency in attempts:
        found = []
        for m in PhoneNumberMatcher(text, region, leniency=leniency):
            if leniency == Leniency.POSSIBLE and not _plausible(m.raw_string, m.number):
                continue
            found.append(phonenumbers.format_number(m.number, PhoneNumberFormat.E164))
        if found:
            return found
    # Matchers refuse some printed groupings; try the digit run as one number.
    candidate = re.sub(r"[^\d+]", "", text)
    e164 = to_e164(candidate, regions) if 7 <= len(candidate) <= 16 else None
    return [e164] if e164 else []
