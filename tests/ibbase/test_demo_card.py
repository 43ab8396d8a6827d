"""`make demo` in any clone: the bundled sample card is sent and reads."""

from ibbase_dev import demo
from ocr_cluster.reader import CardReader


def test_the_bundled_card_is_sent_and_reads():
    card = demo.default_card()
    assert card == demo.SAMPLE_CARD
    reader = CardReader(pool_size=1)
    try:
        contact = reader.read(card.read_bytes()).contact
    finally:
        reader.close()
    assert contact.phones and contact.emails and contact.company
