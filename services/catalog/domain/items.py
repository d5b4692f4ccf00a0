"""Item master rules."""

from __future__ import annotations

from enum import StrEnum


class ItemType(StrEnum):
    RAW_MATERIAL = "raw_material"
    SEMI_FINISHED = "semi_finished"
    FINISHED_GOOD = "finished_good"


class Procurement(StrEnum):
    BUY = "buy"
    MAKE = "make"


class Tracking(StrEnum):
    NONE = "none"
    LOT = "lot"
    SERIAL = "serial"


def default_procurement(item_type: ItemType) -> Procurement:
    """Raw materials are bought; semi-finished and finished goods are made."""
    return Procurement.BUY if item_type is ItemType.RAW_MATERIAL else Procurement.MAKE


def etag(version: int) -> str:
    return f'W/"{version}"'


def version_from_if_match(header: str) -> int | None:
    """The version an If-Match header names (`W/"3"`, `"3"`), or None if it names none."""
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    return int(value) if value.isdigit() else None
