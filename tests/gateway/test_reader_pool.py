"""Card reading in child processes: a crash or a hang costs one read, not the caller; the
pool replaces the process and goes on. Real processes and the real reader (tesseract); the
fallback regions with a reader that echoes them (``tests.gateway.regions_echo``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from business_card.reading import ImageError
from gateway.reader_pool import ReaderCrashed, ReaderPool
from tests.cardgen.known import QR_CARD
from tests.faults.poison import HANG, RAISE, SEGV, poisoned

pytestmark = pytest.mark.timeout(120)
CARD = QR_CARD


@pytest.fixture(scope="module")
def pool() -> Iterator[ReaderPool]:
    pool = ReaderPool(
        "tests.faults.poison:PoisonReader", {"pool_size": 1}, processes=2, timeout_s=3
    )
    yield pool
    pool.close()


def test_reads_cards(pool: ReaderPool) -> None:
    assert pool.ready
    assert pool.read(CARD.jpeg).contact.emails


def test_a_reader_error_comes_back_as_it_is(pool: ReaderPool) -> None:
    with pytest.raises(ImageError):
        pool.read(b"not an image")
    with pytest.raises(RuntimeError, match="blew up"):
        pool.read(poisoned(CARD.jpeg, RAISE))


def test_a_crash_costs_one_read_and_the_process_is_replaced(pool: ReaderPool) -> None:
    with pytest.raises(ReaderCrashed, match="exit code -11"):
        pool.read(poisoned(CARD.jpeg, SEGV))
    for _ in range(3):  # both lanes, the new one included
        assert pool.read(CARD.jpeg).contact.emails


def test_a_hang_is_cut_off_and_the_process_is_replaced(pool: ReaderPool) -> None:
    with pytest.raises(ReaderCrashed, match="took over 3s"):
        pool.read(poisoned(CARD.jpeg, HANG))
    assert pool.read(CARD.jpeg).contact.emails


def test_a_reader_that_cannot_start_fails_the_pool_at_once() -> None:
    with pytest.raises(ModuleNotFoundError):
        ReaderPool("no_such_module:Reader", processes=1)


@pytest.fixture(scope="module")
def echo_pool() -> Iterator[ReaderPool]:
    pool = ReaderPool(
        "tests.gateway.regions_echo:RegionsEcho", {"any": "kwarg"}, processes=1, timeout_s=2
    )
    yield pool
    pool.close()


def test_the_regions_reach_the_reader_in_order(echo_pool: ReaderPool) -> None:
    contact = echo_pool.read(b"photo", ["BR", "US"]).contact
    assert (contact.company, contact.title) == ("BR,US", "5 bytes, tuple")
    assert echo_pool.read(b"photo").contact.company == "none"
    assert echo_pool.read(b"x" * 3_000_000, ("JP",)).contact.title == "3000000 bytes, tuple"


def test_after_a_crash_or_a_hang_the_next_read_gets_its_own_regions(echo_pool: ReaderPool) -> None:
    with pytest.raises(ReaderCrashed, match="exit code -11"):
        echo_pool.read(poisoned(b"photo", SEGV), ("RU",))
    assert echo_pool.read(b"photo", ("VN",)).contact.company == "VN"
    with pytest.raises(ReaderCrashed, match="took over 2s"):
        echo_pool.read(poisoned(b"photo", HANG), ("SG",))
    assert echo_pool.read(b"photo", ("GB", "RU")).contact.company == "GB,RU"
