"""`POST /read?regions=…`: the ingress's check of the fallback regions, on the function itself
(the HTTP round trip is in test_http.py, with a Ray cluster)."""

import pytest

from ocr_cluster.deployments import MAX_REGIONS, parse_regions


@pytest.mark.parametrize(
    ("values", "regions"),
    [
        ([], ()),
        ([""], ()),
        (["BR"], ("BR",)),
        (["BR,US"], ("BR", "US")),
        (["us, br"], ("US", "BR")),  # the caller's order, upper-cased
        (["BR", "US"], ("BR", "US")),  # repeated parameters
        (["RU,RU,ru"], ("RU",)),
    ],
)
def test_good_regions(values: list[str], regions: tuple[str, ...]) -> None:
    assert parse_regions(values) == regions


@pytest.mark.parametrize(
    ("values", "says"),
    [
        (["BRA"], "two-letter country codes"),
        (["B"], "two-letter country codes"),
        (["BR,"], "got ''"),
        (["55"], "two-letter country codes"),
        (["BR;US"], "two-letter country codes"),
        (["ÉÉ"], "two-letter country codes"),
        (["x" * 10_000], "got 'xxxxxxxxxxxxxxxx'"),  # quoted, not echoed whole
        (["UK"], "'UK' is not a known country code"),
        (["ZZ"], "'ZZ' is not a known country code"),
        ([",".join(["BR", "US", "RU", "JP", "VN"])], f"at most {MAX_REGIONS}"),
    ],
)
def test_bad_regions_say_what_is_wrong(values: list[str], says: str) -> None:
    with pytest.raises(ValueError, match="regions") as caught:
        parse_regions(values)
    assert says in str(caught.value)
    assert len(str(caught.value)) < 200
