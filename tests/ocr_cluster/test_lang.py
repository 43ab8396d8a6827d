"""The card's language from its script, letters and small words."""

import pytest

from ocr_cluster.fields import extract_fields
from ocr_cluster.lang import LANGS, detect_text
from ocr_cluster.sanity import LANGS as KEPT
from tests.ocr_cluster.card_text import Row, card

CARDS = [
    ("pt", ["Thiago Quirino", "Gerente Comercial", "Rua Augusta, 1500 - São Paulo - SP"]),
    ("pt", ["Assistência Técnica em Geral", "Aceitamos os cartões"]),
    ("en", ["Chris Smith", "Senior Researcher", "4001 1st Ave NE Redmond, WA 98052"]),
    ("ru", ["Кириллов Артём Николаевич", "Генеральный директор", "ООО «Полярная звезда»"]),
    ("mixed", ["Ирина Орлова", "Irina Orlova", "Ведущий специалист", "Senior Sales Specialist"]),
    ("ja", ["株式会社カイヨウ", "溝呂木 春樹", "営業部 部長", "東京都千代田区丸の内1-2-3"]),
    ("zh", ["深圳市华星科技有限公司", "欧阳明", "总经理"]),
    ("vi", ["CÔNG TY TNHH SAO VÀNG", "Nguyễn Văn An", "Giám đốc kinh doanh"]),
    ("es", ["Ximena Quispe", "Jefa de Ventas", "Calle Mayor 10, Col. Juárez"]),
    ("fr", ["Éloïse Marchetti", "Directrice commerciale", "12 rue de la Paix"]),
    ("de", ["Jörg Wendlandt", "Geschäftsführer", "Hauptstraße 5, 10115 Berlin"]),
]


@pytest.mark.parametrize(("lang", "texts"), CARDS)
def test_card_language(lang, texts):
    lines = card(*[Row(t, 20) for t in texts], Row("+55 11 2345-6789", 16), Row("a@b.com", 16))
    assert extract_fields(lines).values["lang"] == lang


def test_contact_lines_alone_do_not_make_a_language():
    """Only phones and e-mails: 'com' in a domain is no Portuguese word."""
    lines = card(Row("8 (342) 689-67-20", 30), Row("contact@polyarnaya-zvezda.example.com", 30))
    assert extract_fields(lines).values["lang"] == "en"


def test_every_language_reported_is_kept():
    assert set(LANGS) <= set(KEPT)
    assert detect_text("") == "en"
