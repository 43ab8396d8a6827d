"""The company: legal forms of many countries, the domain spelling the logo line, names
over two rows, and what is not the company (a tagline, a department, a service list)."""

import pytest

from ocr_cluster.domains import clues, label_match
from ocr_cluster.fields import extract_fields
from tests.ocr_cluster.card_text import RIGHT, Row, card


@pytest.mark.parametrize(
    "company",
    [
        "Kinoshita Comércio de Peças Ltda.", "Metalúrgica Paulista S/A", "Vale Verde EIRELI",
        "Tecnovale S/C LTDA.", "Harbourfront Pte Ltd", "Kaiyo Shoji K.K.", "株式会社カイヨウ",
        "华星科技有限公司", "CÔNG TY TNHH SAO VÀNG", "Atelier Lumière SARL",
        "Officine Rossi S.r.l.", "Nordwerk Sp. z o.o.", "Grupo Andino S.A. de C.V.",
        "Panificadora Trigo Bom ME",
    ],
)  # fmt: skip
def test_a_legal_form_beats_a_larger_tagline(company):
    got = extract_fields(
        card(
            Row("Qualidade Garantida", 34),
            Row(company, 20),
            Row("Mariana Esteves Lobo", 28, gap=2.0),
            Row("Diretora", 18),
            Row("+55 11 3456-7890", 16, gap=2.0),
        )
    ).values
    assert got["company"] == company


@pytest.mark.parametrize(
    ("logo", "email"),
    [
        ("NIMBARA", "a.kowalski@nimbara.io"),
        ("Lumenfield", "sales@lumenfield.com.sg"),
        ("ALERTA SECURITY SOLUTIONS", "ops@alertasecurity.com.br"),
        ("Fourth Coffee", "eward@fourth-coffee.co.uk"),
    ],
)
def test_the_domain_names_the_company_line(logo, email):
    got = extract_fields(
        card(
            Row("Keep It Simple", 30),
            Row(logo, 26),
            Row("Adam Kowalski", 28, gap=2.0),
            Row("Account Executive", 18),
            Row(email, 16, gap=2.0),
        )
    ).values
    assert got["company"] == logo


@pytest.mark.parametrize(
    ("rows", "company"),
    [
        ([Row("NORTHBRIDGE", 50), Row("LOGISTICS", 48), Row("Moving what matters.", 20)],
         "NORTHBRIDGE LOGISTICS"),
        # A logo in pieces: two words on the first row, one on the second.
        ([Row("Pousada", 60), Row("Vila", 60, RIGHT), Row("Serena", 56),
          Row("Café da manhã incluso", 20), Row("(24) 3371-5566", 18)], "Pousada Vila Serena"),
        ([Row("DESPACHANTE", 70), Row("1000", 90), Row("Milhas", 100)], "DESPACHANTE 1000 Milhas"),
        # The domain spells a name printed over two rows of different sizes.
        ([Row("Brunau", 70), Row("Buffet", 100), Row("www.brunaubuffet.com.br", 20, gap=2)],
         "Brunau Buffet"),
    ],
)  # fmt: skip
def test_a_company_printed_over_several_rows(rows, company):
    assert extract_fields(card(*rows)).values["company"] == company


@pytest.mark.parametrize(
    ("rows", "company"),
    [
        # A legal form ends the name: the service line under it is not part of it.
        ([Row("TECNOVALE S/C LTDA.", 60), Row("ASSISTÊNCIA TÉCNICA EM GERAL", 50)],
         "TECNOVALE S/C LTDA."),
        # A translation under the name is another name, not its second line.
        ([Row("ООО «Софтгрупп»", 24), Row("Softgrupp LLC", 22), Row("info@softgrupp.ru", 16)],
         "ООО «Софтгрупп»"),
        # Logo initials beside the name they abbreviate.
        ([Row("RD", 37), Row("Redwood Dynamics", 37, RIGHT), Row("Nancy Clark", 54),
          Row("Regional Sales Director", 30)], "Redwood Dynamics"),
        # A legal form alone is the logo's letters, not the company.
        ([Row("BV", 40), Row("BRIGHT VENTURES CORP.", 36, RIGHT), Row("Michael Miller", 50)],
         "BRIGHT VENTURES CORP."),
    ],
)  # fmt: skip
def test_what_belongs_to_the_company_name(rows, company):
    assert extract_fields(card(*rows)).values["company"] == company


@pytest.mark.parametrize(
    "rows",
    [
        # The department under the title is not the company, nor the tagline.
        [Row("Chris Holloway", 40), Row("Senior Researcher", 22),
         Row("Research & Innovation Department", 22), Row("chris.holloway@contoso.com", 18)],
        # A list of services in a column beside the person.
        [Row("Ricardo Nogueira", 39, 330), Row("Consultor de marketing", 25, 330),
         Row("Criação de Campanhas", 26, 18), Row("Links Patrocinados", 23, 18),
         Row("Mídias Sociais", 25, 18), Row("ricardo@nogdesign.com.br", 25, 330)],
        [Row("Tudo é possível àquele que crê", 30), Row("(11) 3569-6905", 40)],
    ],
)  # fmt: skip
def test_no_company_from_taglines_departments_or_lists(rows):
    assert extract_fields(card(*rows)).values.get("company") is None


def test_latin_company_read_in_cyrillic_look_alikes():
    got = extract_fields(
        card(Row("АРЕХ ТRАDING LLC", 26), Row("Mark Whitfield", 38), Row("Account Executive", 22))
    ).values
    assert got["company"] == "APEX TRADING LLC"
    assert got["name"] == "Mark Whitfield"


@pytest.mark.parametrize(
    ("emails", "websites", "labels"),
    [
        (["k.tanaka@kaiyo-trade.co.jp"], [], ["kaiyo-trade"]),
        (["a@atlant.example.ru"], ["www.atlant.example.ru"], ["atlant"]),
        (["brunau@r7.com"], [], ["brunau"]),  # a mail service: the user name is the firm
        (["rick99@gmail.com"], ["nog.blogspot.com.br"], ["rick", "nog"]),
        (["info@gmail.com"], [], []),
    ],
)
def test_domain_labels(emails, websites, labels):
    assert clues(emails, websites).labels == labels


@pytest.mark.parametrize(
    ("text", "score"),
    [("CONTOSO", 1.0), ("Alerta Security Solutions", 1.0), ("AUTO PECAS", 0.7), ("Sales", 0.0)],
)
def test_label_match(text, score):
    assert label_match(text, ["contoso", "alertasecurity", "autopecasdominio"]) == score


@pytest.mark.parametrize(
    ("rows", "company"),
    [
        # One name set over several short rows, "&" and the legal form on rows of their own.
        ([Row("Kesselstädt &", 29, 89), Row("Sanddorf", 29, 129), Row("GmbH & Co. KG", 29, 54),
          Row("berlix@kesselstaedt-sanddorf.example.de", 20, 426)],
         "Kesselstädt & Sanddorf GmbH & Co. KG"),
        ([Row("WHITFIELD", 39, 607), Row("&", 39, 775), Row("DUNBROOK", 39, 628),
          Row("PLC", 39, 733), Row("mf@whitfield.example.co.uk", 30)], "WHITFIELD & DUNBROOK PLC"),
        # The domain spells the middle row; the rows around it say what kind of firm.
        ([Row("Cabinet", 36, 656), Row("Rolanger", 36, 632), Row("& Associés", 35, 603),
          Row("amitine@rolanger.example.fr", 30)], "Cabinet Rolanger & Associés"),
        ([Row("BERAR", 47, 149), Row("Materiais", 47, 97), Row("de Construção", 47, 45),
          Row("Peças e serviços com garantia", 21, 48), Row("contato@berar.example.com.br", 26)],
         "BERAR Materiais de Construção"),
        # The English name under the Vietnamese one, smaller, is a translation.
        ([Row("CÔNG TY TNHH", 43, 47), Row("THỰC PHẨM", 43, 81), Row("KIM AN", 42, 133),
          Row("Kim An Foods Co., Ltd.", 32, 50), Row("tly@kiman.example.com.vn", 26)],
         "CÔNG TY TNHH THỰC PHẨM KIM AN"),
        ([Row("SAS AVEX", 38, 115), Row("INFORMATIQUE", 39, 50),
          Row("bboulanger@avex.example.fr", 27, 438)], "SAS AVEX INFORMATIQUE"),
    ],
)  # fmt: skip
def test_names_over_several_rows(rows, company):
    assert extract_fields(card(*rows)).values["company"] == company
