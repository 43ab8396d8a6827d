"""Keywords and shapes that tell card lines apart: titles, companies, addresses, labels."""

from __future__ import annotations

import re

TITLE_WORDS = re.compile(
    # Russian stems match any ending (директор, директора); English words match whole.
    r"(?i)(?<![a-zа-яё])(?:(?:"
    r"директор|менеджер|руководител|специалист|инженер|разработчик|администратор|аналитик|"
    r"адвокат|юрист|партн[её]р|начальник|заместител|главн|ведущ|старш|младш|бухгалтер|"
    r"консультант|дизайнер|программист|президент|вице|председател|основател|владел|"
    r"координатор|эксперт|советник|представител|агент|маркетолог|архитектор|технолог|"
    r"нотариус|врач|преподавател|профессор|редактор|продюсер|коммерческ|генеральн|"
    r"исполнительн|финансов|управляющ|заведующ|секретар|ассистент|помощник|оператор|"
    r"логист|экономист|аудитор|оценщик|риелтор|брокер|бренд)"
    r"|(?:hr|ceo|cfo|cto|coo|cmo|cio|director|manager|head|chief|officer|engineer|developer|"
    r"designer|consultant|specialist|analyst|attorney|lawyer|partner|founder|co-founder|"
    r"owner|president|vice|executive|lead|senior|junior|principal|associate|assistant|"
    r"coordinator|administrator|architect|advisor|adviser|representative|agent|accountant|"
    r"editor|producer|scientist|researcher|professor|secretary|strategist|supervisor|intern|"
    r"vp|svp|evp)(?![a-z]))"
)
# Legal forms that make a line a company name (the form is kept in the name).
COMPANY_FORMS = re.compile(
    r"(?<![A-Za-zА-Яа-яЁё])("
    r"ООО|ОАО|ЗАО|ПАО|АО|НАО|ИП|НКО|АНО|ГУП|МУП|ФГУП|ТОО|ГК|"
    r"[Гг]руппа\s+компаний|[Кк]омпания|[Хх]олдинг|[Кк]орпорация|[Фф]ирма|[Аа]гентство|"
    r"[Сс]тудия|[Зз]авод|[Бб]юро|[Цц]ентр|"
    r"LLC|L\.L\.C\.|Inc\.?|Ltd\.?|Limited|GmbH|AG|Corp\.?|Corporation|LLP|PLC|plc|"
    r"Co\.|JSC|CJSC|PJSC|OJSC|S\.A\.|SA|BV|B\.V\.|Oy|AB|SE|KG|OHG|UG|SRL|S\.r\.l\.|"
    r"Pty|Holdings?|Group|Partners|Associates|Company|Studio|Agency|Labs?|Solutions|"
    r"Ventures|Technologies|Systems|Consulting|Publishing|Software|Works|Dynamics|"
    r"Industries|Enterprises)(?![A-Za-zА-Яа-яЁё])"
)
STRONG_COMPANY_FORMS = re.compile(
    r"(?<![A-Za-zА-Яа-яЁё])(ООО|ОАО|ЗАО|ПАО|АО|НАО|ИП|НКО|АНО|ГУП|МУП|ФГУП|ТОО|"
    r"[Гг]руппа\s+компаний|[Кк]омпания|LLC|Inc\.?|Ltd\.?|GmbH|AG|Corp\.?|LLP|PLC|JSC|CJSC|"
    r"PJSC)(?![A-Za-zА-Яа-яЁё])"
)
QUOTED = re.compile(r"[«\"“„][^«»\"“”„]{2,}[»\"”“]")

ADDRESS_MARKERS = re.compile(
    r"(?i)(?<![a-zа-яё])("
    r"г\.|ул\.|улица|пр-т|пр-кт|проспект|пр\.|пер\.|переулок|наб\.|набережная|ш\.|шоссе|"
    r"бульвар|б-р|бул\.|д\.|дом|офис|оф\.|стр\.|строение|корп\.|корпус|кв\.|пл\.|площадь|"
    r"проезд|тупик|россия|обл\.|область|край|р-н|район|мкр|"
    r"street|st\.|avenue|ave\.?|road|rd\.|lane|boulevard|blvd|drive|way|place|square|"
    r"court|suite|floor|fl\.|building|unit|straße|strasse|str\.|weg|platz|allee|"
    r"united kingdom|england|scotland|germany|deutschland|usa|united states|russia)"
    r"(?![a-zа-яё])"
)
US_STATE_ZIP = re.compile(r"\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b")
UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")
DE_POSTCODE = re.compile(r"\b\d{5}\s+[A-ZÄÖÜ][a-zäöüß]+")
RU_POSTCODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
ADDRESS_LABEL = re.compile(r"(?i)^\s*(адрес|address|addr|офис|office|a)\s*[.:]\s*")

# Labels printed before values; stripped before a line is judged.
ANY_LABEL = re.compile(
    r"(?i)^\s*(e-?mail|email|эл\.?\s*почта|почта|web|website|site|сайт|url|www|"
    r"tel|phone|mobile|mob|cell|тел|телефон|моб|факс|fax|адрес|address|skype|telegram)"
    r"\s*[.:]\s*"
)
SOCIAL_LINE = re.compile(
    r"(?i)(telegram|skype|whatsapp|viber|instagram|vk\.com|t\.me|facebook|linkedin|"
    r"twitter|tg\s*:|@[a-z0-9_]{3,}$)"
)
TAX_LINE = re.compile(r"(?i)(инн|огрн|кпп|окпо|бик|р/с|к/с|inn|ogrn|vat|reg\.?\s*no|iban)")
HOURS_LINE = re.compile(
    r"(?i)(\d{1,2}[:.]\d{2}\s*[-–—]\s*\d{1,2}[:.]\d{2}|(?<![a-zа-яё])(пн|вт|ср|чт|пт|сб|вс|"
    r"mon|tue|wed|thu|fri|sat|sun)(?![a-zа-яё])|режим работы|часы работы|opening hours|"
    r"\d\s*(am|pm)\b)"
)
ADDRESS_TAIL = re.compile(
    r"(?i)^\s*(united kingdom|england|scotland|wales|germany|deutschland|usa|united states|"
    r"россия|russia|[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2})\W*$|\b[A-Z]{2}\s+\d{5}\b|"
    r"^\s*\d{5,6}\b"
)


def has_cyrillic(text: str) -> bool:
    return re.search(r"[А-Яа-яЁё]", text) is not None


def has_latin(text: str) -> bool:
    return re.search(r"[A-Za-z]", text) is not None


def is_address(text: str) -> bool:
    if "@" in text or re.search(r"(?i)https?://|www\.", text):
        return False
    hits = len(ADDRESS_MARKERS.findall(text))
    codes = bool(US_STATE_ZIP.search(text) or UK_POSTCODE.search(text) or DE_POSTCODE.search(text))
    ru_code = bool(RU_POSTCODE.search(text)) and has_cyrillic(text)
    has_number = re.search(r"\d", text) is not None
    if codes or ru_code:
        return True
    if hits >= 2:
        return True
    return hits >= 1 and has_number and not TITLE_WORDS.search(text)


_LAT2CYR = str.maketrans("AaBEeKkMHOoPpCcTyXx", "АаВЕеКкМНОоРрСсТуХх")
_CYR2LAT = str.maketrans("АаВЕеКкМНОоРрСсТуХх", "AaBEeKkMHOoPpCcTyXx")


def fix_scripts(text: str) -> str:
    """Words OCR'd in the wrong alphabet (Latin "AO", Cyrillic "К." in "Rebecca К. Hughes")
    are moved to the alphabet of the rest of the line, when every letter has a twin."""
    words = text.split(" ")
    cyr = sum(len(w) for w in words if has_cyrillic(w) and not has_latin(w))
    lat = sum(len(w) for w in words if has_latin(w) and not has_cyrillic(w))
    if "@" in text or re.search(r"(?i)www|https?:|\.(com|ru|org|net)", text):
        return text
    out = []
    for w in words:
        letters = re.sub(r"[^A-Za-zА-Яа-яЁё]", "", w)
        if not letters:
            out.append(w)
        elif cyr > lat and letters == letters.translate(_CYR2LAT) and has_latin(w):
            out.append(w.translate(_LAT2CYR))
        elif lat > cyr and letters == letters.translate(_LAT2CYR) and has_cyrillic(w):
            out.append(w.translate(_CYR2LAT))
        else:
            out.append(w)
    fixed = " ".join(out)
    # "000 «Ромашка»": zeros read for the letters of a legal form.
    return re.sub(r"^0{2,3}(?=\s+[«\"“А-ЯЁ])", "ООО", fixed)
