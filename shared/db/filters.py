"""Filters whose cost does not grow with the number of values they name."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement


def one_of(
    session: AsyncSession,
    column: ColumnElement[Any] | QueryableAttribute[Any],
    values: Collection[Any],
) -> ColumnElement[bool]:
    """`column IN (values)`, as one array parameter on PostgreSQL:
    `column IN (SELECT unnest($1))`.

    SQLAlchemy renders an expanding IN anew for every execution, one placeholder per
    value: for a few thousand item codes that rendering cost more than the query. An array
    parameter keeps the statement the same whatever the number of values. It is unnested
    rather than compared with `= ANY($1)`: once PostgreSQL switches a prepared statement
    to its generic plan, `= ANY` of a parameter searches the array row by row (thousands
    of comparisons per row), while the subquery is a hashed semi-join.
    SQLite has no arrays and keeps the IN list (at most 32,766 values a statement there).
    """
    if session.get_bind().dialect.name == "postgresql":
        array = bindparam(None, list(values), type_=ARRAY(column.type))
        return column.in_(select(func.unnest(array)))
    return column.in_(list(values))
