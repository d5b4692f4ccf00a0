"""Typed clients for the services stock calls."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from shared.client import ServiceClient
from shared.errors import UpstreamError


@dataclass(frozen=True, slots=True)
class CatalogItem:
    code: str
    name: str
    uom: str
    item_type: str
    tracking: str
    shelf_life_days: int | None


class CatalogClient:
    def __init__(self, client: ServiceClient) -> None:
        self.client = client

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
        data = response.json()
        return CatalogItem(
            code=data["code"],
            name=data["name"],
            uom=data["uom"],
            item_type=data["item_type"],
            tracking=data["tracking"],
            shelf_life_days=data.get("shelf_life_days"),
        )
