"""The word tables and shapes: wrong-alphabet letters, job titles, legal forms, address
markers of many countries."""

import pytest

from ocr_cluster import patterns as pt


@pytest.mark.parametrize(
    ("text", "card", "fixed"),
    [
        ("АРЕХ ТRАDING", None, "APEX TRADING"),  # the line's own letters decide
        ("АРЕХ", "lat", "APEX"),  # only look-alikes: the card decides
        ("Rebecca К. Hughes", None, "Rebecca K. Hughes"),
        ("AO «Ромашка»", None, "АО «Ромашка»"),
        ("000 «Ромашка»", None, "ООО «Ромашка»"),
        ("ООО «Ромашка»", "lat", "ООО «Ромашка»"),
        ("КЕNNЕТН МОRRISОN", None, "KENNETH MORRISON"),
        ("k.tanaka@аpex.com", None, "k.tanaka@аpex.com"),  # addresses are contacts' job
    ],
)
def test_fix_scripts_never_mixes_alphabets_in_a_word(text, card, fixed):
    assert pt.fix_scripts(text, card) == fixed


@pytest.mark.parametrize(
    "text",
    [
        "Diretor Comercial", "Gerente de Vendas", "Engenheira Civil", "Vendedor", "Consultora",
        "Jefe de Ventas", "Directrice commerciale", "Geschäftsführer", "Vertriebsleiterin",
        "部長", "代表取締役社長", "課長", "总经理", "Giám đốc", "Trưởng phòng",
        "Chief Executive Officer", "Генеральный директор",
    ],
)  # fmt: skip
def test_title_words(text):
    assert pt.TITLE_WORDS.search(text)


@pytest.mark.parametrize(
    "text",
    ["Assistência Técnica", "Innovations Ltd", "Peças Originais", "Partners LLP", "Rua Direita"],
)
def test_not_title_words(text):
    assert not pt.TITLE_WORDS.search(text)


@pytest.mark.parametrize(
    "text",
    [
        "Acme Inc.", "Acme LLC", "Acme Co., Ltd.", "Acme GmbH", "Acme S.A.", "Acme S/A",
        "Acme Ltda.", "ACME LTDA", "Acme ME", "Acme EIRELI", "Acme Pte Ltd", "Acme K.K.",
        "株式会社アクメ", "アクメ有限会社", "(株)アクメ", "阿克米有限公司", "CÔNG TY TNHH ACME",
        "ООО «Акме»", "АО «Акме»", "ИП Петров", "Acme SARL", "Acme S.r.l.", "Acme B.V.",
        "Acme AB", "Acme Oy",
        "Acme Sp. z o.o.",
    ],
)  # fmt: skip
def test_legal_forms(text):
    assert pt.STRONG_COMPANY_FORMS.search(text)


@pytest.mark.parametrize(
    "text", ["Me and you", "Sales Assistant", "Inca Trail Tours", "Sao Paulo - SP", "MEI AMARAL"]
)
def test_not_legal_forms(text):
    assert not pt.STRONG_COMPANY_FORMS.search(text)


@pytest.mark.parametrize(
    "text",
    [
        "Av. Itaquera, 3006 - Jardim Fernandes - SP", "Rua Augusta, 1500 - Sala 12",
        "CEP 01304-001", "Jd. Samara - SP", "R. Pinhal, 283",
        "〒100-0005 東京都千代田区丸の内1-2-3", "1 Raffles Place, #20-61", "Singapore 048616",
        "Đường Lê Lợi, Phường Bến Nghé, Quận 1",
        "Hauptstraße 5", "10115 Berlin", "12 rue de la Paix", "Calle Mayor 10, 3º piso",
        "500 Market Street, Suite 300", "Leeds LS1 8JP", "г. Москва, ул. Ленина, д. 5",
        "1-2-3 Marunouchi, Chiyoda-ku",
    ],
)  # fmt: skip
def test_addresses(text):
    assert pt.is_address(text)


@pytest.mark.parametrize(
    "text",
    [
        "Av. Ita",
        "北村 道子",
        "Senior Engineer, Floor 3 team",
        "Design. Build. Deliver.",
        "9.9679-9468",
    ],
)
def test_not_addresses(text):
    assert not pt.is_address(text)


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("Design. Build. Deliver.", True),
        ("Trabalhamos com todas as marcas de som e imagem", True),
        ("We fix it!", True),
        ("Joseph T. Mitchell", False),
        ("Grupo Andino S.A. de C.V.", False),
        ("Eletrônica Adachi Ltda.", False),
    ],
)
def test_is_sentence(text, sentence):
    assert pt.is_sentence(text) is sentence


def test_collapse_spacing():
    assert pt.collapse_spacing("C O N T O S O") == "CONTOSO"
    assert pt.collapse_spacing("J O H N  S M I T H") == "JOHN SMITH"
    assert pt.collapse_spacing("A B C") == "A B C"
