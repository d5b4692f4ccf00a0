"""Approval gates: the part every service owning gated documents has in common.

Workflow closes a document type's gate when it activates an approval flow for the type
and opens it when it deactivates the flow (each owner's `PUT` gate route). Under a
closed gate the owner holds a submitted document (`approval: pending`) until workflow's
decision (`ApprovalDecision`) approves it or returns it; opening a gate releases nothing
already waiting. What a held document is, and what deciding it does, stays with its
service; here are the contract models, the gate table's columns and reading and setting
a gate (audited, announced as `ApprovalGateChanged`).

The models keep the names the services' OpenAPI documents give them: a service
subclasses one under the same name to word its descriptions for its documents.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Boolean, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.types import UTCDateTime, utcnow
from shared.db.uow import UnitOfWork


class ApprovalState(StrEnum):
    #: No approval gate held the document when it was submitted (or a decision returned it).
    NOT_REQUIRED = "not_required"
    #: Held by a gate: waits for workflow's decision; nobody else may complete it.
    PENDING = "pending"
    #: Completed on workflow's approval (`approval_ref` names the instance).
    APPROVED = "approved"


class Decision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    RETURNED = "returned"


class ApprovalDecision(BaseModel):
    """Workflow's decision on a document that waits for approval."""

    model_config = ConfigDict(extra="forbid")

    decision: Decision
    reference: str = Field(
        min_length=1, max_length=100, description="The workflow instance that decided"
    )
    reason: str = Field("", max_length=500)


class ApprovalGateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    required: bool = Field(description="Whether documents submitted from now on wait for approval")
    flow: str = Field("", max_length=200, description="The flow that decides them (for people)")


class ApprovalGateOut(BaseModel):
    #: A service may narrow it (an enum of its gated types) or describe it.
    document_type: str
    required: bool
    flow: str
    updated_at: datetime | None = None
    updated_by: str | None = None


class ApprovalGateColumns:
    """The columns of a service's `approval_gates` table, one row per document type ever
    gated (a declarative mixin: the service's model names the table on its own `Base`)."""

    document_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    required: Mapped[bool] = mapped_column(Boolean)
    flow: Mapped[str] = mapped_column(String(200), server_default="", default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(200))


class HeldForApproval:
    """The columns of a document a gate can hold (a declarative mixin): `approval` is
    "not_required", "pending" (held: only workflow's decision completes it) or "approved";
    `approval_ref` names the workflow instance that decided it last."""

    approval: Mapped[str] = mapped_column(
        String(20), server_default="not_required", default="not_required"
    )
    approval_ref: Mapped[str] = mapped_column(String(100), server_default="", default="")


GateOutT = TypeVar("GateOutT", bound=ApprovalGateOut)


def gate_out(row: ApprovalGateColumns | None, document_type: str, out: type[GateOutT]) -> GateOutT:
    """A gate as the API answers it (`out`: the service's model); open when never set."""
    if row is None:
        return out(document_type=document_type, required=False, flow="")
    return out(
        document_type=row.document_type,
        required=row.required,
        flow=row.flow,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


async def approval_required(
    session: AsyncSession, table: type[ApprovalGateColumns], document_type: str
) -> bool:
    """Whether a document of this type submitted now waits for approval."""
    row = await session.get(table, document_type)
    return row is not None and row.required


async def get_gate(
    session: AsyncSession,
    table: type[ApprovalGateColumns],
    document_type: str,
    out: type[GateOutT],
) -> GateOutT:
    """A document type's gate (open when never set)."""
    return gate_out(await session.get(table, document_type), document_type, out)


async def set_gate(
    uow: UnitOfWork,
    table: type[ApprovalGateColumns],
    document_type: str,
    body: ApprovalGateIn,
    out: type[GateOutT],
) -> GateOutT:
    """Close or open a document type's gate (idempotent: the same state twice is one),
    audited and announced as `ApprovalGateChanged` with the gate as answered."""
    async with uow:
        row = await uow.session.get(table, document_type, with_for_update=True)
        before = None if row is None else gate_out(row, document_type, out).model_dump(mode="json")
        if row is None:
            row = table()
            row.document_type = document_type
            uow.session.add(row)
        row.required = body.required
        row.flow = body.flow
        row.updated_at = utcnow()
        row.updated_by = uow.actor
        await uow.session.flush()
        gate = gate_out(row, document_type, out)
        await uow.audit(
            "set", "approval_gate", document_type, before=before, after=gate.model_dump(mode="json")
        )
        uow.emit(
            "ApprovalGateChanged", "approval_gate", document_type, gate.model_dump(mode="json")
        )
        await uow.commit()
        return gate
