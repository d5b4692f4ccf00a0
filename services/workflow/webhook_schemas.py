"""Event webhooks for integrators: subscriptions, their deliveries and replays."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.workflow import webhook_examples as ex
from services.workflow.domain.event_patterns import check_pattern
from services.workflow.schemas import Url
from shared.http.pagination import Page

#: What the feeds carry that integrators ask for most (the full lists: each service's
#: `GET /v1/events`). Shown in the OpenAPI description of the subscription's patterns.
USEFUL_EVENT_TYPES = """\
Patterns are `<source>.<EventType>`; `*` stands for any run of characters
(`stock.*Posted`, `workflow.Flow*`, `mrp.*`). Sources and the event types they carry:

* `stock`: `MovementPosted` (every stock movement: item, lot or serial, location, quantity,
  value, document), the documents `ReceiptPosted`, `InspectionPosted`, `RequisitionPosted`,
  `ShipmentPosted`, `TransferPosted`, `ProductionReceiptPosted`, `ScrapPosted`,
  `SupplierReturnPosted`, `CustomerReturnPosted`, `DefectiveReleasePosted`, `StockCountPosted`,
  `OpeningBalancePosted` (each also `...Reversed` and, for drafts, `...Cancelled`),
  `RequisitionSubmitted`, `RequisitionReturned`, `LotCreated`, `LocationCreated`,
  `ReservationCreated`/`Changed`/`Closed`/`Cancelled`, `ItemRevalued`, and the approval
  hand-over `ApprovalRequested`, `ApprovalCancelled`, `ApprovalReturned`;
* `mrp`: `WorkOrderCompleted` (produced all it was to make), `WorkOrderStatusChanged`,
  `WorkOrderCreated`, `WorkOrderReleased`, `WorkOrderClosed`, `WorkOrderCancelled`,
  `OperationRecorded`, `PlannedOrderFirmed`, `PurchaseOrderCreated`/`Closed`/`Cancelled`,
  `SalesOrderCreated`/`Closed`/`Cancelled`, `MrpRunCompleted`, `ShortageFound` (one per
  item an MRP run finds short: quantity, first day short, late part), and the approval
  hand-over events;
* `catalog`: `BomReleased`, `BomCreated`, `BomChanged`, `BomSuperseded`, `BomObsoleted`,
  `ItemCreated`, `ItemUpdated`, `ItemDeleted`, `RoutingChanged`, and the approval
  hand-over events;
* `workflow`: `ApprovalFinished` (an approval ended: approved, rejected, returned,
  withdrawn, cancelled; with the document and the reason), `FlowSaved`, `FlowActivated`,
  `FlowDeactivated` (its own feed: whatever workflow emits is delivered).
"""

EventPattern = Annotated[
    str,
    Field(min_length=3, max_length=120, examples=["stock.*Posted"]),
    AfterValidator(check_pattern),
]


class EventSource(StrEnum):
    CATALOG = "catalog"
    STOCK = "stock"
    MRP = "mrp"
    WORKFLOW = "workflow"


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.WEBHOOK_IN]})

    name: str = Field(min_length=1, max_length=200)
    url: Url = Field(description="Where the events are POSTed (http or https)")
    event_types: list[EventPattern] = Field(
        min_length=1, max_length=50, description=USEFUL_EVENT_TYPES
    )
    active: bool = True
    description: str = Field("", max_length=1000)


class WebhookOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.WEBHOOK]})

    id: int
    name: str
    url: str
    event_types: list[str]
    active: bool
    description: str
    secret_hint: str = Field(description='The secret\'s prefix and last characters: "whsec_…ab12"')
    replays: int = Field(description="Replays made so far (each a generation of deliveries)")
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime


class WebhookWithSecret(WebhookOut):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.WEBHOOK_WITH_SECRET]})

    secret: str = Field(
        description="`whsec_<base64>`: verify the `webhook-signature` with it (Standard "
        "Webhooks). Answered only when the subscription is made or its secret rotated."
    )


WebhookPage = Page[WebhookOut]


class DeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


class WebhookDeliveryOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.DELIVERY]})

    id: int
    subscription_id: int
    source: str
    seq: int = Field(description="The event's sequence number in its source's feed")
    generation: int = Field(description="0: as the event happened; n: the n-th replay")
    event_id: str
    event_type: str = Field(description="As sent: `<source>.<EventType>`")
    webhook_id: str = Field(description="The `webhook-id` it is sent with, on every attempt")
    occurred_at: datetime
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_status: int | None = Field(description="The receiver's last HTTP status")
    last_error: str
    created_at: datetime
    delivered_at: datetime | None
    data: dict[str, Any] = Field(description="The webhook's `data`")


WebhookDeliveryPage = Page[WebhookDeliveryOut]


class ReplayIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.REPLAY_IN]})

    source: EventSource
    from_seq: int = Field(ge=1, le=2**62, description="The first sequence number sent again")
    to_seq: int | None = Field(
        None, ge=1, le=2**62, description="The last one (default: the feed's newest)"
    )


class ReplayOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.REPLAY]})

    subscription_id: int
    source: EventSource
    generation: int = Field(description="The replay's generation (part of its webhook ids)")
    from_seq: int
    through_seq: int = Field(description="The last sequence number read")
    scanned: int = Field(description="Events read from the feed")
    queued: int = Field(description="Deliveries queued: the events the subscription matches")
    has_more: bool = Field(
        description="The replay stopped at its size limit: replay again from through_seq + 1"
    )
