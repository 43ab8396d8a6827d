"""The person on the card: a name found from the layout and the e-mail (most names are in
no dictionary), no name on a company-only card, and job titles in many languages."""

import pytest

from ocr_cluster.fields import extract_fields
from tests.ocr_cluster.card_text import Row, card


def _words(text: str | None) -> set[str]:
    return set((text or "").lower().replace(",", " ").replace(".", " ").split())


# Names from several countries, none of them in a word list, printed the way cards print
# them: capitals, accents, hyphens, particles, an initial and a suffix.
PEOPLE = [
    ("Haruki Mizorogi", "Sales Manager", "h.mizorogi@kaiyo-trade.co.jp", "Kaiyo Trade K.K."),
    ("LÒ VĂN KHIÊM", "Giám đốc kinh doanh", "khiem.lv@saovang.com.vn", "CÔNG TY TNHH SAO VÀNG"),
    ("Thiago Brandão Quirino", "Gerente Comercial", "tquirino@vidrobras.com.br", "Vidrobras Ltda."),
    (
        "Dwayne Okonkwo-Reyes",
        "VP, Business Development",
        "dwayne@lumenfield.com",
        "Lumenfield Inc.",
    ),
    ("Jörg Wendlandt", "Geschäftsführer", "j.wendlandt@brueckner.de", "Brückner GmbH"),
    (
        "Éloïse Marchetti",
        "Directrice commerciale",
        "e.marchetti@lumiere.fr",
        "Atelier Lumière SARL",
    ),
    ("Ximena Quispe Huamán", "Jefa de Ventas", "xquispe@andino.mx", "Grupo Andino S.A. de C.V."),
    ("Rodrigo A. Fontanella Jr.", "Advogado", "rodrigo@fontanella.adv.br", "Fontanella Advogados"),
    ("Ana Beatriz de Oliveira", "Engenheira Civil", "anabeatriz@obrasul.com.br", "Obrasul Ltda."),
]


@pytest.mark.parametrize(("name", "title", "email", "company"), PEOPLE)
def test_a_name_in_no_dictionary_is_found_from_the_layout(name, title, email, company):
    got = extract_fields(
        card(
            Row(company, 22),
            Row(name, 38, gap=1.5),
            Row(title, 20),
            Row(email, 16, gap=3.0),
            Row("+1 415 555 0142", 16),
        )
    ).values
    assert got["name"] is not None and _words(got["name"]) == _words(name)
    assert got["title"] == title
    assert got["company"] == company
    # Printed letters are kept: no accent is folded away.
    assert set(got["name"].lower()) >= set(name.replace(" ", "").replace(".", "").lower())


@pytest.mark.parametrize(
    ("tall", "name", "email"),
    [
        ("Blue Harbor", "Tomasz Wierzbicki", "t.wierzbicki@blueharbor.com"),
        ("GRAN TORINO", "Keisuke Oyamada", "keisuke.oyamada@grantorino.jp"),
        ("Casa Verde", "Marcela Tiburcio", "mtiburcio@casaverde.com.br"),
    ],
)
def test_the_email_tells_the_person_from_the_company(tall, name, email):
    """The largest name-shaped line is the company the domain spells; the e-mail's local
    part spells the person (`k.tanaka@` ~ Kenji Tanaka)."""
    got = extract_fields(
        card(Row(tall, 56), Row(name, 22, gap=2.0), Row(email, 16), Row("+55 11 2345-6789", 16))
    ).values
    assert _words(got["name"]) == _words(name)
    assert got["company"] == tall


@pytest.mark.parametrize(
    "rows",
    [
        # A shop: trade in capitals, a tagline, phone and address; nobody's name.
        [Row("PADARIA BOM SABOR", 60), Row("Pães, doces e salgados", 24),
         Row("Av. Brasil, 1200 - Jardim América", 20), Row("(11) 2345-6789", 20)],
        [Row("GOLDEN GATE PLUMBING", 50), Row("Repairs and installations", 20),
         Row("(415) 555-0177", 18), Row("2201 Mission Street, San Francisco, CA 94110", 18)],
        # A trade name made of two owners' names, set in one header with the trade.
        [Row("OFICINA MECÂNICA", 56), Row("IRMÃOS COSTA", 56), Row("Rua Ipiranga, 77", 20),
         Row("(11) 2233-4455", 20)],
        [Row("AUTO SOCORRO", 60), Row("R. OLIVEIRA", 34), Row("Aceitamos cartões", 20),
         Row("(11) 98697-6934", 20)],
        [Row("Quality You Can Trust", 30), Row("NORTHWIND", 60), Row("info@northwind.io", 18)],
    ],
)  # fmt: skip
def test_a_company_only_card_has_no_name(rows):
    got = extract_fields(card(*rows)).values
    assert got.get("name") is None


def test_a_courtesy_title_is_not_part_of_the_name():
    got = extract_fields(
        card(Row("Dr. Avery Ostrowski", 40), Row("Senior Researcher", 22), Row("CONTOSO", 70, 600))
    ).values
    assert got["name"] == "Avery Ostrowski"
    assert got["title"] == "Senior Researcher"


@pytest.mark.parametrize(
    "title",
    [
        "Diretor Administrativo", "Gerente de Negócios", "Vendedor", "Engenheiro de Produção",
        "Representante Comercial", "Consultor de marketing", "Jefe de Compras",
        "Directeur Général", "Projektleiterin", "Geschäftsführer", "営業部 部長", "代表取締役社長",
        "Giám đốc", "总经理", "Escrevente Autorizado",
    ],
)  # fmt: skip
def test_titles_in_other_languages(title):
    got = extract_fields(
        card(Row("Sekar Wirasaputra", 36), Row(title, 20), Row("sekar@wirasaputra.id", 16, gap=2))
    ).values
    assert got["title"] == title
    assert got["name"] == "Sekar Wirasaputra"


def test_cjk_name_keeps_its_characters_and_family_name_first():
    got = extract_fields(
        card(
            Row("株式会社カイヨウ", 24),
            Row("溝呂木 春樹", 40, gap=1.0),
            Row("営業部 部長", 20),
            Row("〒100-0005 東京都千代田区丸の内1-2-3", 16, gap=2.0),
            Row("h.mizorogi@kaiyo.co.jp", 16),
        )
    ).values
    assert got["name"] == "溝呂木 春樹"
    assert (got["last_name"], got["first_name"]) == ("溝呂木", "春樹")
    assert got["company"] == "株式会社カイヨウ"
    assert got["title"] == "営業部 部長"


def test_vietnamese_name_is_family_name_first():
    got = extract_fields(
        card(Row("NGUYỄN THỊ MINH KHAI", 38), Row("Trưởng phòng Kinh doanh", 20))
    ).values
    assert got["name"] == "Nguyễn Thị Minh Khai"
    assert (got["last_name"], got["middle_name"], got["first_name"]) == (
        "Nguyễn",
        "Thị Minh",
        "Khai",
    )


@pytest.mark.parametrize(
    ("rows", "name"),
    [
        # A narrow design sets the name one word a line.
        ([Row("СЕРАФИМА", 52), Row("ЯРОСЛАВОВНА", 52), Row("СВИРИВИНА", 52),
          Row("Руководитель отдела закупок", 31), Row('ООО "Стройгрупп"', 44, gap=1.5)],
         "Серафима Ярославовна Свиривина"),
        ([Row("МИЛАНА ПРОХОРОВНА", 39), Row("КРУТИНА", 39), Row("Инженер-конструктор", 35)],
         "Милана Прохоровна Крутина"),
        # Printed in kanji and in Latin letters, one over the other.
        ([Row("株式会社星島建設", 40), Row("Hoshishima Kensetsu Co., Ltd.", 28),
          Row("MORIHASHI KANAHO", 45, gap=1.0), Row("森橋 香穂", 30), Row("技術開発部", 23)],
         "Morihashi Kanaho"),
        # No title, no e-mail of hers: the largest print, the company being another line.
        ([Row("Cabinet Dufèvre & Associés", 35), Row("Depuis 1985", 21),
          Row("Thobastien Fonvalier", 45, gap=8.0)], "Thobastien Fonvalier"),
    ],
)  # fmt: skip
def test_names_without_a_dictionary_or_an_email(rows, name):
    assert _words(extract_fields(card(*rows)).values.get("name")) == _words(name)


@pytest.mark.parametrize(
    ("line", "name", "title"),
    [
        ("Kenji Tanaka | Sales Manager", "Kenji Tanaka", "Sales Manager"),
        ("Ana Lima, CEO", "Ana Lima", "CEO"),
        ("王小明 总经理", "王小明", "总经理"),
    ],
)
def test_name_and_title_on_one_line(line, name, title):
    got = extract_fields(card(Row("APEX TRADING LLC", 22), Row(line, 30, gap=1.0))).values
    assert (got["name"], got["title"]) == (name, title)


def test_a_title_wrapped_after_and():
    got = extract_fields(
        card(
            Row("Maria Fernanda Souza", 36),
            Row("Head of Sales &", 20),
            Row("Business Development", 20),
        )
    ).values
    assert got["title"] == "Head of Sales & Business Development"


@pytest.mark.parametrize(
    "rows",
    [
        # The second line of a firm's name is nobody's name.
        [Row("CÔNG TY TNHH THIẾT", 43), Row("BỊ Y TẾ PHÁT KIM", 43), Row("028 3815 0101", 19)],
        [Row("Hofstädt", 46), Row("Haustechnik", 46), Row("GmbH", 46),
         Row("kontakt@hofstaedt.example.de", 20)],
        # A slogan with a title word in it is no title, nor the name.
        [Row("MÜHLMANN & HOFSTÄDT GMBH & CO. KG", 36), Row("Ihr Partner vor Ort", 24)],
    ],
)  # fmt: skip
def test_no_person_in_a_firms_lines(rows):
    got = extract_fields(card(*rows)).values
    assert got.get("name") is None
    assert got.get("title") is None


@pytest.mark.parametrize(
    ("rows", "name"),
    [
        # An initial glued to the surname by OCR ("M.Righetti").
        (
            [Row("Aguinaldo M.Righetti Jr.", 24), Row("Escrevente Autorizado", 18),
             Row("Rua 15 de Novembro, 193 - Centro", 16, gap=2.0)],
            "Aguinaldo M. Righetti Jr.",
        ),
    ],
)  # fmt: skip
def test_an_initial_glued_to_the_surname(rows, name):
    got = extract_fields(card(*rows)).values
    assert got["name"] is not None and _words(got["name"]) == _words(name)
