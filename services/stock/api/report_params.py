"""The filters the stock reports share: which stock a report looks at."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from pydantic import Field

from services.stock.domain.model import Stage
from services.stock.usecases.reports import StockScope


def stock_scope(
    location_code: Annotated[
        str | None,
        Query(max_length=100, description="Only stock at this location (an unknown code: none)"),
    ] = None,
    subtree: Annotated[
        bool,
        Query(
            description="With location_code: also every location below it; without "
            "location_code it changes nothing"
        ),
    ] = False,
    stage: Stage | None = None,
    item_code: Annotated[
        list[Annotated[str, Field(max_length=64)]] | None,
        Query(max_length=500, description="Repeat for several items (up to 500); default all"),
    ] = None,
) -> StockScope:
    return StockScope(
        location_code=location_code,
        subtree=subtree,
        stage=stage,
        item_codes=list(dict.fromkeys(item_code or [])),
    )


#: A report's location (+ subtree), stage and item filters.
Scope = Annotated[StockScope, Depends(stock_scope)]
