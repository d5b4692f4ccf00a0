"""What erp asks stock: the stock value per item and stage at a moment (for the
reconciliation, on the caller's behalf so stock shows the values), and the values of an
item's movements now (for revaluations, as the erp service)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import orjson

from shared.auth.principal import Principal
from shared.client import ServiceClient
from shared.errors import UpstreamError


@dataclass(frozen=True, slots=True)
class ItemValue:
    item_code: str
    stage: str
    value: Decimal


class StockClient:
    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    async def values(
        self, moment: datetime | None, principal: Principal, location_code: str | None = None
    ) -> list[ItemValue]:
        """Stock's value per item and stage at `moment` (None: now), under a location (one
        stock does not know, such as a book's warehouse not set up yet, holds nothing)."""
        params: dict[str, str] = {"group_by": "item"}
        if moment is not None:
            params["as_of"] = moment.isoformat()
        if location_code:
            params["location_code"] = location_code
        response = await self.client.request(
            "stock", "GET", "/v1/stock-overview", params=params, principal=principal
        )
        if location_code and _unknown_location(response.status_code, response.content):
            return []
        if response.status_code != 200:
            raise UpstreamError(
                f"stock answered {response.status_code} when asked for the stock value"
            )
        found: dict[tuple[str, str], Decimal] = {}
        for row in orjson.loads(response.content)["rows"]:
            for cell in row["cells"]:
                if cell.get("value") is None:
                    raise UpstreamError("stock left the values out: ask as finance or admin")
                key = (str(row["group"]["item_code"]), str(cell["stage"]))
                found[key] = found.get(key, Decimal(0)) + Decimal(str(cell["value"]))
        return [ItemValue(item, stage, value) for (item, stage), value in found.items()]

    async def movement_values(self, item_code: str) -> dict[int, Decimal]:
        """The value stock holds now for each movement of an item (page by page)."""
        found: dict[int, Decimal] = {}
        cursor: str | None = None
        while True:
            params: dict[str, str | int] = {"item_code": item_code, "limit": 500}
            if cursor:
                params["cursor"] = cursor
            response = await self.client.request("stock", "GET", "/v1/movements", params=params)
            if response.status_code != 200:
                raise UpstreamError(
                    f"stock answered {response.status_code} when asked for {item_code}'s movements"
                )
            page = orjson.loads(response.content)
            for row in page["items"]:
                if row.get("value") is not None:
                    found[int(row["id"])] = Decimal(str(row["value"]))
            cursor = page.get("next_cursor")
            if not cursor:
                return found


def _unknown_location(status: int, body: bytes) -> bool:
    """Whether stock's answer is its 422 naming `location_code` as not found."""
    if status != 422:
        return False
    try:
        errors = orjson.loads(body).get("errors") or []
    except (orjson.JSONDecodeError, AttributeError):
        return False
    return any(
        isinstance(e, dict)
        and e.get("field") == "query.location_code"
        and e.get("type") == "not_found"
        for e in errors
    )
