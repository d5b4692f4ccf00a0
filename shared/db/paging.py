"""Keyset pagination of ORM queries by an increasing integer id."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from shared.http.pagination import PageParams, cursor_int, next_cursor

RowT = TypeVar("RowT")


def where_equal(
    query: Select[Any], filters: Mapping[InstrumentedAttribute[Any], Any]
) -> Select[Any]:
    """Add `column == value` for every filter that is given (not None, not empty)."""
    for column, value in filters.items():
        if value is not None and value != "":
            query = query.where(column == value)
    return query


async def page_by_id(
    session: AsyncSession,
    query: Select[RowT],
    id_column: InstrumentedAttribute[int],
    page: PageParams,
) -> tuple[list[RowT], str | None]:
    """One page of `query` in `id_column` order, after the page's cursor, and the next cursor."""
    query = query.order_by(id_column).limit(page.limit + 1)
    if page.cursor:
        query = query.where(id_column > cursor_int(page.cursor))
    rows = list((await session.scalars(query)).all())
    return next_cursor(rows, page.limit, key=lambda row: [getattr(row, id_column.key)])
