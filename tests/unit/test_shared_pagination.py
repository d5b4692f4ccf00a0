"""Cursor pagination: opaque cursors round-trip, tampered ones are 422 (InvalidInput)."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.errors import InvalidInput
from shared.http.pagination import (
    MAX_LIMIT,
    cursor_int,
    decode_cursor,
    encode_cursor,
    next_cursor,
    page_params,
)

json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=30)
cursor_values = st.lists(json_scalars, min_size=1, max_size=5)


@given(cursor_values)
def test_cursor_round_trips(values: list) -> None:
    cursor = encode_cursor(values)
    assert decode_cursor(cursor) == values
    assert "=" not in cursor and "+" not in cursor and "/" not in cursor  # URL-safe, unpadded


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_cursor_int_round_trips(value: int) -> None:
    assert cursor_int(decode_cursor(encode_cursor([value]))) == value


def test_non_json_values_are_encoded_as_strings() -> None:
    from datetime import UTC, datetime
    from decimal import Decimal

    at = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert decode_cursor(encode_cursor([Decimal("1.50"), at])) == ["1.50", str(at)]


def test_no_cursor_is_none() -> None:
    assert decode_cursor(None) is None and decode_cursor("") is None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    "!!!", "a", "%%%%", _b64(b"not json"), _b64(b'{"id": 1}'), _b64(b"1"), _b64(b'"s"'),
    _b64(b"[]"), _b64(b"\xff\xfe\x00"), _b64(b"[" * 100_000),
])
def test_tampered_cursors_are_invalid_input(cursor: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        decode_cursor(cursor)
    assert raised.value.status == 422
    assert raised.value.errors[0].field == "query.cursor"


@pytest.mark.parametrize("values", [
    ["x"], [None], [{"a": 1}], [[1]], [1.5e400], [float("nan")], [2**63], [-(2**63) - 1],
    ["9" * 5000],
])
def test_tampered_cursor_values_are_invalid_input(values: list) -> None:
    with pytest.raises(InvalidInput):
        cursor_int(values)


def test_cursor_int_reads_the_requested_position() -> None:
    assert cursor_int(["7", 8], 1) == 8 and cursor_int(["7"]) == 7
    with pytest.raises(InvalidInput):
        cursor_int([7], 1)


@dataclass
class Row:
    id: int


def test_next_cursor_only_when_there_is_more() -> None:
    rows = [Row(i) for i in range(1, 5)]
    page, cursor = next_cursor(rows, 3, key=lambda row: [row.id])
    assert page == rows[:3] and decode_cursor(cursor) == [3]
    page, cursor = next_cursor(rows[:3], 3, key=lambda row: [row.id])
    assert page == rows[:3] and cursor is None
    assert next_cursor([], 3, key=lambda row: [row.id]) == ([], None)


@given(st.integers(min_value=0, max_value=40), st.integers(min_value=1, max_value=10))
def test_walking_the_cursors_visits_every_row_once(total: int, limit: int) -> None:
    rows = [Row(i) for i in range(1, total + 1)]
    seen: list[int] = []
    cursor = None
    for _ in range(total + 2):
        after = cursor_int(decode_cursor(cursor)) if cursor else 0
        page, cursor = next_cursor([r for r in rows if r.id > after][: limit + 1], limit,
                                   key=lambda row: [row.id])
        seen.extend(r.id for r in page)
        if cursor is None:
            break
    assert seen == list(range(1, total + 1))


async def test_page_params_decode_the_cursor() -> None:
    params = await page_params(limit=MAX_LIMIT, cursor=encode_cursor([5]))
    assert params.limit == MAX_LIMIT and params.cursor == [5]
    with pytest.raises(InvalidInput):
        await page_params(limit=10, cursor="***")
