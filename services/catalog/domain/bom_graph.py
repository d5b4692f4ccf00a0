"""The released BOM graph in memory: explosion, where-used, low-level codes, cost, diff.

Pure: the use-case layer loads plain rows into these dataclasses once per change of
the released BOM set and keeps the `BomGraph` as a cache; every query here is a walk
over dictionaries, with no I/O.

Arithmetic is `Decimal` in a 60-digit context (`ARITHMETIC`): products of quantities
are exact; the only inexact step is dividing by a base quantity that does not divide
evenly (a BOM per 3 units), carried to 60 significant digits.

Quantity rules (per line under a parent whose required quantity is Q, in the parent's
stock unit):

* `quantity_per = line.quantity / parent.base_quantity` (per one parent unit);
* `extended = Q x quantity_per x (1 + scrap_percent / 100) + fixed_quantity`, in the
  line's unit (the fixed quantity is per order of the parent, added once);
* a component with a released version effective on the requirement date is exploded
  further with that version, its required quantity being `extended` converted to its
  stock unit; otherwise it is a leaf;
* phantoms are shown as rows and passed through: their children are exploded with
  the phantom's extended quantity, but the phantom itself is no requirement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Context, Decimal, localcontext
from enum import StrEnum
from operator import attrgetter

from services.catalog.domain.bom import BomStatus, is_effective
from services.catalog.domain.designators import DesignatorError, expand
from services.catalog.domain.units import ConversionError, Rounding, UnitRule, conversion_factor
from shared.errors import InvalidInput

#: Decimal context of every computation here (see the module docstring).
ARITHMETIC = Context(prec=60)
#: An explosion or where-used bigger than this is refused instead of eating the memory.
MAX_ROWS = 1_000_000
#: Paths kept per component in a cost roll-up's list of missing costs.
MAX_MISSING_PATHS = 10

_ZERO = Decimal(0)
_position = attrgetter("position")
_ONE = Decimal(1)
_HUNDRED = Decimal(100)


class TooManyRows(InvalidInput):
    """The walk would produce more rows than `MAX_ROWS`."""

    code = "too_many_rows"
    title = "The result is too large"


class UsedAs(StrEnum):
    COMPONENT = "component"
    SUBSTITUTE = "substitute"


class CostSource(StrEnum):
    ROLLED_UP = "rolled_up"
    STANDARD = "standard"
    MISSING = "missing"


def plain(value: Decimal) -> str:
    """A decimal as a plain string without exponent or trailing zeros: 5000, 0.25."""
    text = str(value)
    if "E" in text:
        text = format(value.normalize(ARITHMETIC), "f")
    elif "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def compact(value: Decimal) -> Decimal:
    """`value` without trailing zeros and without a positive exponent (100, not 1E+2)."""
    if value == value.to_integral_value():
        return value.quantize(_ONE, context=ARITHMETIC)
    return value.normalize(ARITHMETIC)


# --- the graph's nodes -------------------------------------------------------------------


@dataclass(slots=True)
class ItemNode:
    id: int
    code: str
    name: str
    uom: str
    item_type: str
    lifecycle: str = "active"
    standard_cost: Decimal | None = None
    #: Item-specific conversions: unit -> stock units of this item (reel -> 5000).
    conversions: dict[str, Decimal] = field(default_factory=dict)


@dataclass(slots=True)
class Substitute:
    component_id: int
    priority: int = 1
    ratio: Decimal = _ONE


@dataclass(slots=True)
class Line:
    """One BOM line; `quantity_per` and `gross_per` are set by its `Version`."""

    position: int
    component_id: int
    quantity: Decimal
    uom: str
    scrap_percent: Decimal = _ZERO
    fixed_quantity: Decimal = _ZERO
    rounding_multiple: Decimal | None = None
    phantom: bool = False
    consumable: bool = False
    backflush: bool = False
    designators: str = ""
    operation_code: str | None = None
    notes: str = ""
    substitutes: tuple[Substitute, ...] = ()
    #: Per one parent unit.
    quantity_per: Decimal = field(default=_ZERO, init=False)
    #: Per one parent unit, scrap included.
    gross_per: Decimal = field(default=_ZERO, init=False)


@dataclass(slots=True)
class Version:
    """A BOM version with its lines in position order."""

    id: int
    item_id: int
    revision: str
    status: str
    effective_from: date | None
    effective_to: date | None
    base_quantity: Decimal
    lines: tuple[Line, ...]

    def __post_init__(self) -> None:
        if self.base_quantity <= 0:
            raise ValueError(f"BOM {self.id}: the base quantity must be positive")
        self.lines = tuple(sorted(self.lines, key=_position))
        ctx = ARITHMETIC
        base = self.base_quantity
        for line in self.lines:
            line.quantity_per = compact(ctx.divide(line.quantity, base))
            line.gross_per = compact(ctx.divide(
                ctx.multiply(line.quantity, _HUNDRED + line.scrap_percent),
                ctx.multiply(_HUNDRED, base),
            ))

    def effective_on(self, on: date) -> bool:
        return is_effective(self.effective_from, self.effective_to, on)


# --- query results -----------------------------------------------------------------------


@dataclass(slots=True)
class ExplosionRow:
    level: int
    #: Item codes from the top item down to this component.
    path: tuple[str, ...]
    #: The version whose line this is.
    parent: Version
    line: Line
    component: ItemNode
    #: In the line's unit.
    extended_quantity: Decimal
    #: The released version effective for this component (its children), if any.
    child: Version | None
    #: The component is one of its own ancestors: not exploded again.
    cycle: bool = False


@dataclass(slots=True)
class Explosion:
    top: Version
    quantity: Decimal
    on: date
    max_levels: int | None
    rows: list[ExplosionRow]

    @property
    def cycles(self) -> list[tuple[str, ...]]:
        return [row.path for row in self.rows if row.cycle]


@dataclass(slots=True)
class Requirement:
    """Total need of one component (in its stock unit when the line's unit converts)."""

    component: ItemNode
    uom: str
    consumable: bool
    #: A made component that was exploded further: its parts are listed too.
    sub_assembly: bool
    quantity: Decimal
    occurrences: int
    lowest_level: int


@dataclass(slots=True)
class Use:
    """One place an item is used: a line of a released version, as component or substitute."""

    parent: Version
    line: Line
    used_as: UsedAs
    #: Of the used item, per base quantity of the parent (substitutes: x ratio).
    quantity: Decimal
    priority: int | None = None
    ratio: Decimal | None = None


@dataclass(slots=True)
class WhereUsedRow:
    level: int
    #: Item codes from the queried item up to this parent.
    path: tuple[str, ...]
    use: Use
    parent_item: ItemNode
    #: The parent is used nowhere (under the same date filter): a top product.
    top: bool
    cycle: bool = False


@dataclass(slots=True)
class WhereUsed:
    item: ItemNode
    multi_level: bool
    on: date | None
    rows: list[WhereUsedRow]
    top_products: list[ItemNode]


@dataclass(slots=True)
class LowLevelCodes:
    codes: dict[int, int]
    #: Items on or under a cycle of released versions (their code is a best effort).
    cyclic: list[int]

    @property
    def max_level(self) -> int:
        return max(self.codes.values(), default=0)


@dataclass(slots=True)
class CostLine:
    line: Line
    component: ItemNode
    #: In the component's stock unit, scrap included, per one parent unit (None: no conversion).
    stock_quantity_per_unit: Decimal | None
    #: Per stock unit of the component; None when missing.
    unit_cost: Decimal | None
    source: CostSource
    child: Version | None
    cost_per_unit: Decimal | None
    fixed_cost_per_order: Decimal | None
    #: False when a cost is missing here or below.
    complete: bool


@dataclass(slots=True)
class MissingCost:
    component: ItemNode
    #: Item codes from the rolled-up item down to the component (a few of them).
    paths: list[tuple[str, ...]]


@dataclass(slots=True)
class CostRollup:
    version: Version
    on: date
    lines: list[CostLine]
    #: Known material cost per parent unit (scrap included, fixed quantities excluded).
    cost_per_unit: Decimal
    cost_per_base_quantity: Decimal
    #: Cost of the lines' fixed quantities, once per order.
    fixed_cost_per_order: Decimal
    missing: list[MissingCost]

    @property
    def complete(self) -> bool:
        return not self.missing


@dataclass(slots=True)
class FieldChange:
    field: str
    before: str | bool | None
    after: str | bool | None


@dataclass(slots=True)
class SubstituteChange:
    before: Substitute
    after: Substitute


@dataclass(slots=True)
class LineChange:
    component: ItemNode
    before: Line
    after: Line
    fields: list[FieldChange]
    designators_added: list[str]
    designators_removed: list[str]
    substitutes_added: list[Substitute]
    substitutes_removed: list[Substitute]
    substitutes_changed: list[SubstituteChange]

    @property
    def changed(self) -> bool:
        return bool(
            self.fields
            or self.designators_added
            or self.designators_removed
            or self.substitutes_added
            or self.substitutes_removed
            or self.substitutes_changed
        )


@dataclass(slots=True)
class BomDiff:
    before: Version
    after: Version
    header_changes: list[FieldChange]
    added: list[Line]
    removed: list[Line]
    changed: list[LineChange]
    unchanged: int


# --- the graph -----------------------------------------------------------------------------

#: One explosion row: level, parent version, line, component, extended quantity (in the
#: line's unit), the component's effective released version (or None), cycle.
Step = tuple[int, Version, Line, ItemNode, Decimal, Version | None, bool]
#: A line ready for the explosion: line, component, multiplier, divisor (None when the
#: gross quantity per unit is exact), fixed quantity or None, component has released BOMs.
_Compiled = tuple[Line, ItemNode, Decimal, Decimal | None, Decimal | None, bool]


@dataclass(slots=True)
class _Roll:
    """A memoized unit cost: per stock unit, whether complete, and what is missing below."""

    cost: Decimal
    complete: bool
    missing: dict[int, list[tuple[str, ...]]]


class BomGraph:
    """All items and every released BOM version, indexed for the queries.

    Built once per change of the released BOM set and then only read; the indexes
    (where-used, low-level codes, unit factors) are built on first use.
    """

    def __init__(
        self,
        items: Iterable[ItemNode],
        versions: Iterable[Version],
        units: Mapping[str, UnitRule] | None = None,
    ) -> None:
        self.items: dict[int, ItemNode] = {item.id: item for item in items}
        self.versions: dict[int, Version] = {}
        by_item: dict[int, list[Version]] = defaultdict(list)
        for version in versions:
            if version.status != BomStatus.RELEASED:
                raise ValueError(f"BOM {version.id} is {version.status}, not released")
            self.versions[version.id] = version
            by_item[version.item_id].append(version)
        self.released_by_item: dict[int, list[Version]] = {
            item_id: sorted(found, key=lambda v: (v.effective_from or date.min, v.id))
            for item_id, found in by_item.items()
        }
        self.units: dict[str, UnitRule] = dict(units or {})
        self._factors: dict[tuple[int, str], Decimal | None] = {}
        self._uses: dict[int, list[Use]] | None = None
        self._llc: LowLevelCodes | None = None
        self._compiled: dict[int, tuple[_Compiled, ...]] = {}
        self._ids: dict[str, int] | None = None

    @property
    def line_count(self) -> int:
        return sum(len(version.lines) for version in self.versions.values())

    def item(self, item_id: int) -> ItemNode:
        return self.items[item_id]

    def ids_by_code(self) -> dict[str, int]:
        """Item ids by code (built on first use)."""
        if self._ids is None:
            self._ids = {item.code: item_id for item_id, item in self.items.items()}
        return self._ids

    def unknown_items(self, version: Version) -> set[int]:
        """Items `version` names that this graph does not know (created after it was built)."""
        wanted = {line.component_id for line in version.lines} | {version.item_id}
        wanted |= {sub.component_id for line in version.lines for sub in line.substitutes}
        return {item_id for item_id in wanted if item_id not in self.items}

    def effective_version(self, item_id: int, on: date) -> Version | None:
        """The released version of `item_id` effective on `on` (windows never overlap)."""
        for version in self.released_by_item.get(item_id, ()):
            if version.effective_on(on):
                return version
        return None

    def stock_factor(self, component: ItemNode, uom: str) -> Decimal | None:
        """Stock units of `component` per one `uom` (None when no rule converts)."""
        if uom == component.uom:
            return _ONE
        key = (component.id, uom)
        if key not in self._factors:
            try:
                factor: Decimal | None = conversion_factor(
                    self._unit(uom),
                    self._unit(component.uom),
                    stock_unit=component.uom,
                    item_factors=component.conversions,
                )
            except (ConversionError, ArithmeticError):
                factor = None
            self._factors[key] = factor
        return self._factors[key]

    def _unit(self, code: str) -> UnitRule:
        return self.units.get(code) or UnitRule(code, 6, Rounding.HALF_UP)

    # --- explosion -------------------------------------------------------------------------

    def _compiled_lines(self, version: Version) -> tuple[_Compiled, ...]:
        """`version`'s lines with what the explosion needs at hand (kept for released ones)."""
        cached = self._compiled.get(version.id)
        if cached is not None and self.versions.get(version.id) is version:
            return cached
        items, made = self.items, self.released_by_item
        ctx = ARITHMETIC
        denominator = ctx.multiply(_HUNDRED, version.base_quantity)
        compiled: list[_Compiled] = []
        for line in version.lines:
            numerator = ctx.multiply(line.quantity, _HUNDRED + line.scrap_percent)
            exact = ctx.multiply(line.gross_per, denominator) == numerator
            compiled.append((
                line,
                items[line.component_id],
                line.gross_per if exact else numerator,
                None if exact else denominator,
                line.fixed_quantity or None,
                line.component_id in made,
            ))
        result = tuple(compiled)
        if self.versions.get(version.id) is version:
            self._compiled[version.id] = result
        return result

    def walk(
        self,
        top: Version,
        quantity: Decimal,
        on: date,
        max_levels: int | None = None,
        *,
        max_rows: int = MAX_ROWS,
    ) -> Iterator[Step]:
        """The explosion of `top` (any status) for `quantity` units, one `Step` per row.

        Depth first in position order, level 1 being `top`'s lines; below the top,
        components are exploded with their released version effective on `on`. An
        iterative walk (no recursion, no per-row objects beyond the tuple) because an
        explosion may have hundreds of thousands of rows.
        """
        effective: dict[int, Version | None] = {}
        depth_limit = max_levels if max_levels is not None else len(self.items) + 2
        ancestors: set[int] = {top.item_id}
        stock_factor = self.stock_factor
        effective_version = self.effective_version
        compiled = self._compiled_lines
        count = 0
        stack: list[tuple[Iterator[_Compiled], Version, Decimal, int, int]] = [
            (iter(compiled(top)), top, quantity, 1, top.item_id)
        ]
        with localcontext(ARITHMETIC):
            while stack:
                lines, version, required, level, _ = stack[-1]
                for line, component, multiplier, divisor, fixed, made in lines:
                    extended = required * multiplier
                    if divisor is not None:  # multiply first: 3 x (1 per 3) is exactly 1
                        extended /= divisor
                    if fixed is not None:
                        extended += fixed
                    count += 1
                    if not made:
                        yield level, version, line, component, extended, None, False
                        continue
                    component_id = component.id
                    if component_id in effective:
                        child = effective[component_id]
                    else:
                        child = effective[component_id] = effective_version(component_id, on)
                    if child is None or level >= depth_limit:
                        yield level, version, line, component, extended, child, False
                        continue
                    if component_id in ancestors:
                        yield level, version, line, component, extended, child, True
                        continue
                    yield level, version, line, component, extended, child, False
                    if count > max_rows:
                        raise TooManyRows(
                            f"the explosion has more than {max_rows} rows; "
                            "limit it with max_levels or ask for the summarized requirements"
                        )
                    if line.uom != component.uom:
                        factor = stock_factor(component, line.uom)
                        if factor is not None:
                            extended *= factor
                    ancestors.add(component_id)
                    stack.append((iter(compiled(child)), child, extended, level + 1, component_id))
                    break
                else:
                    ancestors.discard(stack.pop()[4])
        if count > max_rows:
            raise TooManyRows(f"the explosion has more than {max_rows} rows")

    def explode(
        self,
        top: Version,
        quantity: Decimal,
        on: date,
        max_levels: int | None = None,
        *,
        max_rows: int = MAX_ROWS,
    ) -> Explosion:
        """`walk` gathered into rows with their paths (item codes from the top)."""
        rows: list[ExplosionRow] = []
        append = rows.append
        paths: list[tuple[str, ...]] = [(self.item(top.item_id).code,)]
        for level, parent, line, component, extended, child, cycle in self.walk(
            top, quantity, on, max_levels, max_rows=max_rows
        ):
            path = (*paths[level - 1], component.code)
            del paths[level:]
            paths.append(path)
            append(ExplosionRow(level, path, parent, line, component, extended, child, cycle))
        return Explosion(top, quantity, on, max_levels, rows)

    def requirements(self, explosion: Explosion) -> list[Requirement]:
        """Total need per component, summed over the explosion's rows.

        Passed-through phantoms are left out (their parts are counted); exploded
        non-phantom components are listed as sub-assemblies beside their parts;
        consumables are kept apart (keyed by component, unit and consumable flag).
        Quantities are in the component's stock unit when the line's unit converts.
        """
        totals: dict[tuple[int, str, bool], Requirement] = {}
        max_level = explosion.max_levels
        with localcontext(ARITHMETIC):
            for row in explosion.rows:
                exploded = (
                    row.child is not None
                    and not row.cycle
                    and (max_level is None or row.level < max_level)
                )
                if row.line.phantom and exploded:
                    continue
                component = row.component
                uom = row.line.uom
                quantity = row.extended_quantity
                if uom != component.uom:
                    factor = self.stock_factor(component, uom)
                    if factor is not None:
                        quantity, uom = quantity * factor, component.uom
                key = (component.id, uom, row.line.consumable)
                found = totals.get(key)
                if found is None:
                    totals[key] = Requirement(
                        component, uom, row.line.consumable, row.child is not None, quantity, 1,
                        row.level,
                    )
                else:
                    found.quantity += quantity
                    found.occurrences += 1
                    found.sub_assembly = found.sub_assembly or row.child is not None
                    found.lowest_level = max(found.lowest_level, row.level)
        return sorted(totals.values(), key=lambda r: (r.component.code, r.uom, r.consumable))

    # --- where-used ------------------------------------------------------------------------

    def uses(self, item_id: int, on: date | None = None) -> list[Use]:
        """Every line of a released version that uses `item_id` (on `on`, if given)."""
        if self._uses is None:
            self._uses = self._build_uses()
        found = self._uses.get(item_id, [])
        if on is None:
            return found
        return [use for use in found if use.parent.effective_on(on)]

    def _build_uses(self) -> dict[int, list[Use]]:
        index: dict[int, list[Use]] = defaultdict(list)
        with localcontext(ARITHMETIC):
            for version in self.versions.values():
                for line in version.lines:
                    index[line.component_id].append(
                        Use(version, line, UsedAs.COMPONENT, line.quantity)
                    )
                    for sub in line.substitutes:
                        index[sub.component_id].append(
                            Use(version, line, UsedAs.SUBSTITUTE, line.quantity * sub.ratio,
                                sub.priority, sub.ratio)
                        )

        def order(use: Use) -> tuple[str, str, int, int]:
            return (self.items[use.parent.item_id].code, use.parent.revision,
                    use.line.position, 0 if use.used_as is UsedAs.COMPONENT else 1)

        return {item_id: sorted(found, key=order) for item_id, found in index.items()}

    def where_used(
        self,
        item_id: int,
        *,
        multi_level: bool,
        on: date | None = None,
        max_rows: int = MAX_ROWS,
    ) -> WhereUsed:
        """Direct parents, or every ancestor up to the top products (depth first).

        A top product is an item that no released version (effective on `on`, if
        given) uses.
        """
        item = self.item(item_id)
        rows: list[WhereUsedRow] = []
        tops: dict[int, ItemNode] = {}
        is_top: dict[int, bool] = {}
        ancestors: set[int] = {item_id}

        def top(parent_id: int) -> bool:
            if parent_id not in is_top:
                is_top[parent_id] = not self.uses(parent_id, on)
            return is_top[parent_id]

        def visit(child_id: int, level: int, path: tuple[str, ...]) -> None:
            for use in self.uses(child_id, on):
                parent = self.items[use.parent.item_id]
                parent_top = top(parent.id)
                row = WhereUsedRow(level, (*path, parent.code), use, parent, parent_top)
                rows.append(row)
                if len(rows) > max_rows:
                    raise TooManyRows(f"the where-used has more than {max_rows} rows")
                if parent_top:
                    tops[parent.id] = parent
                    continue
                if not multi_level:
                    continue
                if parent.id in ancestors:
                    row.cycle = True
                    continue
                ancestors.add(parent.id)
                visit(parent.id, level + 1, row.path)
                ancestors.discard(parent.id)

        visit(item_id, 1, (item.code,))
        top_products = sorted(tops.values(), key=lambda node: node.code) if multi_level else []
        return WhereUsed(item, multi_level, on, rows, top_products)

    # --- low-level codes -------------------------------------------------------------------

    def low_level_codes(self) -> LowLevelCodes:
        """Deepest level of every item in any released version (0 = never a component).

        Substitutes count as components: MRP may plan them. Computed over all released
        versions whatever their dates, by a topological walk of parent -> component.
        """
        if self._llc is not None:
            return self._llc
        children: dict[int, set[int]] = defaultdict(set)
        for version in self.versions.values():
            edges = children[version.item_id]
            for line in version.lines:
                edges.add(line.component_id)
                edges.update(sub.component_id for sub in line.substitutes)
        parents_left: dict[int, int] = defaultdict(int)
        for components in children.values():
            for component_id in components:
                parents_left[component_id] += 1
        codes = dict.fromkeys(self.items, 0)
        codes.update(dict.fromkeys(parents_left, 0))
        ready = sorted(item_id for item_id in codes if not parents_left.get(item_id))
        done: set[int] = set()
        cyclic: list[int] = []
        while True:
            while ready:
                parent_id = ready.pop()
                done.add(parent_id)
                level = codes[parent_id] + 1
                for component_id in children.get(parent_id, ()):
                    if component_id in done:
                        continue
                    if codes[component_id] < level:
                        codes[component_id] = level
                    parents_left[component_id] -= 1
                    if parents_left[component_id] == 0:
                        ready.append(component_id)
            stuck = [item_id for item_id, left in parents_left.items()
                     if left > 0 and item_id not in done]
            if not stuck:
                break
            # a cycle: release its smallest item with the level its known parents give
            breaker = min(stuck)
            cyclic.append(breaker)
            parents_left[breaker] = 0
            ready.append(breaker)
        self._llc = LowLevelCodes(codes, sorted(cyclic))
        return self._llc

    # --- cost roll-up ----------------------------------------------------------------------

    def roll_up_cost(self, version: Version, on: date) -> CostRollup:
        """Material cost of `version` (any status), with released versions below it.

        A component costs its rolled-up cost when it has a released version effective
        on `on`, else its standard cost; a missing standard cost is listed, never zero.
        Per-unit costs include scrap and leave out fixed quantities, which are costed
        per order of the rolled-up version only.
        """
        memo: dict[int, _Roll] = {}
        in_progress: set[int] = {version.item_id}
        with localcontext(ARITHMETIC):
            lines: list[CostLine] = []
            missing: dict[int, list[tuple[str, ...]]] = {}
            top_code = self.item(version.item_id).code
            per_unit = _ZERO
            fixed = _ZERO
            for line in version.lines:
                component = self.items[line.component_id]
                roll, source, child = self._unit_cost(component, on, memo, in_progress)
                factor = self.stock_factor(component, line.uom)
                _merge_missing(missing, roll.missing, (top_code,))
                if factor is None:
                    _merge_missing(missing, {component.id: [(component.code,)]}, (top_code,))
                known = roll.complete or source is CostSource.ROLLED_UP
                if factor is None or not known:
                    lines.append(CostLine(
                        line, component, None if factor is None else line.gross_per * factor,
                        None, source, child, None, None, False,
                    ))
                    continue
                stock_quantity = line.gross_per * factor
                cost = stock_quantity * roll.cost
                fixed_cost = line.fixed_quantity * factor * roll.cost
                per_unit += cost
                fixed += fixed_cost
                lines.append(CostLine(
                    line, component, stock_quantity, roll.cost, source, child, cost, fixed_cost,
                    roll.complete,
                ))
            missing_list = [
                MissingCost(self.items[item_id], paths) for item_id, paths in missing.items()
            ]
            missing_list.sort(key=lambda m: m.component.code)
            return CostRollup(
                version, on, lines, per_unit, per_unit * version.base_quantity, fixed,
                missing_list,
            )

    def _unit_cost(
        self, item: ItemNode, on: date, memo: dict[int, _Roll], in_progress: set[int]
    ) -> tuple[_Roll, CostSource, Version | None]:
        """The cost of one stock unit of `item`; `missing` paths start at `item`."""
        child = self.effective_version(item.id, on)
        if child is None or item.id in in_progress:
            if item.standard_cost is None:
                return _Roll(_ZERO, False, {item.id: [(item.code,)]}), CostSource.MISSING, child
            return _Roll(item.standard_cost, True, {}), CostSource.STANDARD, child
        if item.id not in memo:
            in_progress.add(item.id)
            total = _ZERO
            complete = True
            missing: dict[int, list[tuple[str, ...]]] = {}
            for line in child.lines:
                component = self.items[line.component_id]
                roll, _, _ = self._unit_cost(component, on, memo, in_progress)
                _merge_missing(missing, roll.missing, (item.code,))
                factor = self.stock_factor(component, line.uom)
                if factor is None:
                    _merge_missing(missing, {component.id: [(component.code,)]}, (item.code,))
                    complete = False
                    continue
                complete = complete and roll.complete
                total += line.gross_per * factor * roll.cost
            in_progress.discard(item.id)
            memo[item.id] = _Roll(total, complete, missing)
        return memo[item.id], CostSource.ROLLED_UP, child

    # --- diff ------------------------------------------------------------------------------

    def diff(self, before: Version, after: Version) -> BomDiff:
        """What changed from `before` to `after` (any statuses, even of different items).

        Lines are matched by their primary component (several lines of one component
        pair up in position order); a changed position alone is no change.
        """
        header: list[FieldChange] = []
        _compare(header, "base_quantity", before.base_quantity, after.base_quantity)
        for name, old, new in (
            ("effective_from", before.effective_from, after.effective_from),
            ("effective_to", before.effective_to, after.effective_to),
        ):
            if old != new:
                header.append(FieldChange(name, _text(old), _text(new)))
        old_lines: dict[int, list[Line]] = defaultdict(list)
        for line in before.lines:
            old_lines[line.component_id].append(line)
        added: list[Line] = []
        changed: list[LineChange] = []
        unchanged = 0
        with localcontext(ARITHMETIC):
            for line in after.lines:
                candidates = old_lines.get(line.component_id)
                if not candidates:
                    added.append(line)
                    continue
                change = self._line_change(candidates.pop(0), line)
                if change.changed:
                    changed.append(change)
                else:
                    unchanged += 1
        removed = sorted(
            (line for lines in old_lines.values() for line in lines), key=lambda x: x.position
        )
        return BomDiff(before, after, header, added, removed, changed, unchanged)

    def _line_change(self, old: Line, new: Line) -> LineChange:
        fields: list[FieldChange] = []
        _compare(fields, "quantity", old.quantity, new.quantity)
        _compare(fields, "quantity_per", old.quantity_per, new.quantity_per)
        if old.uom != new.uom:
            fields.append(FieldChange("uom", old.uom, new.uom))
        _compare(fields, "scrap_percent", old.scrap_percent, new.scrap_percent)
        _compare(fields, "fixed_quantity", old.fixed_quantity, new.fixed_quantity)
        _compare(fields, "rounding_multiple", old.rounding_multiple, new.rounding_multiple)
        for name, old_flag, new_flag in (
            ("phantom", old.phantom, new.phantom),
            ("consumable", old.consumable, new.consumable),
            ("backflush", old.backflush, new.backflush),
        ):
            if old_flag != new_flag:
                fields.append(FieldChange(name, old_flag, new_flag))
        for name, old_text, new_text in (
            ("operation_code", old.operation_code, new.operation_code),
            ("notes", old.notes, new.notes),
        ):
            if old_text != new_text:
                fields.append(FieldChange(name, old_text, new_text))
        added_designators: list[str] = []
        removed_designators: list[str] = []
        try:
            old_names, new_names = expand(old.designators), expand(new.designators)
        except DesignatorError:
            if old.designators.strip() != new.designators.strip():
                fields.append(FieldChange("designators", old.designators, new.designators))
        else:
            old_set, new_set = set(old_names), set(new_names)
            added_designators = [name for name in new_names if name not in old_set]
            removed_designators = [name for name in old_names if name not in new_set]
        old_subs = {sub.component_id: sub for sub in old.substitutes}
        new_subs = {sub.component_id: sub for sub in new.substitutes}
        subs_changed = [
            SubstituteChange(old_subs[sub.component_id], sub)
            for sub in new.substitutes
            if sub.component_id in old_subs
            and (
                old_subs[sub.component_id].priority != sub.priority
                or old_subs[sub.component_id].ratio != sub.ratio
            )
        ]
        return LineChange(
            component=self.items[new.component_id],
            before=old,
            after=new,
            fields=fields,
            designators_added=added_designators,
            designators_removed=removed_designators,
            substitutes_added=[s for s in new.substitutes if s.component_id not in old_subs],
            substitutes_removed=[s for s in old.substitutes if s.component_id not in new_subs],
            substitutes_changed=subs_changed,
        )


def _merge_missing(
    into: dict[int, list[tuple[str, ...]]],
    found: Mapping[int, list[tuple[str, ...]]],
    prefix: tuple[str, ...],
) -> None:
    for item_id, paths in found.items():
        kept = into.setdefault(item_id, [])
        for path in paths:
            if len(kept) >= MAX_MISSING_PATHS:
                break
            kept.append((*prefix, *path))


def _text(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _compare(
    into: list[FieldChange], name: str, old: Decimal | None, new: Decimal | None
) -> None:
    if old != new:
        into.append(FieldChange(
            name,
            plain(old) if old is not None else None,
            plain(new) if new is not None else None,
        ))
