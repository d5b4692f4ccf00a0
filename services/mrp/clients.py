"""Typed clients for the services MRP calls: the catalog (items, planning data) and stock
(availability, average costs, production receipts)."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import orjson

from services.mrp.domain.model import (
    LotSizing,
    LotSizingPolicy,
    PlanBom,
    PlanItem,
    PlanLine,
    PlanSubstitute,
    Procurement,
)
from shared.client import ServiceClient
from shared.errors import FieldError, InvalidInput, UpstreamError

#: Codes per catalog call: the catalog's list takes up to 500; 200 keeps URLs short.
BATCH = 200
#: Item codes per stock availability call (stock's limit).
AVAILABILITY_PAGE = 500
#: Item codes per stock valuation call (stock's limit, and its page size).
VALUATION_PAGE = 500


@dataclass(frozen=True, slots=True)
class CatalogItem:
    id: int
    code: str
    name: str
    uom: str
    item_type: str
    procurement: str
    tracking: str
    lifecycle: str


@dataclass(frozen=True, slots=True)
class LineProblem:
    """A released BOM line planning cannot use (its unit does not convert)."""

    bom_id: int
    item_code: str
    component_code: str
    problem: str


@dataclass(slots=True)
class PlanningData:
    """The catalog's planning data at one graph stamp, as the planning core's types."""

    stamp: int
    items: dict[int, PlanItem]
    codes: dict[int, str]
    ids: dict[str, int]
    boms: dict[int, tuple[PlanBom, ...]]
    bom_revisions: dict[int, str]
    #: Per BOM line (bom id, position): whether it is backflushed.
    backflush: dict[tuple[int, int], bool]
    problems: list[LineProblem]


class PlanningCache:
    """The planning data of recent rooted requests, parsed, with the ETag each came with.

    Never answered from on trust: every use asks the catalog with `If-None-Match`, and
    only its 304 (the stamp has not moved) lets the copy be used again. What it saves is
    rendering, sending and parsing the answer (a 2,000-component product's is about a
    megabyte). The copies are shared between requests: nothing may change them.
    Whole-catalog answers (MRP runs) are not kept: they run to tens of megabytes.
    """

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._copies: OrderedDict[tuple[str, ...], tuple[str, PlanningData]] = OrderedDict()

    def get(self, roots: tuple[str, ...]) -> tuple[str, PlanningData] | None:
        copy = self._copies.get(roots)
        if copy is not None:
            self._copies.move_to_end(roots)
        return copy

    def put(self, roots: tuple[str, ...], tag: str, data: PlanningData) -> None:
        self._copies[roots] = (tag, data)
        self._copies.move_to_end(roots)
        while len(self._copies) > self.size:
            self._copies.popitem(last=False)


class CatalogClient:
    def __init__(self, client: ServiceClient, cache: PlanningCache | None = None) -> None:
        self.client = client
        self.cache = cache

    async def items_by_codes(self, codes: Sequence[str]) -> dict[str, CatalogItem]:
        """The catalog's items among `codes`; codes it has no item for are absent."""
        wanted = list(dict.fromkeys(codes))
        found: dict[str, CatalogItem] = {}
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start : start + BATCH]
            response = await self.client.request(
                "catalog", "GET", "/v1/items", params={"code": chunk, "limit": len(chunk)}
            )
            if response.status_code != 200:
                raise UpstreamError(
                    f"catalog answered {response.status_code} when asked for {len(chunk)} items"
                )
            for row in response.json()["items"]:
                found[row["code"]] = CatalogItem(
                    id=row["id"],
                    code=row["code"],
                    name=row["name"],
                    uom=row["uom"],
                    item_type=row["item_type"],
                    procurement=row["procurement"],
                    tracking=row["tracking"],
                    lifecycle=row["lifecycle"],
                )
        return found

    async def planning_data(
        self, roots: Sequence[str] = (), *, field: str = "body.item_code"
    ) -> PlanningData:
        """Items and released BOM versions in one snapshot; with `roots`, only those items
        and everything below them (a root the catalog does not have is 422 on `field`)."""
        params: dict[str, Any] = {"root": list(roots)} if roots else {}
        key = tuple(roots)
        held = self.cache.get(key) if self.cache is not None and roots else None
        response = await self.client.request(
            "catalog",
            "GET",
            "/v1/planning-data",
            params=params,
            headers={"If-None-Match": held[0]} if held else None,
        )
        if response.status_code == 304 and held is not None:
            return held[1]
        if response.status_code == 422 and roots:
            missing = ", ".join(repr(code) for code in roots)
            raise InvalidInput(
                "unknown item",
                errors=[FieldError(field, f"no item {missing} in the catalog", "not_found")],
            )
        if response.status_code != 200:
            raise UpstreamError(f"catalog answered {response.status_code} for planning data")
        # orjson: the whole catalog's planning data runs to tens of megabytes
        data = parse_planning_data(orjson.loads(response.content))
        tag = response.headers.get("etag")
        if self.cache is not None and roots and tag:
            self.cache.put(key, tag, data)
        return data


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def parse_planning_data(data: dict[str, Any]) -> PlanningData:
    items: dict[int, PlanItem] = {}
    codes: dict[int, str] = {}
    for row in data["items"]:
        sizing = row["lot_sizing"]
        items[row["id"]] = PlanItem(
            id=row["id"],
            code=row["code"],
            procurement=Procurement(row["procurement"]),
            lead_time_days=int(row["lead_time_days"]),
            safety_stock=Decimal(row["safety_stock"]),
            lot_sizing=LotSizing(
                policy=LotSizingPolicy(sizing["policy"]),
                fixed_quantity=_decimal(sizing.get("fixed_quantity")),
                minimum_quantity=_decimal(sizing.get("minimum_quantity")),
                multiple=_decimal(sizing.get("multiple")),
            ),
        )
        codes[row["id"]] = row["code"]
    boms: dict[int, list[PlanBom]] = {}
    revisions: dict[int, str] = {}
    backflush: dict[tuple[int, int], bool] = {}
    problems: list[LineProblem] = []
    for bom in data["boms"]:
        lines: list[PlanLine] = []
        for line in bom["lines"]:
            if line.get("quantity_per") is None:
                problems.append(
                    LineProblem(
                        bom["id"],
                        bom["item_code"],
                        line["component_code"],
                        line.get("conversion_problem") or "the line's unit does not convert",
                    )
                )
                continue
            backflush[(bom["id"], line["position"])] = bool(line.get("backflush"))
            lines.append(
                PlanLine(
                    position=line["position"],
                    component_id=line["component_id"],
                    quantity_per=Decimal(line["quantity_per"]),
                    scrap_percent=Decimal(line["scrap_percent"]),
                    fixed_quantity=Decimal(line.get("fixed_quantity") or "0"),
                    rounding_multiple=_decimal(line.get("rounding_multiple")),
                    phantom=bool(line["phantom"]),
                    substitutes=tuple(
                        PlanSubstitute(
                            component_id=sub["component_id"],
                            priority=int(sub["priority"]),
                            ratio=Decimal(sub["ratio"]),
                        )
                        for sub in line.get("substitutes", ())
                    ),
                )
            )
        revisions[bom["id"]] = bom["revision"]
        boms.setdefault(bom["item_id"], []).append(
            PlanBom(
                id=bom["id"],
                item_id=bom["item_id"],
                revision=bom["revision"],
                effective_from=_date(bom.get("effective_from")),
                effective_to=_date(bom.get("effective_to")),
                lines=tuple(lines),
            )
        )
    return PlanningData(
        stamp=int(data["graph_stamp"]),
        items=items,
        codes=codes,
        ids={code: item_id for item_id, code in codes.items()},
        boms={item_id: tuple(versions) for item_id, versions in boms.items()},
        bom_revisions=revisions,
        backflush=backflush,
        problems=problems,
    )


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


@dataclass(frozen=True, slots=True)
class Availability:
    available: Decimal
    pending_inspection: Decimal
    reserved: Decimal


class StockClient:
    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    async def availability_snapshot(self) -> tuple[dict[str, Availability], int]:
        """Every item with stock or reservations, read by stock at one moment; and the
        ledger sequence number it holds every movement up to."""
        response = await self.client.request("stock", "GET", "/v1/availability/snapshot")
        if response.status_code != 200:
            raise UpstreamError(
                f"stock answered {response.status_code} when asked for availability"
            )
        body = orjson.loads(response.content)
        return _availabilities(body["items"]), int(body["ledger_sequence"])

    async def availability(self, codes: Sequence[str]) -> dict[str, Availability]:
        """Availability of `codes` (stock answers up to `AVAILABILITY_PAGE` a call; the
        callers batch them, in parallel: `usecases.material.availability_of`)."""
        found: dict[str, Availability] = {}
        for start in range(0, len(codes), AVAILABILITY_PAGE):
            chunk = list(codes[start : start + AVAILABILITY_PAGE])
            response = await self.client.request(
                "stock",
                "GET",
                "/v1/availability",
                params={"limit": AVAILABILITY_PAGE, "item_code": chunk},
            )
            if response.status_code != 200:
                raise UpstreamError(
                    f"stock answered {response.status_code} when asked for availability"
                )
            found.update(_availabilities(orjson.loads(response.content)["items"]))
        return found

    async def average_costs(self, codes: Sequence[str]) -> dict[str, Decimal]:
        """Stock's current moving-average cost per stock unit of `codes` (with nothing on
        hand, the item's last average), `VALUATION_PAGE` items a call; codes stock never
        valued are absent. 502/503/504 when stock does not answer: never a guessed cost."""
        wanted = list(dict.fromkeys(codes))
        chunks = [
            wanted[start : start + VALUATION_PAGE]
            for start in range(0, len(wanted), VALUATION_PAGE)
        ]
        pages = await asyncio.gather(*(self._valuation(chunk) for chunk in chunks))
        return {
            row["item_code"]: Decimal(row["average_cost"]) for page in pages for row in page
        }

    async def _valuation(self, codes: list[str]) -> list[dict[str, Any]]:
        """Stock's current valuation rows (`item_code`, `quantity`, `value`,
        `average_cost`) of up to `VALUATION_PAGE` items, empty ones too."""
        params = {"item_code": codes, "include_empty": "true", "limit": VALUATION_PAGE}
        response = await self.client.request("stock", "GET", "/v1/valuation", params=params)
        if response.status_code != 200:
            raise UpstreamError(
                f"stock answered {response.status_code} when asked for average costs"
            )
        return list(orjson.loads(response.content)["items"])


def _availabilities(rows: list[dict[str, Any]]) -> dict[str, Availability]:
    return {
        row["item_code"]: Availability(
            available=Decimal(row["available"]),
            pending_inspection=Decimal(row["pending_inspection"]),
            reserved=Decimal(row["reserved"]),
        )
        for row in rows
    }
