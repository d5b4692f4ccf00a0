"""The event feed's public contract."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class FeedEvent(BaseModel):
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
    events: list[FeedEvent]
    next_after: int = Field(description="Pass as `after` to read on")
    has_more: bool


class Nudge(BaseModel):
    source: str = Field(min_length=1, max_length=50, pattern=r"^[a-z][a-z0-9_-]*$",
                        description="The service whose feed has new events")


class NudgeAccepted(BaseModel):
    source: str
    accepted: bool
