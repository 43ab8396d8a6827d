import pytest

from ocr_cluster.qr import parse_payload


def test_vcard30_fields():
    payload = (
        "BEGIN:VCARD\nVERSION:3.0\nN:Weber;Paul;Robert;;\nFN:Paul Robert Weber\n"
        "ORG:Harbor Works GmbH\nTITLE:Chief Engineer\nTEL;TYPE=CELL:+4917248637633\n"
        "TEL;TYPE=WORK,FAX:+494082947336\nEMAIL;TYPE=INTERNET:p.weber@harbor.example.de\n"
        "URL:https://harbor.example.de/\nEND:VCARD"
    )
    q = parse_payload(payload)
    assert q.payload == payload
    assert (q.name, q.first_name, q.middle_name, q.last_name) == (
        "Paul Robert Weber",
        "Paul",
        "Robert",
        "Weber",
    )
    assert q.company == "Harbor Works GmbH"
    assert q.title == "Chief Engineer"
    assert q.phones == ["+4917248637633"]
    assert q.fax == ["+494082947336"]
    assert q.emails == ["p.weber@harbor.example.de"]
    assert q.websites == ["https://harbor.example.de/"]


def test_vcard21_quoted_printable_and_folding():
    payload = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\n"
        "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=D0=98=D0=B2=D0=B0=D0=BD=D0=BE=D0=B2;=\r\n"
        "=D0=98=D0=B2=D0=B0=D0=BD\r\n"
        "TEL;CELL:+7 916 123-45-67\r\nitem1.EMAIL;INTERNET:ivan@example.ru\r\n"
        "ORG:ООО \\;Ромашка\r\nEND:VCARD"
    )
    q = parse_payload(payload)
    assert q.last_name == "Иванов"
    assert q.first_name == "Иван"
    assert q.name == "Иван Иванов"
    assert q.phones == ["+7 916 123-45-67"]
    assert q.emails == ["ivan@example.ru"]


def test_vcard40_uri_phone_and_folded_line():
    payload = (
        "BEGIN:VCARD\nVERSION:4.0\nFN:Jane\n  Doe\nN:Doe;Jane;;;\n"
        'TEL;VALUE=uri;TYPE="voice,work":tel:+1-212-555-0139\n'
        "ADR;TYPE=work:;;7651 Park Avenue;Denver;CO;80276;USA\nEND:VCARD"
    )
    q = parse_payload(payload)
    assert q.name == "Jane Doe"
    assert q.phones == ["+1-212-555-0139"]
    assert q.address == "7651 Park Avenue, Denver, CO, 80276, USA"


def test_mecard_with_escapes():
    payload = (
        "MECARD:N:Черных,Елизавета;ORG:ПАО «Геолайн»;TEL:+78009001806;TEL:+79171068350;"
        "EMAIL:e@geolayn.example.ru;URL:https\\://geolayn.example.ru/;NOTE:Director;;"
    )
    q = parse_payload(payload)
    assert (q.first_name, q.last_name) == ("Елизавета", "Черных")
    assert q.company == "ПАО «Геолайн»"
    assert q.phones == ["+78009001806", "+79171068350"]
    assert q.emails == ["e@geolayn.example.ru"]
    assert q.websites == ["https://geolayn.example.ru/"]
    assert q.note == "Director" and q.title is None


def test_plain_url_and_other_text():
    q = parse_payload("https://www.evrosistem.example.ru/")
    assert q.websites == ["https://www.evrosistem.example.ru/"]
    assert q.name is None and q.phones == []
    assert parse_payload("hello world").websites == []


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "BEGIN:VCARD",
        "BEGIN:VCARD\nVERSION:3.0\nFN:Jane Doe\nTEL;TYPE=CELL:+1-212-555-0139",  # no END
        "BEGIN:VCARD\nN;ENCODING=QUOTED-PRINTABLE;CHARSET=NO-SUCH-CHARSET:=D0=98=ZZ\nEND:VCARD",
        "BEGIN:VCARD\nN:;;;;;;;;\nADR:;;;\nORG:\nTEL:\nEND:VCARD",
        "BEGIN:VCARD\n\x00\x01\x02garbage without colon\n:no property\nEND:VCARD",
        "MECARD:",
        "MECARD:N:Doe,Jane;TEL:+12125550139",  # no terminating ";;"
        "MECARD:N;TEL;EMAIL:;;",
        "\ufffd\ufffd\x1b[2J binary-ish \xff",
        "x" * 20_000,
    ],
)
def test_broken_payloads_never_raise(payload):
    q = parse_payload(payload)
    assert q.payload == payload
    assert all(isinstance(v, list) for v in (q.phones, q.fax, q.emails, q.websites))


def test_truncated_vcard_keeps_what_it_has():
    q = parse_payload("BEGIN:VCARD\nVERSION:3.0\nFN:Jane Doe\nTEL;TYPE=CELL:+1-212-555-0139")
    assert q.name == "Jane Doe"
    assert q.phones == ["+1-212-555-0139"]


def test_unterminated_mecard():
    q = parse_payload("MECARD:N:Doe,Jane;TEL:+12125550139")
    assert (q.first_name, q.last_name, q.phones) == ("Jane", "Doe", ["+12125550139"])
