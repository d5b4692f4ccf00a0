"""BOM version use-cases: drafts, revise, release, obsolete.

Every release takes the `bom_graph_stamp` row lock first (it bumps the counter), so
releases run one at a time and the cycle check sees every other released BOM.

Under the closed `bom_release` approval gate (`usecases/approvals.py`) a release that
passes every check keeps the draft instead, `approval: pending`, its body held, and
announces `ApprovalRequested`; a pending draft cannot be replaced or released (409
`approval_pending`) until workflow decides it (`usecases/bom_approvals.py`), and can be
deleted (`ApprovalCancelled`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.db.models import (
    BomLine,
    BomSubstitute,
    BomVersion,
    Item,
    ItemUnitConversion,
    Routing,
    RoutingOperation,
)
from services.catalog.domain.bom import (
    BomStatus,
    designator_count,
    designator_problem,
    find_cycle,
    overlaps,
)
from services.catalog.domain.items import Lifecycle, Procurement
from services.catalog.domain.units import ConversionError, UnitRule, conversion_factor
from services.catalog.schemas import (
    ApprovalState,
    BomCreate,
    BomLineIn,
    BomLineOut,
    BomOut,
    BomRelease,
    BomRevise,
    BomSummary,
    BomUpdate,
    SubstituteOut,
)
from services.catalog.usecases.approvals import (
    BOM_RELEASE,
    ApprovalGateClosed,
    ApprovalPending,
    approval_required,
)
from services.catalog.usecases.lookups import (
    bump_graph_stamp,
    items_by_code,
    locked_row,
    unit_rules,
)
from shared.db.paging import page_by_id, where_equal
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import (
    AlreadyExists,
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
)
from shared.http.pagination import PageParams
from shared.schemas import plain


class BomNotDraft(Conflict):
    code = "bom_not_draft"
    title = "Only a draft BOM version can change"


class BomStatusConflict(Conflict):
    code = "bom_status_conflict"
    title = "The BOM version is not in a status that allows this"


class EffectivityOverlap(Conflict):
    code = "effectivity_overlap"
    title = "Released effectivity windows of one item may not overlap"


class BomCycle(InvalidInput):
    code = "bom_cycle"
    title = "The BOM would contain itself"


class BomReleaseRefused(InvalidInput):
    code = "bom_release_refused"
    title = "The BOM version cannot be released"


# --- reading ---------------------------------------------------------------------------


def _summary_fields(bom: BomVersion, item_code: str, line_count: int) -> dict[str, object]:
    return {
        "id": bom.id,
        "item_id": bom.item_id,
        "item_code": item_code,
        "revision": bom.revision,
        "status": bom.status,
        "effective_from": bom.effective_from,
        "effective_to": bom.effective_to,
        "base_quantity": bom.base_quantity,
        "description": bom.description,
        "revised_from_id": bom.revised_from_id,
        "released_at": bom.released_at,
        "released_by": bom.released_by,
        "line_count": line_count,
        "version": bom.version,
        "created_at": bom.created_at,
        "updated_at": bom.updated_at,
    }


async def bom_out(session: AsyncSession, bom: BomVersion) -> BomOut:
    item_code = await session.scalar(select(Item.code).where(Item.id == bom.item_id))
    lines = (
        await session.execute(
            select(BomLine, Item.code, Item.name)
            .join(Item, Item.id == BomLine.component_id)
            .where(BomLine.bom_id == bom.id)
            .order_by(BomLine.position)
        )
    ).all()
    substitutes: dict[int, list[SubstituteOut]] = defaultdict(list)
    if lines:
        rows = await session.execute(
            select(BomSubstitute, Item.code)
            .join(Item, Item.id == BomSubstitute.component_id)
            .join(BomLine, BomLine.id == BomSubstitute.line_id)
            .where(BomLine.bom_id == bom.id)
            .order_by(BomSubstitute.priority, BomSubstitute.id)
        )
        for sub, code in rows:
            substitutes[sub.line_id].append(
                SubstituteOut(
                    component_id=sub.component_id,
                    component_code=code,
                    priority=sub.priority,
                    ratio=sub.ratio,
                )
            )
    return BomOut.model_validate(
        {
            **_summary_fields(bom, item_code or "", len(lines)),
            "approval": bom.approval,
            "approval_ref": bom.approval_ref,
            "release_request": bom.release_request,
            "lines": [
                BomLineOut(
                    position=line.position,
                    component_id=line.component_id,
                    component_code=code,
                    component_name=name,
                    quantity=line.quantity,
                    uom=line.uom,
                    scrap_percent=line.scrap_percent,
                    fixed_quantity=line.fixed_quantity,
                    rounding_multiple=line.rounding_multiple,
                    phantom=line.phantom,
                    consumable=line.consumable,
                    backflush=line.backflush,
                    designators=line.designators,
                    designator_count=designator_count(line.designators),
                    operation_code=line.operation_code,
                    notes=line.notes,
                    substitutes=substitutes.get(line.id, []),
                )
                for line, code, name in lines
            ],
        }
    )


async def get_bom(session: AsyncSession, bom_id: int) -> BomOut:
    bom = await session.get(BomVersion, bom_id)
    if bom is None:
        raise NotFound(f"BOM version {bom_id} does not exist")
    return await bom_out(session, bom)


async def list_boms(
    session: AsyncSession,
    page: PageParams,
    *,
    item_code: str | None = None,
    status: str | None = None,
) -> tuple[list[BomSummary], str | None]:
    query = where_equal(select(BomVersion), {BomVersion.status: status})
    if item_code is not None:
        query = query.where(BomVersion.item_id.in_(select(Item.id).where(Item.code == item_code)))
    boms, cursor = await page_by_id(session, query, BomVersion.id, page)
    ids = [b.id for b in boms]
    counts: dict[int, int] = {}
    codes: dict[int, str] = {}
    if ids:
        counts = dict(
            (
                await session.execute(
                    select(BomLine.bom_id, func.count())
                    .where(BomLine.bom_id.in_(ids))
                    .group_by(BomLine.bom_id)
                )
            ).all()
        )
        codes = dict(
            (
                await session.execute(
                    select(Item.id, Item.code).where(Item.id.in_({b.item_id for b in boms}))
                )
            ).all()
        )
    return [
        BomSummary.model_validate(_summary_fields(b, codes.get(b.item_id, ""), counts.get(b.id, 0)))
        for b in boms
    ], cursor


# --- checking --------------------------------------------------------------------------


async def _routing_codes(session: AsyncSession, item_ids: set[int]) -> dict[int, set[str]]:
    if not item_ids:
        return {}
    rows = await session.execute(
        select(Routing.item_id, RoutingOperation.code)
        .join(RoutingOperation, RoutingOperation.routing_id == Routing.id)
        .where(Routing.item_id.in_(item_ids))
    )
    found: dict[int, set[str]] = defaultdict(set)
    for item_id, code in rows:
        found[item_id].add(code)
    return found


async def _item_factors(session: AsyncSession, item_ids: set[int]) -> dict[int, dict[str, Decimal]]:
    found: dict[int, dict[str, Decimal]] = defaultdict(dict)
    ids = sorted(item_ids)
    for start in range(0, len(ids), 5000):
        rows = await session.scalars(
            select(ItemUnitConversion).where(
                ItemUnitConversion.item_id.in_(ids[start : start + 5000])
            )
        )
        for row in rows:
            found[row.item_id][row.uom] = row.factor
    return found


def _line_problems(
    index: int,
    line: BomLineIn,
    base_quantity: Decimal,
    parent: Item | None,
    items: dict[str, Item],
    units: dict[str, UnitRule],
    factors: dict[int, dict[str, Decimal]],
    operations: set[str] | None,
) -> list[FieldError]:
    at = f"lines.{index}"
    errors: list[FieldError] = []
    component = items.get(line.component_code)
    if component is None:
        errors.append(
            FieldError(
                f"{at}.component_code", f"unknown item {line.component_code!r}", "unknown_item"
            )
        )
    elif parent is not None and component.id == parent.id:
        errors.append(FieldError(f"{at}.component_code", "an item cannot contain itself", "cycle"))
    uom = line.uom or (component.uom if component else None)
    rule = units.get(uom) if uom else None
    if line.uom is not None and rule is None:
        errors.append(FieldError(f"{at}.uom", f"unknown unit {line.uom!r}", "unknown_unit"))
    elif component is not None and rule is not None and uom != component.uom:
        try:
            conversion_factor(
                rule,
                units[component.uom],
                stock_unit=component.uom,
                item_factors=factors.get(component.id, {}),
            )
        except (ConversionError, KeyError):
            errors.append(
                FieldError(
                    f"{at}.uom",
                    f"no conversion from {uom} to {component.uom} for {component.code}",
                    "no_conversion",
                )
            )
    if rule is not None:
        problem = designator_problem(line.designators, line.quantity, base_quantity, rule.whole)
        if problem:
            errors.append(FieldError(f"{at}.designators", problem, "designator_count"))
    if line.operation_code is not None and operations is not None:
        if line.operation_code not in operations:
            errors.append(
                FieldError(
                    f"{at}.operation_code",
                    f"the parent's routing has no operation {line.operation_code!r}",
                    "unknown_operation",
                )
            )
    elif line.operation_code is not None and parent is not None:
        errors.append(
            FieldError(f"{at}.operation_code", "the parent item has no routing", "no_routing")
        )
    seen: set[str] = set()
    for s_index, sub in enumerate(line.substitutes):
        field = f"{at}.substitutes.{s_index}.component_code"
        if sub.component_code not in items:
            errors.append(FieldError(field, f"unknown item {sub.component_code!r}", "unknown_item"))
        elif sub.component_code == line.component_code or sub.component_code in seen:
            errors.append(FieldError(field, "named twice on this line", "duplicate"))
        elif parent is not None and items[sub.component_code].id == parent.id:
            errors.append(FieldError(field, "an item cannot contain itself", "cycle"))
        seen.add(sub.component_code)
    return errors


def _positions(lines: Sequence[BomLineIn]) -> list[int]:
    return [line.position or (index + 1) * 10 for index, line in enumerate(lines)]


def _content_problems(
    data: BomCreate | BomUpdate,
    parent: Item | None,
    items: dict[str, Item],
    units: dict[str, UnitRule],
    factors: dict[int, dict[str, Decimal]],
    routings: dict[int, set[str]],
) -> list[FieldError]:
    errors: list[FieldError] = []
    operations = routings.get(parent.id) if parent is not None else None
    seen_positions: set[int] = set()
    for index, (line, position) in enumerate(zip(data.lines, _positions(data.lines), strict=True)):
        if position in seen_positions:
            errors.append(FieldError(f"lines.{index}.position", "used twice", "duplicate"))
        seen_positions.add(position)
        errors.extend(
            _line_problems(
                index, line, data.base_quantity, parent, items, units, factors, operations
            )
        )
    return errors


def _parent_problems(item_code: str, parent: Item | None) -> list[FieldError]:
    if parent is None:
        return [FieldError("item_code", f"unknown item {item_code!r}", "unknown_item")]
    if parent.procurement != Procurement.MAKE.value:
        return [FieldError("item_code", f"{parent.code} is bought, not made", "not_made")]
    return []


def _codes(boms: Sequence[BomCreate | BomUpdate]) -> set[str]:
    codes: set[str] = set()
    for bom in boms:
        if isinstance(bom, BomCreate):
            codes.add(bom.item_code)
        for line in bom.lines:
            codes.add(line.component_code)
            codes.update(s.component_code for s in line.substitutes)
    return codes


async def _released_edges(session: AsyncSession) -> set[tuple[int, int]]:
    """Parent -> component (and substitute) edges of every released BOM version."""
    released = BomVersion.status == BomStatus.RELEASED.value
    edges: set[tuple[int, int]] = set()
    rows = await session.execute(
        select(BomVersion.item_id, BomLine.component_id)
        .join(BomLine, BomLine.bom_id == BomVersion.id)
        .where(released)
    )
    edges.update((int(p), int(c)) for p, c in rows)
    rows = await session.execute(
        select(BomVersion.item_id, BomSubstitute.component_id)
        .join(BomLine, BomLine.bom_id == BomVersion.id)
        .join(BomSubstitute, BomSubstitute.line_id == BomLine.id)
        .where(released)
    )
    edges.update((int(p), int(c)) for p, c in rows)
    return edges


async def _cycle_through(
    session: AsyncSession, parent_id: int, component_ids: set[int]
) -> list[int] | None:
    """The cycle releasing `parent_id` with these components would close, or None.

    Walks the released BOMs down from the components one level per query (only made
    items have BOMs, so the frontier stays small) looking for the parent.
    """
    came_from: dict[int, int] = {c: parent_id for c in component_ids}
    frontier = set(component_ids)
    released = BomVersion.status == BomStatus.RELEASED.value
    while frontier and parent_id not in frontier:
        chunk = sorted(frontier)
        rows = (
            await session.execute(
                select(BomVersion.item_id, BomLine.component_id)
                .join(BomLine, BomLine.bom_id == BomVersion.id)
                .where(BomVersion.item_id.in_(chunk), released)
                .union_all(
                    select(BomVersion.item_id, BomSubstitute.component_id)
                    .join(BomLine, BomLine.bom_id == BomVersion.id)
                    .join(BomSubstitute, BomSubstitute.line_id == BomLine.id)
                    .where(BomVersion.item_id.in_(chunk), released)
                )
            )
        ).all()
        frontier = set()
        for above, below in rows:
            if below not in came_from:
                came_from[int(below)] = int(above)
                frontier.add(int(below))
    if parent_id not in frontier:
        return None
    path = [parent_id]
    node = came_from[parent_id]
    while node != parent_id:
        path.append(node)
        node = came_from[node]
    path.append(parent_id)
    return list(reversed(path))


def _edges_of(
    parent_id: int, data: BomCreate | BomUpdate, items: dict[str, Item]
) -> set[tuple[int, int]]:
    edges: set[tuple[int, int]] = set()
    for line in data.lines:
        codes = [line.component_code, *(s.component_code for s in line.substitutes)]
        edges.update(
            (parent_id, items[c].id) for c in codes if c in items and items[c].id != parent_id
        )
    return edges


def _cycle_text(cycle: list[int], code_of: dict[int, str]) -> str:
    return " -> ".join(code_of.get(i, str(i)) for i in cycle)


async def bom_problems(
    session: AsyncSession, boms: Sequence[BomCreate], *, check_cycles: bool = True
) -> dict[int, list[FieldError]]:
    """Checks per BOM index (field names without `body.`), including cycles in the batch.

    With `check_cycles`, a cycle is looked for among the batch and every released BOM,
    as if the batch were released, and reported on each BOM of the batch on it (imports
    do this; a single draft is only checked for containing itself, the full check
    runs at release).
    """
    items = await items_by_code(session, _codes(boms))
    units = await unit_rules(session)
    component_ids = {i.id for i in items.values()}
    factors = await _item_factors(session, component_ids)
    routings = await _routing_codes(session, {i.id for i in items.values()})
    problems: dict[int, list[FieldError]] = {}
    wanted: dict[tuple[int, str], list[int]] = defaultdict(list)
    for index, bom in enumerate(boms):
        parent = items.get(bom.item_code)
        errors = _parent_problems(bom.item_code, parent)
        errors += _content_problems(bom, parent, items, units, factors, routings)
        if parent is not None:
            wanted[(parent.id, bom.revision)].append(index)
        if errors:
            problems[index] = errors
    if wanted:
        existing = await session.execute(
            select(BomVersion.item_id, BomVersion.revision).where(
                BomVersion.item_id.in_({p for p, _ in wanted})
            )
        )
        taken = {(p, r) for p, r in existing}
        for key, indexes in wanted.items():
            reason = None
            if key in taken:
                reason = "the item already has this revision"
            elif len(indexes) > 1:
                reason = "the same item and revision appear more than once"
            if reason:
                for index in indexes:
                    problems.setdefault(index, []).append(
                        FieldError("revision", reason, "duplicate")
                    )
    if not check_cycles:
        return problems
    edges = await _released_edges(session)
    owners: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, bom in enumerate(boms):
        parent = items.get(bom.item_code)
        if parent is not None:
            for edge in _edges_of(parent.id, bom, items):
                owners[edge].append(index)
    cycle = find_cycle(edges | set(owners))
    if cycle is not None:
        code_of = {i.id: i.code for i in items.values()}
        code_of.update(
            dict(
                (await session.execute(select(Item.id, Item.code).where(Item.id.in_(cycle)))).all()
            )
        )
        text = _cycle_text(cycle, code_of)
        hit = {i for a, b in pairwise(cycle) for i in owners.get((a, b), [])}
        for index in sorted(hit):
            problems.setdefault(index, []).append(
                FieldError("lines", f"the BOM would contain itself: {text}", "cycle")
            )
    return problems


# --- writing ---------------------------------------------------------------------------


async def _write_lines(
    session: AsyncSession, bom_id: int, data: BomCreate | BomUpdate, items: dict[str, Item]
) -> None:
    positions = _positions(data.lines)
    if not data.lines:
        return
    rows = [
        {
            "bom_id": bom_id,
            "position": position,
            "component_id": items[line.component_code].id,
            "quantity": line.quantity,
            "uom": line.uom or items[line.component_code].uom,
            "scrap_percent": line.scrap_percent,
            "fixed_quantity": line.fixed_quantity,
            "rounding_multiple": line.rounding_multiple,
            "phantom": line.phantom,
            "consumable": line.consumable,
            "backflush": line.backflush,
            "designators": line.designators.strip(),
            "operation_code": line.operation_code,
            "notes": line.notes,
        }
        for line, position in zip(data.lines, positions, strict=True)
    ]
    ids: list[int] = []
    for start in range(0, len(rows), 1000):
        result = await session.execute(
            insert(BomLine).returning(BomLine.id, sort_by_parameter_order=True),
            rows[start : start + 1000],
        )
        ids.extend(result.scalars().all())
    substitutes = [
        {
            "line_id": line_id,
            "component_id": items[sub.component_code].id,
            "priority": sub.priority,
            "ratio": sub.ratio,
        }
        for line_id, line in zip(ids, data.lines, strict=True)
        for sub in line.substitutes
    ]
    if substitutes:
        await session.execute(insert(BomSubstitute), substitutes)


async def insert_boms(
    uow: UnitOfWork, boms: Sequence[BomCreate], *, revised_from_id: int | None = None
) -> list[int]:
    """Create drafts already checked by `bom_problems`; the caller commits."""
    session = uow.session
    items = await items_by_code(session, _codes(boms))
    ids: list[int] = []
    for data in boms:
        now = utcnow()
        bom = BomVersion(
            item_id=items[data.item_code].id,
            revision=data.revision,
            status=BomStatus.DRAFT.value,
            effective_from=data.effective_from,
            effective_to=data.effective_to,
            base_quantity=data.base_quantity,
            description=data.description,
            revised_from_id=revised_from_id,
            created_at=now,
            updated_at=now,
        )
        session.add(bom)
        try:
            await session.flush()
        except IntegrityError as exc:
            raise AlreadyExists(
                f"{data.item_code} already has a BOM revision {data.revision!r}",
                errors=[FieldError("body.revision", "already used for this item", "unique")],
            ) from exc
        await _write_lines(session, bom.id, data, items)
        out = await bom_out(session, bom)
        await uow.audit("create", "bom", str(bom.id), after=out.model_dump(mode="json"))
        uow.emit("BomCreated", "bom", str(bom.id), out.model_dump(mode="json"))
        ids.append(bom.id)
    return ids


def _body(errors: list[FieldError]) -> list[FieldError]:
    return [FieldError(f"body.{e.field}", e.message, e.type) for e in errors]


def _raise(errors: list[FieldError], what: str) -> None:
    cycles = [e for e in errors if e.type == "cycle"]
    if cycles:
        raise BomCycle(cycles[0].message, errors=_body(errors))
    raise InvalidInput(what, errors=_body(errors))


async def create_bom(uow: UnitOfWork, data: BomCreate) -> BomOut:
    """Create a draft BOM version of a made item."""
    async with uow:
        problems = (await bom_problems(uow.session, [data], check_cycles=False)).get(0, [])
        if problems:
            if all(e.type == "duplicate" and e.field == "revision" for e in problems):
                raise AlreadyExists(
                    f"{data.item_code} already has a BOM revision {data.revision!r}",
                    errors=_body(problems),
                )
            _raise(problems, "the BOM does not fit the catalog")
        [bom_id] = await insert_boms(uow, [data])
        bom = await uow.session.get(BomVersion, bom_id)
        assert bom is not None
        out = await bom_out(uow.session, bom)
        await uow.commit()
        return out


def approval_number(item_code: str, revision: str) -> str:
    """How approval events name a BOM version (`number`)."""
    return f"{item_code} rev {revision}"


def refuse_pending(bom: BomVersion) -> None:
    """409 `approval_pending` for a draft whose release waits for workflow's decision."""
    if bom.approval == ApprovalState.PENDING.value:
        raise ApprovalPending(
            f"BOM version {bom.id} waits for its release approval flow; it is released when "
            "the flow approves it, or it can be deleted"
        )


async def _locked(uow: UnitOfWork, bom_id: int, expected_version: int | None) -> BomVersion:
    return await locked_row(uow.session, BomVersion, bom_id, "BOM version", expected_version)


async def update_bom(
    uow: UnitOfWork, bom_id: int, data: BomUpdate, expected_version: int
) -> BomOut:
    """Replace a draft's header and lines; released versions never change."""
    async with uow:
        bom = await _locked(uow, bom_id, expected_version)
        if bom.status != BomStatus.DRAFT.value:
            raise BomNotDraft(f"BOM version {bom_id} is {bom.status}; revise it to get a new draft")
        refuse_pending(bom)
        parent = await uow.session.get(Item, bom.item_id)
        items = await items_by_code(uow.session, _codes([data]))
        units = await unit_rules(uow.session)
        factors = await _item_factors(uow.session, {i.id for i in items.values()})
        routings = await _routing_codes(uow.session, {bom.item_id})
        errors = _content_problems(data, parent, items, units, factors, routings)
        if errors:
            _raise(errors, "the BOM does not fit the catalog")
        before = (await bom_out(uow.session, bom)).model_dump(mode="json")
        await uow.session.execute(delete(BomLine).where(BomLine.bom_id == bom.id))
        bom.description = data.description
        bom.base_quantity = data.base_quantity
        bom.effective_from = data.effective_from
        bom.effective_to = data.effective_to
        bom.updated_at = utcnow()
        await uow.session.flush()
        await _write_lines(uow.session, bom.id, data, items)
        out = await bom_out(uow.session, bom)
        await uow.audit(
            "update", "bom", str(bom.id), before=before, after=out.model_dump(mode="json")
        )
        uow.emit("BomChanged", "bom", str(bom.id), out.model_dump(mode="json"))
        await uow.commit()
        return out


async def delete_bom(uow: UnitOfWork, bom_id: int, expected_version: int) -> None:
    """Delete a draft (released versions are made obsolete instead)."""
    async with uow:
        bom = await _locked(uow, bom_id, expected_version)
        if bom.status != BomStatus.DRAFT.value:
            raise BomNotDraft(f"BOM version {bom_id} is {bom.status}; only drafts are deleted")
        before = (await bom_out(uow.session, bom)).model_dump(mode="json")
        await uow.session.execute(delete(BomLine).where(BomLine.bom_id == bom.id))
        await uow.session.delete(bom)
        await uow.session.flush()
        await uow.audit("delete", "bom", str(bom_id), before=before)
        uow.emit("BomDeleted", "bom", str(bom_id), {"id": bom_id, "item_code": before["item_code"]})
        if before["approval"] == ApprovalState.PENDING.value:
            uow.emit(
                "ApprovalCancelled",
                "bom",
                str(bom_id),
                {
                    "document_type": BOM_RELEASE,
                    "document_id": bom_id,
                    "number": approval_number(before["item_code"], before["revision"]),
                },
            )
        await uow.commit()


async def revise_bom(uow: UnitOfWork, bom_id: int, data: BomRevise) -> BomOut:
    """Copy a version (any status) into a new draft with another revision code."""
    async with uow:
        source = await _locked(uow, bom_id, None)
        current = await bom_out(uow.session, source)
        copy = BomCreate(
            item_code=current.item_code,
            revision=data.revision,
            description=current.description,
            base_quantity=current.base_quantity,
            lines=[
                BomLineIn(
                    position=line.position,
                    component_code=line.component_code,
                    quantity=line.quantity,
                    uom=line.uom,
                    scrap_percent=line.scrap_percent,
                    fixed_quantity=line.fixed_quantity,
                    rounding_multiple=line.rounding_multiple,
                    phantom=line.phantom,
                    consumable=line.consumable,
                    backflush=line.backflush,
                    designators=line.designators,
                    operation_code=line.operation_code,
                    notes=line.notes,
                    substitutes=[
                        {
                            "component_code": s.component_code,
                            "priority": s.priority,
                            "ratio": s.ratio,
                        }
                        for s in line.substitutes
                    ],
                )
                for line in current.lines
            ],
        )
        taken = await uow.session.scalar(
            select(BomVersion.id).where(
                BomVersion.item_id == source.item_id, BomVersion.revision == data.revision
            )
        )
        if taken is not None:
            raise AlreadyExists(
                f"{current.item_code} already has a BOM revision {data.revision!r}",
                errors=[FieldError("body.revision", "already used for this item", "unique")],
            )
        [new_id] = await insert_boms(uow, [copy], revised_from_id=source.id)
        bom = await uow.session.get(BomVersion, new_id)
        assert bom is not None
        out = await bom_out(uow.session, bom)
        await uow.commit()
        return out


async def release_bom_in(
    uow: UnitOfWork,
    bom_id: int,
    data: BomRelease,
    actor: str,
    expected_version: int | None = None,
    *,
    hold: bool = False,
    approved_by: str | None = None,
) -> BomOut:
    """Release a draft inside an open unit of work (the API, imports and workflow's
    approval share this).

    Under the closed approval gate, with `hold` (the API) a release that passes every
    check keeps the draft waiting instead (`approval: pending`, `data` held,
    `ApprovalRequested`); without it (imports) it is refused (409 `approval_gate_closed`).
    `approved_by` is workflow's approval (its reference): the draft must be pending, and
    its held request is released (`data` is ignored).
    """
    session = uow.session
    await bump_graph_stamp(session)  # the lock that serializes releases, always taken first
    bom = await _locked(uow, bom_id, expected_version)
    if bom.status != BomStatus.DRAFT.value:
        raise BomNotDraft(f"BOM version {bom_id} is {bom.status}; only drafts are released")
    if approved_by is not None:
        if bom.approval != ApprovalState.PENDING.value:
            raise BomStatusConflict(f"BOM version {bom_id} does not wait for an approval")
        data = BomRelease.model_validate(bom.release_request or {})
        gated = False
    else:
        refuse_pending(bom)
        gated = await approval_required(session)
        if gated and not hold:
            raise ApprovalGateClosed(
                f"BOM version {bom_id} cannot be released here: BOM releases wait for "
                "approval (the bom_release gate is closed); release it with "
                "POST /v1/boms/{id}/release"
            )
    parent = await session.get(Item, bom.item_id, with_for_update=True)
    assert parent is not None
    valid_from = data.effective_from or bom.effective_from or date.today()
    valid_to = data.effective_to if data.effective_to is not None else bom.effective_to
    errors: list[FieldError] = []
    if valid_to is not None and valid_to < valid_from:
        errors.append(FieldError("effective_to", "before effective_from", "invalid_window"))
    current = await bom_out(session, bom)
    if not current.lines:
        errors.append(FieldError("lines", "a BOM without lines cannot be released", "empty"))
    if parent.lifecycle == Lifecycle.OBSOLETE.value:
        errors.append(FieldError("item_code", f"{parent.code} is obsolete", "obsolete"))
    codes = {line.component_code for line in current.lines} | {
        s.component_code for line in current.lines for s in line.substitutes
    }
    items = await items_by_code(session, codes)
    for index, line in enumerate(current.lines):
        for field, code in [
            (f"lines.{index}.component_code", line.component_code),
            *(
                (f"lines.{index}.substitutes.{n}.component_code", s.component_code)
                for n, s in enumerate(line.substitutes)
            ),
        ]:
            lifecycle = items[code].lifecycle
            if lifecycle == Lifecycle.OBSOLETE.value:
                errors.append(FieldError(field, f"{code} is obsolete", "obsolete"))
            elif lifecycle == Lifecycle.END_OF_LIFE.value and not data.allow_end_of_life:
                errors.append(
                    FieldError(
                        field,
                        f"{code} is at end of life; release with allow_end_of_life to accept it",
                        "end_of_life",
                    )
                )
    units = await unit_rules(session)
    for index, line in enumerate(current.lines):
        rule = units.get(line.uom)
        problem = designator_problem(
            line.designators, line.quantity, current.base_quantity, bool(rule and rule.whole)
        )
        if problem:
            errors.append(FieldError(f"lines.{index}.designators", problem, "designator_count"))
    cycle = await _cycle_through(session, parent.id, {items[c].id for c in codes})
    if cycle is not None:
        code_of = {
            row.id: row.code
            for row in await session.execute(select(Item.id, Item.code).where(Item.id.in_(cycle)))
        }
        errors.append(
            FieldError(
                "lines", f"the BOM would contain itself: {_cycle_text(cycle, code_of)}", "cycle"
            )
        )
    if errors:
        cycles = [e for e in errors if e.type == "cycle"]
        exc_type = BomCycle if cycles else BomReleaseRefused
        raise exc_type(
            cycles[0].message if cycles else f"BOM version {bom_id} cannot be released",
            errors=_body(errors),
        )
    others = (
        await session.scalars(
            select(BomVersion)
            .where(
                BomVersion.item_id == bom.item_id,
                BomVersion.status == BomStatus.RELEASED.value,
                BomVersion.id != bom.id,
            )
            .with_for_update()
        )
    ).all()
    superseded: list[BomVersion] = []
    for other in others:
        if not overlaps(valid_from, valid_to, other.effective_from, other.effective_to):
            continue
        can_cut = data.supersede and (
            other.effective_from is None or other.effective_from < valid_from
        )
        if not can_cut:
            raise EffectivityOverlap(
                f"revision {other.revision} is released for "
                f"{other.effective_from or '...'} to {other.effective_to or '...'}, which "
                f"overlaps {valid_from} to {valid_to or '...'}"
                + ("" if data.supersede else "; release with supersede to end it the day before"),
                errors=[
                    FieldError(
                        "body.effective_from", f"overlaps revision {other.revision}", "overlap"
                    )
                ],
                extra={"overlapping_bom_id": other.id},
            )
        superseded.append(other)
    if gated:
        return await _hold(uow, bom, current, data)
    now = utcnow()
    for other in superseded:
        before = {"effective_to": other.effective_to.isoformat() if other.effective_to else None}
        other.effective_to = valid_from - timedelta(days=1)
        other.updated_at = now
        await session.flush()
        await uow.audit(
            "supersede",
            "bom",
            str(other.id),
            before=before,
            after={"effective_to": other.effective_to.isoformat(), "superseded_by": bom.id},
        )
        uow.emit(
            "BomSuperseded",
            "bom",
            str(other.id),
            {
                "id": other.id,
                "effective_to": other.effective_to.isoformat(),
                "superseded_by": bom.id,
            },
        )
    before_out = current.model_dump(mode="json")
    bom.status = BomStatus.RELEASED.value
    bom.effective_from = valid_from
    bom.effective_to = valid_to
    bom.released_at = now
    bom.released_by = actor
    bom.updated_at = now
    if approved_by is not None:
        bom.approval, bom.approval_ref = ApprovalState.APPROVED.value, approved_by
        bom.release_request = None
    await session.flush()
    out = await bom_out(session, bom)
    await uow.audit(
        "release", "bom", str(bom.id), before=before_out, after=out.model_dump(mode="json")
    )
    uow.emit("BomReleased", "bom", str(bom.id), out.model_dump(mode="json"))
    return out


async def _hold(
    uow: UnitOfWork,
    bom: BomVersion,
    current: BomOut,
    data: BomRelease,
) -> BomOut:
    """Keep a draft that would be released waiting for approval; announce
    `ApprovalRequested` (the caller commits)."""
    bom.approval, bom.approval_ref = ApprovalState.PENDING.value, ""
    bom.release_request = data.model_dump(mode="json", exclude_unset=True)
    bom.updated_at = utcnow()
    await uow.session.flush()
    out = await bom_out(uow.session, bom)
    # The window as requested; effective_from null: from the day it is approved.
    effective_from = data.effective_from or bom.effective_from
    effective_to = data.effective_to if data.effective_to is not None else bom.effective_to
    await uow.audit(
        "request_approval",
        "bom",
        str(bom.id),
        before=current.model_dump(mode="json"),
        after=out.model_dump(mode="json"),
    )
    uow.emit(
        "ApprovalRequested",
        "bom",
        str(bom.id),
        {
            "document_type": BOM_RELEASE,
            "document_id": bom.id,
            "number": approval_number(out.item_code, out.revision),
            "requested_by": uow.actor,
            "item_code": out.item_code,
            "revision": out.revision,
            "effective_from": effective_from.isoformat() if effective_from else None,
            "effective_to": effective_to.isoformat() if effective_to else None,
            "lines": [
                {
                    "line_no": line.position,
                    "item_code": line.component_code,
                    "quantity": plain(line.quantity),
                    "uom": line.uom,
                    "lot_number": None,
                    "unit_price": None,
                }
                for line in out.lines
            ],
            "location_code": "",
            "supplier": "",
            "purchase_order": "",
            "reason": "",
            "note": "",
        },
    )
    return out


async def release_bom(
    uow: UnitOfWork, bom_id: int, data: BomRelease, expected_version: int, actor: str
) -> BomOut:
    """Release a draft: it becomes immutable and effective in its window. Under the closed
    approval gate it is kept a draft that waits for approval instead (`approval:
    pending`)."""
    async with uow:
        out = await release_bom_in(uow, bom_id, data, actor, expected_version, hold=True)
        await uow.commit()
        return out


async def obsolete_bom(uow: UnitOfWork, bom_id: int, expected_version: int) -> BomOut:
    """Take a released version out of use; planning and explosions stop using it."""
    async with uow:
        await bump_graph_stamp(uow.session)
        bom = await _locked(uow, bom_id, expected_version)
        if bom.status != BomStatus.RELEASED.value:
            raise BomStatusConflict(
                f"BOM version {bom_id} is {bom.status}; only released versions become obsolete"
            )
        before = (await bom_out(uow.session, bom)).model_dump(mode="json")
        bom.status = BomStatus.OBSOLETE.value
        bom.updated_at = utcnow()
        await uow.session.flush()
        out = await bom_out(uow.session, bom)
        await uow.audit(
            "obsolete", "bom", str(bom.id), before=before, after=out.model_dump(mode="json")
        )
        uow.emit("BomObsoleted", "bom", str(bom.id), out.model_dump(mode="json"))
        await uow.commit()
        return out
