"""BOM queries: the cached released graph and the reads over it.

The graph of all items and released BOM versions lives in memory, one per app
(`app.state.bom_graph_cache`), tagged with the counter of table `bom_graph_stamp`.
Every writer that changes items or the set of released BOMs bumps that counter in its
own transaction (`bump_graph_stamp`). A reader first reads the counter and reloads the
graph only when it moved; since the counter is read *before* the rows, a race costs an
extra reload, never a stale answer. Drafts and obsolete versions asked for by id are
read from the database and exploded over the cached released graph.

The big answers are written as JSON here (with per-line fragments kept with the
graph), not through Pydantic models: an explosion of 50,000 rows must take
milliseconds, not seconds. `services.catalog.query_schemas` is their contract.
"""

from __future__ import annotations

import asyncio
import gc
import json
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any

import pydantic_core
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.db.models import (
    BomGraphStamp,
    BomLine,
    BomSubstitute,
    BomVersion,
    Item,
    ItemUnitConversion,
)
from services.catalog.domain.bom import BomStatus
from services.catalog.domain.bom_graph import (
    BomDiff,
    BomGraph,
    CostRollup,
    ItemNode,
    Line,
    Substitute,
    Version,
    compact,
    plain,
)
from services.catalog.query_schemas import (
    BomDiffOut,
    BomRef,
    CostLineOut,
    CostRollupOut,
    DiffLineOut,
    FieldChangeOut,
    LineChangeOut,
    MissingCostOut,
    SubstituteChangeOut,
    SubstituteRef,
)
from services.catalog.usecases.lookups import unit_rules
from shared.errors import NotFound

__all__ = [
    "GraphCache",
    "NoEffectiveBom",
    "diff_boms",
    "explode_bom",
    "explode_item",
    "graph_cache",
    "low_level_codes",
    "roll_up_cost",
    "summarize_requirements",
    "where_used",
]

#: Explosion answers kept per graph (repeated questions are answered from memory).
RESPONSE_CACHE_ENTRIES = 16
RESPONSE_CACHE_BYTES = 128 * 1024 * 1024


class NoEffectiveBom(NotFound):
    code = "no_effective_bom"
    title = "No released BOM is effective on that date"


def today() -> date:
    """The default requirement date: the server's today, as releases default to."""
    return date.today()


# --- the cache ---------------------------------------------------------------------------


@dataclass
class Snapshot:
    """One loaded graph and what is derived from it (dropped together on reload)."""

    stamp: int
    graph: BomGraph
    #: JSON fragment of each released line's static fields, by id() of the line (the
    #: graph keeps the lines alive, so no other object can share the id).
    fragments: dict[int, str] = field(default_factory=dict)
    #: Encoded answers by request key (released tops only: drafts change unstamped).
    responses: OrderedDict[tuple[Any, ...], bytes] = field(default_factory=OrderedDict)
    response_bytes: int = 0
    #: JSON of every item code, for paths.
    code_json: dict[str, str] = field(default_factory=dict)
    #: JSON members describing each component, by item id.
    component_json: dict[int, str] = field(default_factory=dict)

    def remember(self, key: tuple[Any, ...], body: bytes) -> None:
        if len(body) > RESPONSE_CACHE_BYTES // 2:
            return
        self.responses[key] = body
        self.response_bytes += len(body)
        while (
            len(self.responses) > RESPONSE_CACHE_ENTRIES
            or self.response_bytes > RESPONSE_CACHE_BYTES
        ):
            _, dropped = self.responses.popitem(last=False)
            self.response_bytes -= len(dropped)

    def recall(self, key: tuple[Any, ...]) -> bytes | None:
        body = self.responses.get(key)
        if body is not None:
            self.responses.move_to_end(key)
        return body


@dataclass
class GraphCache:
    snapshot: Snapshot | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    #: How many times the graph was loaded (tests and metrics).
    loads: int = 0

    async def current(self, session: AsyncSession, *, force: bool = False) -> Snapshot:
        """The graph as of now: reloaded when the stamp moved past the cached one."""
        stamp = await read_stamp(session)
        snapshot = self.snapshot
        if snapshot is not None and snapshot.stamp >= stamp and not force:
            return snapshot
        async with self.lock:
            snapshot = self.snapshot
            if snapshot is not None and snapshot.stamp >= stamp and not force:
                return snapshot  # another request loaded it while we waited
            stamp = await read_stamp(session)  # before the rows: never older than them
            graph = await load_graph(session)
            self.snapshot = Snapshot(stamp, graph)
            self.loads += 1
            return self.snapshot


def graph_cache(state: Any) -> GraphCache:
    """The app's cache (`app.state.bom_graph_cache`), created on first use."""
    cache = getattr(state, "bom_graph_cache", None)
    if not isinstance(cache, GraphCache):
        cache = GraphCache()
        state.bom_graph_cache = cache
    return cache


async def read_stamp(session: AsyncSession) -> int:
    counter = await session.scalar(select(BomGraphStamp.counter).where(BomGraphStamp.id == 1))
    return int(counter or 0)


async def load_graph(session: AsyncSession) -> BomGraph:
    """Every item and every released version with its lines and substitutes.

    Plain Core rows on the session's connection (no ORM objects): this runs on every
    change of the graph and reads every item and released line.
    """
    units = await unit_rules(session)
    conn = await session.connection()
    conversions: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for item_id, uom, factor in await conn.execute(
        select(_CONVERSIONS.c.item_id, _CONVERSIONS.c.uom, _CONVERSIONS.c.factor)
    ):
        conversions[item_id][uom] = compact(factor)
    items = [
        ItemNode(
            item_id,
            code,
            name,
            uom,
            item_type,
            lifecycle,
            None if cost is None else compact(cost),
            conversions.get(item_id, {}),
        )
        for item_id, code, name, uom, item_type, lifecycle, cost in await conn.execute(
            select(
                _ITEMS.c.id,
                _ITEMS.c.code,
                _ITEMS.c.name,
                _ITEMS.c.uom,
                _ITEMS.c.item_type,
                _ITEMS.c.lifecycle,
                _ITEMS.c.standard_cost,
            )
        )
    ]
    released = _VERSIONS.c.status == BomStatus.RELEASED.value
    substitutes = _substitutes_by_line(
        await conn.execute(
            _substitute_query()
            .join(_LINES, _LINES.c.id == _SUBSTITUTES.c.line_id)
            .join(_VERSIONS, _VERSIONS.c.id == _LINES.c.bom_id)
            .where(released)
        )
    )
    lines = _lines_by_version(
        await conn.execute(
            _line_query().join(_VERSIONS, _VERSIONS.c.id == _LINES.c.bom_id).where(released)
        ),
        substitutes,
    )
    versions = [
        _version(tuple(row), lines.get(row[0], []))
        for row in await conn.execute(_version_query().where(released))
    ]
    return BomGraph(items, versions, units)


async def load_version(session: AsyncSession, bom_id: int) -> Version | None:
    """One version of any status, from the database."""
    conn = await session.connection()
    head = (await conn.execute(_version_query().where(_VERSIONS.c.id == bom_id))).one_or_none()
    if head is None:
        return None
    substitutes = _substitutes_by_line(
        await conn.execute(
            _substitute_query()
            .join(_LINES, _LINES.c.id == _SUBSTITUTES.c.line_id)
            .where(_LINES.c.bom_id == bom_id)
        )
    )
    lines = _lines_by_version(
        await conn.execute(_line_query().where(_LINES.c.bom_id == bom_id)), substitutes
    )
    return _version(tuple(head), lines.get(bom_id, []))


_ITEMS = Item.__table__
_CONVERSIONS = ItemUnitConversion.__table__
_VERSIONS = BomVersion.__table__
_LINES = BomLine.__table__
_SUBSTITUTES = BomSubstitute.__table__


def _version_query() -> Any:
    v = _VERSIONS.c
    return select(
        v.id, v.item_id, v.revision, v.status, v.effective_from, v.effective_to, v.base_quantity
    )


def _line_query() -> Any:
    c = _LINES.c
    return select(
        c.bom_id,
        c.id,
        c.position,
        c.component_id,
        c.quantity,
        c.uom,
        c.scrap_percent,
        c.fixed_quantity,
        c.rounding_multiple,
        c.phantom,
        c.consumable,
        c.backflush,
        c.designators,
        c.operation_code,
        c.notes,
    ).order_by(c.bom_id, c.position)


def _substitute_query() -> Any:
    c = _SUBSTITUTES.c
    return select(c.line_id, c.component_id, c.priority, c.ratio).order_by(
        c.line_id, c.priority, c.id
    )


def _substitutes_by_line(result: Any) -> dict[int, list[Substitute]]:
    found: dict[int, list[Substitute]] = defaultdict(list)
    for line_id, component_id, priority, ratio in result:
        found[line_id].append(Substitute(component_id, priority, compact(ratio)))
    return found


def _lines_by_version(
    result: Any, substitutes: dict[int, list[Substitute]]
) -> dict[int, list[Line]]:
    """Lines by version id; only the fixed quantity is compacted (it is added per row)."""
    found: dict[int, list[Line]] = defaultdict(list)
    no_substitutes: tuple[Substitute, ...] = ()
    for (
        bom_id,
        line_id,
        position,
        component_id,
        quantity,
        uom,
        scrap,
        fixed,
        rounding,
        phantom,
        consumable,
        backflush,
        designators,
        operation_code,
        notes,
    ) in result:
        subs = substitutes.get(line_id)
        found[bom_id].append(
            Line(
                position,
                component_id,
                quantity,
                uom,
                scrap,
                compact(fixed) if fixed else fixed,
                rounding,
                bool(phantom),
                bool(consumable),
                bool(backflush),
                designators or "",
                operation_code,
                notes or "",
                tuple(subs) if subs else no_substitutes,
            )
        )
    return found


def _version(head: tuple[Any, ...], lines: list[Line]) -> Version:
    bom_id, item_id, revision, status, effective_from, effective_to, base = head
    return Version(
        bom_id,
        item_id,
        revision,
        status,
        effective_from,
        effective_to,
        compact(base),
        tuple(lines),
    )


async def _version_or_404(session: AsyncSession, snapshot: Snapshot, bom_id: int) -> Version:
    version = snapshot.graph.versions.get(bom_id)
    if version is None:
        version = await load_version(session, bom_id)
    if version is None:
        raise NotFound(f"BOM version {bom_id} does not exist")
    return version


async def _snapshot_knowing(
    session: AsyncSession, cache: GraphCache, snapshot: Snapshot, *versions: Version
) -> Snapshot:
    """A snapshot that knows every item `versions` name (a draft may name a newer item)."""
    if not any(snapshot.graph.unknown_items(v) for v in versions):
        return snapshot
    snapshot = await cache.current(session)
    if any(snapshot.graph.unknown_items(v) for v in versions):
        snapshot = await cache.current(session, force=True)
    if any(snapshot.graph.unknown_items(v) for v in versions):
        raise RuntimeError("a BOM names items the catalog graph does not have")
    return snapshot


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic GC while a big answer is built: its many young objects are no garbage.

    (The collector would otherwise scan the whole cached graph again and again; this
    runs without an await, so nothing else runs meanwhile.)
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --- explosion ---------------------------------------------------------------------------


async def explode_bom(
    db: Any,
    cache: GraphCache,
    bom_id: int,
    quantity: Decimal,
    on: date | None,
    max_levels: int | None,
) -> bytes:
    """The indented explosion of one version (any status), as `ExplosionOut` JSON."""
    on = on or today()
    async with db.read() as session:
        snapshot = await cache.current(session)
        key = ("explosion", bom_id, plain(quantity), on, max_levels)
        body = snapshot.recall(key)
        if body is not None:
            return body
        version = await _version_or_404(session, snapshot, bom_id)
        snapshot = await _snapshot_knowing(session, cache, snapshot, version)
    return _explosion_answer(snapshot, version, quantity, on, max_levels, key)


async def explode_item(
    db: Any,
    cache: GraphCache,
    item_id: int,
    quantity: Decimal,
    on: date | None,
    max_levels: int | None,
) -> bytes:
    """The explosion of the released version of an item effective on the date."""
    on = on or today()
    async with db.read() as session:
        snapshot = await cache.current(session)
    graph = snapshot.graph
    if item_id not in graph.items:
        raise NotFound(f"item {item_id} does not exist")
    version = graph.effective_version(item_id, on)
    if version is None:
        raise NoEffectiveBom(
            f"item {graph.items[item_id].code} has no released BOM effective on {on.isoformat()}"
        )
    key = ("explosion", version.id, plain(quantity), on, max_levels)
    body = snapshot.recall(key)
    if body is not None:
        return body
    return _explosion_answer(snapshot, version, quantity, on, max_levels, key)


def _explosion_answer(
    snapshot: Snapshot,
    version: Version,
    quantity: Decimal,
    on: date,
    max_levels: int | None,
    key: tuple[Any, ...],
) -> bytes:
    with _gc_paused():
        body = _render_explosion(snapshot, version, quantity, on, max_levels)
    if version.status == BomStatus.RELEASED and snapshot.graph.versions.get(version.id) is version:
        snapshot.remember(key, body)
    return body


def _bom_ref(graph: BomGraph, version: Version) -> dict[str, Any]:
    item = graph.items[version.item_id]
    return {
        "id": version.id,
        "item_id": item.id,
        "item_code": item.code,
        "item_name": item.name,
        "revision": version.revision,
        "status": version.status,
        "base_quantity": plain(version.base_quantity),
        "effective_from": _iso(version.effective_from),
        "effective_to": _iso(version.effective_to),
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _substitute_refs(graph: BomGraph, line: Line) -> list[dict[str, Any]]:
    return [
        {
            "component_id": sub.component_id,
            "component_code": graph.items[sub.component_id].code,
            "priority": sub.priority,
            "ratio": plain(sub.ratio),
        }
        for sub in line.substitutes
    ]


def _line_fragment(snapshot: Snapshot, version: Version, line: Line) -> str:
    """The JSON members of an explosion row that depend on the line only (no braces)."""
    graph = snapshot.graph
    component = graph.items[line.component_id]
    about = snapshot.component_json.get(component.id)
    if about is None:
        about = snapshot.component_json[component.id] = (
            f'"component_id":{component.id},"component_code":{_text(component.code)},'
            f'"component_name":{_text(component.name)},"item_type":{_text(component.item_type)},'
            f'"lifecycle":{_text(component.lifecycle)}'
        )
    substitutes = _dumps(_substitute_refs(graph, line)) if line.substitutes else "[]"
    return (
        f'"position":{line.position},{about},"uom":{_text(line.uom)},'
        f'"quantity_per":"{plain(line.quantity_per)}",'
        f'"scrap_percent":"{plain(line.scrap_percent)}",'
        f'"fixed_quantity":"{plain(line.fixed_quantity)}",'
        f'"phantom":{"true" if line.phantom else "false"},'
        f'"consumable":{"true" if line.consumable else "false"},'
        f'"designators":{_text(line.designators)},"bom_id":{version.id},'
        f'"revision":{_text(version.revision)},"substitutes":{substitutes}'
    )


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


#: A string as a JSON string literal (the json module's C escaper).
_text: Callable[[str], str] = encode_basestring


def _render_explosion(
    snapshot: Snapshot, top: Version, quantity: Decimal, on: date, max_levels: int | None
) -> bytes:
    """Walk the explosion and write it as `ExplosionOut` JSON in the same pass."""
    graph = snapshot.graph
    released = graph.versions
    fragments = snapshot.fragments
    local_fragments: dict[int, str] = {}
    code_json = snapshot.code_json
    no_child = '"has_children":false,"child_bom_id":null,"child_revision":null,"cycle":false}'
    child_json: dict[int, str] = {}
    #: JSON path of the row last seen at each level (rows come depth first).
    paths = [_text(graph.items[top.item_id].code)]
    parts: list[str] = []
    append = parts.append
    for level, parent, line, component, extended, child, cycle in graph.walk(
        top, quantity, on, max_levels
    ):
        key = id(line)
        fragment = fragments.get(key) or local_fragments.get(key)
        if fragment is None:
            fragment = _line_fragment(snapshot, parent, line)
            kept = fragments if released.get(parent.id) is parent else local_fragments
            kept[key] = fragment
        code = component.code
        code_text = code_json.get(code) or code_json.setdefault(code, _text(code))
        path = f"{paths[level - 1]},{code_text}"
        if len(paths) > level:
            del paths[level:]
        paths.append(path)
        if child is None:
            children = no_child
        elif cycle:
            children = (
                f'"has_children":true,"child_bom_id":{child.id},'
                f'"child_revision":{_text(child.revision)},"cycle":true}}'
            )
        else:
            children = child_json.get(child.id) or child_json.setdefault(
                child.id,
                f'"has_children":true,"child_bom_id":{child.id},'
                f'"child_revision":{_text(child.revision)},"cycle":false}}',
            )
        append(
            f'{{"level":{level},"path":[{path}],{fragment},'
            f'"extended_quantity":"{plain(extended)}",{children}'
        )
    header = {
        "bom": _bom_ref(graph, top),
        "quantity": plain(quantity),
        "date": on.isoformat(),
        "max_levels": max_levels,
        "row_count": len(parts),
    }
    head = f'{_dumps(header)[:-1]},"rows":['
    if not parts:
        return f"{head}]}}".encode()
    parts[0] = head + parts[0]  # one big join and one encode: the body is megabytes
    parts[-1] += "]}"
    return ",".join(parts).encode()


# --- requirements ------------------------------------------------------------------------


async def summarize_requirements(
    db: Any, cache: GraphCache, bom_id: int, quantity: Decimal, on: date | None
) -> bytes:
    """Total requirements per component for `quantity` of one version, as JSON."""
    on = on or today()
    async with db.read() as session:
        snapshot = await cache.current(session)
        version = await _version_or_404(session, snapshot, bom_id)
        snapshot = await _snapshot_knowing(session, cache, snapshot, version)
    graph = snapshot.graph
    with _gc_paused():
        explosion = graph.explode(version, quantity, on)
        requirements = graph.requirements(explosion)
        del explosion
        payload = {
            "bom": _bom_ref(graph, version),
            "quantity": plain(quantity),
            "date": on.isoformat(),
            "items": [
                {
                    "component_id": r.component.id,
                    "component_code": r.component.code,
                    "component_name": r.component.name,
                    "item_type": r.component.item_type,
                    "uom": r.uom,
                    "quantity": plain(r.quantity),
                    "consumable": r.consumable,
                    "sub_assembly": r.sub_assembly,
                    "occurrences": r.occurrences,
                    "lowest_level": r.lowest_level,
                }
                for r in requirements
            ],
        }
        return pydantic_core.to_json(payload)


# --- where-used --------------------------------------------------------------------------


async def where_used(
    db: Any, cache: GraphCache, item_id: int, *, multi_level: bool, on: date | None
) -> bytes:
    """Direct parents, or all ancestors up to the top products, as `WhereUsedOut` JSON."""
    async with db.read() as session:
        snapshot = await cache.current(session)
    graph = snapshot.graph
    if item_id not in graph.items:
        raise NotFound(f"item {item_id} does not exist")
    key = ("where_used", item_id, multi_level, on)
    body = snapshot.recall(key)
    if body is not None:
        return body
    with _gc_paused():
        found = graph.where_used(item_id, multi_level=multi_level, on=on)
        rows = []
        for row in found.rows:
            use, parent = row.use, row.parent_item
            version = use.parent
            rows.append(
                {
                    "level": row.level,
                    "path": row.path,
                    "parent_item_id": parent.id,
                    "parent_item_code": parent.code,
                    "parent_item_name": parent.name,
                    "parent_item_type": parent.item_type,
                    "bom_id": version.id,
                    "revision": version.revision,
                    "effective_from": _iso(version.effective_from),
                    "effective_to": _iso(version.effective_to),
                    "base_quantity": plain(version.base_quantity),
                    "position": use.line.position,
                    "used_as": use.used_as.value,
                    "quantity": plain(use.quantity),
                    "uom": use.line.uom,
                    "priority": use.priority,
                    "ratio": None if use.ratio is None else plain(use.ratio),
                    "top_product": row.top,
                    "cycle": row.cycle,
                }
            )
        payload = {
            "item": _item_ref(found.item),
            "multi_level": multi_level,
            "date": _iso(on),
            "rows": rows,
            "top_products": [_item_ref(item) for item in found.top_products],
        }
        body = pydantic_core.to_json(payload)
    snapshot.remember(key, body)
    return body


def _item_ref(item: ItemNode) -> dict[str, Any]:
    return {
        "id": item.id,
        "code": item.code,
        "name": item.name,
        "item_type": item.item_type,
        "lifecycle": item.lifecycle,
    }


# --- low-level codes ---------------------------------------------------------------------


async def low_level_codes(db: Any, cache: GraphCache) -> bytes:
    """Every item's low-level code over all released versions, as `LowLevelCodesOut` JSON."""
    async with db.read() as session:
        snapshot = await cache.current(session)
    key = ("low_level_codes",)
    body = snapshot.recall(key)
    if body is not None:
        return body
    graph = snapshot.graph
    with _gc_paused():
        llc = graph.low_level_codes()
        items = graph.items
        payload = {
            "graph_stamp": snapshot.stamp,
            "max_level": llc.max_level,
            "item_count": len(llc.codes),
            "cyclic_item_codes": [items[i].code for i in llc.cyclic if i in items],
            "items": [
                {"item_id": item_id, "item_code": items[item_id].code, "low_level_code": code}
                for item_id, code in sorted(llc.codes.items())
                if item_id in items
            ],
        }
        body = pydantic_core.to_json(payload)
    snapshot.remember(key, body)
    return body


# --- cost roll-up ------------------------------------------------------------------------


async def roll_up_cost(db: Any, cache: GraphCache, bom_id: int, on: date | None) -> CostRollupOut:
    """Material cost of one version (any status) with released versions below it."""
    on = on or today()
    async with db.read() as session:
        snapshot = await cache.current(session)
        version = await _version_or_404(session, snapshot, bom_id)
        snapshot = await _snapshot_knowing(session, cache, snapshot, version)
    graph = snapshot.graph
    rollup = graph.roll_up_cost(version, on)
    return _rollup_out(graph, rollup)


def _rollup_out(graph: BomGraph, rollup: CostRollup) -> CostRollupOut:
    return CostRollupOut(
        bom=BomRef.model_validate(_bom_ref(graph, rollup.version)),
        date=rollup.on,
        cost_per_unit=rollup.cost_per_unit,
        cost_per_base_quantity=rollup.cost_per_base_quantity,
        fixed_cost_per_order=rollup.fixed_cost_per_order,
        complete=rollup.complete,
        lines=[
            CostLineOut(
                position=cost.line.position,
                component_id=cost.component.id,
                component_code=cost.component.code,
                component_name=cost.component.name,
                uom=cost.line.uom,
                stock_uom=cost.component.uom,
                quantity_per_unit=cost.line.gross_per,
                stock_quantity_per_unit=cost.stock_quantity_per_unit,
                fixed_quantity=cost.line.fixed_quantity,
                cost_source=cost.source,
                unit_cost=cost.unit_cost,
                cost_per_unit=cost.cost_per_unit,
                fixed_cost_per_order=cost.fixed_cost_per_order,
                child_bom_id=cost.child.id if cost.child else None,
                child_revision=cost.child.revision if cost.child else None,
                complete=cost.complete,
            )
            for cost in rollup.lines
        ],
        missing=[
            MissingCostOut(
                component_id=m.component.id,
                component_code=m.component.code,
                component_name=m.component.name,
                paths=[list(path) for path in m.paths],
            )
            for m in rollup.missing
        ],
    )


# --- diff --------------------------------------------------------------------------------


async def diff_boms(db: Any, cache: GraphCache, bom_id: int, against: int) -> BomDiffOut:
    """What changed from version `against` to version `bom_id` (any statuses)."""
    async with db.read() as session:
        snapshot = await cache.current(session)
        after = await _version_or_404(session, snapshot, bom_id)
        before = await _version_or_404(session, snapshot, against)
        snapshot = await _snapshot_knowing(session, cache, snapshot, before, after)
    graph = snapshot.graph
    return _diff_out(graph, graph.diff(before, after))


def _diff_out(graph: BomGraph, diff: BomDiff) -> BomDiffOut:
    items = graph.items

    def subs(found: list[Substitute] | tuple[Substitute, ...]) -> list[SubstituteRef]:
        return [
            SubstituteRef(
                component_id=s.component_id,
                component_code=items[s.component_id].code,
                priority=s.priority,
                ratio=s.ratio,
            )
            for s in found
        ]

    def line_out(line: Line) -> DiffLineOut:
        component = items[line.component_id]
        return DiffLineOut(
            position=line.position,
            component_id=component.id,
            component_code=component.code,
            component_name=component.name,
            quantity=line.quantity,
            uom=line.uom,
            scrap_percent=line.scrap_percent,
            fixed_quantity=line.fixed_quantity,
            phantom=line.phantom,
            consumable=line.consumable,
            designators=line.designators,
            operation_code=line.operation_code,
            substitutes=subs(line.substitutes),
        )

    return BomDiffOut(
        before=BomRef.model_validate(_bom_ref(graph, diff.before)),
        after=BomRef.model_validate(_bom_ref(graph, diff.after)),
        header_changes=[
            FieldChangeOut(field=c.field, before=c.before, after=c.after)
            for c in diff.header_changes
        ],
        added=[line_out(line) for line in diff.added],
        removed=[line_out(line) for line in diff.removed],
        changed=[
            LineChangeOut(
                component_id=change.component.id,
                component_code=change.component.code,
                component_name=change.component.name,
                before_position=change.before.position,
                after_position=change.after.position,
                changes=[
                    FieldChangeOut(field=c.field, before=c.before, after=c.after)
                    for c in change.fields
                ],
                designators_added=change.designators_added,
                designators_removed=change.designators_removed,
                substitutes_added=subs(change.substitutes_added),
                substitutes_removed=subs(change.substitutes_removed),
                substitutes_changed=[
                    SubstituteChangeOut(
                        component_id=c.after.component_id,
                        component_code=items[c.after.component_id].code,
                        before_priority=c.before.priority,
                        after_priority=c.after.priority,
                        before_ratio=c.before.ratio,
                        after_ratio=c.after.ratio,
                    )
                    for c in change.substitutes_changed
                ],
            )
            for change in diff.changed
        ],
        unchanged_count=diff.unchanged,
    )
