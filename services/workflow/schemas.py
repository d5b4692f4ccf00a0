"""Workflow request and response models: organisation, calendars, flows, approvals, inbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.workflow import approval_examples as approval_ex
from services.workflow import notification_examples as notice_ex
from services.workflow import org_examples as org_ex
from services.workflow import rule_examples as rule_ex
from shared.http.pagination import Page
from shared.schemas import DecimalString

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
Username = Annotated[str, Field(min_length=1, max_length=100)]
Cel = Annotated[str, Field(min_length=1, max_length=2000, description="A CEL expression")]


class DocumentType(StrEnum):
    """What a flow can gate: stock's material requisitions, purchase receipts, defective
    releases, scraps, supplier returns and stock counts with differences; the catalog's
    BOM version releases; mrp's planned-order firmings (`OWNERS`); and reviews rules
    start."""

    MATERIAL_REQUISITION = "material_requisition"
    PURCHASE_RECEIPT = "purchase_receipt"
    DEFECTIVE_RELEASE = "defective_release"
    SCRAP = "scrap"
    COUNT_VARIANCE = "count_variance"
    SUPPLIER_RETURN = "supplier_return"
    BOM_RELEASE = "bom_release"
    PLANNED_ORDER_FIRMING = "planned_order_firming"
    #: A review a rule's `start_flow` action opens (dead stock to dispose of, a lot about
    #: to expire): the document is the rule's subject; the outcome stays in workflow.
    RULE_REVIEW = "rule_review"


#: Document types whose owning service already holds submitted documents for a flow.
@dataclass(frozen=True, slots=True)
class Owner:
    """The service that holds submitted documents of a gated type, and where workflow
    closes the type's gate (`PUT`, {"required", "flow"}) and sends its decision (`POST`,
    `{id}`: the document's)."""

    service: str
    gate_path: str
    decision_path: str


def _stock(document_type: str, documents: str) -> Owner:
    return Owner(
        "stock",
        f"/v1/approval-gates/{document_type}",
        f"/v1/{documents}/{{id}}/approval-decision",
    )


#: Every document type whose owning service holds a submitted document for workflow's
#: decision (the other types' flows have no document to wait yet).
OWNERS: dict[str, Owner] = {
    DocumentType.MATERIAL_REQUISITION.value: _stock("material_requisition", "requisitions"),
    DocumentType.PURCHASE_RECEIPT.value: _stock("purchase_receipt", "receipts"),
    DocumentType.DEFECTIVE_RELEASE.value: _stock("defective_release", "defective-releases"),
    DocumentType.SCRAP.value: _stock("scrap", "scraps"),
    DocumentType.SUPPLIER_RETURN.value: _stock("supplier_return", "supplier-returns"),
    DocumentType.COUNT_VARIANCE.value: _stock("count_variance", "stock-counts"),
    DocumentType.BOM_RELEASE.value: Owner(
        "catalog", "/v1/bom-approval-gate", "/v1/boms/{id}/approval-decision"
    ),
    DocumentType.PLANNED_ORDER_FIRMING.value: Owner(
        "mrp", "/v1/firming-approval-gate", "/v1/planned-orders/{id}/approval-decision"
    ),
}
GATED_TYPES = frozenset(DocumentType(name) for name in OWNERS)


# --- organisation ---------------------------------------------------------------------


class DepartmentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [org_ex.DEPARTMENT_IN]}
    )

    code: Code
    name: str = Field(min_length=1, max_length=200)
    parent_code: Code | None = None
    manager: Username | None = Field(None, description="The department's head (a user name)")


class DepartmentOut(DepartmentIn):
    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [org_ex.DEPARTMENT]})

    id: int
    version: int
    created_at: datetime


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [org_ex.PERSON_IN]})

    username: Username = Field(description="The gateway user name (`alice` for `user:alice`)")
    name: str = Field(min_length=1, max_length=200)
    department_code: Code | None = None
    manager: Username | None = Field(
        None, description="Their manager; without one, the head of their department"
    )
    mobile: str = Field("", max_length=40)
    email: str = Field("", max_length=200)
    dingtalk_user_id: str = Field("", max_length=100)
    wecom_user_id: str = Field("", max_length=100)
    language: str = Field("zh", pattern=r"^(zh|en)$")
    active: bool = True


class PersonOut(PersonIn):
    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [org_ex.PERSON]})

    id: int
    version: int
    created_at: datetime


class RoleHolderIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [org_ex.ROLE_HOLDER_IN]}
    )

    role: Code = Field(description="An approval role: director, keeper, buyer, ...")
    scope: str = Field(
        "", max_length=100, description="A warehouse code (the keeper of WH1); empty: everywhere"
    )
    username: Username


class RoleHolderOut(RoleHolderIn):
    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [org_ex.ROLE_HOLDER]})

    id: int
    created_at: datetime


DepartmentPage = Page[DepartmentOut]
PersonPage = Page[PersonOut]
RoleHolderPage = Page[RoleHolderOut]


# --- calendars ------------------------------------------------------------------------


class CalendarIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [org_ex.CALENDAR_IN]})

    code: Code
    name: str = Field(min_length=1, max_length=200)
    timezone: str = Field("Asia/Shanghai", max_length=64)
    week: dict[Annotated[int, Field(ge=1, le=7)], str] = Field(
        description='Working hours per ISO weekday (1 = Monday): {"1": "09:00-12:00,13:00-18:00"}'
    )
    holidays: list[date] = Field(default_factory=list, max_length=1000)
    extra_workdays: list[date] = Field(
        default_factory=list, max_length=1000, description="Make-up working days (调休)"
    )
    extra_day_hours: str = Field("09:00-12:00,13:00-18:00", max_length=200)


class CalendarOut(CalendarIn):
    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [org_ex.CALENDAR]})

    id: int
    version: int
    created_at: datetime


CalendarPage = Page[CalendarOut]


# --- flows ----------------------------------------------------------------------------


class ApproverKind(StrEnum):
    ROLE = "role"
    WAREHOUSE_ROLE = "warehouse_role"
    USER = "user"
    MANAGER = "manager"
    FIELD = "field"


class Approvers(BaseModel):
    """Who approves a step.

    * `role`: every holder of `role` (global holders);
    * `warehouse_role`: holders of `role` for the warehouse `field` names (a CEL expression,
      default `document.warehouse_code`), plus global holders;
    * `user`: the named `user`;
    * `manager`: the requester's manager `levels` up (1 = direct manager);
    * `field`: the user name(s) a CEL expression gives (`document.created_by`).
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [approval_ex.KEEPER]})

    kind: ApproverKind
    role: Code | None = None
    user: Username | None = None
    levels: int = Field(1, ge=1, le=10)
    field: Cel | None = None

    @model_validator(mode="after")
    def _complete(self) -> Approvers:
        needs = {
            ApproverKind.ROLE: ("role",),
            ApproverKind.WAREHOUSE_ROLE: ("role",),
            ApproverKind.USER: ("user",),
            ApproverKind.FIELD: ("field",),
            ApproverKind.MANAGER: (),
        }[self.kind]
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"approvers of kind {self.kind.value} need {', '.join(missing)}")
        return self


class StepMode(StrEnum):
    ANY = "any"  # 或签: one approval decides
    ALL = "all"  # 会签: every approver must approve


class TimeoutAction(StrEnum):
    REMIND = "remind"
    ESCALATE = "escalate"
    APPROVE = "approve"
    REJECT = "reject"


class MobileApp(StrEnum):
    NONE = "none"
    DINGTALK = "dingtalk"
    WECOM = "wecom"


class StepIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [approval_ex.KEEPER_STEP]}
    )

    key: Code
    name: str = Field(min_length=1, max_length=200)
    condition: Cel | None = Field(None, description="Entered only when this is true")
    approvers: list[Approvers] = Field(min_length=1, max_length=10)
    mode: StepMode = StepMode.ANY
    time_limit_hours: Annotated[Decimal, DecimalString] | None = Field(
        None, gt=0, le=10000, description="Working hours (the flow's calendar)"
    )
    on_timeout: TimeoutAction = TimeoutAction.REMIND
    escalate_to_role: Code | None = Field(None, description="For on_timeout=escalate")
    mobile: MobileApp = Field(
        MobileApp.NONE,
        description="Mirror each approver's task into DingTalk's or WeCom's approval app "
        "(移动审批); the decision taken there counts as one taken here",
    )

    @model_validator(mode="after")
    def _escalation(self) -> StepIn:
        if self.on_timeout is TimeoutAction.ESCALATE and self.escalate_to_role is None:
            raise ValueError("on_timeout=escalate needs escalate_to_role")
        return self


class StageIn(BaseModel):
    """Steps run in sequence, stage by stage; the steps of one stage run in parallel and
    the stage is done when each of them is."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [approval_ex.DIRECTOR_STAGE]}
    )

    key: Code
    name: str = Field(min_length=1, max_length=200)
    condition: Cel | None = Field(None, description="The stage is skipped when this is false")
    steps: list[StepIn] = Field(min_length=1, max_length=10)


class FlowIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [approval_ex.FLOW_IN]})

    document_type: DocumentType
    name: str = Field(min_length=1, max_length=200)
    calendar_code: Code = "standard"
    stages: list[StageIn] = Field(min_length=1, max_length=30)
    notify_channels: list[Code] = Field(
        default_factory=list,
        max_length=5,
        description="Channels told when a step waits, a time limit passes and the outcome "
        "(group robots and webhooks once; SMS and e-mail to each person concerned)",
    )
    activate: bool = Field(
        False, description="Make this version the active one (holds the documents from now on)"
    )

    @field_validator("stages")
    @classmethod
    def _unique_keys(cls, stages: list[StageIn]) -> list[StageIn]:
        for what, keys in (
            ("stage", [s.key for s in stages]),
            ("step", [step.key for s in stages for step in s.steps]),
        ):
            twice = sorted({k for k in keys if keys.count(k) > 1})
            if twice:
                raise ValueError(f"{what} keys must be unique; repeated: {', '.join(twice)}")
        return stages


class FlowOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [approval_ex.FLOW]})

    id: int
    document_type: DocumentType
    version: int
    name: str
    calendar_code: str
    stages: list[StageIn]
    notify_channels: list[str]
    active: bool
    created_at: datetime
    created_by: str
    activated_at: datetime | None


FlowPage = Page[FlowOut]


# --- instances ------------------------------------------------------------------------


class InstanceStatus(StrEnum):
    STARTING = "starting"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"


class SyncState(StrEnum):
    """Telling the owning service the outcome (posting on approval, draft otherwise)."""

    NONE = "none"
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class TaskOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [approval_ex.TASK]})

    id: int
    assignee: str
    status: str
    origin: str
    created_at: datetime
    due_at: datetime | None
    decided_at: datetime | None
    comment: str


class StepOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [approval_ex.STEP]})

    id: int
    stage_index: int
    key: str
    name: str
    mode: StepMode
    status: str
    started_at: datetime
    due_at: datetime | None
    finished_at: datetime | None
    note: str
    tasks: list[TaskOut]


class HistoryOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [approval_ex.HISTORY]})

    at: datetime
    actor: str
    action: str
    step_key: str
    comment: str
    detail: dict[str, Any]


class InstanceSummary(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [approval_ex.INSTANCE_SUMMARY]})

    id: int
    document_type: DocumentType
    document_id: int
    document_number: str
    flow_id: int | None
    flow_version: int | None
    status: InstanceStatus
    requester: str
    amount: Annotated[Decimal, DecimalString] | None
    submitted_at: datetime
    finished_at: datetime | None
    reason: str
    problem: str = Field(description="Why it could not start or route, if so")
    sync_state: SyncState
    sync_problem: dict[str, Any] | None = Field(
        description="What the owning service answered when it refused (e.g. short stock)"
    )
    current_stage: str | None


class InstanceOut(InstanceSummary):
    model_config = ConfigDict(json_schema_extra={"examples": [approval_ex.INSTANCE]})

    context: dict[str, Any] = Field(description="The document as the conditions see it")
    steps: list[StepOut]
    history: list[HistoryOut]


InstancePage = Page[InstanceSummary]


class DecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [approval_ex.DECISION_IN]}
    )

    comment: str = Field("", max_length=500)


class ReasonIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [approval_ex.REASON_IN]}
    )

    reason: str = Field(min_length=1, max_length=500)


class DelegateIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [approval_ex.DELEGATE_IN]}
    )

    to: Username
    comment: str = Field("", max_length=500)


class SignerIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [approval_ex.SIGNER_IN]}
    )

    user: Username
    comment: str = Field("", max_length=500)


class CommentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [approval_ex.COMMENT_IN]}
    )

    text: str = Field(min_length=1, max_length=500)


# --- inbox ----------------------------------------------------------------------------


class InboxTask(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [approval_ex.INBOX_TASK]})

    task_id: int
    instance_id: int
    document_type: DocumentType
    document_number: str
    requester: str
    amount: Annotated[Decimal, DecimalString] | None
    step_key: str
    step_name: str
    created_at: datetime
    due_at: datetime | None
    overdue: bool


InboxPage = Page[InboxTask]


class InboxCounts(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [approval_ex.INBOX_COUNTS]})

    pending: int = Field(description="My steps waiting for me")
    overdue: int = Field(description="Of those, past their time limit")
    my_requests_pending: int = Field(description="My requests still in approval")
    my_requests_failed: int = Field(description="My approved requests whose posting failed")


# --- notification channels and messages -----------------------------------------------


class ChannelKind(StrEnum):
    DINGTALK_ROBOT = "dingtalk_robot"
    WECOM_ROBOT = "wecom_robot"
    SMS = "sms"
    EMAIL = "email"
    WEBHOOK = "webhook"


Url = Annotated[str, Field(min_length=8, max_length=1000, pattern=r"^https?://\S+$")]
#: Fields of a channel's settings that are never answered back.
SECRET_FIELDS = frozenset({"secret", "api_key", "password"})


class ChannelConfig(BaseModel):
    """A channel's settings; which ones apply depends on its kind:

    * `dingtalk_robot`: `webhook_url` (with `access_token`), `secret` (加签, optional),
      `message_kind` (text, markdown, action_card);
    * `wecom_robot`: `webhook_url` (with `key`);
    * `sms`: `url` of the provider, `api_key`, `header` (default Authorization), `sender`;
    * `email`: `host`, `port`, `sender`, `username`, `password`, `starttls`, `use_tls`;
    * `webhook`: `url` and `secret` (`whsec_<base64>`, Standard Webhooks).
    """

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [notice_ex.CHANNEL_CONFIG]}
    )

    webhook_url: Url | None = None
    url: Url | None = None
    secret: str | None = Field(None, max_length=500)
    message_kind: str = Field("markdown", pattern=r"^(text|markdown|action_card)$")
    api_key: str | None = Field(None, max_length=500)
    header: str = Field("Authorization", max_length=100)
    sender: str = Field("", max_length=200)
    host: str | None = Field(None, max_length=200)
    port: int | None = Field(None, ge=1, le=65535)
    username: str | None = Field(None, max_length=200)
    password: str | None = Field(None, max_length=500)
    starttls: bool = False
    use_tls: bool = False


#: What each kind needs in its settings.
CHANNEL_NEEDS: dict[ChannelKind, tuple[str, ...]] = {
    ChannelKind.DINGTALK_ROBOT: ("webhook_url",),
    ChannelKind.WECOM_ROBOT: ("webhook_url",),
    ChannelKind.SMS: ("url",),
    ChannelKind.EMAIL: ("host", "port", "sender"),
    ChannelKind.WEBHOOK: ("url", "secret"),
}


class ChannelIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [notice_ex.CHANNEL_IN]}
    )

    code: Code
    name: str = Field(min_length=1, max_length=200)
    kind: ChannelKind
    config: ChannelConfig
    per_minute: int | None = Field(
        None, ge=1, le=100000, description="Messages a minute at most (robots: 20)"
    )
    language: str = Field("zh", pattern=r"^(zh|en)$")
    active: bool = True

    @model_validator(mode="after")
    def _complete(self) -> ChannelIn:
        missing = [f for f in CHANNEL_NEEDS[self.kind] if getattr(self.config, f) in (None, "")]
        if missing:
            raise ValueError(
                f"a {self.kind.value} channel needs config.{', config.'.join(missing)}"
            )
        if self.kind is ChannelKind.WEBHOOK and not str(self.config.secret).startswith("whsec_"):
            raise ValueError("a webhook secret is written whsec_<base64>")
        return self


class ChannelOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [notice_ex.CHANNEL]})

    id: int
    code: str
    name: str
    kind: ChannelKind
    config: dict[str, Any] = Field(description='Secrets show as "***"')
    per_minute: int
    language: str
    active: bool
    version: int
    created_at: datetime


ChannelPage = Page[ChannelOut]


class MessageStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"
    MERGED = "merged"


class DeliveryOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [notice_ex.DELIVERY]})

    attempt: int
    at: datetime
    ok: bool
    status: int | None
    detail: str


class MessageOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [notice_ex.MESSAGE]})

    id: int
    channel_code: str
    recipient: str
    template: str
    title: str
    body: str
    link: str
    status: MessageStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str
    merged_into: int | None
    created_at: datetime
    sent_at: datetime | None


class MessageDetail(MessageOut):
    model_config = ConfigDict(json_schema_extra={"examples": [notice_ex.MESSAGE_DETAIL]})

    deliveries: list[DeliveryOut]


MessagePage = Page[MessageOut]


# --- rules and to-dos -----------------------------------------------------------------


class TriggerKind(StrEnum):
    #: An item's stock changed (stock's movements); many changes of one item are
    #: evaluated once, on the facts as they are then.
    BALANCE_CHANGED = "balance_changed"
    #: Every day at a local time: each subject the rule's source names is evaluated.
    SCHEDULE = "schedule"


class Source(StrEnum):
    """What a scheduled rule looks at; each gives subjects (`subject.*` in CEL):

    * `expiring_lots`: per lot holding stock that expires within `days` (stock):
      item_code, lot_number, expiry_date, days_left, quantity, locations;
    * `pending_inspection`: per balance waiting for inspection (stock): item_code,
      lot_number, location_code, quantity, since, hours_waiting;
    * `dead_stock`: per item holding stock with no issue for `days` (stock's dead-stock
      report, by value): item_code, quantity, value, idle_days, last_issue_at,
      last_movement_at, locations;
    * `overdue_approvals`: per pending approval step past its time limit (here):
      instance_id, step_id, document_type, document_number, step, approvers (a list),
      waiting_for (their names in one text), requester, due_at, hours_overdue;
    * `inventory_health`: one subject a run, the whole stock's health from stock's
      `/v1/reports/inventory-health` (dead stock: no issue for `days`): date (the local
      day), stock_value, below_safety_stock (items) and below_safety_items (the ten most
      short, one per line), dead_stock_items, dead_stock_value and dead_stock_top (the ten
      most valuable, one per line), aged_days (180), aged_value, aged_share (percent),
      file_url (a workbook of it, kept 7 days, opened without credentials) and
      file_expires_at; its episode key is the date, so it fires once a day.
    """

    EXPIRING_LOTS = "expiring_lots"
    PENDING_INSPECTION = "pending_inspection"
    DEAD_STOCK = "dead_stock"
    OVERDUE_APPROVALS = "overdue_approvals"
    INVENTORY_HEALTH = "inventory_health"


class Fact(StrEnum):
    ITEM = "item"  # the catalog's item: name, category, safety_stock, lot_sizing ...
    AVAILABILITY = "availability"  # stock: qualified, reserved, available, pending ...
    OPEN_PURCHASE = "open_purchase"  # mrp: quantity still expected on open purchase orders


class ActionKind(StrEnum):
    NOTIFY = "notify"
    TODO = "todo"
    WEBHOOK = "webhook"
    START_FLOW = "start_flow"


class ActionIn(BaseModel):
    """What a rule does when it fires:

    * `notify`: a message from `template` (values from `values`, CEL expressions) on
      `channel`, linking to `link` (a CEL expression giving a URL or a gateway path);
      for SMS and e-mail channels, to each holder of `to_role`;
    * `todo`: a to-do of `todo_type` for `assignee_role` (or `assignee`), titled from
      `title` (a CEL expression giving text), for the subject's item and `quantity`;
    * `webhook`: the rule, key and facts to the webhook `channel` as `event_type`;
    * `start_flow`: an approval of the active `rule_review` flow, titled from `title`
      (a CEL expression giving text), whose `document` is the rule, key, subject, facts
      and `amount` (a CEL expression, optional), requested by `rule:<code>`.
    """

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [rule_ex.NOTIFY_BUYERS]}
    )

    kind: ActionKind
    channel: Code | None = None
    template: Code | None = None
    values: dict[Annotated[str, Field(max_length=64)], Cel] = Field(default_factory=dict)
    to_role: Code | None = None
    todo_type: Code | None = None
    assignee_role: Code | None = None
    assignee: Username | None = None
    title: Cel | None = None
    quantity: Cel | None = None
    event_type: str = Field("rule.fired", max_length=100)
    amount: Cel | None = Field(None, description="start_flow: the review's amount")
    link: Cel | None = Field(
        None, description="notify: where the message links to (a URL, or a path on the gateway)"
    )

    @model_validator(mode="after")
    def _complete(self) -> ActionIn:
        needs = {
            ActionKind.NOTIFY: ("channel", "template"),
            ActionKind.TODO: ("todo_type", "title"),
            ActionKind.WEBHOOK: ("channel",),
            ActionKind.START_FLOW: ("title",),
        }[self.kind]
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind.value} action needs {', '.join(missing)}")
        if self.kind is ActionKind.TODO and not (self.assignee_role or self.assignee):
            raise ValueError("a todo action needs assignee_role or assignee")
        return self


class TriggerIn(BaseModel):
    """`balance_changed` (the default), or `schedule`: daily `at` a local time of the
    `calendar`'s time zone (only on its working days with `working_days_only`), over the
    subjects of `source`."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [rule_ex.SCHEDULE_TRIGGER]}
    )

    kind: TriggerKind = TriggerKind.BALANCE_CHANGED
    at: str | None = Field(
        None, pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="schedule: HH:MM"
    )
    calendar: Code = Field("standard", description="schedule: whose time zone and working days")
    working_days_only: bool = False
    source: Source | None = Field(None, description="schedule: what is evaluated")
    days: int = Field(
        30,
        ge=1,
        le=3650,
        description="expiring_lots: expiring within this many days; dead_stock and "
        "inventory_health: no issue for this many days",
    )

    @model_validator(mode="after")
    def _complete(self) -> TriggerIn:
        if self.kind is TriggerKind.SCHEDULE:
            missing = [name for name in ("at", "source") if getattr(self, name) is None]
            if missing:
                raise ValueError(f"a schedule trigger needs {' and '.join(missing)}")
        elif self.at is not None or self.source is not None:
            raise ValueError("at and source belong to a schedule trigger")
        return self


class RuleScope(BaseModel):
    """Which items a rule looks at (empty: all): the catalog category or item type, checked
    before the condition, so a rule of one category costs nothing for the others."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [rule_ex.IC_PARTS]})

    categories: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=100
    )
    item_types: list[Annotated[str, Field(min_length=1, max_length=30)]] = Field(
        default_factory=list, max_length=10
    )


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [rule_ex.RULE_IN]})

    code: Code
    name: str = Field(min_length=1, max_length=200)
    trigger: TriggerIn = Field(default_factory=TriggerIn)
    scope: RuleScope = Field(default_factory=RuleScope)
    facts: list[Fact] = Field(default_factory=list, max_length=3)
    condition: Cel = Field(description="CEL over `subject` and `facts`")
    key: Cel = Field(
        "subject.item_code",
        description="What an episode is per (the rule fires once while this key's condition holds)",
    )
    actions: list[ActionIn] = Field(min_length=1, max_length=10)
    active: bool = False

    @model_validator(mode="after")
    def _daily_key(self) -> RuleIn:
        """A health digest has no item: unless a key is given, its episode is the day."""
        if self.trigger.source is Source.INVENTORY_HEALTH and "key" not in self.model_fields_set:
            self.key = "subject.date"
        return self


class RunOut(BaseModel):
    """A scheduled rule's run: the subjects seen and the episodes it opened and closed."""

    model_config = ConfigDict(json_schema_extra={"examples": [rule_ex.RUN]})

    at: datetime
    subjects: int
    fired: int
    closed: int
    problem: str = ""


class RuleOut(RuleIn):
    model_config = ConfigDict(json_schema_extra={"examples": [rule_ex.RULE]})

    id: int
    version: int
    created_at: datetime
    updated_at: datetime
    open_episodes: int
    next_run_at: datetime | None = Field(None, description="A scheduled rule's next run")
    last_run: RunOut | None = None


RulePage = Page[RuleOut]


class DryRunIn(BaseModel):
    """A balance rule: `item_code` (its facts looked up, or given in `facts`). A scheduled
    rule: `subject`, as its source would give it (`/preview` runs the source)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [rule_ex.DRY_RUN_IN]})

    item_code: str | None = Field(None, min_length=1, max_length=64)
    facts: dict[str, Any] | None = Field(
        None, description="Use these facts instead of looking them up"
    )
    subject: dict[str, Any] | None = Field(None, description="A scheduled rule's subject")


class PlannedAction(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [rule_ex.NOTIFY_PLANNED]})

    kind: ActionKind
    detail: dict[str, Any]


class DryRunOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [rule_ex.DRY_RUN]})

    rule: str
    key: str
    subject: dict[str, Any] = Field(default_factory=dict)
    facts: dict[str, Any]
    condition: bool
    episode_open: bool = Field(description="Whether an episode for this key is open now")
    would_fire: bool
    actions: list[PlannedAction]
    problem: str = ""


class PreviewOut(BaseModel):
    """What a scheduled rule's run would do now: changes nothing."""

    model_config = ConfigDict(json_schema_extra={"examples": [rule_ex.PREVIEW]})

    rule: str
    subjects: int = Field(description="How many subjects the source gives now")
    would_fire: list[DryRunOut]
    would_close: list[str] = Field(description="Keys of open episodes that would close")
    problem: str = ""


class TodoStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class TodoIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [rule_ex.TODO_IN]})

    todo_type: Code
    title: str = Field(min_length=1, max_length=500)
    item_code: str = Field("", max_length=64)
    quantity: Annotated[Decimal, DecimalString] | None = Field(
        None, ge=0, max_digits=18, decimal_places=6, description="Up to 999,999,999,999.999999"
    )
    link: str = Field("", max_length=1000)
    assignee: Username | None = None
    assignee_role: Code | None = None
    due_date: datetime | None = None
    note: str = Field("", max_length=500)

    @model_validator(mode="after")
    def _someone(self) -> TodoIn:
        if not (self.assignee or self.assignee_role):
            raise ValueError("a to-do needs an assignee or an assignee_role")
        return self


class TodoOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [rule_ex.TODO]})

    id: int
    todo_type: str
    title: str
    item_code: str
    quantity: Annotated[Decimal, DecimalString] | None
    link: str
    assignee: str
    assignee_role: str
    due_date: datetime | None
    status: TodoStatus
    detail: dict[str, Any]
    source: str
    created_at: datetime
    created_by: str
    closed_at: datetime | None
    closed_by: str
    note: str


TodoPage = Page[TodoOut]
