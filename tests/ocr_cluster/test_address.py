"""Addresses of many countries over several lines, joined with ", "; a phone after the
address, landmarks, several shops."""

import pytest

from ocr_cluster.fields import TextLine, extract_fields
from tests.ocr_cluster.card_text import Row, card

ADDRESSES = {
    "us": ["500 Market Street, Suite 300", "San Francisco, CA 94105"],
    "br": ["Rua Augusta, 1500 - Sala 12", "Consolação - São Paulo - SP", "CEP 01304-001"],
    "br_one_line": ["Av. Itaquera, 3006, Sala 6 Jardim Fernandes - SP"],
    "jp": ["〒100-0005", "東京都千代田区丸の内1-2-3", "丸の内ビル 5F"],
    "jp_latin": ["1-2-3 Marunouchi, Chiyoda-ku", "Tokyo 100-0005, Japan"],
    "sg": ["1 Raffles Place, #20-61", "One Raffles Place Tower 2", "Singapore 048616"],
    "vn": ["Số 12 Đường Lê Lợi, Phường Bến Nghé", "Quận 1, TP. Hồ Chí Minh"],
    "de": ["Hauptstraße 5", "10115 Berlin"],
    "fr": ["12 rue de la Paix", "75002 Paris"],
    "uk": ["103 High Street", "Leeds LS1 8JP", "United Kingdom"],
    "mx": ["Av. Reforma 222, Piso 8", "Col. Juárez, C.P. 06600, CDMX"],
    "ru": ["Россия, 620126, г. Екатеринбург,", "ул. Гагарина, д. 112, офис 657"],
}


@pytest.mark.parametrize("country", ADDRESSES)
def test_a_multi_line_address_is_joined(country):
    lines = ADDRESSES[country]
    got = extract_fields(
        card(
            Row("Mariana Lobo", 34),
            Row("Diretora", 20),
            *[Row(line, 16, gap=2.0 if i == 0 else 0.4) for i, line in enumerate(lines)],
            Row("mariana@lobo.example", 16, gap=2.0),
        )
    ).values
    assert got["address"] == ", ".join(line.rstrip(",") for line in lines)


def test_address_lines_in_their_own_column():
    """A two-column card: the address block on the right, name and phones on the left,
    read in reading order line by line."""
    lines = card(
        Row("Renan Beato", 46, 560),
        Row("Gerente de Negócios", 39, 560),
        Row("Alerta Security Solutions", 39, 560, gap=2.0),
        Row("Rua Boa Vista, 254 | 17º andar", 35, 560),
        Row("alerTa", 77, 200),
        Row("Cep 01014-000 | Centro | São Paulo | SP", 38, 560, gap=-2.2),
    )
    got = extract_fields(lines).values
    assert got["address"] == "Rua Boa Vista, 254, 17º andar, Cep 01014-000, Centro, São Paulo, SP"
    assert got["company"] == "Alerta Security Solutions"


@pytest.mark.parametrize(
    ("rows", "address"),
    [
        # The phone printed after the city stays out of the address.
        ([Row("Av. Cangaíba, 2341 - Cangaíba", 20), Row("São Paulo, SP - (11) 2642-5294", 20)],
         "Av. Cangaíba, 2341 - Cangaíba, São Paulo, SP"),
        ([Row("Rua 15 de Novembro, 193 - 1º andar - CEP 01013-001", 20),
          Row("São Paulo - SP - Tel: 11 3241-0322 Ramal 240", 20)],
         "Rua 15 de Novembro, 193 - 1º andar - CEP 01013-001, São Paulo - SP"),
        # Landmarks are directions, not the address.
        ([Row("RUA PADRE JOÃO, 331 - PENHA - SP", 20),
          Row("CEP: 03637-000 - (PRÓX. AO SHOPPING PENHA)", 20), Row("Próximo ao metrô", 20)],
         "RUA PADRE JOÃO, 331 - PENHA - SP, CEP: 03637-000"),
        # Several shops: the first one.
        ([Row("Lojas: • Av. Rio das Pedras, 1553 - Tel/Fax: 3123-0800", 20),
          Row("• Av. Sapopemba, 2449 - Tel/Fax: 2966-2550", 20),
          Row("• R. Pinhal, 283 - Tel/Fax: 2131-3400", 20)], "Av. Rio das Pedras, 1553"),
        # A city line with no marker right under the street, in its size.
        ([Row("2 Kingdom Street", 18), Row("Paddington, London", 18)],
         "2 Kingdom Street, Paddington, London"),
    ],
)  # fmt: skip
def test_what_is_part_of_the_address(rows, address):
    assert extract_fields(card(Row("LOJA CENTRAL", 50), *rows)).values["address"] == address


def test_tilted_photo_lines_whose_boxes_overlap():
    """On a photo taken at an angle the boxes of two address lines overlap in height."""
    lines = [
        TextLine("Contoso", height=290, box=(1095, 1483, 2428, 2155)),
        TextLine("2 Kingdom Street", height=127, box=(1213, 1851, 2081, 2245)),
        TextLine("Paddington, London, W2 6BD", height=134, box=(1253, 1781, 2633, 2372)),
    ]
    assert extract_fields(lines).values["address"] == "2 Kingdom Street, Paddington, London, W2 6BD"


def test_without_boxes_consecutive_lines_join():
    lines = [TextLine("Адрес: г. Москва, ул. Ленина,", 18), TextLine("д. 5, офис 12", 18)]
    assert extract_fields(lines).values["address"] == "г. Москва, ул. Ленина, д. 5, офис 12"


@pytest.mark.parametrize(
    ("rows", "address"),
    [
        # Streets named without a street word.
        ([Row("Kirchring 15", 25), Row("20453 Hamburg", 25), Row("Deutschland", 19)],
         "Kirchring 15, 20453 Hamburg, Deutschland"),
        ([Row("Am Ahorntor 8", 25), Row("01907 Dresden", 25)], "Am Ahorntor 8, 01907 Dresden"),
        ([Row("144 Presley Row", 23), Row("Glasgow G2 5WQ", 23)],
         "144 Presley Row, Glasgow G2 5WQ"),
        # Hours, appointments and registry numbers under the address are not part of it.
        ([Row("Rosenstraße 74b", 32), Row("60334 Frankfurt am Main", 32),
          Row("Mo–Fr 8–17 Uhr", 27)],
         "Rosenstraße 74b, 60334 Frankfurt am Main"),
        ([Row("8 boulevard Rochamp", 24), Row("31007 Toulouse", 24), Row("Sur rendez-vous", 24)],
         "8 boulevard Rochamp, 31007 Toulouse"),
        ([Row("Kirchweg 37a", 26), Row("50225 Köln", 26), Row("HRB 80966, Amtsgericht Köln", 22)],
         "Kirchweg 37a, 50225 Köln"),
        ([Row("5695 Halton Street, Ste. 793", 24), Row("Phoenix, AZ 85015", 24),
          Row("By appointment only", 24), Row("License #354799", 24)],
         "5695 Halton Street, Ste. 793, Phoenix, AZ 85015"),
        # An icon before the first line shifts its left edge.
        ([Row("1576 Lockcott Blvd", 27, 96), Row("Floor 19", 27), Row("Denver, CO 80292", 27)],
         "1576 Lockcott Blvd, Floor 19, Denver, CO 80292"),
    ],
)  # fmt: skip
def test_address_lines_and_what_is_not_address(rows, address):
    got = extract_fields(card(Row("Stebert Holner", 50), *rows))
    assert got.values["address"] == address
