"""The event feed's public contract."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

#: The first two events of the demo's stock feed (`GET /v1/events?after=0&limit=2`).
FEED_EVENTS_EXAMPLE: list[Any] = [
    {
        "seq": 1,
        "event_id": "9861583c-a02a-45db-b7dd-b5b19d804c2e",
        "type": "LocationCreated",
        "aggregate_type": "location",
        "aggregate_id": "7",
        "occurred_at": "2026-11-28T05:10:03.671396Z",
        "actor": "user:admin",
        "request_id": "f7ef933d4ae14b308f754503d1084956",
        "payload": {
            "id": 7,
            "code": "SZ",
            "name": "Shenzhen plant warehouse",
            "location_type": "warehouse",
            "parent_code": None,
            "is_virtual": False,
            "active": True,
            "version": 1,
            "created_at": "2026-11-28T05:10:03.665603Z",
        },
    },
    {
        "seq": 2,
        "event_id": "07e9569f-5090-4580-89a3-529323e56978",
        "type": "LocationCreated",
        "aggregate_type": "location",
        "aggregate_id": "8",
        "occurred_at": "2026-11-28T05:10:03.697376Z",
        "actor": "user:admin",
        "request_id": "27653509afb541c28c225789437a0995",
        "payload": {
            "id": 8,
            "code": "SZ/RAW",
            "name": "Raw material store",
            "location_type": "storage",
            "parent_code": "SZ",
            "is_virtual": False,
            "active": True,
            "version": 1,
            "created_at": "2026-11-28T05:10:03.691100Z",
        },
    },
]


class FeedEvent(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [FEED_EVENTS_EXAMPLE[0]]})

    seq: int = Field(description="Gap-free sequence number within the producing service")
    event_id: str
    type: str = Field(description="Past-tense event name, e.g. ReceiptPosted")
    aggregate_type: str
    aggregate_id: str
    occurred_at: datetime
    actor: str
    request_id: str | None = None
    payload: dict[str, Any]


class FeedPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"events": FEED_EVENTS_EXAMPLE, "next_after": 2, "has_more": True}]
        }
    )

    events: list[FeedEvent]
    next_after: int = Field(description="Pass as `after` to read on")
    has_more: bool


class Nudge(BaseModel):
    source: str = Field(min_length=1, max_length=50, pattern=r"^[a-z][a-z0-9_-]*$",
                        description="The service whose feed has new events")


class NudgeAccepted(BaseModel):
    source: str
    accepted: bool
