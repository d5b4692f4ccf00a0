"""Workflow request and response models: organisation, calendars, flows, approvals, inbox."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.http.pagination import Page
from shared.schemas import DecimalString

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
Username = Annotated[str, Field(min_length=1, max_length=100)]
Cel = Annotated[str, Field(min_length=1, max_length=2000, description="A CEL expression")]


class DocumentType(StrEnum):
    """What a flow can gate (today stock's material requisitions reach workflow; the other
    types get their flows ready for their documents)."""

    MATERIAL_REQUISITION = "material_requisition"
    PURCHASE_RECEIPT = "purchase_receipt"
    DEFECTIVE_RELEASE = "defective_release"
    SCRAP = "scrap"
    COUNT_VARIANCE = "count_variance"
    SUPPLIER_RETURN = "supplier_return"
    BOM_RELEASE = "bom_release"
    PLANNED_ORDER_FIRMING = "planned_order_firming"


#: Document types whose owning service already holds submitted documents for a flow.
GATED_TYPES = frozenset({DocumentType.MATERIAL_REQUISITION})


# --- organisation ---------------------------------------------------------------------


class DepartmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code
    name: str = Field(min_length=1, max_length=200)
    parent_code: Code | None = None
    manager: Username | None = Field(None, description="The department's head (a user name)")


class DepartmentOut(DepartmentIn):
    model_config = ConfigDict(extra="ignore")

    id: int
    version: int
    created_at: datetime


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

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
    model_config = ConfigDict(extra="ignore")

    id: int
    version: int
    created_at: datetime


class RoleHolderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Code = Field(description="An approval role: director, keeper, buyer, ...")
    scope: str = Field(
        "", max_length=100, description="A warehouse code (the keeper of WH1); empty: everywhere"
    )
    username: Username


class RoleHolderOut(RoleHolderIn):
    model_config = ConfigDict(extra="ignore")

    id: int
    created_at: datetime


DepartmentPage = Page[DepartmentOut]
PersonPage = Page[PersonOut]
RoleHolderPage = Page[RoleHolderOut]


# --- calendars ------------------------------------------------------------------------


class CalendarIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

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
    model_config = ConfigDict(extra="ignore")

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

    model_config = ConfigDict(extra="forbid")

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


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

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

    @model_validator(mode="after")
    def _escalation(self) -> StepIn:
        if self.on_timeout is TimeoutAction.ESCALATE and self.escalate_to_role is None:
            raise ValueError("on_timeout=escalate needs escalate_to_role")
        return self


class StageIn(BaseModel):
    """Steps run in sequence, stage by stage; the steps of one stage run in parallel and
    the stage is done when each of them is."""

    model_config = ConfigDict(extra="forbid")

    key: Code
    name: str = Field(min_length=1, max_length=200)
    condition: Cel | None = Field(None, description="The stage is skipped when this is false")
    steps: list[StepIn] = Field(min_length=1, max_length=10)


class FlowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document_type: DocumentType
    name: str = Field(min_length=1, max_length=200)
    calendar_code: Code = "standard"
    stages: list[StageIn] = Field(min_length=1, max_length=30)
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
    id: int
    document_type: DocumentType
    version: int
    name: str
    calendar_code: str
    stages: list[StageIn]
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
    id: int
    assignee: str
    status: str
    origin: str
    created_at: datetime
    due_at: datetime | None
    decided_at: datetime | None
    comment: str


class StepOut(BaseModel):
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
    at: datetime
    actor: str
    action: str
    step_key: str
    comment: str
    detail: dict[str, Any]


class InstanceSummary(BaseModel):
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
    context: dict[str, Any] = Field(description="The document as the conditions see it")
    steps: list[StepOut]
    history: list[HistoryOut]


InstancePage = Page[InstanceSummary]


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str = Field("", max_length=500)


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class DelegateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: Username
    comment: str = Field("", max_length=500)


class SignerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: Username
    comment: str = Field("", max_length=500)


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=500)


# --- inbox ----------------------------------------------------------------------------


class InboxTask(BaseModel):
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
    pending: int = Field(description="My steps waiting for me")
    overdue: int = Field(description="Of those, past their time limit")
    my_requests_pending: int = Field(description="My requests still in approval")
    my_requests_failed: int = Field(description="My approved requests whose posting failed")
