from ocr_cluster.fields import TextLine, extract_fields


def _lines(*rows):
    return [TextLine(text=t, height=h) for t, h in rows]


def test_russian_card():
    got = extract_fields(
        _lines(
            ("ООО «Вектор-Групп»", 30),
            ("Доставка по всей России", 16),
            ("ДОБРОВОЛЬСКАЯ Людмила Петровна", 55),
            ("Ведущий разработчик", 28),
            ("Тел.: 8 800 123-07-75", 20),
            ("Факс: +7 (495) 637-91-06", 20),
            ("ИНН 7701234567", 16),
            ("Пн–Пт 9:00–18:00", 16),
            ("ldobrovolskaya@vektor-grupp.example.ru", 20),
            ("https://www.vektor-grupp.example.ru/", 20),
            ("Адрес: г. Москва, ул. Ленина,", 18),
            ("д. 5, офис 12", 18),
            ("Telegram: @vektor_grupp", 16),
        )
    ).values
    assert got["name"] == "Добровольская Людмила Петровна"
    assert (got["first_name"], got["middle_name"], got["last_name"]) == (
        "Людмила",
        "Петровна",
        "Добровольская",
    )
    assert got["title"] == "Ведущий разработчик"
    assert got["company"] == "ООО «Вектор-Групп»"
    assert got["phones"] == ["+78001230775"]
    assert got["fax"] == "+74956379106"
    assert got["emails"] == ["ldobrovolskaya@vektor-grupp.example.ru"]
    assert got["websites"] == ["vektor-grupp.example.ru"]
    assert got["address"] == "г. Москва, ул. Ленина, д. 5, офис 12"
    assert got["lang"] == "ru"


def test_english_card_with_uk_numbers():
    got = extract_fields(
        _lines(
            ("Lucerne Publishing Ltd", 22),
            ("Joseph T. Mitchell", 43),
            ("Marketing Director", 25),
            ("T +44 113 496 0750", 16),
            ("M 07700 900015", 16),
            ("E info@lucerne-publishing.example.co.uk", 19),
            ("103 High Street, Leeds LS1 8JP,", 17),
            ("United Kingdom", 17),
            ("Design. Build. Deliver.", 14),
        )
    ).values
    assert got["name"] == "Joseph T. Mitchell"
    assert got["middle_name"] == "T."
    assert got["title"] == "Marketing Director"
    assert got["company"] == "Lucerne Publishing Ltd"
    assert got["phones"] == ["+441134960750", "+447700900015"]
    assert got["fax"] is None
    assert got["address"] == "103 High Street, Leeds LS1 8JP, United Kingdom"
    assert got["lang"] == "en"


def test_mixed_language_and_slogan_not_reported():
    got = extract_fields(
        _lines(
            ("Viktoriya Kiseleva", 40),
            ("Главный инженер проекта", 20),
            ("Мы строим будущее", 14),
            ("viktoriya@example.ru", 18),
        )
    ).values
    assert got["name"] == "Viktoriya Kiseleva"
    assert got["title"] == "Главный инженер проекта"
    assert got.get("company") is None
    assert got["lang"] == "mixed"


def test_nothing_readable():
    got = extract_fields([]).values
    assert got.get("name") is None and got["phones"] == [] and got["emails"] == []


def test_us_card_phone_and_fax_on_one_line():
    got = extract_fields(
        _lines(
            ("Harbor Point Inc.", 26),
            ("Megan R. Collins", 44),
            ("Account Executive", 24),
            ("Phone: 410-555-1234 Fax: 410-555-4321", 16),
            ("1200 Harbor Street, Baltimore, MD 21230", 16),
        )
    ).values
    assert got["phones"] == ["+14105551234"]
    assert got["fax"] == "+14105554321"
    assert got["company"] == "Harbor Point Inc."
    assert got["address"] == "1200 Harbor Street, Baltimore, MD 21230"


def test_russian_labels_on_a_card():
    got = extract_fields(
        _lines(
            ("АО «Уралтехснаб»", 28),
            ("Петров Игорь Васильевич", 44),
            ("Начальник отдела снабжения", 22),
            ("Тел.: +7 (343) 765-17-13, доб. 214", 16),
            ("Моб.: 8 912 604-11-22", 16),
            ("Факс: +7 (343) 964-96-99", 16),
        )
    ).values
    assert got["phones"] == ["+73437651713", "+79126041122"]
    assert got["fax"] == "+73439649699"
    assert (got["first_name"], got["middle_name"], got["last_name"]) == (
        "Игорь",
        "Васильевич",
        "Петров",
    )


def test_printed_letters_survive_the_whole_reading():
    """Diacritics and CJK stay as printed in the contact (no ASCII folding anywhere)."""
    from ocr_cluster.reader import read_text
    from tests.ocr_cluster.card_text import Row, card

    japanese = read_text(
        card(
            Row("株式会社カイヨウ", 24),
            Row("溝呂木 春樹", 40),
            Row("営業部 部長", 20),
            Row("〒100-0005 東京都千代田区丸の内1-2-3", 18, gap=2),
        )
    ).contact
    assert (japanese.company, japanese.name, japanese.title) == (
        "株式会社カイヨウ",
        "溝呂木 春樹",
        "営業部 部長",
    )
    assert japanese.address == "〒100-0005 東京都千代田区丸の内1-2-3"
    assert japanese.lang == "ja"
    brazilian = read_text(
        card(
            Row("JOÃO CONCEIÇÃO", 30),
            Row("Técnico em Edificações", 18),
            Row("Rua Augusta, 1500 - São Paulo - SP", 18, gap=2),
            Row("joao.conceicao@obrasul.com.br", 18),
        )
    ).contact
    assert brazilian.name == "João Conceição"
    assert brazilian.address == "Rua Augusta, 1500 - São Paulo - SP"
    assert brazilian.lang == "pt"
