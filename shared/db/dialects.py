"""What differs between the two databases the services run on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Column,
    Dialect,
    Numeric,
    Table,
    Text,
    TypeDecorator,
    bindparam,
    cast,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeEngine


def dialect_insert(session: AsyncSession) -> Any:
    """The `insert` construct of the session's database: PostgreSQL's and SQLite's both
    take `.on_conflict_do_nothing()` / `.on_conflict_do_update()`, the generic one none."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _array(name: str, column: Column[Any], values: Sequence[Any], dialect: Dialect) -> Any:
    """`values` of `column` as one array parameter, typed as the database stores them (a
    decorated type's own implementation: the values go to the driver as they are).
    Numbers go as text and are cast: the driver encodes text several times faster than
    numeric, and PostgreSQL reads it exactly."""
    kind: TypeEngine[Any] = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.load_dialect_impl(dialect)
    if isinstance(kind, Numeric):
        texts = [None if value is None else str(value) for value in values]
        return cast(bindparam(name, texts, type_=ARRAY(Text())), ARRAY(kind))
    return bindparam(name, list(values), type_=ARRAY(kind.dialect_impl(dialect)))


async def upsert_adding(
    session: AsyncSession,
    table: Table,
    keys: Sequence[str],
    sums: Sequence[str],
    columns: Mapping[str, Sequence[Any]],
) -> None:
    """Insert rows into `table`, given as one list of values per column (every column of
    `keys` and `sums`, all as long), adding their `sums` to those of the rows already
    there under the same `keys` (its primary key).

    On PostgreSQL that is one statement whatever the number of rows: one array per column,
    unnested (an executemany runs one statement per row, and a batch of movements adds
    thousands of flow rows). The values pass to the driver as they are, so they must
    already fit the columns (sums of stored values do).
    """
    names = [*keys, *sums]
    count = len(columns[names[0]])
    if not count:
        return
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        insert = sqlite_insert(table)
        rows = [
            dict(zip(names, values, strict=True))
            for values in zip(*(columns[n] for n in names), strict=True)
        ]
        await session.execute(
            insert.on_conflict_do_update(
                index_elements=list(keys),
                set_={name: table.c[name] + insert.excluded[name] for name in sums},
            ),
            rows,
        )
        return
    arrays = [_array(f"rows_{name}", table.c[name], columns[name], dialect) for name in names]
    unnested = func.unnest(*arrays).table_valued(*names).render_derived(name="rows")
    pg = pg_insert(table).from_select(names, select(*(unnested.c[name] for name in names)))
    await session.execute(
        pg.on_conflict_do_update(
            index_elements=list(keys),
            set_={name: table.c[name] + pg.excluded[name] for name in sums},
        )
    )
