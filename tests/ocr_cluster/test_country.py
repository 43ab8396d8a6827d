"""The card's own country for numbers printed without "+": from its address, its domains,
its other numbers and its script; the caller's fallback only when the card says nothing."""

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from ocr_cluster.country import card_regions
from ocr_cluster.fields import TextLine, extract_fields
from ocr_cluster.reader import read_text


def _lines(*texts: str) -> list[TextLine]:
    return [TextLine(text=t) for t in texts]


@pytest.mark.parametrize(
    ("texts", "region"),
    [
        (["Chiyoda-ku, Tokyo 100-0005"], "JP"),
        (["〒100-0005 東京都千代田区丸の内1-1-1"], "JP"),
        (["1 Raffles Place, #20-01", "Singapore 048616"], "SG"),
        (["Av. Paulista, 1000 - Bela Vista", "São Paulo - SP"], "BR"),
        (["Rua Pinhal, 283 - CEP: 03564-040"], "BR"),
        (["г. Москва, ул. Тверская, д. 7"], "RU"),
        (["Leopoldstraße 12, 80331 München", "Deutschland"], "DE"),
        (["Quận 1, TP. Hồ Chí Minh, Việt Nam"], "VN"),
        (["서울특별시 강남구 테헤란로 123"], "KR"),
        (["4001 1st Ave NE, Redmond, WA 98052"], "US"),
        (["2 Kingdom Street, Paddington, London W2 6BD"], "GB"),
        (["Calle de Alcalá 45, 28014 Madrid, España"], "ES"),
    ],
)
def test_address_names_the_country(texts, region):
    assert card_regions(_lines(*texts))[0] == region


@pytest.mark.parametrize(
    ("address", "region"),
    [
        ("info@sample.co.jp", "JP"),
        ("sales@congty.com.vn", "VN"),
        ("www.loja.com.br", "BR"),
        ("ivan@romashka.ru", "RU"),
        ("hello@studio.sg", "SG"),
        ("kontakt@firma.de", "DE"),
        ("https://www.firm.co.uk/", "GB"),
        ("office@firma.рф", "RU"),
    ],
)
def test_domain_names_the_country(address, region):
    assert card_regions(_lines("Jane Doe", address)) == (region,)


def test_generic_domains_name_no_country():
    assert card_regions(_lines("Jane Doe", "jane@startup.io", "jane.doe@gmail.com")) == ()


@pytest.mark.parametrize(
    ("printed", "region"),
    [("+81 3-1234-5678", "JP"), ("+55 11 2345-6789", "BR"), ("+65 6123 4567", "SG")],
)
def test_a_number_printed_with_its_country_code_names_the_country(printed, region):
    assert card_regions(_lines("Jane Doe", f"Mobile: {printed}", "Office: 1234 5678")) == (region,)


@pytest.mark.parametrize(
    ("texts", "region"),
    [
        (["山田 太郎", "サンプル商事"], "JP"),  # kana
        (["김민수", "영업부 과장"], "KR"),
        (["Nguyễn Văn An", "Giám đốc kinh doanh"], "VN"),
        (["Иванов Иван Иванович", "Директор"], "RU"),
        (["Петренко Олена", "Київська обл."], "UA"),
    ],
)
def test_script_names_the_country(texts, region):
    assert card_regions(_lines(*texts)) == (region,)


def test_cyrillic_goes_to_the_country_the_card_otherwise_names():
    lines = _lines("ТОО «Алтын»", "Генеральный директор", "info@altyn.kz")
    assert card_regions(lines) == ("KZ",)


def test_fallback_is_last_and_settles_what_the_card_leaves_open():
    assert card_regions(_lines("Jane Doe"), ("MX", "US")) == ("MX", "US")
    assert card_regions(_lines("Chiyoda-ku, Tokyo"), ("SG",)) == ("JP", "SG")
    # Cyrillic or Spanish alone do not say which country: the sender's does.
    assert card_regions(_lines("Иванов Иван"), ("KZ",)) == ("KZ",)
    assert card_regions(_lines("Diseño y señalética"), ("MX",)) == ("MX",)
    assert card_regions(_lines("Diseño y señalética")) == ()
    assert card_regions(_lines("Jane Doe"), ("XX", "")) == ()


# --- whole cards: a number without "+" gets the card's country -----------------------------

COUNTRIES = {
    # region: (a clue on the card, the domain)
    "JP": ("東京都千代田区丸の内1-1-1", "co.jp"),
    "SG": ("1 Raffles Place, Singapore 048616", "com.sg"),
    "VN": ("Quận 1, TP. Hồ Chí Minh", "com.vn"),
    "BR": ("Av. Paulista, 1000 - São Paulo - SP", "com.br"),
    "KR": ("서울특별시 강남구 테헤란로 123", "co.kr"),
    "DE": ("Leopoldstraße 12, 80331 München", "de"),
    "FR": ("12 rue de Rivoli, 75004 Paris", "fr"),
    "IT": ("Via Roma 1, 20121 Milano", "it"),
    "ES": ("Calle de Alcalá 45, 28014 Madrid", "es"),
    "MX": ("Av. Reforma 222, Ciudad de México", "com.mx"),
    "IN": ("Nariman Point, Mumbai 400021", "co.in"),
    "AU": ("1 Martin Place, Sydney NSW 2000", "com.au"),
    "TH": ("Sukhumvit Road, Bangkok 10110", "co.th"),
    "CN": ("北京市朝阳区建国路88号", "com.cn"),
    "HK": ("Central, Hong Kong", "com.hk"),
    "TR": ("Levent, İstanbul", "com.tr"),
    "PL": ("ul. Marszałkowska 1, 00-001 Warszawa", "pl"),
    "NL": ("Damrak 1, 1012 LG Amsterdam", "nl"),
    "CH": ("Bahnhofstrasse 1, 8001 Zürich", "ch"),
    "GB": ("103 High Street, Leeds LS1 8JP", "co.uk"),
}


def _example(region: str, kind: PhoneNumberType) -> tuple[str, str]:
    number = phonenumbers.example_number_for_type(region, kind)
    national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return national, phonenumbers.format_number(number, PhoneNumberFormat.E164)


@pytest.mark.parametrize("region", sorted(COUNTRIES))
@pytest.mark.parametrize("clue", ["address", "domain", "international"])
def test_national_numbers_take_the_card_country(region, clue):
    address, domain = COUNTRIES[region]
    office, office_e164 = _example(region, PhoneNumberType.FIXED_LINE)
    mobile, mobile_e164 = _example(region, PhoneNumberType.MOBILE)
    texts = ["Jane Doe", "Sales Manager", f"Tel: {office}"]
    if clue == "address":
        texts += [address]
    elif clue == "domain":
        texts += [f"jane@company.{domain}"]
    else:  # the mobile printed with its country code
        mobile = phonenumbers.format_number(
            phonenumbers.parse(mobile_e164), PhoneNumberFormat.INTERNATIONAL
        )
    texts += [f"Mobile: {mobile}"]
    got = extract_fields(_lines(*texts)).values
    assert got["phones"] == [office_e164, mobile_e164], texts


@pytest.mark.parametrize("region", ["SG", "BR", "JP", "VN", "DE"])
def test_fallback_region_reads_a_card_without_clues(region):
    office, office_e164 = _example(region, PhoneNumberType.FIXED_LINE)
    lines = _lines("Jane Doe", f"Tel: {office}")
    assert read_text(lines, fallback_regions=(region,)).contact.phones == [office_e164]
    lines = _lines("Jane Doe", f"Tel: {office}")
    assert extract_fields(lines, fallback_regions=(region,)).values["phones"] == [office_e164]


def test_card_clues_beat_the_fallback():
    lines = _lines("Chiyoda-ku, Tokyo", "Tel: 03-1234-5678")
    assert read_text(lines, fallback_regions=("SG",)).contact.phones == ["+81312345678"]
