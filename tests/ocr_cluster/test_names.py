import pytest

from ocr_cluster.names import name_words, parse_name


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
