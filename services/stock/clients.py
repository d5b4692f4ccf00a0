"""Typed clients for the services stock calls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from shared.client import ServiceClient
from shared.db.database import Database
from shared.errors import UpstreamError


@dataclass(frozen=True, slots=True)
class CatalogItem:
    code: str
    name: str
    uom: str
    item_type: str
    tracking: str
    shelf_life_days: int | None
    id: int | None = None
    category: str | None = None


@dataclass(frozen=True, slots=True)
class Conversion:
    """A quantity converted by the catalog: exact, and rounded by the target unit's rule."""

    exact: Decimal
    rounded: Decimal


class ConversionRefused(Exception):
    """The catalog cannot convert (unknown unit, no conversion between the two)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class CatalogClient:
    """The catalog as stock sees it: the service, and (`copy`, stock's database) the copy
    of its items kept from its feed, which reports read first (usecases/report_items.py);
    documents always ask the service."""

    def __init__(self, client: ServiceClient, copy: Database | None = None) -> None:
        self.client = client
        self.copy = copy

    async def item_by_code(self, code: str) -> CatalogItem | None:
        """The catalog's item with `code`, or None if the catalog has none."""
        response = await self.client.request(
            "catalog", "GET", f"/v1/items/by-code/{quote(code, safe='')}"
        )
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise UpstreamError(
                f"catalog answered {response.status_code} when asked for item {code!r}"
            )
        return _item(response.json())

    async def items_by_codes(self, codes: Sequence[str]) -> dict[str, CatalogItem]:
        """The catalog's items among `codes` (up to `BATCH` per call); codes it has no item
        for are simply absent."""
        wanted = list(dict.fromkeys(codes))
        if len(wanted) > BATCH:
            raise ValueError(f"at most {BATCH} codes per call")
        if not wanted:
            return {}
        response = await self.client.request(
            "catalog", "GET", "/v1/items", params={"code": wanted, "limit": len(wanted)}
        )
        if response.status_code != 200:
            raise UpstreamError(
                f"catalog answered {response.status_code} when asked for {len(wanted)} items"
            )
        return {row["code"]: _item(row) for row in response.json()["items"]}

    async def safety_stocks(self) -> dict[str, tuple[CatalogItem, Decimal]]:
        """Every item with a safety stock above 0, with it, by code (the catalog's pages)."""
        found: dict[str, tuple[CatalogItem, Decimal]] = {}
        params: dict[str, Any] = {"with_safety_stock": "true", "limit": BATCH}
        while True:
            response = await self.client.request("catalog", "GET", "/v1/items", params=params)
            if response.status_code != 200:
                raise UpstreamError(
                    f"catalog answered {response.status_code} when asked for safety stocks"
                )
            body = response.json()
            for row in body["items"]:
                found[row["code"]] = (_item(row), Decimal(row["safety_stock"]))
            if not body.get("next_cursor"):
                return found
            params["cursor"] = body["next_cursor"]


async def convert(
    catalog: CatalogClient, item: CatalogItem, quantity: Decimal, from_uom: str
) -> Conversion:
    """`quantity` of `item` in `from_uom`, in the item's stock unit (item-specific
    conversions first, as the catalog decides)."""
    response = await catalog.client.request(
        "catalog",
        "GET",
        f"/v1/items/{item.id}/convert",
        params={"quantity": str(quantity), "from_uom": from_uom, "to_uom": item.uom},
    )
    if response.status_code in (404, 422):
        body = response.json()
        raise ConversionRefused(str(body.get("detail") or body.get("title") or "not convertible"))
    if response.status_code != 200:
        raise UpstreamError(f"catalog answered {response.status_code} to a unit conversion")
    data = response.json()
    return Conversion(exact=Decimal(data["exact"]), rounded=Decimal(data["rounded"]))


#: Codes per catalog call: the catalog's list takes up to 500; 200 keeps URLs short.
BATCH = 200


def _item(data: dict[str, Any]) -> CatalogItem:
    return CatalogItem(
        code=data["code"],
        name=data["name"],
        uom=data["uom"],
        item_type=data["item_type"],
        tracking=data["tracking"],
        shelf_life_days=data.get("shelf_life_days"),
        id=data.get("id"),
        category=data.get("category"),
    )
