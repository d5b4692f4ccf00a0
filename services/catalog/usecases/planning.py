"""Planning data: every item and every released BOM version, read at one graph stamp.

MRP reads this once per run, so it must be one consistent state: items (with the
planning fields) and BOMs as of the same `bom_graph_stamp`.

How the state is kept consistent. The released graph (items' codes, units and
conversions, released versions, low-level codes) comes from the per-process cache
(`bom_queries.GraphCache`), labelled with the stamp read before it was loaded. The
planning fields the graph does not keep (procurement, lead time, safety stock, lot
sizing) are read from the items table. Every writer of items, item conversions or the
set of released BOMs bumps the stamp first and commits its change with it, one writer
after the other on that row. An attempt reads, in one read transaction, the cached graph
(reloaded when the stamp moved), then the items, then the stamp again, and is kept only
when that last stamp equals the graph's label:

* on PostgreSQL (read committed) the last read sees every commit made so far, so an
  equal stamp means no writer committed from before the graph was loaded until after
  the items were read: both show the state of that stamp;
* on SQLite the read transaction is one WAL snapshot; a cached graph is loaded in one
  snapshot too, so equal stamps mean the same state.

Otherwise it is tried again in a new transaction (the cache then reloads). If writers
keep committing through `ATTEMPTS` tries, the answer is read in one snapshot instead:
stamp, graph (loaded anew, not cached) and items in one REPEATABLE READ transaction on
PostgreSQL (SQLite's read transaction already is one). A kept answer is remembered with
the cached graph (`Snapshot.remember`, keyed by the roots asked for) and served again
until the stamp moves.

The answer is written as JSON directly (f-strings, as the explosion is), not through
Pydantic models: 100,000 lines must take a fraction of a second;
`services.catalog.planning_schemas.PlanningDataOut` is its contract.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal, localcontext
from json.encoder import encode_basestring
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.db.models import Item
from services.catalog.domain.bom_graph import ARITHMETIC, BomGraph, Version, plain
from services.catalog.usecases.bom_queries import (
    GraphCache,
    _gc_paused,
    load_graph,
    read_stamp,
)
from shared.db.database import Database
from shared.errors import FieldError, InvalidInput

__all__ = ["ATTEMPTS", "current_stamp", "planning_data"]

#: Tries over the cached graph before the answer is read in one snapshot instead.
ATTEMPTS = 3
#: The answer's key in the cached graph's remembered responses.
RESPONSE_KEY = ("planning_data",)

_ITEMS = Item.__table__


async def current_stamp(db: Database) -> int:
    """The graph stamp now: an answer labelled with it is still the answer (a client's
    copy tagged with it needs no new one)."""
    async with db.read() as session:
        return await read_stamp(session)


async def planning_data(
    db: Database, cache: GraphCache, *, roots: Sequence[str] = (), attempts: int = ATTEMPTS
) -> tuple[int, bytes]:
    """Every item and released BOM version as `PlanningDataOut` JSON, at one graph stamp;
    with `roots` (item codes), only those items and everything below them. With the stamp."""
    for _ in range(attempts):
        answer = await _from_cache(db, cache, roots)
        if answer is not None:
            return answer
    return await _in_one_snapshot(db, roots)


async def _from_cache(
    db: Database, cache: GraphCache, roots: Sequence[str]
) -> tuple[int, bytes] | None:
    """The answer over the cached graph, or None when a writer committed meanwhile."""
    async with db.read() as session:
        snapshot = await cache.current(session)
        key = (*RESPONSE_KEY, *sorted(roots))
        body = snapshot.recall(key)
        if body is not None:
            return snapshot.stamp, body
        only = below(snapshot.graph, roots)
        rows = await _item_rows(session, only)
        if await read_stamp(session) != snapshot.stamp:
            return None
    if not _same_items(snapshot.graph, rows, only):
        return None  # cannot happen when the stamps agree; never answer a mix
    body = _render(snapshot.stamp, snapshot.graph, rows, only)
    snapshot.remember(key, body)  # item changes bump the stamp too: valid until it moves
    return snapshot.stamp, body


async def _in_one_snapshot(db: Database, roots: Sequence[str]) -> tuple[int, bytes]:
    """The answer with stamp, graph and items all read in one snapshot transaction."""
    async with db.snapshot() as session:
        stamp = await read_stamp(session)
        graph = await load_graph(session)
        only = below(graph, roots)
        rows = await _item_rows(session, only)
    if not _same_items(graph, rows, only):
        raise RuntimeError("items and BOM graph differ inside one snapshot")
    return stamp, _render(stamp, graph, rows, only)


def below(graph: BomGraph, roots: Sequence[str]) -> set[int] | None:
    """Ids of the `roots` items and of every item under them in any released version
    (components and substitutes); None without roots (everything). Unknown codes are 422."""
    if not roots:
        return None
    ids = graph.ids_by_code()
    unknown = [
        FieldError(f"query.root.{index}", f"no item {code!r}", "not_found")
        for index, code in enumerate(roots)
        if code not in ids
    ]
    if unknown:
        raise InvalidInput("unknown items", errors=unknown)
    found: set[int] = set()
    todo = [ids[code] for code in roots]
    while todo:
        item_id = todo.pop()
        if item_id in found:
            continue
        found.add(item_id)
        for version in graph.released_by_item.get(item_id, ()):
            for line in version.lines:
                todo.append(line.component_id)
                todo.extend(sub.component_id for sub in line.substitutes)
    return found


async def _item_rows(session: AsyncSession, only: set[int] | None = None) -> Sequence[Any]:
    """Every item (or those of `only`) with its planning fields, by id (plain rows)."""
    c = _ITEMS.c
    conn = await session.connection()
    result = await conn.execute(
        select(
            c.id,
            c.code,
            c.name,
            c.uom,
            c.item_type,
            c.procurement,
            c.lead_time_days,
            c.safety_stock,
            c.lot_sizing,
            c.lot_fixed_quantity,
            c.lot_minimum_quantity,
            c.lot_multiple,
            c.lifecycle,
        )
        .where(c.id.in_(sorted(only)) if only is not None else true())
        .order_by(c.id)
    )
    return result.all()


def _same_items(graph: BomGraph, rows: Sequence[Any], only: set[int] | None = None) -> bool:
    known = graph.items
    expected = len(known) if only is None else len(only)
    return len(rows) == expected and all(row[0] in known for row in rows)


def _render(
    stamp: int, graph: BomGraph, rows: Sequence[Any], only: set[int] | None = None
) -> bytes:
    """Write `PlanningDataOut` JSON in one pass (f-strings; one join and one encode)."""
    with _gc_paused(), localcontext(ARITHMETIC):
        numbers = _Numbers()
        codes = graph.low_level_codes().codes
        items = ",".join([_item(row, codes.get(row[0], 0), numbers) for row in rows])
        versions = sorted(
            (v for v in graph.versions.values() if only is None or v.item_id in only),
            key=lambda version: version.id,
        )
        boms = ",".join([_bom(graph, version, numbers) for version in versions])
        return f'{{"graph_stamp":{stamp},"items":[{items}],"boms":[{boms}]}}'.encode()


#: A string as a JSON string literal (the json module's C escaper).
_text: Callable[[str], str] = encode_basestring
_ONE = Decimal(1)
#: `"phantom":..,"backflush":..` by (phantom, backflush).
_FLAGS = {
    (phantom, backflush): (
        f'"phantom":{"true" if phantom else "false"},"backflush":{"true" if backflush else "false"}'
    )
    for phantom in (False, True)
    for backflush in (False, True)
}


class _Numbers(dict[Decimal, str]):
    """Decimal -> its JSON string (`plain`), memoized: equal values have the same text."""

    def __missing__(self, value: Decimal) -> str:
        text = self[value] = f'"{plain(value)}"'
        return text


def _item(row: Any, low_level_code: int, numbers: _Numbers) -> str:
    (
        item_id,
        code,
        name,
        uom,
        item_type,
        procurement,
        lead_time,
        safety_stock,
        policy,
        fixed,
        minimum,
        multiple,
        lifecycle,
    ) = row
    return (
        f'{{"id":{item_id},"code":{_text(code)},"name":{_text(name)},"uom":{_text(uom)},'
        f'"item_type":{_text(item_type)},"procurement":{_text(procurement)},'
        f'"lead_time_days":{lead_time},"safety_stock":{numbers[safety_stock]},'
        f'"lot_sizing":{{"policy":{_text(policy)},'
        f'"fixed_quantity":{"null" if fixed is None else numbers[fixed]},'
        f'"minimum_quantity":{"null" if minimum is None else numbers[minimum]},'
        f'"multiple":{"null" if multiple is None else numbers[multiple]}}},'
        f'"lifecycle":{_text(lifecycle)},"low_level_code":{low_level_code}}}'
    )


def _bom(graph: BomGraph, version: Version, numbers: _Numbers) -> str:
    """One version with its lines' quantities in the component's stock unit (in ARITHMETIC)."""
    items = graph.items
    stock_factor = graph.stock_factor
    parent = items[version.item_id]
    lines: list[str] = []
    for line in version.lines:
        component = items[line.component_id]
        factor = stock_factor(component, line.uom)
        if factor is None:
            per = fixed = rounding = "null"
            problem = _text(
                f"no conversion from {line.uom} to {component.uom} (the stock unit of "
                f"{component.code})"
            )
        else:
            multiple = line.rounding_multiple
            if factor == _ONE:
                per, fixed = numbers[line.quantity_per], numbers[line.fixed_quantity]
                rounding = "null" if multiple is None else numbers[multiple]
            else:
                per = numbers[line.quantity_per * factor]
                fixed = numbers[line.fixed_quantity * factor]
                rounding = "null" if multiple is None else numbers[multiple * factor]
            problem = "null"
        substitutes = (
            ",".join(
                [
                    f'{{"component_id":{sub.component_id},'
                    f'"component_code":{_text(items[sub.component_id].code)},'
                    f'"priority":{sub.priority},"ratio":{numbers[sub.ratio]}}}'
                    for sub in line.substitutes
                ]
            )
            if line.substitutes
            else ""
        )
        operation = "null" if line.operation_code is None else _text(line.operation_code)
        lines.append(
            f'{{"position":{line.position},"component_id":{component.id},'
            f'"component_code":{_text(component.code)},"quantity":{numbers[line.quantity]},'
            f'"uom":{_text(line.uom)},"quantity_per":{per},'
            f'"scrap_percent":{numbers[line.scrap_percent]},"fixed_quantity":{fixed},'
            f'"rounding_multiple":{rounding},'
            f"{_FLAGS[line.phantom, line.backflush]},"
            f'"operation_code":{operation},"substitutes":[{substitutes}],'
            f'"conversion_problem":{problem}}}'
        )
    return (
        f'{{"id":{version.id},"item_id":{parent.id},"item_code":{_text(parent.code)},'
        f'"revision":{_text(version.revision)},'
        f'"effective_from":{_date(version.effective_from)},'
        f'"effective_to":{_date(version.effective_to)},'
        f'"base_quantity":{numbers[version.base_quantity]},"lines":[{",".join(lines)}]}}'
    )


def _date(value: date | None) -> str:
    return "null" if value is None else f'"{value.isoformat()}"'
