"""Typed clients for the services the catalog calls."""

from __future__ import annotations

from shared.client import ServiceClient
from shared.errors import UpstreamError


class StockClient:
    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    async def has_movements(self, item_code: str) -> bool:
        """True when the stock ledger holds any movement of `item_code`."""
        response = await self.client.request(
            "stock", "GET", "/v1/movements", params={"item_code": item_code, "limit": 1}
        )
        if response.status_code != 200:
            raise UpstreamError(
                f"stock answered {response.status_code} when asked about item {item_code!r}"
            )
        return bool(response.json()["items"])
