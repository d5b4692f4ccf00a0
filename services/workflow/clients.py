"""What workflow asks the other services: a submitted document's facts for its conditions
(items from the catalog, costs and warehouses from stock), and the owning service's
posting or return of a decided document."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx

from shared.client import ServiceClient
from shared.errors import UpstreamError

#: Item codes per catalog call (the catalog's limit is higher; short URLs).
BATCH = 200
#: Item codes per stock valuation call (stock's limit and page size).
VALUATION_BATCH = 500
#: Requests in flight at once to one service for one question (items, costs).
CONCURRENCY = 8
#: Locations climbed at most to find a warehouse.
MAX_DEPTH = 20


def _number(value: Any) -> float:
    return float(Decimal(str(value))) if value not in (None, "") else 0.0


async def _json(response: httpx.Response, what: str) -> Any:
    if response.status_code != 200:
        raise UpstreamError(f"{what}: answered {response.status_code}")
    return response.json()


async def _rows_by_chunk(
    client: ServiceClient,
    service: str,
    path: str,
    code_param: str,
    codes: list[str],
    size: int,
    **params: str,
) -> list[dict[str, Any]]:
    """Every row a list endpoint gives for `codes`, asked `size` codes a call (`code_param`
    repeated, with `params`), `CONCURRENCY` calls at once."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def chunk(part: list[str]) -> list[dict[str, Any]]:
        async with gate:
            query = {code_param: part, **params, "limit": len(part)}
            response = await client.request(service, "GET", path, params=query)
            return list((await _json(response, f"{service} {path}"))["items"])

    parts = [codes[start : start + size] for start in range(0, len(codes), size)]
    pages = await asyncio.gather(*(chunk(part) for part in parts))
    return [row for page in pages for row in page]


async def catalog_items(client: ServiceClient, codes: list[str]) -> dict[str, dict[str, Any]]:
    """The catalog's items by code (codes it does not know are absent), asked in chunks
    at once."""
    rows = await _rows_by_chunk(client, "catalog", "/v1/items", "code", codes, BATCH)
    return {row["code"]: row for row in rows}


async def average_costs(client: ServiceClient, codes: list[str]) -> dict[str, Decimal]:
    """Stock's moving-average cost per item (what issuing it is worth now; 0 for an item
    stock never valued), `VALUATION_BATCH` items a call."""
    wanted = list(dict.fromkeys(codes))
    rows = await _rows_by_chunk(
        client,
        "stock",
        "/v1/valuation",
        "item_code",
        wanted,
        VALUATION_BATCH,
        include_empty="true",
    )
    found = {row["item_code"]: Decimal(str(row["average_cost"])) for row in rows}
    return {code: found.get(code, Decimal(0)) for code in wanted}


async def warehouse_of(client: ServiceClient, location_code: str | None) -> str | None:
    """The warehouse (top location of type warehouse) a location lies in."""
    code = location_code
    for _ in range(MAX_DEPTH):
        if not code:
            return None
        response = await client.request(
            "stock", "GET", f"/v1/locations/by-code/{quote(code, safe='')}"
        )
        if response.status_code == 404:
            return None
        row = await _json(response, f"stock location {code}")
        if row["location_type"] == "warehouse":
            return str(row["code"])
        code = row.get("parent_code")
    return None


#: What a BOM version's or a planned order's document says besides its lines.
OWN_FIELDS = (
    "item_code", "revision", "effective_from", "effective_to", "order_type", "start_date",
    "due_date",
)  # fmt: skip


async def document_facts(
    client: ServiceClient, document_type: str, document: dict[str, Any]
) -> dict[str, Any]:
    """A submitted stock document as conditions see it: each line with its item (category,
    type, name), unit cost (the line's unit price where it has one, as a receipt does,
    else the item's average cost) and value, the total `amount`, and the warehouse the
    document's location lies in (issuing, else receiving). A count's lines are its signed
    differences: each line's `value` keeps the sign, `amount` adds their sizes (a gain
    does not hide a loss). A BOM version's lines are its components per unit of its
    `item_code` (`amount`: their cost at average cost), a planned order's one line its
    item (with `order_type` buy or make and its dates)."""
    lines = document.get("lines") or []
    codes = sorted({str(line["item_code"]) for line in lines})
    location = (
        document.get("from_location_code")
        or document.get("location_code")
        or document.get("to_location_code")
    )
    items, costs, warehouse = await asyncio.gather(
        catalog_items(client, codes),
        average_costs(client, codes),
        warehouse_of(client, location),
    )
    amount = Decimal(0)
    out_lines = []
    for line in lines:
        code = str(line["item_code"])
        quantity = Decimal(str(line["quantity"]))
        price = line.get("unit_price")
        cost = Decimal(str(price)) if price not in (None, "") else costs.get(code, Decimal(0))
        value = quantity * cost
        amount += abs(value)
        item = items.get(code, {})
        out_lines.append(
            {
                "line_no": line.get("line_no"),
                "item_code": code,
                "quantity": float(quantity),
                "lot_number": line.get("lot_number"),
                "unit_cost": float(cost),
                "value": float(value),
                "item": {
                    "code": code,
                    "name": item.get("name", ""),
                    "category": item.get("category") or "",
                    "item_type": item.get("item_type", ""),
                    "uom": item.get("uom", ""),
                },
            }
        )
    return {
        "type": document_type,
        "id": document.get("id"),
        "number": document.get("number"),
        "work_order": document.get("work_order") or "",
        "from_location_code": document.get("from_location_code"),
        "to_location_code": document.get("to_location_code"),
        "location_code": document.get("location_code") or location,
        "warehouse_code": warehouse,
        "supplier": document.get("supplier") or "",
        "purchase_order": document.get("purchase_order") or "",
        "reason": document.get("reason") or "",
        "note": document.get("note", ""),
        **{key: document.get(key) or "" for key in OWN_FIELDS},
        "created_by": document.get("created_by"),
        "submitted_by": document.get("submitted_by") or document.get("requested_by"),
        "amount": _number(amount),
        "exact_amount": str(amount.quantize(Decimal("0.000001"))),
        "lines": out_lines,
    }
