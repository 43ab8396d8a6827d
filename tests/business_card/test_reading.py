"""The worker's first filter for documents: which claimed types are worth reading as a card."""

import pytest

from business_card.reading import is_card_mime


@pytest.mark.parametrize(
    "mime_type",
    [
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/heic",
        "image/heif",
        "IMAGE/HEIC",
        "application/pdf",
        "application/pdf; name=card.pdf",
        " image/jpeg ",
    ],
)
def test_images_and_pdfs_are_card_documents(mime_type):
    assert is_card_mime(mime_type)


@pytest.mark.parametrize(
    "mime_type",
    ["", "image/", "application/octet-stream", "text/plain", "video/mp4", "application/zip"],
)
def test_other_documents_are_not(mime_type):
    assert not is_card_mime(mime_type)
