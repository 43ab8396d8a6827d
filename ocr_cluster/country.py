"""Which country a card comes from, for the numbers printed on it without a country code.

A number printed as "2294-9484" or "03-1234-5678" means nothing until its country is known.
The card itself usually tells: a number elsewhere on it printed with "+55", an e-mail at
".co.jp", "São Paulo" or "〒" in the address, kana or Hangul in the text. Each clue adds
weight to a region; the regions come out heaviest first, then the caller's fallback (the
sender's own WhatsApp country, the channel's) and nothing else: guessing a country the card
does not point to would turn a local number into a wrong one.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import NamedTuple, Protocol

import phonenumbers

from ocr_cluster import contacts, lang
from ocr_cluster import patterns as pt

# How much each kind of clue weighs: a printed country code is the card's own statement; a
# domain, a country or a city name is nearly as good; a postcode format or a script is a hint.
DIALLING_CODE = 3
COUNTRY_NAME = 3
DOMAIN = 2
CITY = 2
POSTCODE = 2
SCRIPT = 1


class HasText(Protocol):
    text: str


# Country-code domains used as generic names (".io" start-ups, ".tv" channels, ".me"
# pages) say nothing about the country; ".uk" and ".su" are not ISO codes.
_GENERIC_CCTLDS = frozenset(
    "ac ad ai am cc co fm gg im io la ly me ms nu sh so st tk to tv vc ws".split()
)
_TLD_REGION = {"uk": "GB", "su": "RU", "рф": "RU"}

# Country names (English, the local languages, Russian) and the largest business cities,
# compared after pt.fold (case and accents dropped). A compact list, not a gazetteer: a wrong
# match costs more than a missed one, so no names that are also given names ("India",
# "Israel") or dishes ("chile").
_NAMES: dict[str, tuple[str, str]] = {
    # region: (country names, major cities)
    "JP": ("japan|nippon|日本|япония", "tokyo|osaka|yokohama|nagoya|kyoto|fukuoka|sapporo|kobe|"
           "東京|大阪|横浜|名古屋|京都|福岡|札幌|神戸"),
    "KR": ("south korea|korea|대한민국|한국|корея", "seoul|busan|incheon|서울|부산|인천"),
    "CN": ("china|中国|中华人民共和国|китай", "beijing|shanghai|shenzhen|guangzhou|hangzhou|"
           "北京|上海|深圳|广州|杭州"),
    "TW": ("taiwan|台灣|臺灣|台湾", "taipei|台北|臺北"),
    "HK": ("hong kong|香港", ""),
    "SG": ("singapore|singapura|新加坡|сингапур", ""),
    "VN": ("vietnam|viet nam|вьетнам", "hanoi|ha noi|ho chi minh|hcmc|tp\\.? ?hcm|saigon|"
           "sai gon|da nang"),
    "TH": ("thailand|ประเทศไทย|таиланд", "bangkok|กรุงเทพ"),
    "MY": ("malaysia", "kuala lumpur"),
    "ID": ("indonesia", "jakarta"),
    "PH": ("philippines", "manila|makati"),
    "IN": ("भारत", "mumbai|new delhi|bengaluru|bangalore|chennai|hyderabad|kolkata"),
    "AE": ("united arab emirates|uae", "dubai|abu dhabi"),
    "TR": ("turkey|turkiye|турция", "istanbul|ankara"),
    "IL": ("", "tel aviv"),
    "RU": ("russia|russian federation|россия|российская федерация",
           "moscow|st\\.? petersburg|saint petersburg|москва|санкт-петербург|новосибирск|"
           "екатеринбург|казань|нижний новгород"),
    "UA": ("ukraine|україна|украина", "kyiv|kiev|київ|киев|харків|харьков|одеса|одесса|львів"),
    "BY": ("belarus|беларусь", "minsk|минск|мінск"),
    "KZ": ("kazakhstan|казахстан|қазақстан", "almaty|astana|алматы|астана"),
    "UZ": ("uzbekistan|узбекистан|o'zbekiston", "tashkent|toshkent|ташкент"),
    "DE": ("germany|deutschland|германия", "berlin|munchen|munich|hamburg|frankfurt|koln|"
           "stuttgart|dusseldorf"),
    "AT": ("austria|osterreich|австрия", "wien|vienna"),
    "CH": ("switzerland|schweiz|suisse|svizzera|швейцария", "zurich|geneve|geneva|basel"),
    "FR": ("france|франция", "paris|lyon|marseille|toulouse"),
    "IT": ("italy|italia|италия", "roma|milano|milan|torino"),
    "ES": ("spain|espana|испания", "madrid|barcelona|sevilla"),
    "PT": ("portugal|португалия", "lisboa|lisbon"),
    "NL": ("netherlands|nederland|holland", "amsterdam|rotterdam"),
    "BE": ("belgium|belgique|belgie", "bruxelles|brussels|antwerpen"),
    "GB": ("united kingdom|great britain|england|scotland|великобритания",
           "london|manchester|edinburgh|glasgow"),
    "IE": ("ireland|eire", "dublin"),
    "PL": ("poland|polska|польша", "warszawa|warsaw|krakow"),
    "CZ": ("czech republic|czechia|ceska republika", "praha|prague"),
    "SE": ("sweden|sverige", "stockholm"),
    "NO": ("norway|norge", "oslo"),
    "DK": ("denmark|danmark", "kobenhavn|copenhagen"),
    "FI": ("finland|suomi", "helsinki"),
    "US": ("usa|u\\.s\\.a\\.|united states|сша", "new york|los angeles|san francisco|chicago|"
           "seattle|boston|houston"),
    "CA": ("canada|канада", "toronto|vancouver|montreal"),
    "MX": ("mexico", "ciudad de mexico|cdmx|guadalajara|monterrey"),
    "BR": ("brazil|brasil|бразилия", "sao paulo|rio de janeiro|belo horizonte|brasilia|"
           "curitiba|porto alegre|recife|fortaleza|campinas|manaus"),
    "AR": ("argentina", "buenos aires"),
    "CL": ("", "santiago de chile"),
    "CO": ("colombia", "bogota|medellin"),
    "AU": ("australia", "sydney|melbourne|brisbane"),
    "NZ": ("new zealand", "auckland"),
    "ZA": ("south africa", "johannesburg|cape town"),
    "EG": ("egypt", "cairo"),
}  # fmt: skip

# Postcode and address formats only one country writes.
_FORMATS: tuple[tuple[re.Pattern[str], str, int], ...] = (
    (re.compile(r"〒"), "JP", POSTCODE + 1),
    (re.compile(r"(?i)\bcep\b\W{0,3}\d{5}-?\d{3}"), "BR", POSTCODE + 1),
    (re.compile(r"(?<![\d.\-/])\d{5}-\d{3}(?![\d\-])"), "BR", SCRIPT),
    # "São Paulo - SP", "Campinas/SP": a Brazilian state after a dash or a slash.
    (re.compile(r"[-–/]\s*(?:AC|AL|AP|AM|BA|CE|DF|ES|GO|MA|MT|MS|MG|PA|PB|PR|PE|PI|RJ|RN|RS|"
                r"RO|RR|SC|SP|SE|TO)\b(?!\s*\d{5}\b(?!-))"), "BR", SCRIPT),
    (re.compile(r"\b(?:AL|AK|AZ|AR|CA|CO|CT|DC|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|"
                r"MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|"
                r"WA|WV|WI|WY)\s+\d{5}(?:-\d{4})?(?![\d\-])"), "US", POSTCODE),
    (re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b"), "GB", POSTCODE),
    (re.compile(r"\b[A-Z]\d[A-Z]\s?\d[A-Z]\d\b"), "CA", POSTCODE),
    # Japanese address and company words ("県" is the Japanese form; China writes 县/縣).
    (re.compile(r"株式会社|丁目|番地|東京都|大阪府|京都府|北海道|県"), "JP", POSTCODE),
)  # fmt: skip


class _Writing(NamedTuple):
    """Letters or a script only some countries write. The clue goes to whichever of
    ``regions`` the card's other clues or the fallback name, else to ``default``, else
    nowhere (Spanish alone does not say which country)."""

    pattern: re.Pattern[str]
    regions: tuple[str, ...]
    default: str | None
    least: int = 1  # characters needed: a stray "口" or "ИА" is OCR noise from a logo


_VI = "ơưăđƠƯĂĐạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
_SPANISH = (
    "ES",
    "MX",
    "AR",
    "CO",
    "CL",
    "PE",
    "VE",
    "EC",
    "UY",
    "PY",
    "BO",
    "CR",
    "PA",
    "GT",
    "DO",
    "SV",
    "HN",
    "NI",
    "CU",
)
_CYRILLIC = ("RU", "KZ", "BY", "UA", "KG", "UZ", "TJ", "BG", "RS", "MN")
_ARABIC = ("SA", "AE", "EG", "IR", "IQ", "JO", "KW", "QA", "OM", "BH", "MA", "DZ", "TN", "LB", "PK")
# Letters that tell countries of one script apart come before the script as a whole.
_WRITINGS = (
    _Writing(re.compile(r"[іїєґІЇЄҐ]"), ("UA", "BY", "KZ"), "UA"),
    _Writing(re.compile(r"[ўЎ]"), ("BY",), "BY"),
    _Writing(re.compile(r"[қңәөұүһҚҢӘӨҰҮҺ]"), ("KZ", "KG"), "KZ"),
    _Writing(re.compile(r"[ђћџљњјЂЋЏЉЊЈ]"), ("RS", "MK", "ME", "BA"), "RS"),
    # Vietnamese: horned and breved vowels and stacked tone marks no other language uses.
    _Writing(re.compile(f"[{_VI}]"), ("VN",), "VN", least=2),
    _Writing(re.compile(r"(?i)ção|ções|[ãõ]"), ("BR", "PT", "AO", "MZ"), "BR"),
    _Writing(re.compile(r"ß"), ("DE", "AT", "CH"), "DE"),
    _Writing(re.compile(r"[ñ¿¡]"), _SPANISH, None),
    _Writing(re.compile(r"[ąęłśźżńĄĘŁŚŹŻŃ]"), ("PL",), "PL"),
    _Writing(re.compile(r"[řůěŘŮĚ]"), ("CZ",), "CZ"),
    _Writing(re.compile(r"[ğışĞİŞ]"), ("TR", "AZ"), "TR"),
    _Writing(re.compile(r"[\u3040-\u30ff]"), ("JP",), "JP", least=3),  # kana
    _Writing(re.compile(r"[\uac00-\ud7af\u1100-\u11ff]"), ("KR",), "KR", least=3),  # Hangul
    _Writing(re.compile(r"[\u0e00-\u0e7f]"), ("TH",), "TH", least=3),
    _Writing(re.compile(r"[\u0590-\u05ff]"), ("IL",), "IL", least=3),
    _Writing(re.compile(r"[\u10a0-\u10ff]"), ("GE",), "GE", least=3),
    _Writing(re.compile(r"[\u0530-\u058f]"), ("AM",), "AM", least=3),
    _Writing(re.compile(r"[А-Яа-яЁё]"), _CYRILLIC, "RU", least=3),
    # Han without kana: Chinese, wherever it is written.
    _Writing(re.compile(r"[\u4e00-\u9fff]"), ("CN", "TW", "HK", "SG", "MO", "JP"), "CN", least=3),
    _Writing(re.compile(r"[\u0600-\u06ff]"), _ARABIC, None, least=3),
)  # fmt: skip

# Words that leave no doubt about the language say as much as its letters: "Rua",
# "Senhora", "peças" on a card with neither "ç" nor "ã".
_SPOKEN: dict[str, tuple[tuple[str, ...], str | None]] = {
    "pt": (("BR", "PT", "AO", "MZ"), "BR"),
    "es": (_SPANISH, None),
    "de": (("DE", "AT", "CH"), "DE"),
    "fr": (("FR", "BE", "CH", "CA", "LU"), "FR"),
    "it": (("IT", "CH"), "IT"),
}

# A number printed in international form: "+55 11 2076-5555", "+7 (495) 123-45-67".
_INTERNATIONAL = re.compile(r"\+\s?\d[\d\s().\-]{6,20}\d")


def _name_pattern(names: str) -> re.Pattern[str] | None:
    """One pattern for a "|"-list of names: spaced scripts match whole words, while CJK and
    Thai names match anywhere (those scripts do not put spaces between words)."""
    alternatives = pt.fold(names).split("|") if names else []
    spaced = [a for a in alternatives if re.search(r"[a-zа-я]", a)]
    unspaced = [a for a in alternatives if a not in spaced]
    parts = [rf"(?<!\w)(?:{'|'.join(spaced)})(?!\w)"] if spaced else []
    parts += [f"(?:{'|'.join(unspaced)})"] if unspaced else []
    return re.compile("|".join(parts)) if parts else None


def _country_pattern(names: str) -> re.Pattern[str] | None:
    """A country's name where an address puts it: alone, last on the line ("…, Leeds LS1 8JP,
    United Kingdom", "Tokyo, Japan 100-0005") or first before a comma ("Россия, 620126")."""
    if not names:
        return None
    alternatives = pt.fold(names)
    return re.compile(
        rf"^\W*(?:{alternatives})\s*(?:,|$)"
        rf"|(?<![^\W\d_])(?:{alternatives})[\s.,;)]*(?:\d[\d\s\-]*)?$"
    )


# Streets are named after countries: "Rua Itália, 100", "Av. Portugal 1500".
_STREET = re.compile(
    r"(?:rua|r|av|avenida|alameda|calle|carrera|via|viale|rue|avenue|street|ул|улица|пр|"
    r"проспект)\.?\s*$"
)


_COUNTRY_NAMES = {r: _country_pattern(n) for r, (n, _) in _NAMES.items()}
_CITY_NAMES = {r: _name_pattern(c) for r, (_, c) in _NAMES.items()}
# E-mail addresses and websites are left out when looking for names: "paris@…" is a person.
_ADDRESSES = re.compile(r"\S+@\S+|\S*(?:www\.|https?://)\S*")


def card_regions(lines: Sequence[HasText], fallback: Sequence[str] = ()) -> tuple[str, ...]:
    """Regions for the card's numbers printed without a country code, most likely first: the
    card's own clues, then ``fallback``, then nothing more."""
    fallback = tuple(r for r in fallback if r in phonenumbers.SUPPORTED_REGIONS)
    score: Counter[str] = Counter()
    texts = [ln.text for ln in lines if ln.text]
    for region, weight in _clues(texts):
        if region in phonenumbers.SUPPORTED_REGIONS:
            score[region] += weight
    # A script shared by several countries goes to the one the other clues already name,
    # else to the caller's fallback, else to the script's main country.
    joined = "\n".join(texts)
    shared = [(regions, default) for pattern, regions, default, least in _WRITINGS
              if len(pattern.findall(joined)) >= least]  # fmt: skip
    language = lang.clear_language(_ADDRESSES.sub(" ", joined))
    if language in _SPOKEN:
        shared.append(_SPOKEN[language])
    for regions, default in shared:
        named = [r for r in regions if score[r]]
        pick = (
            max(named, key=lambda r: score[r])
            if named
            else next((r for r in fallback if r in regions), default)
        )
        if pick:
            score[pick] += SCRIPT
    ranked = [r for r, _ in sorted(score.items(), key=lambda kv: -kv[1])]
    return tuple(dict.fromkeys([*ranked, *fallback]))


def _clues(texts: Iterable[str]) -> Iterable[tuple[str, int]]:
    for text in texts:
        yield from _dialling_codes(text)
        yield from _domains(text)
        folded = pt.fold(_ADDRESSES.sub(" ", text))
        for region, pattern in _COUNTRY_NAMES.items():
            m = pattern.search(folded) if pattern else None
            if m and not _STREET.search(folded, 0, m.start()):
                yield region, COUNTRY_NAME
        for region, pattern in _CITY_NAMES.items():
            if pattern and pattern.search(folded):
                yield region, CITY
        for pattern, region, weight in _FORMATS:
            if pattern.search(text):
                yield region, weight


def _dialling_codes(text: str) -> Iterable[tuple[str, int]]:
    for m in _INTERNATIONAL.finditer(text):
        try:
            number = phonenumbers.parse(m.group(0), None)
        except phonenumbers.NumberParseException:
            continue
        if number.country_code is None:
            continue
        # The code's main region: "+44 7911…" is parsed alike as GB or Guernsey, and
        # "+1 (987) …", in no real area, still says North America.
        region = phonenumbers.region_code_for_country_code(number.country_code)
        if region and region != "001":
            yield region, DIALLING_CODE


def _domains(text: str) -> Iterable[tuple[str, int]]:
    hosts = [e.rsplit("@", 1)[1] for e in contacts.find_emails(text)]
    hosts += [w.split("/", 1)[0] for w in contacts.find_websites(text)]
    tlds = [host.rsplit(".", 1)[-1] for host in hosts]
    # ".рф" reaches the e-mail reader with its "р" made Latin (OCR look-alikes).
    tlds += ["рф"] if re.search(r"(?i)\w\.рф(?!\w)", text) else []
    for tld in dict.fromkeys(tlds):
        region = _TLD_REGION.get(tld) or (
            tld.upper() if len(tld) == 2 and tld not in _GENERIC_CCTLDS else None
        )
        if region:
            yield region, DOMAIN
