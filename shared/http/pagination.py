"""Cursor pagination over a unique, ordered key: `limit`, `cursor`, `next_cursor`."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from shared.errors import FieldError, InvalidInput

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
_MIN_INT64, _MAX_INT64 = -(2**63), 2**63 - 1


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page")


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list[Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidInput(
            "the cursor is not valid", errors=[FieldError("query.cursor", "not a cursor")]
        ) from exc
    if not isinstance(values, list) or not values:  # cursors we issue are never empty
        raise InvalidInput(
            "the cursor is not valid", errors=[FieldError("query.cursor", "not a cursor")]
        )
    return values


class PageParams(BaseModel):
    limit: int
    cursor: list[Any] | None


async def page_params(  # async: a plain def would run in the thread pool, per request
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=decode_cursor(cursor))


def next_cursor(rows: Sequence[Any], limit: int, key: Any) -> tuple[list[Any], str | None]:
    """Given up to `limit + 1` rows, return the page and the cursor after its last row."""
    page = list(rows[:limit])
    if len(rows) > limit and page:
        return page, encode_cursor(key(page[-1]))
    return page, None


def cursor_int(values: list[Any], index: int = 0) -> int:
    """The integer at `index` of a decoded cursor; a tampered cursor is 422, never 500."""
    try:
        value = int(values[index])
    except (IndexError, TypeError, ValueError, OverflowError) as exc:
        raise InvalidInput(
            "the cursor is not valid", errors=[FieldError("query.cursor", "not a cursor")]
        ) from exc
    if not _MIN_INT64 <= value <= _MAX_INT64:  # the databases' BIGINT range
        raise InvalidInput(
            "the cursor is not valid", errors=[FieldError("query.cursor", "out of range")]
        )
    return value
