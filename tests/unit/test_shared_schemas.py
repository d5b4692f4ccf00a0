"""How decimals are written in every response."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from shared.schemas import plain


def test_plain_decimals_have_no_exponent_and_no_trailing_zeros() -> None:
    cases = {
        "500.000000": "500",
        "0.250000": "0.25",
        "-0.000000": "0",
        "0E-6": "0",
        "-0": "0",
        "1E+3": "1000",
        "1E-7": "0.0000001",
        "-12.340": "-12.34",
        "100": "100",
        "9223372036854.775807": "9223372036854.775807",
    }
    assert {text: plain(Decimal(text)) for text in cases} == cases


@given(
    st.decimals(min_value=Decimal("-1e15"), max_value=Decimal("1e15"), places=6, allow_nan=False)
)
def test_plain_is_the_same_number_written_plainly(value: Decimal) -> None:
    text = plain(value)
    assert Decimal(text) == value
    assert "E" not in text and "e" not in text
    if "." in text:
        assert not text.endswith("0") and not text.endswith(".")
    assert text != "-0"
