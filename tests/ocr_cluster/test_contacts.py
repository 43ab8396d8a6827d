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


@pytest.mark.parametrize("regions", [("US", "RU"), ("RU", "US")])
def test_phone_and_fax_on_one_line_are_kept_apart(regions):
    # The classic trap: one line, two numbers, the second one a fax; US grouping wins
    # even when the card's text would suggest Russia first.
    assert find_phones("Phone: 410-555-1234 Fax: 410-555-4321", regions) == (
        ["+14105551234"],
        ["+14105554321"],
    )
    assert find_phones("Phone 410-555-1234 ext. 22 Fax 410-555-4321", regions) == (
        ["+14105551234"],
        ["+14105554321"],
    )
    assert find_phones("P: 410.555.0123  F: 410.555.0199", regions) == (
        ["+14105550123"],
        ["+14105550199"],
    )


@pytest.mark.parametrize(
    ("line", "phones", "faxes"),
    [
        ("Тел.: +7 (495) 123-45-67 доб. 123", ["+74951234567"], []),
        ("Моб.: 8 (916) 123-45-67", ["+79161234567"], []),
        (
            "Тел. 8 (812) 555-12-34, доб. 7; Факс 8 (812) 555-12-35",
            ["+78125551234"],
            ["+78125551235"],
        ),
        ("Факс: +7 495 987-65-43", [], ["+74959876543"]),
        ("ф. 8 (343) 765-17-13", [], ["+73437651713"]),
        ("Тел./моб.: +7 912 345-67-89", ["+79123456789"], []),
    ],
)
def test_russian_labels(line, phones, faxes):
    # A Russian number stays Russian even on a card whose other text points to the US.
    assert find_phones(line, ("US", "RU")) == (phones, faxes)


@pytest.mark.parametrize(
    ("line", "emails"),
    [
        ("a sokolova@sever. example ru", ["a.sokolova@sever.example.ru"]),
        ("daniel. foster@northwind.example.com", ["daniel.foster@northwind.example.com"]),
        ("Email: ivan@x.example.ru", ["ivan@x.example.ru"]),
        ("info@acme.example.com www.acme.example.com", ["info@acme.example.com"]),
    ],
)
def test_emails_with_dots_read_as_spaces(line, emails):
    assert find_emails(line) == emails


def test_misread_www_and_scheme():
    assert find_websites("https:/Avww.fourth.example.co.uk") == ["fourth.example.co.uk"]
    assert find_websites("vww.acme.example.com") == ["acme.example.com"]
