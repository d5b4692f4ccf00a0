"""Workflow tables.

Organisation (who approves):
* `wf_departments`: a department tree; `manager` heads it.
* `wf_people`: a person by the gateway user name (`alice` for `user:alice`), with their
  department, their own manager (else their department's head) and how to reach them.
* `wf_role_holders`: who holds an approval role (`director`, `keeper`, `buyer`, ...),
  globally (`scope=""`) or for one warehouse (`scope="WH1"`: the keeper of WH1).
* `wf_calendars`: working hours per weekday, holidays and make-up working days; time
  limits count working time only.

Flows and their instances:
* `wf_flows`: versioned flow definitions per document type; at most one version of a
  type is active, and an instance keeps the version it started with.
* `wf_instances`: one approval of one submitted document, with the document as it was
  submitted (`context`, what conditions see) and the state of telling the owning service
  the outcome (`sync_*`: post on approval, back to draft otherwise).
* `wf_steps`: the steps of the stages an instance has entered; `due_at` is the time limit.
* `wf_tasks`: one approver's part of a step (pending, approved, rejected, ...).
* `wf_timers`: durable time limits; `fired_at` is set in the transaction that acts, so a
  timer fires exactly once whatever restarts.
* `wf_history`: who did what when, per instance.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db.tables import NAMING_CONVENTION
from shared.db.types import BigId, ExactDecimal, UTCDateTime, utcnow


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Department(Base):
    __tablename__ = "wf_departments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    manager: Mapped[str | None] = mapped_column(String(100), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}


class Person(Base):
    __tablename__ = "wf_people"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    department_code: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    manager: Mapped[str | None] = mapped_column(String(100), nullable=True)
    mobile: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    dingtalk_user_id: Mapped[str] = mapped_column(String(100), default="")
    wecom_user_id: Mapped[str] = mapped_column(String(100), default="")
    language: Mapped[str] = mapped_column(String(10), default="zh")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}


class RoleHolder(Base):
    __tablename__ = "wf_role_holders"
    __table_args__ = (UniqueConstraint("role", "scope", "username"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    role: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(100), default="")
    username: Mapped[str] = mapped_column(String(100), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Calendar(Base):
    __tablename__ = "wf_calendars"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    #: ISO weekday ("1".."7") -> "09:00-12:00,13:00-18:00"
    week: Mapped[dict[str, str]] = mapped_column(JSON)
    holidays: Mapped[list[str]] = mapped_column(JSON, default=list)
    extra_workdays: Mapped[list[str]] = mapped_column(JSON, default=list)
    extra_day_hours: Mapped[str] = mapped_column(String(200), default="09:00-12:00,13:00-18:00")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}


class Flow(Base):
    __tablename__ = "wf_flows"
    __table_args__ = (UniqueConstraint("document_type", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    document_type: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    #: The flow as saved (`FlowIn` without the document type): stages, steps, approvers.
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Instance(Base):
    __tablename__ = "wf_instances"
    __table_args__ = (
        UniqueConstraint("source", "source_seq"),
        Index("ix_wf_instances_document", "document_type", "document_id"),
        Index("ix_wf_instances_requester_status", "requester", "status"),
        Index("ix_wf_instances_status_sync", "status", "sync_state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    #: The feed event that submitted the document: one instance per submission.
    source: Mapped[str] = mapped_column(String(40))
    source_seq: Mapped[int] = mapped_column(BigId)
    document_type: Mapped[str] = mapped_column(String(40))
    document_id: Mapped[int] = mapped_column(BigId)
    document_number: Mapped[str] = mapped_column(String(50))
    flow_id: Mapped[int | None] = mapped_column(ForeignKey("wf_flows.id"), nullable=True)
    #: starting, pending, approved, rejected, returned, withdrawn, cancelled
    status: Mapped[str] = mapped_column(String(20))
    requester: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal | None] = mapped_column(ExactDecimal(18, 6), nullable=True)
    #: What conditions see: {"document": ..., "requester": ...}; the submitted document
    #: first, enriched (items, costs, warehouse) when the instance starts.
    context: Mapped[dict[str, Any]] = mapped_column(JSON)
    stage_index: Mapped[int] = mapped_column(Integer, default=-1)
    problem: Mapped[str] = mapped_column(Text, default="")
    start_attempts: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    #: Telling the owning service: none, pending, done, failed (a refusal, e.g. short
    #: stock: visible and retryable), with the problem it answered.
    sync_state: Mapped[str] = mapped_column(String(10), default="none")
    sync_problem: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    sync_attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Step(Base):
    __tablename__ = "wf_steps"
    __table_args__ = (UniqueConstraint("instance_id", "stage_index", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("wf_instances.id"), index=True)
    stage_index: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    mode: Mapped[str] = mapped_column(String(10))
    #: pending, approved, rejected, skipped, cancelled
    status: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    note: Mapped[str] = mapped_column(String(500), default="")


class Task(Base):
    __tablename__ = "wf_tasks"
    __table_args__ = (
        #: The inbox: a person's pending tasks by id; `due_at` rides along so the
        #: overdue count is answered from the index alone (PostgreSQL).
        Index(
            "ix_wf_tasks_assignee_status_id",
            "assignee",
            "status",
            "id",
            postgresql_include=["due_at"],
        ),
        Index("ix_wf_tasks_step", "step_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("wf_instances.id"), index=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("wf_steps.id"))
    assignee: Mapped[str] = mapped_column(String(100))
    #: pending, approved, rejected, returned, delegated, cancelled
    status: Mapped[str] = mapped_column(String(20))
    #: how the assignee came to it: flow, delegated, added, escalated
    origin: Mapped[str] = mapped_column(String(20), default="flow")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    comment: Mapped[str] = mapped_column(String(500), default="")


class Timer(Base):
    __tablename__ = "wf_timers"
    __table_args__ = (
        UniqueConstraint("step_id", "kind"),
        #: Only timers still to fire: decided steps leave theirs cancelled, and the
        #: runner looks for due ones on every pass.
        Index(
            "ix_wf_timers_due",
            "due_at",
            "id",
            postgresql_where=text("fired_at IS NULL AND cancelled IS false"),
            sqlite_where=text("fired_at IS NULL AND cancelled IS 0"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("wf_steps.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("wf_instances.id"), index=True)
    #: what runs out: "time_limit"
    kind: Mapped[str] = mapped_column(String(20))
    #: remind, escalate, approve, reject
    action: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)


class HistoryEntry(Base):
    __tablename__ = "wf_history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("wf_instances.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(30))
    step_key: Mapped[str] = mapped_column(String(64), default="")
    comment: Mapped[str] = mapped_column(String(500), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# --- notifications --------------------------------------------------------------------


class Channel(Base):
    """A way out: a DingTalk or WeCom group robot, an SMS provider, an SMTP server or a
    webhook receiver, with its settings (secrets are never answered back)."""

    __tablename__ = "wf_channels"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    per_minute: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(10), default="zh")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}


class Message(Base):
    """The outbox: one message for one channel (and recipient: a mobile or e-mail address;
    empty for group robots and webhooks). pending -> sent, or dead after its last try (or
    a refusal that no retry can cure), or merged into a digest when a robot's limit would
    keep it waiting. `dedupe_key` makes enqueueing the same notice twice a no-op."""

    __tablename__ = "wf_messages"
    __table_args__ = (
        Index("ix_wf_messages_status_due", "status", "next_attempt_at"),
        Index("ix_wf_messages_channel_sent", "channel_code", "sent_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel_code: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(200), default="")
    template: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(1000), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(String(1000), default="")
    merged_into: Mapped[int | None] = mapped_column(BigId, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Delivery(Base):
    """Every attempt to send a message, with what the far side answered."""

    __tablename__ = "wf_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("wf_messages.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    ok: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[str] = mapped_column(String(1000), default="")


# --- rules and to-dos -----------------------------------------------------------------


class Rule(Base):
    """A rule as data: trigger, facts to look up, a CEL condition, the episode key and the
    actions (`definition` is `RuleIn` without code and name)."""

    __tablename__ = "wf_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}


class Episode(Base):
    """A rule's condition holding for one key (an item): opened when it becomes true (the
    rule fires then, once), closed when it is seen false again."""

    __tablename__ = "wf_episodes"
    __table_args__ = (
        UniqueConstraint("rule_id", "key"),
        Index("ix_wf_episodes_open", "rule_id", "open"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("wf_rules.id"))
    key: Mapped[str] = mapped_column(String(200))
    open: Mapped[bool] = mapped_column(Boolean)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    fired: Mapped[int] = mapped_column(Integer, default=0)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RuleSchedule(Base):
    """A scheduled rule's clock: when it runs next (claimed by the run that moves it on, in
    the transaction that acts, so each occurrence runs once) and how its last run went."""

    __tablename__ = "wf_rule_schedules"

    rule_id: Mapped[int] = mapped_column(ForeignKey("wf_rules.id"), primary_key=True)
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_run: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Subject(Base):
    """Work for the rules: an item whose balance changed (one row per item however many
    movements), evaluated by the runner in batches with facts looked up once per item."""

    __tablename__ = "wf_rule_subjects"

    item_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source_seq: Mapped[int] = mapped_column(BigId)


class Todo(Base):
    """A to-do for a person or a role, from a rule or a person."""

    __tablename__ = "wf_todos"
    __table_args__ = (
        Index("ix_wf_todos_status_type_item", "status", "todo_type", "item_code"),
        Index("ix_wf_todos_assignee_status", "assignee", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    todo_type: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(500))
    item_code: Mapped[str] = mapped_column(String(64), default="")
    quantity: Mapped[Decimal | None] = mapped_column(ExactDecimal(18, 6), nullable=True)
    link: Mapped[str] = mapped_column(String(1000), default="")
    assignee: Mapped[str] = mapped_column(String(100), default="")
    assignee_role: Mapped[str] = mapped_column(String(64), default="")
    due_date: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: open, done, cancelled
    status: Mapped[str] = mapped_column(String(10))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_by: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(String(500), default="")


class MobileApproval(Base):
    """A task mirrored into DingTalk's or WeCom's approval app: starting (not yet
    created there), pending (created: waiting for its callback, asked again every
    `mobile_poll_seconds`), decided, failed (could not be created: the task stays open
    in our API), or cancelled (decided here first)."""

    __tablename__ = "wf_mobile_approvals"
    __table_args__ = (
        UniqueConstraint("provider", "external_id"),
        Index("ix_wf_mobile_approvals_state_due", "state", "next_check_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("wf_tasks.id"), unique=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("wf_instances.id"), index=True)
    provider: Mapped[str] = mapped_column(String(10))
    external_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    state: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_check_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


# --- event webhooks for integrators ---------------------------------------------------


class Webhook(Base):
    """A subscription: the feed events matching `event_types` (patterns such as
    `stock.*Posted`) are delivered to `url`, signed with `secret` the Standard Webhooks
    way. Deactivated (never deleted), it keeps its delivery log. `replays` counts the
    replays made for it: each is a new generation of its deliveries."""

    __tablename__ = "wf_webhooks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(1000))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(String(1000), default="")
    secret: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    replays: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __mapper_args__ = {"version_id_col": version}


class WebhookDelivery(Base):
    """One feed event for one subscription, and its log: pending (with the next attempt
    due, or a lease while it is being sent), delivered, or dead after its last attempt.
    A subscription's deliveries go out in id order, one after the other: the oldest
    pending one first, a later one only once it is delivered or dead. One row per event
    and subscription (`generation` 0); a replay adds a generation."""

    __tablename__ = "wf_webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "source", "seq", "generation"),
        #: A subscription's log by state, and its oldest pending delivery (min(id)).
        Index("ix_wf_webhook_deliveries_state", "subscription_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("wf_webhooks.id"))
    source: Mapped[str] = mapped_column(String(20))
    seq: Mapped[int] = mapped_column(BigId)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    event_id: Mapped[str] = mapped_column(String(36))
    #: The feed's type (`MovementPosted`); it is sent as `<source>.<type>`.
    event_type: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: What the webhook's `data` holds: the event with its feed, sequence and payload.
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: pending, delivered, dead
    state: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
