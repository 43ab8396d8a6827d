import pytest

from ocr_cluster.names import email_supports, name_words, parse_name


@pytest.mark.parametrize(
    ("text", "first", "middle", "last"),
    [
        ("Кириллов Артём Николаевич", "Артём", "Николаевич", "Кириллов"),
        ("КИРИЛЛОВ Артём Николаевич", "Артём", "Николаевич", "Кириллов"),
        ("Кристина Павловна Вишневская", "Кристина", "Павловна", "Вишневская"),
        ("Добровольская Людмила", "Людмила", None, "Добровольская"),
        ("Ирина Орлова", "Ирина", None, "Орлова"),
        ("Joseph T. Mitchell", "Joseph", "T.", "Mitchell"),
        ("LINDA O'BRIEN", "Linda", None, "O'Brien"),
        ("Paul Robert Weber", "Paul", "Robert", "Weber"),
    ],
)
def test_parse_name(text, first, middle, last):
    p = parse_name(text)
    assert (p.first, p.middle, p.last) == (first, middle, last)


def test_all_caps_name_is_title_cased():
    assert parse_name("АННА ЯКОВЛЕВА").full == "Анна Яковлева"


@pytest.mark.parametrize(
    "text",
    ["Генеральный директор и", "info@example.com", "8 800 123-45-67", "Ромашка", "Ivan Петров"],
)
def test_not_name_shaped(text):
    assert name_words(text) is None


@pytest.mark.parametrize(
    ("text", "first", "middle", "last"),
    [
        ("José Conceição", "José", None, "Conceição"),
        ("Ana Beatriz de Oliveira", "Ana", "Beatriz", "de Oliveira"),
        ("Rodrigo A. Fontanella Jr.", "Rodrigo", "A.", "Fontanella"),
        ("Dr. Avery Smith", "Avery", None, "Smith"),
        ("TANAKA Kenji", "Kenji", None, "Tanaka"),
        ("Nguyễn Văn An", "An", "Văn", "Nguyễn"),
        ("NGUYEN VAN AN", "An", "Van", "Nguyen"),
        ("田中 太郎", "太郎", None, "田中"),
        ("王小明", "小明", None, "王"),
        ("Altair D'Auria Miranda", "Altair", "D'Auria", "Miranda"),
    ],
)
def test_parse_names_of_many_countries(text, first, middle, last):
    p = parse_name(text)
    assert (p.first, p.middle, p.last) == (first, middle, last)


@pytest.mark.parametrize(
    "text",
    ["Éloïse Marchetti", "JÖRG WENDLANDT", "Dwayne Okonkwo-Reyes", "Ana de Souza", "R. Oliveira",
     "Aguinaldo M. Righetti Jr.", "溝呂木 春樹", "LÒ VĂN KHIÊM"],
)  # fmt: skip
def test_name_shaped(text):
    assert name_words(text)


@pytest.mark.parametrize(
    "text",
    ["de Souza Ana", "Tudo é possível", "iPhone Store", "1000 Milhas", "R.", "Oliveira"],
)
def test_not_name_shaped_either(text):
    assert name_words(text) is None


@pytest.mark.parametrize(
    ("words", "email", "spelled"),
    [
        ("Kenji Tanaka", "k.tanaka", True),
        ("Chris Smith", "chris.smith", True),
        ("Renan Beato", "rbeato", True),
        ("Daniel Carlos", "daniel.silva", True),
        ("Добровольская Людмила", "ldobrovolskaya", True),
        ("Алла Егорова", "alla_egorova", True),
        ("Kenji Tanaka", "info", False),
        ("Brunau Buffet", "contato", False),
        ("Marcos Lima", "ricknog39l", False),
    ],
)
def test_email_supports(words, email, spelled):
    assert email_supports(words.split(), [email]) is spelled
