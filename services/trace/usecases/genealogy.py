"""Asking the genealogy: backward and forward traces, where a unit is, its history.

The graph is node -> work order -> node (`trace_links`). Both traces walk it breadth
first, never visiting a node twice, with a handful of set-based queries per level
whatever the fan-out (a complete backward trace reads everything below in two queries
and walks it in memory):

* backward, from a unit or lot: the work order that produced it, then that order's
  inputs, down to purchased lots. MES's per-unit assignments (`trace_assignments`)
  replace the order's inputs of the same item for the unit they name: if MES says which
  reel went into serial S, the other reels issued to the order are not inside S.
* forward, from a lot or unit: the work orders it went into, then their outputs, up to
  what nothing was made from; the same assignments keep a unit out when MES named
  another lot of the item for it. A lot's own serial-tracked units are reached from it.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any, NamedTuple

import asyncpg
from sqlalchemy import BigInteger, DateTime, Numeric, and_, case, func, literal, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.trace.db.models import (
    TraceAssignment,
    TraceDocument,
    TraceHistory,
    TraceLink,
    TraceNode,
    TraceNodeStock,
    TraceOperation,
    TraceQcRecord,
    TraceWorkOrder,
)
from services.trace.domain.lots import LOT, SERIAL
from services.trace.schemas import (
    NodeDetail,
    NodeOut,
)
from shared.db.filters import one_of
from shared.db.types import ExactDecimal
from shared.errors import FieldError, InvalidInput, NotFound
from shared.schemas import plain

#: A node's identity as the API names it.
NodeRef = tuple[str, str, str]  # (item_code, kind, code)


def node_ref(item_code: str | None, lot_number: str | None, serial_number: str | None) -> NodeRef:
    """The node a request names: a serial (with its item), else a lot (with its item)."""
    errors: list[FieldError] = []
    if not item_code:
        errors.append(
            FieldError("query.item_code", "name the item of the lot or serial", "missing")
        )
    if bool(lot_number) == bool(serial_number):
        errors.append(
            FieldError("query.lot_number", "give exactly one of lot_number and serial_number")
        )
    if errors:
        raise InvalidInput("name one lot or one serial of an item", errors=errors)
    assert item_code is not None
    if serial_number:
        return (item_code, SERIAL, serial_number)
    assert lot_number is not None
    return (item_code, LOT, lot_number)


async def find_node(session: AsyncSession, ref: NodeRef) -> Any:
    """The node's row (`.id`), or 404."""
    item_code, kind, code = ref
    rows = await fetch(
        session,
        select(TraceNode.id).where(
            TraceNode.item_code == item_code, TraceNode.kind == kind, TraceNode.code == code
        ),
    )
    if not rows:
        raise NotFound(f"trace knows no {kind} {code!r} of item {item_code!r}")
    return rows[0]


#: `plain` of the few distinct quantities a trace repeats thousands of times (equal
#: decimals have the same plain form, so caching by value is exact).
plain_of = functools.lru_cache(maxsize=4096)(plain)


def plain_or_none(value: Decimal | None) -> str | None:
    return None if value is None else plain_of(value)


def raw(session: AsyncSession, column: Any, name: str | None = None) -> Any:
    """A quantity or timestamp column (or expression) as the driver returns it. On
    PostgreSQL asyncpg already gives Decimals and aware UTC datetimes, and skipping the
    column type's per-row work (a quantize, a timezone check) matters at thousands of
    rows; SQLite stores scaled integers and naive times, which the column type converts."""
    if session.get_bind().dialect.name != "postgresql":
        return column.label(name) if name else column
    plain_type = Numeric() if isinstance(column.type, ExactDecimal) else DateTime(timezone=True)
    return type_coerce(column, plain_type).label(name or column.key)


def on_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def record_class(name: str, columns: Sequence[str]) -> type[asyncpg.Record]:
    """A record class of the driver whose columns are also attributes (`row.id`), like
    SQLAlchemy's rows: the driver builds it, nothing is converted per row."""
    attributes: dict[str, Any] = {
        column: property(itemgetter(i)) for i, column in enumerate(columns)
    }
    return type(name, (asyncpg.Record,), attributes)


async def driver_fetch(
    session: AsyncSession, sql: str, *args: Any, rows: type[asyncpg.Record] | None = None
) -> list[Any]:
    """Rows (asyncpg records) of `sql` run by asyncpg itself on the session's connection,
    in its transaction (PostgreSQL only): a trace reads thousands of rows in a handful of
    statements, and skipping SQLAlchemy's statement building and row processing is a
    good part of its CPU."""
    connection = await session.connection()
    raw_connection = await connection.get_raw_connection()
    driver = raw_connection.driver_connection
    assert driver is not None
    if not driver.is_in_transaction():
        # SQLAlchemy begins on the connection at its first statement: let it open the
        # session's transaction (a snapshot's isolation) before reading in it
        await connection.exec_driver_sql("SELECT 1")
    return list(await driver.fetch(sql, *args, record_class=rows))


async def fetch(session: AsyncSession, statement: Any) -> list[Any]:
    """Rows of a column select, run on the session's connection: the ORM's per-statement
    work doubles the cost of a trace's dozens of small reads (it is in the same
    transaction, so it reads the same snapshot)."""
    connection = await session.connection()
    return list((await connection.execute(statement)).all())


# --- node details in bulk -----------------------------------------------------------------


def iso(value: datetime | None) -> str | None:
    """A UTC timestamp as the API writes it everywhere (pydantic's form: ...Z)."""
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


#: The node columns the API shows (plain rows: a trace may load ten thousand nodes).
NODE_COLUMNS = tuple(
    column
    for column in TraceNode.__table__.columns
    if column.key not in ("first_seen_at", "updated_at")
)


#: A node row read with the driver (PostgreSQL): the columns of `NODE_COLUMNS` by name.
NodeRow = record_class("NodeRow", [column.key for column in NODE_COLUMNS])
_NODES_SQL = (
    f"SELECT {', '.join(column.name for column in NODE_COLUMNS)} FROM trace_nodes"
    " WHERE id IN (SELECT unnest($1::bigint[]))"
)


async def _nodes(session: AsyncSession, ids: Iterable[int]) -> dict[int, Any]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    if on_postgresql(session):
        return {r[0]: r for r in await driver_fetch(session, _NODES_SQL, wanted, rows=NodeRow)}
    rows = await fetch(session, select(*NODE_COLUMNS).where(one_of(session, TraceNode.id, wanted)))
    return {row.id: row for row in rows}


async def _revisions(session: AsyncSession, work_orders: Iterable[str]) -> dict[str, str]:
    wanted = sorted({wo for wo in work_orders if wo})
    if not wanted:
        return {}
    if on_postgresql(session):
        rows = await driver_fetch(
            session,
            "SELECT number, bom_revision FROM trace_work_orders"
            " WHERE number IN (SELECT unnest($1::varchar[]))",
            wanted,
        )
        return {number: revision for number, revision in rows}
    rows = await fetch(
        session,
        select(TraceWorkOrder.number, TraceWorkOrder.bom_revision).where(
            one_of(session, TraceWorkOrder.number, wanted)
        ),
    )
    return {number: revision for number, revision in rows}


async def _places(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[dict[str, str]]]:
    found: dict[int, list[dict[str, str]]] = defaultdict(list)
    if not ids:
        return found
    rows: list[Any]
    if on_postgresql(session):
        rows = await driver_fetch(
            session,
            "SELECT node_id, location_code, quality_state, quantity FROM trace_node_stock"
            " WHERE node_id IN (SELECT unnest($1::bigint[])) AND quantity <> 0"
            " ORDER BY location_code, quality_state",
            list(ids),
        )
    else:
        rows = await fetch(
            session,
            select(
                TraceNodeStock.node_id,
                TraceNodeStock.location_code,
                TraceNodeStock.quality_state,
                TraceNodeStock.quantity,
            )
            .where(one_of(session, TraceNodeStock.node_id, list(ids)), TraceNodeStock.quantity != 0)
            .order_by(TraceNodeStock.location_code, TraceNodeStock.quality_state),
        )
    for node_id, location, state, quantity in rows:
        found[node_id].append(
            {"location_code": location, "quality_state": state, "quantity": plain_of(quantity)}
        )
    return found


@dataclass(slots=True)
class NodeBook:
    """Nodes loaded once per request, each rendered as the API shows it (JSON types, the
    shape of `NodeOut`)."""

    nodes: dict[int, Any] = field(default_factory=dict)  # rows with the node columns
    revisions: dict[str, str] = field(default_factory=dict)
    places: dict[int, list[dict[str, str]]] = field(default_factory=dict)
    _fields: dict[int, dict[str, Any]] = field(default_factory=dict)

    async def load(self, session: AsyncSession, ids: Iterable[int]) -> None:
        wanted = [i for i in set(ids) if i not in self.nodes]
        if not wanted:
            return
        fresh = await _nodes(session, wanted)
        self.nodes.update(fresh)
        self.revisions.update(await _revisions(session, (n.work_order for n in fresh.values())))
        lots = [i for i, n in fresh.items() if n.kind == LOT]
        self.places.update(await _places(session, lots))
        for i, node in fresh.items():
            if node.kind == SERIAL and node.status == "in_stock" and node.location_code:
                self.places[i] = [
                    {
                        "location_code": node.location_code,
                        "quality_state": node.quality_state,
                        "quantity": "1",
                    }
                ]

    def status(self, node_id: int) -> str:
        """Stored by the feed; a node only MES has named so far is `unknown`."""
        return str(self.nodes[node_id].status or "unknown")

    def identity(self, node_id: int) -> dict[str, Any]:
        """What names the node: id, kind, item, lot (a unit's lot, if any) and serial."""
        node = self.nodes[node_id]
        serial = node.kind == SERIAL
        return {
            "id": node_id,
            "kind": node.kind,
            "item_code": node.item_code,
            "lot_number": node.lot_number or (None if serial else node.code),
            "serial_number": node.code if serial else None,
        }

    def fields(self, node_id: int) -> dict[str, Any]:
        """The node as `NodeOut` shows it (a fresh dict each time: callers add keys)."""
        cached = self._fields.get(node_id)
        if cached is None:
            node = self.nodes[node_id]
            cached = {
                **self.identity(node_id),
                "work_order": node.work_order or None,
                "bom_revision": self.revisions.get(node.work_order) or None,
                "supplier": node.supplier,
                "supplier_lot": node.supplier_lot,
                "date_code": node.date_code,
                "purchase_order": node.purchase_order,
                "receipt_number": node.receipt_number,
                "receipt_date": node.receipt_date.isoformat() if node.receipt_date else None,
                "expiry_date": node.expiry_date.isoformat() if node.expiry_date else None,
                "status": self.status(node_id),
                "in_stock": self.places.get(node_id, []),
                "sales_order": node.sales_order,
                "customer": node.customer,
            }
            self._fields[node_id] = cached
        return dict(cached)

    def out(self, node_id: int) -> NodeOut:
        return NodeOut.model_validate(self.fields(node_id))


# --- edges ------------------------------------------------------------------------------


class Edge(NamedTuple):
    parent: int  # the produced node
    child: int  # what went into it
    work_order: str
    how: str
    quantity: Decimal


async def _assigned_to(
    session: AsyncSession, parents: Sequence[int]
) -> dict[int, list[tuple[int, str, str, Decimal]]]:
    """Per produced unit: (component node, item, work order, quantity) MES assigned."""
    found: dict[int, list[tuple[int, str, str, Decimal]]] = defaultdict(list)
    if not parents:
        return found
    rows = await fetch(
        session,
        select(
            TraceAssignment.parent_id,
            TraceAssignment.child_id,
            TraceAssignment.child_item_code,
            TraceAssignment.work_order,
            TraceAssignment.quantity,
        )
        .where(one_of(session, TraceAssignment.parent_id, list(parents)))
        .order_by(TraceAssignment.parent_id, TraceAssignment.child_id),
    )
    for parent, child, item_code, work_order, quantity in rows:
        found[parent].append((child, item_code, work_order, quantity))
    return found


async def _inputs_of_producers(
    session: AsyncSession, parents: Sequence[int]
) -> dict[int, list[tuple[str, int, str, str, Decimal]]]:
    """Per parent: (work order, child, item, how, quantity) of what went into the work
    orders that produced it, in one query (output link joined to the order's inputs)."""
    produced = aliased(TraceLink)
    rows = await fetch(
        session,
        select(
            produced.node_id,
            TraceLink.work_order,
            TraceLink.node_id,
            TraceNode.item_code,
            TraceLink.how,
            raw(session, TraceLink.quantity),
        )
        .join(
            TraceLink,
            and_(
                TraceLink.work_order == produced.work_order,
                TraceLink.role == "input",
                TraceLink.quantity > 0,
            ),
        )
        .join(TraceNode, TraceNode.id == TraceLink.node_id)
        .where(
            one_of(session, produced.node_id, list(parents)),
            produced.role == "output",
            produced.quantity > 0,
        )
        .order_by(
            produced.node_id,
            TraceLink.work_order,
            TraceNode.item_code,
            TraceLink.node_id,
            TraceLink.how,
        ),
    )
    found: dict[int, list[tuple[str, int, str, str, Decimal]]] = defaultdict(list)
    for parent, work_order, child, item_code, how, quantity in rows:
        found[parent].append((work_order, child, item_code, how, quantity))
    return found


async def any_assignments(session: AsyncSession) -> bool:
    """Whether MES ever assigned components to units (most plants never do)."""
    return bool(await fetch(session, select(TraceAssignment.id).limit(1)))


async def below_all(session: AsyncSession, root: int) -> list[int]:
    """`root` and every node below it through work orders, in one recursive query (each
    node is expanded once: the UNION keeps only ids not met before)."""
    produced = aliased(TraceLink)
    went_in = aliased(TraceLink)
    walk = select(literal(root, BigInteger()).label("id")).cte("walk", recursive=True)
    walk = walk.union(
        select(went_in.node_id)
        .select_from(walk)
        .join(
            produced,
            and_(produced.node_id == walk.c.id, produced.role == "output", produced.quantity > 0),
        )
        .join(
            went_in,
            and_(
                went_in.work_order == produced.work_order,
                went_in.role == "input",
                went_in.quantity > 0,
            ),
        )
    )
    return [row[0] for row in await fetch(session, select(walk.c.id))]


#: Every node below a node and what went into each (`below_all`, then `edges_below`
#: without assignments), read with the driver (PostgreSQL). Two statements: planned as
#: one (the walk joined to the inputs), PostgreSQL misjudges the walk's size and the
#: statement takes several times as long.
_BELOW_ALL_SQL = """
WITH RECURSIVE walk(id) AS (
    SELECT $1::bigint
    UNION
    SELECT went_in.node_id
    FROM walk
    JOIN trace_links AS produced
        ON produced.node_id = walk.id AND produced.role = 'output' AND produced.quantity > 0
    JOIN trace_links AS went_in
        ON went_in.work_order = produced.work_order AND went_in.role = 'input'
        AND went_in.quantity > 0
)
SELECT array_agg(id) FROM walk
"""
_INPUTS_SQL = """
-- every child is in the walk too: its item codes are looked up once each (a hash join),
-- not once per edge
WITH walked AS MATERIALIZED (
    SELECT id, item_code FROM trace_nodes WHERE id IN (SELECT unnest($1::bigint[]))
)
-- the columns of `Edge`: parent, child, work order, how, quantity
SELECT produced.node_id, went_in.node_id, went_in.work_order, went_in.how, went_in.quantity
FROM trace_links AS produced
JOIN trace_links AS went_in
    ON went_in.work_order = produced.work_order AND went_in.role = 'input'
    AND went_in.quantity > 0
JOIN walked AS child ON child.id = went_in.node_id
WHERE produced.node_id IN (SELECT unnest($1::bigint[]))
    AND produced.role = 'output' AND produced.quantity > 0
ORDER BY produced.node_id, went_in.work_order, child.item_code, went_in.node_id, went_in.how
"""


#: An `Edge` as the driver reads it (`_INPUTS_SQL`): its fields by name and position.
EdgeRecord = record_class("EdgeRecord", Edge._fields)


async def all_edges_below(session: AsyncSession, root: int) -> dict[int, list[Edge]]:
    """What went into each node below `root` (and `root`), as `edges_below` of
    `below_all` without assignments gives it, per parent."""
    found: dict[int, list[Edge]] = {}
    if not on_postgresql(session):
        for edge in await edges_below(session, await below_all(session, root), assignments=False):
            found.setdefault(edge.parent, []).append(edge)
        return found
    current: int | None = None
    mine: list[Any] = []  # records that read as `Edge`s
    seen: set[int] = set()
    ids = (await driver_fetch(session, _BELOW_ALL_SQL, root))[0][0]
    for row in await driver_fetch(session, _INPUTS_SQL, ids, rows=EdgeRecord):
        parent, child = row[0], row[1]
        if parent != current:
            current, mine, seen = parent, [], set()
            found[parent] = mine
        if child in seen or child == parent:
            continue
        seen.add(child)
        mine.append(row)
    return found


async def edges_below(
    session: AsyncSession, parents: Sequence[int], *, assignments: bool = True
) -> list[Edge]:
    """What went into each of `parents` (one level down)."""
    inputs = await _inputs_of_producers(session, parents)
    assigned = await _assigned_to(session, parents) if assignments else {}
    edges: list[Edge] = []
    for parent in parents:
        named = assigned.get(parent, [])
        named_items = {item for _, item, _, _ in named}
        seen: set[int] = set()
        for child, _, work_order, quantity in named:
            edges.append(Edge(parent, child, work_order, "assigned", quantity))
            seen.add(child)
        for work_order, child, item_code, how, quantity in inputs.get(parent, []):
            if item_code in named_items or child in seen or child == parent:
                continue
            seen.add(child)
            edges.append(Edge(parent, child, work_order, how, quantity))
    return edges


@dataclass(frozen=True, slots=True)
class Fan:
    """Everything in `children` went into each of `parents` through `work_order` (a work
    order's inputs times its outputs, kept as the two lists: 1,000 by 100 is 1,100 ids,
    not 100,000 edges)."""

    work_order: str
    children: list[int]
    parents: list[int]


async def edges_above(
    session: AsyncSession, children: Sequence[int], *, assignments: bool = True
) -> tuple[list[Fan], list[Edge]]:
    """What each of `children` went into (one level up): the outputs of the work orders
    they went into (as fans), the units MES built from them and a lot's own serial-tracked
    units (as edges)."""
    if not children:
        return [], []
    known = {
        node_id: (item, kind, code)
        for node_id, item, kind, code in await fetch(
            session,
            select(TraceNode.id, TraceNode.item_code, TraceNode.kind, TraceNode.code).where(
                one_of(session, TraceNode.id, list(children))
            ),
        )
    }
    into: dict[str, list[tuple[int, str, Decimal]]] = defaultdict(list)
    for child, work_order, how, quantity in await fetch(
        session,
        select(
            TraceLink.node_id,
            TraceLink.work_order,
            TraceLink.how,
            raw(session, TraceLink.quantity),
        )
        .where(
            one_of(session, TraceLink.node_id, list(children)),
            TraceLink.role == "input",
            TraceLink.quantity > 0,
        )
        .order_by(TraceLink.work_order, TraceLink.node_id, TraceLink.how),
    ):
        into[work_order].append((child, how, quantity))
    # a work order's inputs times its outputs can be 100,000 pairs: pair them here, not
    # in SQL
    outputs: dict[str, list[int]] = defaultdict(list)
    if into:
        for work_order, node_id in await fetch(
            session,
            select(TraceLink.work_order, TraceLink.node_id)
            .where(
                one_of(session, TraceLink.work_order, sorted(into)),
                TraceLink.role == "output",
                TraceLink.quantity > 0,
            )
            .order_by(TraceLink.work_order, TraceLink.node_id),
        ):
            outputs[work_order].append(node_id)
    assigned = (
        await _assigned_to(session, sorted({p for ps in outputs.values() for p in ps}))
        if assignments
        else {}
    )
    fans: list[Fan] = []
    edges: list[Edge] = []
    for work_order, went_in in into.items():
        plain_parents = []
        for parent in outputs.get(work_order, []):
            named = assigned.get(parent, [])
            if not named:
                plain_parents.append(parent)
                continue
            for child, how, quantity in went_in:
                item = known[child][0] if child in known else None
                if any(i == item for _, i, _, _ in named):
                    if not any(c == child for c, _, _, _ in named):
                        continue  # MES named another lot of this item for this unit
                    how = "assigned"
                if parent != child:
                    edges.append(Edge(parent, child, work_order, how, quantity))
        if plain_parents:
            went = [child for child, _, _ in went_in]
            fans.append(Fan(work_order, went, [p for p in plain_parents if p not in went]))
    if assignments:
        # units MES built from a child without an order link between them
        linked = {(e.parent, e.child) for e in edges}
        fanned = {(p, c) for fan in fans for p in fan.parents for c in fan.children}
        for parent, child, work_order, quantity in await fetch(
            session,
            select(
                TraceAssignment.parent_id,
                TraceAssignment.child_id,
                TraceAssignment.work_order,
                TraceAssignment.quantity,
            ).where(one_of(session, TraceAssignment.child_id, list(children))),
        ):
            if (parent, child) not in linked and (parent, child) not in fanned:
                edges.append(Edge(parent, child, work_order, "assigned", quantity))
    lots = {(item, code): node_id for node_id, (item, kind, code) in known.items() if kind == LOT}
    if lots:
        units = await fetch(
            session,
            select(TraceNode.id, TraceNode.item_code, TraceNode.lot_number)
            .where(
                one_of(session, TraceNode.lot_number, sorted({code for _, code in lots})),
                TraceNode.kind == SERIAL,
            )
            .order_by(TraceNode.id),
        )
        for unit, item, lot_number in units:
            lot = lots.get((item, lot_number))
            if lot is not None:
                edges.append(Edge(unit, lot, "", "unit_of_lot", Decimal(1)))
    return fans, edges


# --- step and QC records -------------------------------------------------------------------


_OPERATION_COLUMNS = (
    "id",
    "record_id",
    "source",
    "kind",
    "work_order",
    "node_id",
    "operation",
    "station",
    "operator",
    "result",
    "started_at",
    "finished_at",
    "recorded_at",
)
OperationRow = record_class("OperationRow", _OPERATION_COLUMNS)
#: `steps_of` on PostgreSQL, read with the driver: two indexed reads in one statement
#: (not one `node_id IN .. OR work_order IN ..`, a full scan).
_STEPS_SQL = f"""
SELECT {", ".join(_OPERATION_COLUMNS)} FROM trace_operations
WHERE node_id IN (SELECT unnest($1::bigint[]))
UNION ALL
SELECT {", ".join(_OPERATION_COLUMNS)} FROM trace_operations
WHERE work_order IN (SELECT unnest($2::varchar[])) AND node_id IS NULL
"""


async def steps_of(
    session: AsyncSession, book: NodeBook, ids: Sequence[int]
) -> dict[int, list[dict[str, Any]]]:
    """Operations of each node's work order that name no unit, plus those naming it."""
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not ids:
        return found
    orders = sorted({book.nodes[i].work_order for i in ids if book.nodes[i].work_order})
    rows: list[Any]
    if on_postgresql(session):
        rows = await driver_fetch(session, _STEPS_SQL, list(ids), orders, rows=OperationRow)
    else:
        columns = (
            TraceOperation.id,
            TraceOperation.record_id,
            TraceOperation.source,
            TraceOperation.kind,
            TraceOperation.work_order,
            TraceOperation.node_id,
            TraceOperation.operation,
            TraceOperation.station,
            TraceOperation.operator,
            TraceOperation.result,
            raw(session, TraceOperation.started_at),
            raw(session, TraceOperation.finished_at),
            raw(session, TraceOperation.recorded_at),
        )
        # two indexed reads, not one `node_id IN .. OR work_order IN ..` (a full scan)
        rows = list(
            await fetch(
                session, select(*columns).where(one_of(session, TraceOperation.node_id, list(ids)))
            )
        )
        if orders:
            rows += list(
                await fetch(
                    session,
                    select(*columns).where(
                        one_of(session, TraceOperation.work_order, orders),
                        TraceOperation.node_id.is_(None),
                    ),
                )
            )
    by_order: dict[str, list[Any]] = defaultdict(list)
    by_node: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        if row.node_id is None:
            by_order[row.work_order].append(row)
        else:
            by_node[row.node_id].append(row)
    rendered: dict[int, dict[str, Any]] = {}

    def step(r: Any) -> dict[str, Any]:
        if r.id not in rendered:
            rendered[r.id] = {
                "record_id": r.record_id,
                "source": r.source,
                "operation": r.operation,
                "station": r.station,
                "operator": r.operator,
                "result": r.result,
                "started_at": iso(r.started_at),
                "finished_at": iso(r.finished_at),
            }
        return rendered[r.id]

    for i in ids:
        mine = by_order.get(book.nodes[i].work_order, []) + by_node.get(i, [])
        if not mine:
            continue
        mine.sort(key=lambda r: (r.started_at or r.recorded_at, r.id))
        found[i] = [step(r) for r in mine if r.kind == "operation" or r.node_id == i]
    return found


async def qc_of(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not ids:
        return found
    rows: list[Any]
    if on_postgresql(session):
        rows = await driver_fetch(
            session,
            "SELECT node_id, kind, document_number, result, inspector, accepted_quantity,"
            " rejected_quantity, occurred_at FROM trace_qc_records"
            " WHERE node_id IN (SELECT unnest($1::bigint[])) ORDER BY occurred_at, id",
            list(ids),
        )
    else:
        rows = await fetch(
            session,
            select(
                TraceQcRecord.node_id,
                TraceQcRecord.kind,
                TraceQcRecord.document_number,
                TraceQcRecord.result,
                TraceQcRecord.inspector,
                TraceQcRecord.accepted_quantity,
                TraceQcRecord.rejected_quantity,
                TraceQcRecord.occurred_at,
            )
            .where(one_of(session, TraceQcRecord.node_id, list(ids)))
            .order_by(TraceQcRecord.occurred_at, TraceQcRecord.id),
        )
    for node_id, kind, number, result, inspector, accepted, rejected, occurred_at in rows:
        found[node_id].append(
            {
                "kind": kind,
                "document_number": number,
                "result": result,
                "inspector": inspector,
                "accepted_quantity": plain_or_none(accepted),
                "rejected_quantity": plain_or_none(rejected),
                "occurred_at": iso(occurred_at),
            }
        )
    return found


# --- the traces ---------------------------------------------------------------------------


@dataclass(slots=True)
class Walk:
    """A backward walk: what went into what, every node met, loaded once."""

    root: int
    below: dict[int, list[Edge]]
    visited: set[int]
    levels: dict[int, int]
    cut: bool
    book: NodeBook
    steps: dict[int, list[dict[str, Any]]]
    qc: dict[int, list[dict[str, Any]]]

    def supplier_lots(self) -> list[dict[str, Any]]:
        nodes = self.book.nodes
        leaves = [
            i
            for i in self.visited
            if i not in self.below and not nodes[i].work_order and i != self.root
        ]
        leaves.sort(key=lambda i: (nodes[i].item_code, nodes[i].code))
        return [self.book.fields(i) for i in leaves]


async def walk_backward(session: AsyncSession, ref: NodeRef, depth: int | None) -> Walk:
    root = await find_node(session, ref)
    assignments = await any_assignments(session)
    level_of = {root.id: 0}
    below: dict[int, list[Edge]] = {}
    cut = False
    frontier, level = [root.id], 0
    nxt: list[int]
    if depth is None and not assignments:
        # the complete trace: every node below and their edges at once, instead of a
        # round of queries per level; each parent's edges are taken whole
        everything = await all_edges_below(session, root.id)
        while frontier:
            level += 1
            nxt = []
            for parent in frontier:
                mine = everything.get(parent)
                if mine is None:
                    continue
                below[parent] = mine
                for _, child, _, _, _ in mine:
                    if child not in level_of:
                        level_of[child] = level
                        nxt.append(child)
            frontier = nxt
    while frontier:
        edges = await edges_below(session, frontier, assignments=assignments)
        if depth is not None and level >= depth:
            cut = bool(edges)
            break
        level += 1
        nxt = []
        for edge in edges:
            below.setdefault(edge.parent, []).append(edge)
            if edge.child not in level_of:
                level_of[edge.child] = level
                nxt.append(edge.child)
        frontier = nxt
    book = NodeBook()
    visited = set(level_of)
    await book.load(session, visited)
    ids = sorted(visited)
    return Walk(
        root=root.id,
        below=below,
        visited=visited,
        levels=level_of,
        cut=cut,
        book=book,
        steps=await steps_of(session, book, ids),
        qc=await qc_of(session, ids),
    )


async def backward(session: AsyncSession, ref: NodeRef, depth: int | None) -> dict[str, Any]:
    """The backward trace as `BackwardTraceOut` shows it: each node in full where the
    walk first meets it, later meetings as references (`repeated: true`)."""
    walk = await walk_backward(session, ref, depth)
    book, below, steps, qc = walk.book, walk.below, walk.steps, walk.qc
    shown: set[int] = set()
    refs: dict[int, dict[str, Any]] = {}

    def reference(node_id: int) -> dict[str, Any]:
        base = refs[node_id] = {**book.identity(node_id), "repeated": True}
        return base

    def build(node_id: int, level: int) -> dict[str, Any]:
        """The node in full (met for the first time), without the edge it hangs by."""
        shown.add(node_id)
        entry = book.fields(node_id)
        entry["steps"] = steps.get(node_id, [])
        entry["qc_records"] = qc.get(node_id, [])
        entry["repeated"] = False
        children: list[dict[str, Any]] = []
        entry["children"] = children
        below_level = level + 1
        for _, child, work_order, how, quantity in below.get(node_id, ()):
            if child in shown:
                # most entries of a tree (lots shared by many orders): a reference
                children.append(
                    {
                        **(refs.get(child) or reference(child)),
                        "depth": below_level,
                        "via_work_order": work_order or None,
                        "link": how,
                        "quantity": plain_of(quantity),
                    }
                )
            else:
                full = build(child, below_level)
                full["depth"] = below_level
                full["via_work_order"] = work_order or None
                full["link"] = how
                full["quantity"] = plain_of(quantity)
                children.append(full)
        return entry

    root = build(walk.root, 0)
    root["depth"] = 0
    root["via_work_order"] = root["link"] = root["quantity"] = None
    return {
        "root": root,
        "depth_limit": depth,
        "complete": not walk.cut,
        "node_count": len(walk.visited),
        "supplier_lots": walk.supplier_lots(),
    }


async def backward_graph(session: AsyncSession, ref: NodeRef, depth: int | None) -> dict[str, Any]:
    """The same walk as `BackwardGraphOut` shows it: every node once, every edge once
    (what a front-end drawing the genealogy as a graph wants, and a third of the tree's
    size when lots are shared)."""
    walk = await walk_backward(session, ref, depth)
    book = walk.book
    nodes = []
    for node_id in sorted(walk.visited, key=lambda i: (walk.levels[i], i)):
        entry = book.fields(node_id)
        entry["depth"] = walk.levels[node_id]
        entry["steps"] = walk.steps.get(node_id, [])
        entry["qc_records"] = walk.qc.get(node_id, [])
        nodes.append(entry)
    return {
        "root_id": walk.root,
        "depth_limit": depth,
        "complete": not walk.cut,
        "node_count": len(walk.visited),
        "nodes": nodes,
        "edges": [
            {
                "parent_id": e.parent,
                "child_id": e.child,
                "work_order": e.work_order or None,
                "link": e.how,
                "quantity": plain_of(e.quantity),
            }
            for parent in sorted(walk.below, key=lambda i: (walk.levels[i], i))
            for e in walk.below[parent]
        ],
        "supplier_lots": walk.supplier_lots(),
    }


@dataclass(slots=True)
class Reach:
    """The result of walking forward: each reached node's depth and the order that
    made it."""

    start: int
    depth: dict[int, int]
    via: dict[int, str]
    cut: bool
    makes: set[int]  # reached nodes something downstream was made from


async def reach_forward(session: AsyncSession, start: int, depth: int | None) -> Reach:
    reach = Reach(start=start, depth={start: 0}, via={}, cut=False, makes=set())
    frontier = [start]
    level = 0
    assignments = await any_assignments(session)
    while frontier:
        fans, edges = await edges_above(session, frontier, assignments=assignments)
        if depth is not None and level >= depth:
            reach.cut = any(p not in reach.depth for fan in fans for p in fan.parents) or any(
                e.parent not in reach.depth for e in edges
            )
            break
        level += 1
        met = [(p, fan.work_order) for fan in fans for p in fan.parents]
        met += [(e.parent, e.work_order) for e in edges]
        for fan in fans:
            reach.makes.update(fan.children)
        reach.makes.update(e.child for e in edges if e.how != "unit_of_lot")
        nxt: list[int] = []
        for parent, work_order in met:
            if parent not in reach.depth:
                reach.depth[parent] = level
                reach.via[parent] = work_order
                nxt.append(parent)
        frontier = nxt
    return reach


async def shipments_of(
    session: AsyncSession, book: NodeBook, ids: Sequence[int]
) -> list[dict[str, Any]]:
    """Net shipments of the nodes (a reversed shipment cancels out), oldest first, as
    `ShipmentOut` shows them."""
    if not ids:
        return []
    # a shipment's movements count in, its reversal's out
    net = func.sum(
        case(
            (TraceHistory.action == "shipped", TraceHistory.quantity),
            else_=-TraceHistory.quantity,
        )
    )
    rows = await fetch(
        session,
        select(
            TraceHistory.node_id,
            TraceHistory.document_type,
            TraceHistory.document_id,
            TraceHistory.sales_order,
            TraceHistory.customer,
            raw(session, net, "quantity"),
            func.min(TraceHistory.occurred_at).label("shipped_at"),
        )
        .where(
            one_of(session, TraceHistory.node_id, list(ids)),
            TraceHistory.action.in_(("shipped", "unshipped")),
        )
        .group_by(
            TraceHistory.node_id,
            TraceHistory.document_type,
            TraceHistory.document_id,
            TraceHistory.sales_order,
            TraceHistory.customer,
        ),
    )
    found = [row for row in rows if row.quantity and row.quantity > 0]
    numbers = await _document_numbers(session, {(r.document_type, r.document_id) for r in found})
    out = []
    for r in found:
        named = book.identity(r.node_id)
        out.append(
            {
                "node_id": r.node_id,
                "item_code": named["item_code"],
                "lot_number": named["lot_number"],
                "serial_number": named["serial_number"],
                "quantity": plain(r.quantity),
                "sales_order": r.sales_order,
                "customer": r.customer,
                "document_number": numbers.get((r.document_type, r.document_id), ""),
                "shipped_at": iso(r.shipped_at),
            }
        )
    out.sort(
        key=lambda s: (
            s["shipped_at"],
            s["customer"],
            s["item_code"],
            s["serial_number"] or "",
            s["lot_number"] or "",
        )
    )
    return out


async def _document_numbers(
    session: AsyncSession, documents: set[tuple[str, int]]
) -> dict[tuple[str, int], str]:
    if not documents:
        return {}
    ids = sorted({key for _, key in documents})
    rows = await fetch(
        session,
        select(TraceDocument.document_type, TraceDocument.document_id, TraceDocument.number).where(
            one_of(session, TraceDocument.document_id, ids)
        ),
    )
    return {(kind, key): number for kind, key, number in rows if (kind, key) in documents}


async def forward(session: AsyncSession, ref: NodeRef, depth: int | None) -> dict[str, Any]:
    """The forward trace as `ForwardTraceOut` shows it."""
    start = await find_node(session, ref)
    reach = await reach_forward(session, start.id, depth)
    book = NodeBook()
    await book.load(session, reach.depth)
    return {
        "start": book.fields(start.id),
        "depth_limit": depth,
        "complete": not reach.cut,
        "nodes": [forward_node(book, reach, i) for i in reached_in_order(book, reach)],
        "shipments": await shipments_of(session, book, sorted(reach.depth)),
    }


def reached_in_order(book: NodeBook, reach: Reach) -> list[int]:
    """Reached nodes but the start, by depth, item and lot or serial."""
    reached = [i for i in reach.depth if i != reach.start]
    reached.sort(key=lambda i: (reach.depth[i], book.nodes[i].item_code, book.nodes[i].code))
    return reached


def forward_node(book: NodeBook, reach: Reach, node_id: int) -> dict[str, Any]:
    fields = book.fields(node_id)
    fields["depth"] = reach.depth[node_id]
    fields["via_work_order"] = reach.via.get(node_id) or None
    return fields


async def node_detail(session: AsyncSession, ref: NodeRef) -> NodeDetail:
    """Where a lot or unit is now, and everything that happened to it."""
    node = await find_node(session, ref)
    book = NodeBook()
    await book.load(session, [node.id])
    rows = list(
        await session.scalars(
            select(TraceHistory)
            .where(TraceHistory.node_id == node.id)
            .order_by(TraceHistory.source_seq)
        )
    )
    numbers = await _document_numbers(session, {(r.document_type, r.document_id) for r in rows})
    steps = await steps_of(session, book, [node.id])
    qc = await qc_of(session, [node.id])
    return NodeDetail.model_validate(
        {
            **book.fields(node.id),
            "history": [
                {
                    "seq": r.source_seq,
                    "action": r.action,
                    "document_type": r.document_type,
                    "document_number": numbers.get((r.document_type, r.document_id), ""),
                    "from_location": r.from_location,
                    "to_location": r.to_location,
                    "from_state": r.from_state,
                    "to_state": r.to_state,
                    "quantity": r.quantity,
                    "work_order": r.work_order,
                    "sales_order": r.sales_order,
                    "customer": r.customer,
                    "occurred_at": r.occurred_at,
                }
                for r in rows
            ],
            "steps": steps.get(node.id, []),
            "qc_records": qc.get(node.id, []),
        }
    )
