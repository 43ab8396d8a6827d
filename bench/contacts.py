"""Contact search at address-book sizes: N realistic contacts (Latin, Cyrillic, names with
diacritics; phones of several countries; e-mails), then search latency through the real
service functions (``search_contacts``, ``find_match``) per kind of query, against the
scan in Python that search used to be (kept here, and only here, as the baseline), in the
same run on the same data.

    .venv/bin/python bench/contacts.py --rows 100000 --db sqlite
    .venv/bin/python bench/contacts.py --rows 1000000 --db postgres --json

PostgreSQL: ``--url`` if given (its database is filled: use a throw-away one), else a
fresh database as the tests get one (``tests.services.postgres_database``: the server on
127.0.0.1:5432, or a throw-away cluster from the Debian binaries).

Kinds of query: ``name`` (part of a surname, in any case), ``company``, ``email`` (part of
an address), ``phone`` (seven digits, as typed), ``mixed`` (a full name, name and company
together, a word that is nowhere); ``short`` (one or two characters: no trigram index
helps them, reported apart and left out of the overall figures); ``merge`` is the lookup of
a card's e-mail and phone when it arrives (``find_match``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import re
import sqlite3
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._stack import percentile
from gateway.contacts.folding import search_values
from gateway.contacts.search import Filters, matching_ids, search_contacts
from gateway.contacts.service import find_match
from gateway.db import DatabaseTimeouts, make_engine, make_sessionmaker
from gateway.migrate import upgrade
from gateway.models import Contact, ContactEmail, ContactPhone

CHANNEL, OTHER = "default", "ns.other"  # a tenth of the rows are another channel's
SCOPE = frozenset({CHANNEL})
PAGE = 50
CHUNK = 20_000

# -- realistic contacts -------------------------------------------------------------------

LATIN_FIRST = "John Mary Olivia James Emma Liam Noah Ava Sophia William Lucas Mia Hannah Peter \
Anna Thomas Laura Daniel Sarah David Julia Michael Emily Robert Grace Oliver Chloe".split()
LATIN_ROOTS = "Smith John Brown Tayl Wils Davi Evan Thom Robert Walk Wright Green Bak Hall \
Clark Harr Lew Young King Hill Scott Adam Mitch Camp Ander Carter Morr Cook Ward Wood Bell \
Turn Park Coll Rich Stew Mill Black White Fish Hunt Mason Hold Brad Fost Gray".split()
LATIN_ENDS = ["", "s", "son", "er", "ley", "ford", "well", "ton"]
DIACRITIC_FIRST = "José François Jürgen Łukasz Søren Zoë İbrahim Ștefan Ana Björn Ñuño \
Émilie Øystein Çağla Małgorzata Jiří Günther Renée Kübra Aurélie".split()
DIACRITIC_ROOTS = "García Lefèvre Müller Wiśniewsk Ødegår Brontë Yılmaz Popesc Núñez Åström \
Gößman Dvořák Šťastn Özdemir Çelik Jäger Schröd Fernánd Loréal Straß Kovač Mäkin Grünw \
Høyer Sørens Błaszczyk Žukausk Ibáñ Pérez Côté".split()
DIACRITIC_ENDS = ["", "i", "a", "en", "er", "ez", "ová", "ski"]
CYR_FIRST = "Иван Мария Алексей Ольга Дмитрий Елена Сергей Наталья Андрей Татьяна Пётр Юлия \
Артём Ксения Михаил Анна Фёдор Екатерина Николай Алёна Роман Светлана Егор Дарья".split()
CYR_PREFIX = ["", "", "", "Ново", "Старо", "Бело", "Черно", "Красно", "Верхо", "Сухо"]
CYR_ROOTS = "Иван Петр Сидор Смирн Кузнец Поп Соколь Лебед Козл Новик Мороз Фёдор Волк \
Алексе Степан Яковл Орл Зайц Павл Семён Голуб Виногр Богдан Воробь Комар Белоус Тарас \
Ершов Жук Щукин Гром Чайк Медвед Барсук Лис Сом Карась Налим Ёлкин Дубр Берёз".split()
CYR_ENDS = ["ов", "ова", "ев", "ева", "ин", "ина", "ский", "ская", "енко", "ович"]
COMPANY_WORDS = "Ромашка Северсталь Вектор Гранит Альфа Транзит Логистик Сибирь Волга \
Acme Globex Initech Umbrella Stark Wayne Cyberdyne Soylent Hooli Vandelay Tyrell \
Bäckerei Straße Löwenbräu Château Société Größe Møller Kraków Øresund İstanbul".split()
COMPANY_TAILS = ["Трейд", "Групп", "Сервис", "Systems", "Trading", "Logistics", "Labs", "Holding"]
COMPANY_FORMS = ["ООО «{}»", "АО «{}»", "{} GmbH", "{} Ltd", "{} S.A.", "{} Inc.", "{} A.Ş."]
PHONE_PLANS = [("7", "9", 9), ("49", "1", 9), ("1", "", 10), ("33", "6", 8), ("90", "5", 9)]
TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh sch  y  e yu ya".split(" "),
        strict=True,
    )
)


def ascii_of(text: str) -> str:
    text = "".join(TRANSLIT.get(ch, ch) for ch in text.lower())
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", text)


def person(rng: random.Random) -> tuple[str, str]:
    script = rng.random()
    if script < 0.45:
        prefix = rng.choice(CYR_PREFIX)
        root = rng.choice(CYR_ROOTS)
        root = root.lower() if prefix else root
        return rng.choice(CYR_FIRST), prefix + root + rng.choice(CYR_ENDS)
    if script < 0.75:
        return rng.choice(LATIN_FIRST), rng.choice(LATIN_ROOTS) + rng.choice(LATIN_ENDS)
    return rng.choice(DIACRITIC_FIRST), rng.choice(DIACRITIC_ROOTS) + rng.choice(DIACRITIC_ENDS)


def company(rng: random.Random) -> str:
    word = rng.choice(COMPANY_WORDS)
    if rng.random() < 0.7:
        word += "-" + rng.choice(COMPANY_TAILS) + (str(rng.randrange(1, 400)))
    return rng.choice(COMPANY_FORMS).format(word)


def phone(rng: random.Random, serial: int) -> str:
    country, prefix, length = rng.choice(PHONE_PLANS)
    rest = length - len(prefix)
    # The serial makes numbers unique; the shuffle of plans spreads them over countries.
    number = prefix + str((serial * 7919 + rng.randrange(10**4)) % 10**rest).zfill(rest)
    return f"+{country}{number}"


def contact_rows(n: int, seed: int = 20) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for i in range(1, n + 1):
        first, last = person(rng)
        firm = company(rng)
        domain = ascii_of(firm.split("«")[-1].split()[0].split("-")[0]) or "mail"
        emails = [f"{ascii_of(first)[:1]}.{ascii_of(last)}{i % 997}@{domain}.example.com"]
        phones = [phone(rng, i)]
        if rng.random() < 0.2:
            emails.append(f"{ascii_of(first)}{i}@mail.example.org")
            phones.append(phone(rng, i + n))
        name = f"{first} {last}"
        yield {
            "id": i,
            "channel_id": OTHER if i % 10 == 0 else CHANNEL,
            "name": name,
            "first_name": first,
            "last_name": last,
            "company": firm,
            "created_at": start + timedelta(seconds=i),
            "emails": emails,
            "phones": phones,
            **search_values(name, firm, emails, phones),
        }


CONTACT_COLUMNS = (
    "id channel_id name first_name last_name company created_at updated_at source websites "
    "confidence strengths search_name search_company search_emails search_phones"
).split()


def _contact_values(row: dict[str, Any]) -> tuple[Any, ...]:
    fixed = {"updated_at": row["created_at"], "source": "card", "websites": "[]"}
    fixed |= {"confidence": "{}", "strengths": "{}"}
    return tuple(row.get(c, fixed.get(c)) for c in CONTACT_COLUMNS)


def _chunks(n: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in contact_rows(n):
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def fill_postgres(url: str, n: int) -> None:
    """COPY the rows in, with the trigram indexes dropped meanwhile and built again after
    (as a bulk load does): what is measured is the search, not the load."""
    engine = make_engine(url, DatabaseTimeouts(connect_s=5, statement_s=0))
    raw = engine.raw_connection()
    conn: Any = raw.driver_connection
    with conn.cursor() as cur:
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'contacts' "
            "AND indexdef LIKE '%gin%'"
        )
        gin = cur.fetchall()
        for name, _ in gin:
            cur.execute(f"DROP INDEX {name}")
        listed = ", ".join(CONTACT_COLUMNS)
        for chunk in _chunks(n):
            with cur.copy(f"COPY contacts ({listed}) FROM STDIN") as copy:
                for row in chunk:
                    copy.write_row(_contact_values(row))
            with cur.copy("COPY contact_emails (contact_id, email) FROM STDIN") as copy:
                for row in chunk:
                    for email in row["emails"]:
                        copy.write_row((row["id"], email))
            with cur.copy("COPY contact_phones (contact_id, phone) FROM STDIN") as copy:
                for row in chunk:
                    for number in row["phones"]:
                        copy.write_row((row["id"], number))
        cur.execute("SET maintenance_work_mem = '1GB'")
        for _, definition in gin:
            cur.execute(definition)
        cur.execute("SELECT setval('contacts_id_seq', (SELECT max(id) FROM contacts))")
    conn.commit()
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE contacts")
        cur.execute("VACUUM ANALYZE contact_emails")
        cur.execute("VACUUM ANALYZE contact_phones")
    raw.close()
    engine.dispose()


def fill_sqlite(path: Path, n: int) -> None:
    """Plain inserts: the migration's triggers fill the FTS5 table as they do in use."""
    conn = sqlite3.connect(path)
    marks = ", ".join("?" for _ in CONTACT_COLUMNS)
    for chunk in _chunks(n):
        with conn:
            conn.executemany(
                f"INSERT INTO contacts ({', '.join(CONTACT_COLUMNS)}) VALUES ({marks})",
                [_contact_values(row) for row in chunk],
            )
            conn.executemany(
                "INSERT INTO contact_emails (contact_id, email) VALUES (?, ?)",
                [(row["id"], e) for row in chunk for e in row["emails"]],
            )
            conn.executemany(
                "INSERT INTO contact_phones (contact_id, phone) VALUES (?, ?)",
                [(row["id"], p) for row in chunk for p in row["phones"]],
            )
    conn.execute("ANALYZE")
    conn.close()


# -- the baseline: search as it was, a pass over every row in Python ---------------------

_PHONE_LIKE = re.compile(r"[\d\s()+\-.]+")
_SPACES = re.compile(r"\s+")


def _old_fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return _SPACES.sub(" ", text).strip()


def _old_phone(query: str) -> Any:
    found = re.sub(r"\D", "", query)
    return Contact.phones.any(ContactPhone.phone.contains(found, autoescape=True))


def _old_email(query: str) -> Any:
    return Contact.emails.any(ContactEmail.email.contains(query.lower(), autoescape=True))


def baseline_ids(session: Session, filters: Filters) -> tuple[list[int], int]:
    """``matching_ids`` before the search columns (``_scan_text``): a page of ids and the
    total, for comparison."""
    stmt = (
        select(Contact.id, Contact.name, Contact.company)
        .where(*filters.scope())
        .order_by(Contact.created_at.desc(), Contact.id.desc())
    )
    q, q_ids = filters.q, set()
    if q is not None:
        in_sql = _old_email(q)
        if _PHONE_LIKE.fullmatch(q):
            in_sql = or_(in_sql, _old_phone(q))
        q_ids = set(session.scalars(stmt.with_only_columns(Contact.id).where(in_sql)))
    f_q, f_name, f_company = (
        _old_fold(v) if v is not None else None for v in (q, filters.name, filters.company)
    )
    matched: list[int] = []
    for row_id, row_name, row_company in session.execute(stmt.execution_options(yield_per=1000)):
        name, firm = _old_fold(row_name or ""), _old_fold(row_company or "")
        if f_name is not None and f_name not in name:
            continue
        if f_company is not None and f_company not in firm:
            continue
        if f_q is not None and f_q not in name and f_q not in firm and row_id not in q_ids:
            continue
        matched.append(row_id)
    return matched[:PAGE], len(matched)


def baseline_match(session: Session, emails: list[str], phones: list[str]) -> Contact | None:
    """The merge lookup before: an OR of two EXISTS over the channel's contacts."""
    stmt = select(Contact).where(
        Contact.channel_id == CHANNEL,
        or_(
            Contact.emails.any(ContactEmail.email.in_(emails)),
            Contact.phones.any(ContactPhone.phone.in_(phones)),
        ),
    )
    return session.scalars(stmt.order_by(Contact.created_at, Contact.id).limit(1)).first()


# -- the queries --------------------------------------------------------------------------

Query = dict[str, Any]


def queries(n: int, per_kind: int, seed: int = 7) -> dict[str, list[Query]]:
    """``per_kind`` queries of each kind, drawn from the rows that were stored."""
    rng = random.Random(seed)
    picked = set(rng.sample(range(1, n + 1), min(n, per_kind * 6)))
    sample = [row for row in contact_rows(n) if row["id"] in picked]
    rng.shuffle(sample)
    cases = rng.choice

    def part(text: str, low: int, high: int) -> str:
        size = min(len(text), rng.randint(low, high))
        start = rng.randrange(len(text) - size + 1)
        return text[start : start + size]

    kinds: dict[str, list[Query]] = {k: [] for k in ("name", "company", "email", "phone")}
    kinds |= {"mixed": [], "short": [], "merge": []}
    for row in sample[:per_kind]:
        last = row["last_name"]
        kinds["name"].append({"q": cases([str.upper, str.lower, str.title])(part(last, 5, 8))})
        firm = row["company"].split("«")[-1].split("»")[0].split()[0]
        kinds["company"].append({"q": cases([str.upper, str.lower])(firm)})
        kinds["email"].append({"q": row["emails"][0].split("@")[0]})
        digits = row["phones"][0].lstrip("+")
        seven = part(digits, 7, 7)
        kinds["phone"].append({"q": cases([seven, f"{seven[:3]}-{seven[3:5]}-{seven[5:]}"])})
        kinds["mixed"].append(
            cases(
                [
                    {"q": row["name"].upper()},
                    {"name": part(last, 4, 6), "company": firm},
                    {"q": "zqxw" + str(rng.randrange(1000))},
                    {"q": part(row["emails"][0], 6, 10)},
                ]
            )
        )
        kinds["short"].append({"q": part(row["search_name"], 1, 2)})
        miss = rng.random() < 0.2
        email = "nobody@nowhere.example" if miss else row["emails"][-1]
        kinds["merge"].append({"email": email, "phone": row["phones"][0]})
    return kinds


def _timed(into: list[float], run: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    began = time.perf_counter()
    result = run(*args, **kwargs)
    into.append((time.perf_counter() - began) * 1000)
    return result


Samples = dict[str, list[float]]


def measure(
    factory: sessionmaker[Session], kinds: dict[str, list[Query]], reps: int, baseline_reps: int
) -> dict[str, Samples]:
    """Per kind, milliseconds of: ``search`` (``matching_ids``: the page's ids and the
    total, what this bench is about), ``page`` (``search_contacts``: the same plus loading
    the page's 50 contacts with their phones and e-mails, as the API does), ``baseline``
    (the scan, on the first ``baseline_reps`` queries, whose results must be the same)."""
    samples: dict[str, Samples] = {}
    for kind, cases in kinds.items():
        got: Samples = {"search": [], "page": [], "baseline": []}
        for i, case in enumerate(cases[:reps]):
            with factory() as session:
                if kind == "merge":
                    emails, phones = [case["email"]], [case["phone"]]
                    found = _timed(
                        got["search"], find_match, session, emails, phones, CHANNEL, None
                    )
                    if i < baseline_reps:
                        then = _timed(got["baseline"], baseline_match, session, emails, phones)
                        if then is not found:
                            raise AssertionError(f"merge {case}: another contact than before")
                    continue
                filters = Filters(channels=SCOPE, **case)
                ids = _timed(got["search"], matching_ids, session, filters, limit=PAGE)
                _timed(got["page"], search_contacts, session, limit=PAGE, channels=SCOPE, **case)
                if i < baseline_reps:
                    then = _timed(got["baseline"], baseline_ids, session, filters)
                    if then != ids:
                        raise AssertionError(f"{kind} {case}: results differ from the scan")
        samples[kind] = got
    return samples


def _stats(got: Samples) -> dict[str, float]:
    stats: dict[str, float] = {"n": len(got["search"]), "baseline_n": len(got["baseline"])}
    for key, values in got.items():
        if values:
            prefix = "" if key == "search" else f"{key}_"
            stats[f"{prefix}p50_ms"] = round(percentile(values, 0.5), 3)
            stats[f"{prefix}p99_ms"] = round(percentile(values, 0.99), 3)
    return stats


# -- the run ------------------------------------------------------------------------------


@contextlib.contextmanager
def database(kind: str, url: str | None) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="ibbase-bench-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'contacts.db'}"
        return
    if url:
        yield url
        return
    from tests.services import postgres_database

    with postgres_database() as fresh:
        yield fresh


def run(args: argparse.Namespace) -> dict[str, Any]:
    with database(args.db, args.url) as url:
        upgrade(url)
        began = time.perf_counter()
        if args.db == "sqlite":
            fill_sqlite(Path(url.removeprefix("sqlite:///")), args.rows)
        else:
            fill_postgres(url, args.rows)
        fill_s = time.perf_counter() - began
        baseline_reps = args.baseline_reps
        if baseline_reps is None:  # the scan takes seconds a query at a million rows
            baseline_reps = max(3, min(args.reps, 2_000_000 // args.rows))
        kinds = queries(args.rows, args.reps)
        engine = make_engine(url, DatabaseTimeouts(connect_s=5, statement_s=0))
        samples = measure(make_sessionmaker(engine), kinds, args.reps, baseline_reps)
        engine.dispose()
    figures = {kind: _stats(got) for kind, got in samples.items()}
    searched = [k for k in samples if k not in ("short", "merge")]
    pooled: Samples = {
        key: [v for k in searched for v in samples[k][key]]
        for key in ("search", "page", "baseline")
    }
    result: dict[str, Any] = {
        "rows": args.rows,
        "db": args.db,
        "fill_s": round(fill_s, 1),
        **{
            f"{key}_{name}_ms": round(percentile(pooled[key], q), 3)
            for key in ("search", "page", "baseline")
            for name, q in (("p50", 0.5), ("p99", 0.99))
        },
        "merge_p50_ms": figures["merge"]["p50_ms"],
        "merge_p99_ms": figures["merge"]["p99_ms"],
        "kinds": figures,
    }
    result["speedup_p99"] = round(result["baseline_p99_ms"] / result["search_p99_ms"], 1)
    return result


def report(result: dict[str, Any]) -> str:
    out = io.StringIO()
    out.write(f"{result['rows']} contacts, {result['db']} (filled in {result['fill_s']} s)\n")
    out.write("kind        n  search p50  p99   page p50  p99   scan n  p50  p99  (ms)\n")
    nan = float("nan")
    for kind, f in result["kinds"].items():
        out.write(
            f"{kind:<8} {f['n']:>4} {f['p50_ms']:>9.2f} {f['p99_ms']:>7.2f} "
            f"{f.get('page_p50_ms', nan):>8.2f} {f.get('page_p99_ms', nan):>7.2f} "
            f"{f['baseline_n']:>5} {f.get('baseline_p50_ms', nan):>8.1f} "
            f"{f.get('baseline_p99_ms', nan):>8.1f}\n"
        )
    out.write(
        f"search p50 {result['search_p50_ms']} ms, p99 {result['search_p99_ms']} ms; "
        f"page p99 {result['page_p99_ms']} ms; scan p99 {result['baseline_p99_ms']} ms "
        f"({result['speedup_p99']}x); merge p99 {result['merge_p99_ms']} ms\n"
    )
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--url", help="a PostgreSQL database to fill (default: a fresh one)")
    parser.add_argument("--reps", type=int, default=200, help="queries of each kind")
    parser.add_argument("--baseline-reps", type=int, help="of them also run by the scan")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = run(args)
    print(json.dumps(result) if args.json else report(result), end="\n" if args.json else "")


if __name__ == "__main__":
    main()
