"""Phone and fax numbers (E.164) out of the text lines of one card.

A line is cleaned of what only looks like a number (postcodes, tax and registration ids,
dates, opening hours, radio ids), cut at its labels ("Tel", "Fax", "Tel/Fax", "F", "传真"),
and each digit run is read in the card's regions: as printed; with the area code of another
number on the card or of the card's city when it was printed without one; and, when it is
clearly printed as a phone but libphonenumber does not know the range, as printed anyway.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumber, PhoneNumberFormat

from ocr_cluster import areacodes


def _words(words: str) -> str:
    """A "|"-list of label words as a pattern: words of spaced scripts match whole, CJK ones
    anywhere."""
    spaced = [w for w in words.split("|") if re.search(r"[a-zа-яà-ỹ]", w)]
    unspaced = [w for w in words.split("|") if w not in spaced]
    return "|".join([rf"(?<![^\W\d_])(?:{'|'.join(spaced)})(?![^\W\d_])", *unspaced])


_PHONE = _words(
    "tel|tél|tlf|telephone|téléphone|telefone|telefono|teléfono|phone|ph|fone|fones|mob|"
    "mobile|mobil|móvil|movil|cell|cel|celular|handy|gsm|hp|pabx|pbx|whatsapp|whats|viber|"
    "nextel|office|direct|dir|work|hotline|тел|телефон|моб|сот|раб|офис|đt|điện thoại|dđ|"
    "电话|電話|手机|手機|携帯|直通|代表|전화|휴대폰|핸드폰"
)
# OCR without Cyrillic reads "Факс" and "Ф." in Greek and Latin look-alikes: "Φakc", "φ.".
_FAX = _words("fax|telefax|[фφ][аa][кk][сc]|телефакс|ファックス|ファクス|传真|傳真|팩스")
_JOIN = r"\.?\s*(?:[/&|・,+\-]|(?<!\w)(?:and|und|e|y|и)(?!\w))\s*"
# A single letter is a label only right before a number ("F: 2131-3418", "T +44…"); an
# "f" alone is the Facebook icon.
_BEFORE_NUMBER = r"(?=\s*[.:]?\s*[+(\d])"
_LABELS = re.compile(
    rf"(?i)(?P<both>(?:{_PHONE}){_JOIN}(?:{_FAX})|(?:{_FAX}){_JOIN}(?:{_PHONE})"
    rf"|(?<![^\W\d_])t\s*/\s*f(?![^\W\d_]))"
    rf"|(?P<fax>{_FAX}|(?<![^\W\d_])[fфφ]{_BEFORE_NUMBER})"
    rf"|(?P<phone>{_PHONE}|(?<![^\W\d_])[tmpwochdтмс]{_BEFORE_NUMBER})"
)
_EXTENSION = re.compile(
    r"(?i)[,;]?\s*(?<![^\W\d_])(?:доб|ext|extn|extension|вн|x|ramal|内線)\.?\s*\d{1,6}"
    r"(?![\d\-.])"
)

# What looks like a number but is none. Tax, registration and account ids run from their
# label to the next phone label; the others have a shape of their own.
_ID_LABEL = re.compile(
    r"(?<![^\W\d_])(?:INN|EIN)(?![^\W\d_])|"
    r"(?i:(?<![^\W\d_])(?:инн|огрнип|огрн|кпп|окпо|окато|оквэд|бик|р/с|к/с|р/сч|к/сч|л/с|"
    r"сч[её]т|ogrn|kpp|bik|vat|ust-?id(?:nr)?|steuer-?nr|steuernummer|hrb|hra|reg\.?\s*no|"
    r"registration|company\s+(?:no|number)|iban|swift|bic|cnpj|cpf|c\.n\.p\.j|c\.p\.f|"
    r"insc\.?\s*est|inscri[çc][ãa]o|crea|crm|oab|creci|siret|siren|tva|p\.?\s?iva|"
    r"partita\s+iva|nif|cif|kvk|abn|acn|gstin|gst|tin|uen|mst|icq|id)(?![^\W\d_]))"
    r"|登録番号|法人番号|사업자등록번호|税号|统一社会信用代码"
)
_NOT_NUMBERS = re.compile(
    r"\S+@\S+|\S*(?:www\.|https?://)\S*"
    r"|(?i:\b[\w\-]+(?:\.[\w\-]+)*\.(?:com|net|org|info|biz|[a-z]{2})\b(?:/\S*)?)"
    r"|\d+(?:\s*\*\s*\d+)+"  # Nextel radio ids: 55*12*3456
    r"|\d{2}\.?\d{3}\.?\d{3}/\d{4}-?\d{2}|\d{3}\.\d{3}\.\d{3}-\d{2}"  # CNPJ, CPF
    # Dates: 12.03.2024, 2024-03-12; times and hours: 9:00, 18h00.
    r"|(?<![\d.\-/])(?:0?[1-9]|[12]\d|3[01])[./](?:0?[1-9]|1[0-2])[./](?:19|20)\d{2}(?![\d.\-/])"
    r"|(?<![\d.\-/])(?:19|20)\d{2}[./\-](?:0?[1-9]|1[0-2])[./\-](?:0?[1-9]|[12]\d|3[01])"
    r"(?![\d.\-/])"
    r"|(?<!\d)\d{1,2}\s?[:h]\s?\d{2}(?!\d)"
    # Postcodes: labelled; Brazilian CEP 01310-100; US ZIP+4 after the state; Portuguese
    # 1000-001 before the town.
    r"|(?i:(?<![^\W\d_])(?:cep|c\.e\.p|zip(?:\s*code)?|postal\s*code|post\s*code|postcode|"
    r"plz|c\.p|c[óo]d(?:igo)?\.?\s*postal|индекс)(?![^\W\d_])\.?|〒|郵便番号|우편번호)"
    r"\s*[:.]?\s*\d{3,6}(?:[\s\-]\d{3,4})?"
    r"|(?<![\d.\-/])(?<!\d\s)\d{5}-\d{3}(?![\d\-])"
    r"|(?<=[A-Z]{2}\s)\d{5}-\d{4}(?!\d)"
    r"|(?<![\d.\-/])\d{4}-\d{3}(?=\s+[A-ZÀ-Ý])"
)
# Japan writes postcodes 100-0001; its phone numbers never look like that.
_JP_POSTCODE = re.compile(r"(?<![\d.\-/()])(?<!\d\s)\d{3}-\d{4}(?![\d\-])")
# A digit run: "+7 (495) 123-45-67", "(11)2131-3400", "9.9679-9468", "040/88778632"; a
# single space may separate groups, two spaces or a "+" start another number.
_RUN = re.compile(r"(?:\+\s?)?\(?\d(?:[\d.\-–()/]|[ \t](?=[\d(]))*\d")
# Where a run may hold two numbers: "2294-9484 9.9679-9468", "11 2082-2399/2646-6123".
_CUT = re.compile(r"\s+|/")
_GROUPED = re.compile(r"\d[\s.\-–()]+\d")

# How a number is grouped tells its country when no code is printed:
# "410-555-1234" is North American, "8 (916) 123-45-67" and "123-45-67" are Russian.
_NANP_STYLE = re.compile(r"(?<![\d+])(?:1[\s.\-])?\(?[2-9]\d{2}\)?[\s.\-]\d{3}[\s.\-]\d{4}(?!\d)")
_RU_TRUNK_STYLE = re.compile(
    r"(?<![\d+])8[\s\-]?\(?\d{3,5}\)?[\s\-]?\d{1,3}[\s\-]?\d{2}[\s\-]?\d{2}(?!\d)"
)
_RU_STYLE = re.compile(
    rf"{_RU_TRUNK_STYLE.pattern}|(?<![\d+])\d{{3}}[\s\-]\d{{2}}[\s\-]\d{{2}}(?!\d)"
)

PHONE, FAX, BOTH, UNLABELLED = "phone", "fax", "both", ""


@dataclass
class Card:
    """What the rest of the card offers a number printed without its area code."""

    texts: Sequence[str] = ()  # where to look for the card's city
    area_codes: dict[int, list[str]] = field(default_factory=dict)  # country code → codes


def card_phones(texts: Sequence[str], regions: Sequence[str]) -> list[tuple[list[str], list[str]]]:
    """(phones, faxes) for each line of one card: a number printed without its area code
    takes the one of another number on the card, else the one of the card's city."""
    regions = tuple(regions)
    codes: dict[int, Counter[str]] = {}
    for text in texts:
        phones, faxes = find_phones(text, regions)
        for area in filter(None, map(_area_code, phones + faxes)):
            codes.setdefault(area[0], Counter())[area[1]] += 1
    card = Card(texts, {cc: [c for c, _ in counts.most_common()] for cc, counts in codes.items()})
    return [find_phones(text, regions, card) for text in texts]


def find_phones(
    line: str, regions: Sequence[str], card: Card | None = None
) -> tuple[list[str], list[str]]:
    """(phones, faxes) in E.164 on one line, extensions dropped. A number labelled both
    ("Tel/Fax") is in both lists."""
    regions = tuple(regions)
    text = _clean(line, regions)
    runs = _labelled_runs(text)
    reader = _Reader(regions, card or Card())
    phones: list[str] = []
    faxes: list[str] = []
    for kind, raw in runs:
        for e164 in reader.read(raw, labelled=kind != UNLABELLED):
            if kind != FAX:
                phones.append(e164)
            if kind in (FAX, BOTH):
                faxes.append(e164)
    return list(dict.fromkeys(phones)), list(dict.fromkeys(faxes))


def to_e164(number: str, regions: Sequence[str] = ("RU", "US")) -> str | None:
    """One number known to be a phone (a QR code's TEL) → E.164, or None."""
    found = _Reader(tuple(regions), Card()).read(unicodedata.normalize("NFKC", number), True)
    return found[0] if len(found) == 1 else None


def _clean(line: str, regions: tuple[str, ...]) -> str:
    text = unicodedata.normalize("NFKC", line)  # full-width digits and letters, "№"
    text = re.sub(r"(?<=\d)[oOоО](?=\d)", "0", text)
    text = _NOT_NUMBERS.sub(" ; ", _EXTENSION.sub(" ", text))
    if regions[:1] == ("JP",):
        text = _JP_POSTCODE.sub(" ; ", text)
    # An id runs from its label to the next phone or fax label.
    for m in reversed(list(_ID_LABEL.finditer(text))):
        label = _LABELS.search(text, m.end())
        end = label.start() if label else len(text)
        text = text[: m.start()] + " ; " + text[end:]
    return text


def _labelled_runs(text: str) -> list[tuple[str, str]]:
    """(kind, digit run) in order. A label applies to the runs after it up to the next
    label; a label word printed after the number ("2131-3418 Fax") to the unlabelled run
    before it."""
    out: list[tuple[str, str]] = []
    labels = list(_LABELS.finditer(text))
    starts = [0] + [m.end() for m in labels]
    ends = [m.start() for m in labels] + [len(text)]
    kinds = [UNLABELLED] + [m.lastgroup or UNLABELLED for m in labels]
    words = [""] + [m.group(0) for m in labels]
    for kind, word, start, end in zip(kinds, words, starts, ends, strict=True):
        segment = text[start:end]
        runs = [r.group(0) for r in _RUN.finditer(segment)]
        trailing = not runs and not re.search(r"\w", segment) and len(word.strip()) > 1
        if trailing and out and out[-1][0] == UNLABELLED:
            out[-1] = (kind, out[-1][1])
        out += [(kind, r) for r in runs]
    return out


class _Reader:
    def __init__(self, regions: tuple[str, ...], card: Card):
        self.regions = regions
        self.card = card
        self.line_codes: list[tuple[int, str]] = []  # of the numbers before, nearest first

    def read(self, raw: str, labelled: bool) -> list[str]:
        """The number ``raw`` is, or the numbers it is made of, or none."""
        if _digits(raw) < 7:
            return []
        e164 = self._one(raw, labelled) if _digits(raw) <= 17 else None
        if e164:
            self._remember(e164)
            return [e164]
        cuts = [m.start() for m in _CUT.finditer(raw)]
        for cut in cuts:
            head, tail = raw[:cut].strip(" /"), raw[cut:].strip(" /")
            e164 = self._one(head, labelled) if _digits(head) >= 7 else None
            if not e164:
                continue
            before = list(self.line_codes)
            self._remember(e164)
            rest = self.read(tail, labelled)
            if rest or _digits(tail) < 7:  # "8 (495) 123-45-67/68": an alternative ending
                return [e164, *rest]
            self.line_codes = before
        # A house number run into the number: "Av. Paulista, 1000 2294-9484".
        if cuts and _digits(raw[: cuts[0]]) < 7:
            return self.read(raw[cuts[0] :].strip(" /"), labelled)
        return []

    def _remember(self, e164: str) -> None:
        area = _area_code(e164)
        if area:
            self.line_codes.insert(0, area)

    def _one(self, raw: str, labelled: bool) -> str | None:
        if raw.startswith("+") or raw.startswith("00"):
            return _international("+" + raw[2:] if raw.startswith("00") else raw)
        regions = _styled_regions(raw, self.regions)
        if not regions:
            return None
        # The grouping yields to the card's country where a number is printed without a
        # trunk prefix anyway and this one is valid there: Italy's mobiles are grouped
        # "312 345 6789" too. In the UK a national number starts with 0: "(303) 200-0000"
        # on a .co.uk card is American.
        home = self.regions[0] if self.regions else None
        if home and regions[0] != home and not _trunk(home) and _valid(raw, home):
            regions = self.regions
        printed = labelled or bool(_GROUPED.search(raw))
        first = regions[0]
        found = _valid(raw, first) or (self._borrow(raw, first) if printed else None)
        for region in regions[1:]:
            found = found or _valid(raw, region)
        return found or (_as_printed(raw, first) if printed else None)

    def _borrow(self, raw: str, region: str) -> str | None:
        """The number with the area code of another number on the card or of its city."""
        digits = re.sub(r"\D", "", raw)
        meta = PhoneMetadata.metadata_for_region(region)
        if meta is None or meta.country_code is None or len(digits) >= max(_lengths(region)):
            return None
        if _trunk(region) and digits.startswith(_trunk(region)):
            return None  # "0…", "8…": printed with its area code already
        code = meta.country_code
        mine = [area for cc, area in self.line_codes if cc == code]
        for area in dict.fromkeys(mine + self.card.area_codes.get(code, [])):
            number = phonenumbers.parse(f"+{code}{area}{digits}")
            if areacodes.has_area_code(number, area):
                return phonenumbers.format_number(number, PhoneNumberFormat.E164)
        return areacodes.complete(digits, region, self.card.texts) if self.card.texts else None


def _styled_regions(text: str, regions: tuple[str, ...]) -> tuple[str, ...]:
    """Put RU or US first when the number is clearly grouped the way that country does.

    "8 (916) 123-45-67" (Russia's trunk 8) and "(212) 555-0142" are Russian and North
    American whatever else the card suggests (a .co.uk e-mail): elsewhere a national number
    starts with the trunk 0. A bare "123-45-67" is only preferred as Russian over US:
    other countries group local numbers the same way."""
    if _RU_TRUNK_STYLE.search(text) or (
        _RU_STYLE.search(text) and regions[:1] in ((), ("RU",), ("US",))
    ):
        preferred = "RU"
    elif _NANP_STYLE.search(text):
        preferred = "US"
    else:
        return regions
    return (preferred, *(r for r in regions if r != preferred))


def _trunk(region: str) -> str:
    """The digit a national number starts with in ``region`` ("0", Russia's "8"), if any."""
    meta = PhoneMetadata.metadata_for_region(region)
    return (meta.national_prefix or "") if meta else ""


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _parse(raw: str, region: str | None) -> PhoneNumber | None:
    try:
        return phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None


def _valid(raw: str, region: str) -> str | None:
    number = _parse(raw, region)
    if number is None or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _international(raw: str) -> str | None:
    """A number printed with its country code is a phone even in a range libphonenumber
    does not know ("+1 (987) …", the UK's drama numbers), if it has a phone's length."""
    number = _parse(raw, None)
    if number is None or number.country_code is None:
        return None
    region = phonenumbers.region_code_for_country_code(number.country_code)
    return _valid(raw, region) or _as_printed(raw, region)


def _as_printed(raw: str, region: str) -> str | None:
    """The number as printed, valid or not, when its national part has the length of a
    fixed or mobile number there: "(11) 9933-6564" is an old São Paulo mobile."""
    number = _parse(raw, region)
    if number is None or number.country_code != phonenumbers.country_code_for_region(region):
        return None
    national = phonenumbers.national_significant_number(number)
    if len(national) < 8 or len(national) not in _lengths(region):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _lengths(region: str) -> set[int]:
    """Lengths of the region's fixed and mobile national numbers."""
    meta = PhoneMetadata.metadata_for_region(region)
    if meta is None:
        return {0}
    out = {n for desc in (meta.fixed_line, meta.mobile) if desc for n in desc.possible_length}
    general = meta.general_desc.possible_length if meta.general_desc else ()
    return {n for n in out if n > 0} or set(general)


def _area_code(e164: str) -> tuple[int, str] | None:
    """(country code, geographic area code) of a valid number. Mobiles have none, except in
    the countries that give them one (Brazil, Mexico, Argentina…)."""
    number = phonenumbers.parse(e164)
    if not phonenumbers.is_valid_number(number) or number.country_code is None:
        return None
    length = phonenumbers.length_of_geographical_area_code(number)
    national = phonenumbers.national_significant_number(number)
    return (number.country_code, national[:length]) if length else None
