"""Export (CSV and multi-contact vCard) and the owner and channel filters, which the list
and the export share: a token's channels bound both, whatever the filters ask."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import httpx
import pytest

from gateway.auth.tokens import Scope
from gateway.contacts.export import COLUMNS, cell
from tests.gateway.contacts.support import AUTH, Issue

AddContact = Callable[..., int]


def _rows(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="contacts.csv"'
    text = response.content.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    assert tuple(header) == COLUMNS
    return [dict(zip(header, row, strict=True)) for row in reader]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+441134960000", "'+441134960000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Olivia = CEO", "Olivia = CEO"),
        (None, ""),
        (["a@example.com", "b@example.com"], "a@example.com; b@example.com"),
        (["=1", "b"], "'=1; b"),
    ],
)
def test_cell_is_never_a_formula(value: object, expected: str) -> None:
    assert cell(value) == expected


async def test_csv_export(client: httpx.AsyncClient, add_contact: AddContact) -> None:
    first = add_contact(
        name="=cmd|' /C calc'!A0",
        company='@Acme; "Group", Ltd',
        phones=["+441134960000", "+441134960001"],
        emails=["olivia@example.com"],
        address="1 Street,\nLeeds",
    )
    second = add_contact(name="Мария Иванова", company="ООО «Ромашка»")
    response = await client.get("/api/contacts/export", params={"format": "csv"}, headers=AUTH)
    rows = _rows(response)
    assert response.content.startswith(b"\xef\xbb\xbf")  # so that Excel reads UTF-8
    assert [int(r["id"]) for r in rows] == [second, first]  # newest first, as the list
    olivia = rows[1]
    assert olivia["name"] == "'=cmd|' /C calc'!A0"
    assert olivia["company"] == '\'@Acme; "Group", Ltd'
    assert olivia["phones"] == "'+441134960000; +441134960001"
    assert olivia["emails"] == "olivia@example.com"
    assert olivia["address"] == "1 Street, Leeds"
    assert rows[0]["name"] == "Мария Иванова" and rows[0]["company"] == "ООО «Ромашка»"
    # csv is the default format.
    assert _rows(await client.get("/api/contacts/export", headers=AUTH)) == rows


async def test_vcf_export_is_one_vcard_per_contact(
    client: httpx.AsyncClient, add_contact: AddContact
) -> None:
    for i in range(3):
        add_contact(name=f"Person {i}", phones=[f"+4411349600{i:02}"])
    add_contact(name="Someone Else", company="Other Ltd")
    response = await client.get(
        "/api/contacts/export", params={"format": "vcf", "q": "person"}, headers=AUTH
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/vcard; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="contacts.vcf"'
    text = response.content.decode()
    assert text.count("BEGIN:VCARD\r\n") == 3 and text.count("END:VCARD\r\n") == 3
    assert "FN:Person 0\r\n" in text and "Someone" not in text
    # Nothing matches: an empty file, not an error.
    empty = await client.get(
        "/api/contacts/export", params={"format": "vcf", "q": "nobody"}, headers=AUTH
    )
    assert empty.status_code == 200 and empty.content == b""


async def test_unknown_format_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/contacts/export", params={"format": "xls"}, headers=AUTH)
    assert response.status_code == 422


async def test_owner_filter(
    client: httpx.AsyncClient, add_contact: AddContact, add_user: Callable[..., int]
) -> None:
    olivia, boris = add_user("447700900001"), add_user("447700900002")
    hers = add_contact(owner=olivia, name="From Olivia", phones=["+441134960000"])
    add_contact(owner=boris, name="From Boris", phones=["+441134960001"])
    page = (await client.get("/api/contacts", params={"owner": olivia}, headers=AUTH)).json()
    assert [c["id"] for c in page["items"]] == [hers] and page["total"] == 1
    rows = _rows(await client.get("/api/contacts/export", params={"owner": olivia}, headers=AUTH))
    assert [int(r["id"]) for r in rows] == [hers] and rows[0]["owner_id"] == str(olivia)
    for owner in (0, -1, 2**31, 10**30):  # no such user, and no database error either
        page = (await client.get("/api/contacts", params={"owner": owner}, headers=AUTH)).json()
        assert page["total"] == 0


async def test_channel_filter_and_isolation(
    client: httpx.AsyncClient, add_contact: AddContact, issue: Issue
) -> None:
    sales = add_contact(channel="crm.sales", name="Anna Sales", phones=["+74950000001"])
    support = add_contact(channel="crm.support", name="Boris Support", phones=["+74950000002"])
    default = add_contact(name="Vera Default", emails=["vera@example.com"])

    def ids(body: dict[str, list[dict[str, int]]]) -> list[int]:
        return [c["id"] for c in body["items"]]

    everyone = await client.get("/api/contacts", params={"channel": "crm.support"}, headers=AUTH)
    assert ids(everyone.json()) == [support]

    token_a = issue(Scope.ADMIN, ["crm.sales"])
    assert ids((await client.get("/api/contacts", headers=token_a)).json()) == [sales]
    for channel in ("crm.support", "default", "crm.sales\x00", "x" * 300):
        asked = await client.get("/api/contacts", params={"channel": channel}, headers=token_a)
        assert asked.status_code == 200 and ids(asked.json()) == [], channel

    # The export: B's contacts never, whatever is asked.
    for params in (
        {},
        {"format": "vcf"},
        {"channel": "crm.support"},
        {"channel": "crm.support", "format": "vcf"},
        {"q": "Boris"},
        {"phone": "74950000002"},
    ):
        response = await client.get("/api/contacts/export", params=params, headers=token_a)
        assert response.status_code == 200
        assert "Boris" not in response.text and "Vera" not in response.text, params
    rows = _rows(await client.get("/api/contacts/export", headers=token_a))
    assert [int(r["id"]) for r in rows] == [sales] and rows[0]["channel_id"] == "crm.sales"

    # A viewer exports too (reading is all it does), within its channels.
    viewer = issue(Scope.VIEWER, ["crm.support", "default"])
    rows = _rows(await client.get("/api/contacts/export", headers=viewer))
    assert [int(r["id"]) for r in rows] == [default, support]
