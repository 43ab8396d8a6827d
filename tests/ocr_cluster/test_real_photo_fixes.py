"""What real photos do to card text and how the reader undoes it: spaces the recogniser
leaves out, an "@" read as a letter, a legal form glued to the name, a logo misspelled
where the domain has the spelling, and a card whose words alone say its country."""

import numpy as np
import pytest

from ocr_cluster import neural
from ocr_cluster.contacts import find_emails, find_websites
from ocr_cluster.country import card_regions
from ocr_cluster.domains import respell
from ocr_cluster.fields import TextLine, extract_fields
from tests.ocr_cluster.card_text import Row, card


def _decode(text: str, wide_before: int | None = None) -> str:
    """Greedy CTC over a made-up output: one letter every 3 steps, a wider gap before the
    letter at ``wide_before``."""
    alphabet = ["", *sorted(set(text) - {" "}), " "]
    steps, positions = 0, []
    for k, _ in enumerate(text):
        steps += 5 if k == wide_before else 3
        positions.append(steps)
    probs = np.full((steps + 3, len(alphabet)), 0.01, np.float32)
    probs[:, 0] = 0.9  # blank everywhere else
    for pos, ch in zip(positions, text, strict=True):
        probs[pos, 0] = 0.01
        probs[pos, alphabet.index(ch)] = 0.95
    rec = object.__new__(neural.Recognizer)
    rec.alphabet = alphabet
    return rec._decode(probs).text


@pytest.mark.parametrize(
    ("printed", "at"), [("DireçãoHidráulica", 7), ("PeçasOriginais", 5), ("NossaSenhora", 5)]
)
def test_a_space_the_recogniser_left_out_between_two_words_comes_back(printed, at):
    assert _decode(printed, wide_before=at) == f"{printed[:at]} {printed[at:]}"


@pytest.mark.parametrize(
    ("printed", "at"),
    [
        ("MasterCard", 6),  # camel case set tight: the letters stand as close as any
        ("McDonald", 2),  # "Mc" is no word
        ("contatoSilva@x.com", 7),  # never inside an address
    ],
)
def test_words_set_together_stay_together(printed, at):
    wide = at if printed != "MasterCard" else None
    assert _decode(printed, wide_before=wide) == printed


@pytest.mark.parametrize(
    ("line", "email"),
    [
        ("ricknog39dgmail.com", "ricknog39@gmail.com"),
        ("E-mail: joana.lima©hotmail.com.br", "joana.lima@hotmail.com.br"),
        ("vendas.sul&yahoo.com.br", "vendas.sul@yahoo.com.br"),
        ("pedro.alvesoutlook.com", "pedro.alves@outlook.com"),
    ],
)
def test_an_at_sign_misread_before_a_mail_service_is_put_back(line, email):
    assert find_emails(line) == [email]
    assert find_websites(line) == []


def test_a_website_at_a_mail_service_stays_a_website():
    assert find_emails("www.gmail.com") == []
    assert find_websites("www.gmail.com") == ["gmail.com"]


@pytest.mark.parametrize(
    ("printed", "company"),
    [
        ("Eletrônica ADACHILtda.", "Eletrônica ADACHI Ltda."),
        ("Ferragens NorteLTDA", "Ferragens Norte LTDA"),
        ("Hoffmann BauGmbH", "Hoffmann Bau GmbH"),
    ],
)
def test_a_legal_form_glued_to_the_name_is_set_apart(printed, company):
    got = extract_fields(card(Row(printed, 30), Row("Rua das Flores, 120", 16, gap=2.0)))
    assert got.values["company"] == company


@pytest.mark.parametrize(
    ("lines", "label", "fixed"),
    [
        (["Die", "Lario"], "dimariorestaurante", ["Di", "Mario"]),  # a script logo
        (["ng", "design"], "nogdesign", ["nog", "design"]),  # a letter lost in the logo
        (["Esteves", "sthetiCar"], "estevesestheticar", ["Esteves", "EsthetiCar"]),
        (["PADARIA SOI"], "padariasol", ["PADARIA SOL"]),
    ],
)
def test_a_logo_misread_takes_the_spelling_of_the_domain(lines, label, fixed):
    assert respell(lines, [label]) == fixed


@pytest.mark.parametrize(
    ("lines", "label"),
    [
        (["Optica da Jo"], "oticadajo"),  # the domain drops a letter the card prints
        (["Flores Nossa"], "floresnsfatima"),  # an abbreviation
        (["Orion Software LLC"], "orion-software"),  # spelled already, with a legal form
        (["Kenji Tanaka"], "kaiyo"),  # nothing alike
        (["Oakline"], "oakline-surveying"),  # the start of the label, spelled right
    ],
)
def test_lines_the_domain_does_not_misspell_stay_as_printed(lines, label):
    assert respell(lines, [label]) is None


def test_a_misread_logo_is_the_company_and_not_a_person():
    got = extract_fields(
        card(
            Row("Die", 60),
            Row("Lario", 46),
            Row("RESTAURANTE", 18),
            Row("Av. Cangaíba, 2341 - São Paulo, SP", 16, gap=2.0),
            Row("dimariorestaurante@gmail.com", 16),
        )
    ).values
    assert got["company"] in ("Di Mario", "Di Mario RESTAURANTE")  # both spell it
    assert got.get("name") is None


@pytest.mark.parametrize(
    ("texts", "region"),
    [
        (["Auto Peças Rua Sete", "Rua das Palmeiras, 45 - Sala 3", "Fone 2684-7988"], "BR"),
        (["Bäckerei Sonne", "Hauptstraße 4", "Tel. 030 1234567"], "DE"),
    ],
)
def test_the_language_of_the_words_names_the_country(texts, region):
    lines = [TextLine(text=t) for t in texts]
    assert card_regions(lines)[0] == region


def test_a_few_foreign_words_on_an_english_card_name_no_country():
    lines = [TextLine(text=t) for t in ("Casa Verde Imports", "Sales Manager", "Tel 555 0142")]
    assert card_regions(lines) == ()
