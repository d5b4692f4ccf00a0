"""Catalog request and response models: the public contract."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.catalog.domain.items import ItemType, Procurement, Tracking
from shared.http.pagination import Page

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$"


class ItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        min_length=1,
        max_length=64,
        pattern=CODE_PATTERN,
        description="Unique item code integrators use",
    )
    name: str = Field(min_length=1, max_length=200)
    specification: str = Field("", max_length=500, description="规格/型号")
    uom: str = Field(min_length=1, max_length=20, description="Stock unit, e.g. pcs")
    item_type: ItemType
    procurement: Procurement | None = Field(
        None, description="Defaults to buy for raw materials, make otherwise"
    )
    tracking: Tracking = Tracking.NONE
    shelf_life_days: int | None = Field(None, ge=1, le=36500)


class ItemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    specification: str | None = Field(None, max_length=500)
    uom: str | None = Field(None, min_length=1, max_length=20)
    procurement: Procurement | None = None
    tracking: Tracking | None = None
    shelf_life_days: int | None = Field(None, ge=1, le=36500)

    @field_validator("name", "uom", "procurement", "tracking")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may not be null")
        return value


class ItemOut(BaseModel):
    id: int
    code: str
    name: str
    specification: str
    uom: str
    item_type: ItemType
    procurement: Procurement
    tracking: Tracking
    shelf_life_days: int | None
    version: int
    created_at: datetime
    updated_at: datetime


ItemPage = Page[ItemOut]
