"""E-mails and websites out of single text lines (phone numbers: phones.py)."""

from __future__ import annotations

import re

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
# "shop.com.br", "firm.co.jp": a country's second-level domain makes a host a website even
# printed without "www.".
_NATIONAL_HOST = re.compile(r"(?i)\.(?:com|co|net|org|gov|edu|ac|or|ne|go|gob|gouv)\.[a-z]{2}$")
# Messenger and social handles are not the company's website.
SOCIAL_DOMAINS = frozenset(
    "t.me telegram.me telegram.org vk.com vk.ru instagram.com facebook.com fb.com "
    "twitter.com x.com linkedin.com wa.me whatsapp.com youtube.com ok.ru skype.com "
    "tiktok.com github.com".split()
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


# An "@" read as a letter or lost before a mail service's host: "ricknog39dgmail.com". Only
# services whose name cannot end a website's own name ("xbol.com.br" may be a site).
_LOST_AT = re.compile(
    r"(?i)(?<![\w.@\-])([a-z0-9][a-z0-9._\-]*?[a-z0-9])[d©®&Q]?"
    r"((?:gmail|googlemail|hotmail|yahoo|ymail|outlook|icloud|yandex|rambler|protonmail)"
    r"\.(?:com|co|ru|de|fr|it|es)(?:\.[a-z]{2})?)(?![\w.@\-])"
)


def _with_at(line: str) -> str:
    """The line with "@" put back into e-mail addresses and its spaces around it closed."""
    return _LOST_AT.sub(r"\1@\2", re.sub(r"\s*@\s*", "@", fix_homoglyphs(line)))


def find_emails(line: str) -> list[str]:
    text = _close_gaps(_with_at(line))
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
    text = _EMAIL.sub(" ", _with_at(line))
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
        if not explicit and tld not in COMMON_TLDS and not _NATIONAL_HOST.search(m.group(1)):
            continue
        url = normalize_website(raw)
        if is_social(url) or not valid_website(url):
            continue
        out.append(url)
    return out
