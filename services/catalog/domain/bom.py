"""BOM version rules: statuses, effectivity windows, cycles, designator counts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from enum import StrEnum

import networkx as nx

from services.catalog.domain.designators import DesignatorError, expand


class BomStatus(StrEnum):
    DRAFT = "draft"
    RELEASED = "released"
    OBSOLETE = "obsolete"


def overlaps(
    a_from: date | None, a_to: date | None, b_from: date | None, b_to: date | None
) -> bool:
    """True when two inclusive windows share a day (None = open at that end)."""
    starts_before_b_ends = b_to is None or a_from is None or a_from <= b_to
    ends_after_b_starts = a_to is None or b_from is None or a_to >= b_from
    return starts_before_b_ends and ends_after_b_starts


def is_effective(valid_from: date | None, valid_to: date | None, on: date) -> bool:
    return (valid_from is None or valid_from <= on) and (valid_to is None or on <= valid_to)


def find_cycle(edges: Iterable[tuple[int, int]]) -> list[int] | None:
    """Items on one cycle of the parent -> component graph (first = last), or None."""
    graph: nx.DiGraph[int] = nx.DiGraph()
    graph.add_edges_from(edges)
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return None
    nodes = [int(edge[0]) for edge in cycle]
    return [*nodes, nodes[0]]


def designator_problem(
    designators: str, quantity: Decimal, base_quantity: Decimal, whole_unit: bool
) -> str | None:
    """Why a line's designators do not fit it, or None.

    Designators name places on one assembly, so for whole-unit components their count
    must equal the quantity per one parent (`quantity / base_quantity`).
    """
    if not designators.strip():
        return None
    try:
        names = expand(designators)
    except DesignatorError as exc:
        return str(exc)
    if not whole_unit:
        return None
    per_parent = quantity / base_quantity
    if Decimal(len(names)) != per_parent:
        return (
            f"{len(names)} designators but the quantity per parent is "
            f"{format(per_parent.normalize(), 'f')}"
        )
    return None


def designator_count(designators: str) -> int:
    """How many places `designators` names (0 when blank or unreadable)."""
    try:
        return len(expand(designators))
    except DesignatorError:
        return 0
