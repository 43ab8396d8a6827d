import pytest

from ocr_cluster.contacts import find_emails, find_websites, normalize_website
from ocr_cluster.fields import TextLine, extract_fields
from ocr_cluster.phones import card_phones, find_phones

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


# --- what only looks like a phone number -----------------------------------------------------


@pytest.mark.parametrize(
    ("line", "regions"),
    [
        ("〒100-0001", ("JP",)),
        ("100-0001 東京都千代田区千代田1-1", ("JP",)),
        ("CEP: 03564-040", ("BR",)),
        ("Rua Pinhal, 283 - 01310-100 São Paulo", ("BR",)),
        ("CNPJ: 12.345.678/0001-90", ("BR",)),
        ("CPF 123.456.789-09", ("BR",)),
        ("ИНН 7701234567 ОГРН 1027700132195", ("RU",)),
        ("Steuernummer 143/123/45678", ("DE",)),
        ("12.03.2024", ("DE",)),
        ("Seg a Sex 08:00 às 18:00", ("BR",)),
        ("ID 55*12*3456", ("BR",)),
        ("Zip 98052-6399", ("US",)),
    ],
)
def test_postcodes_ids_dates_and_hours_are_no_phones(line, regions):
    # Not in the card's country, nor in any other a number might be tried in.
    assert find_phones(line, (*regions, "US", "DE", "GB", "RU")) == ([], [])


@pytest.mark.parametrize(
    ("texts", "regions", "phones"),
    [
        (["Av. Paulista, 1000 - CEP 01310-100", "Tel: (11) 3241-0322"], ("BR",), ["+551132410322"]),
        (["〒100-0005 東京都千代田区丸の内1-1-1", "TEL 03-1234-5678"], ("JP",), ["+81312345678"]),
        (["ИНН 7701234567", "Тел. +7 495 123-45-67"], ("RU",), ["+74951234567"]),
        (["Nextel 9.4000-4561 ID 55*12*3456", "TIM 11 9.8697-6934"], ("BR",),
         ["+5511940004561", "+5511986976934"]),
    ],
)  # fmt: skip
def test_a_card_keeps_its_phone_and_drops_the_rest(texts, regions, phones):
    assert [p for line in card_phones(texts, regions) for p in line[0]] == phones


# --- fax labels ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "regions", "phones", "faxes"),
    [
        ("(11) 2131-3418 Fax", ("BR",), [], ["+551121313418"]),
        ("03-1234-5679 FAX", ("JP",), [], ["+81312345679"]),
        ("F 03-1234-5679", ("JP",), [], ["+81312345679"]),
        ("f. (11) 3392-3817", ("BR",), [], ["+551133923817"]),
        ("F: 6123 4568", ("SG",), [], ["+6561234568"]),
        ("FAX:03-1234-5679", ("JP",), [], ["+81312345679"]),
        ("ファックス 03-1234-5679", ("JP",), [], ["+81312345679"]),
        ("传真: 010-1234-5679", ("CN",), [], ["+861012345679"]),
        ("팩스 02-212-3457", ("KR",), [], ["+8222123457"]),
        ("Факс: 8 (495) 123-45-68", ("RU",), [], ["+74951234568"]),
        ("Pabx:(11)2131-3400-Fax:2131-3418", ("BR",), ["+551121313400"], ["+551121313418"]),
        ("TEL 03-1234-5678 FAX 03-1234-5679", ("JP",), ["+81312345678"], ["+81312345679"]),
        ("電話 03-1234-5678 ファックス 03-1234-5679", ("JP",), ["+81312345678"], ["+81312345679"]),
        ("Tel/Fax: (11) 3392-3817", ("BR",), ["+551133923817"], ["+551133923817"]),
        ("TEL・FAX 03-1234-5678", ("JP",), ["+81312345678"], ["+81312345678"]),
        ("Тел./факс: +7 495 123-45-67", ("RU",), ["+74951234567"], ["+74951234567"]),
        ("f @studio.example", ("BR",), [], []),
    ],
)
def test_fax_labels(line, regions, phones, faxes):
    assert find_phones(line, regions) == (phones, faxes)


@pytest.mark.parametrize(
    ("texts", "phones", "fax"),
    [
        # "Tel/Fax" is a phone, and the fax when nothing is labelled fax alone.
        (["Lojas: Av. Rio das Pedras, 1553 - Tel/Fax: (11) 3123-0800",
          "Av. Sapopemba, 2449 - Tel/Fax: (11) 2966-2550"],
         ["+551131230800", "+551129662550"], "+551131230800"),
        (["Tel/Fax: (11) 3123-0800", "Fax: (11) 3123-0801"], ["+551131230800"], "+551131230801"),
        (["Tel: (11) 3123-0800", "(11) 3123-0801 Fax"], ["+551131230800"], "+551131230801"),
    ],
)  # fmt: skip
def test_card_fax(texts, phones, fax):
    got = extract_fields([TextLine(text=t) for t in texts], fallback_regions=("BR",)).values
    assert (got["phones"], got["fax"]) == (phones, fax)


# --- numbers printed without their area code -------------------------------------------------


@pytest.mark.parametrize(
    ("texts", "regions", "phones"),
    [
        # the area code printed once for two numbers
        (["Fones 11 2082-2399 / 2646-6123"], ("BR",), ["+551120822399", "+551126466123"]),
        (["11 2785-4545/2783-6958 - ID 45*8*12146"], ("BR",), ["+551127854545", "+551127836958"]),
        # another number on the card
        (["Tel: (11) 2684-7988", "3854-7828"], ("BR",), ["+551126847988", "+551138547828"]),
        (["Tel: 03-1234-5678", "5678-1234"], ("JP",), ["+81312345678", "+81356781234"]),
        (["Office: (206) 344-1234", "Direct: 344-1235"], ("US",), ["+12063441234", "+12063441235"]),
        # the city of the card's address
        (["Av. Itaquera, 2994 - São Paulo - SP", "2294-9484", "9.9679-9468"], ("BR",),
         ["+551122949484", "+5511996799468"]),
        (["Rua da Assembleia, 10 - Centro - Rio de Janeiro - RJ", "Tel: 2222-3333"], ("BR",),
         ["+552122223333"]),
        (["東京都千代田区丸の内1-1-1", "TEL 1234-5678"], ("JP",), ["+81312345678"]),
        (["Hauptstraße 5, 80331 München", "Tel. 1234567"], ("DE",), ["+49891234567"]),
        # only the state: its largest city
        (["Av. Itaquera, 3006 - Jardim Fernandes - SP", "2294-9484"], ("BR",), ["+551122949484"]),
        # nothing to borrow from: no number is made up
        (["Av. Amador Bueno da Veiga, 1.215", "Tel: 2685-2862"], ("BR",), []),
    ],
)  # fmt: skip
def test_area_code_borrowed_from_the_card(texts, regions, phones):
    assert [p for line in card_phones(texts, regions) for p in line[0]] == phones


# --- numbers libphonenumber does not know ----------------------------------------------------


@pytest.mark.parametrize(
    ("address", "line", "phones"),
    [
        # an old 8-digit São Paulo mobile, and a number from a range since reassigned
        ("São Paulo - SP", "(11) 9933-6564", ["+551199336564"]),
        ("São Paulo - SP", "Tel.:116909-6968", ["+551169096968"]),
        ("Chiyoda-ku, Tokyo", "TEL 03-0000-1234", ["+81300001234"]),
        ("Quận 1, TP. Hồ Chí Minh", "ĐT: 028 1234 5678", ["+842812345678"]),
        ("Redmond, WA 98052", "Cell: +1 (987) 123-4567", ["+19871234567"]),  # no such area
        ("Paddington, London W2 6BD", "tel: +44 (0) 20 9876 5432", ["+442098765432"]),
        # but nothing shorter than a whole number, nor an unlabelled, ungrouped digit run
        ("São Paulo - SP", "Pedido 1199336564", []),
        ("Rua Amador Bueno, 1.215 - Brasil", "Tel: 2685-2862 / 3685-2862", []),
    ],
)
def test_printed_phones_kept_even_if_unknown_to_libphonenumber(address, line, phones):
    got = extract_fields([TextLine(text=address), TextLine(text=line)]).values
    assert got["phones"] == phones


@pytest.mark.parametrize(
    ("line", "phones"),
    [
        ("9.9679-9468 WhatsApp", ["+5511996799468"]),
        ("WhatsApp: (11) 97038-8110", ["+5511970388110"]),
        ("Cel.: 11 99884-8929 e-mail: guina@tabeliao.example.br", ["+5511998848929"]),
        ("São Paulo -SP-Tel: 11 3241-0322 Ramal 240", ["+551132410322"]),
        ("Fone 55 11 3105-8655", ["+551131058655"]),
    ],
)
def test_brazilian_lines(line, phones):
    assert [p for ln in card_phones(["São Paulo - SP", line], ("BR",)) for p in ln[0]] == phones


def test_whatsapp_line_on_a_card_is_a_phone():
    lines = [TextLine(text="Av. Itaquera, 2994 - SP"), TextLine(text="WhatsApp: (11) 97038-8110")]
    assert extract_fields(lines).values["phones"] == ["+5511970388110"]
