import pytest

from ocr_cluster.contacts import find_emails, find_phones, find_websites, normalize_website

RU = ("RU", "US", "GB", "DE")


@pytest.mark.parametrize(
    ("line", "phones", "faxes"),
    [
        ("8 (342) 689-67-20", ["+73426896720"], []),
        ("Тел.: +7 (495) 123-45-67, доб. 123", ["+74951234567"], []),
        ("Факс: 8 (342) 441-00-09", [], ["+73424410009"]),
        ("T: +7 843 449 10 97  F: +7 843 737 26 29", ["+78434491097"], ["+78437372629"]),
        ("Тел.: 8 800 900-18-06 · Моб.: +7-917-106-83-50", ["+78009001806", "+79171068350"], []),
        ("Office: +44 117 496 0515 ext. 12", ["+441174960515"], []),
        ("ИНН 7701234567 КПП 770101001", [], []),
        ("Пн–Пт 9:00–18:00", [], []),
    ],
)
def test_phones(line, phones, faxes):
    assert find_phones(line, RU) == (phones, faxes)


def test_phone_region_hint_for_national_numbers():
    assert find_phones("Mobile: 07700 900207", ("GB", "US", "RU")) == (["+447700900207"], [])
    assert find_phones("(425) 555-0150", ("US", "RU")) == (["+14255550150"], [])


def test_emails_lower_case_and_homoglyphs():
    assert find_emails("E-mail: Ivan.Petrov@Example.RU") == ["ivan.petrov@example.ru"]
    # Cyrillic "е" and "о" read inside an address are turned into Latin letters.
    assert find_emails("info@еxample.cоm") == ["info@example.com"]
    assert find_emails("two: a@x.example.org, b@y.example.org") == [
        "a@x.example.org",
        "b@y.example.org",
    ]


def test_websites_normalised_and_social_dropped():
    assert find_websites("Сайт: https://www.Romashka.example.ru/") == ["romashka.example.ru"]
    assert find_websites("www. bright.example.com") == ["bright.example.com"]
    assert find_websites("t.me/romashka  vk.com/romashka") == []
    assert find_websites("mail@romashka.example.ru") == []
    assert find_websites("г. Москва, ул. Ленина, д. 5") == []
    assert normalize_website("HTTP://WWW.Example.com/") == "example.com"
