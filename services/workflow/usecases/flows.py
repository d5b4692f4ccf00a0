"""Flow definitions: versioned per document type, conditions compiled when saved.

Saving a flow always adds a version (`version` = last + 1); a running instance keeps the
version it started with. At most one version of a type is active. Activating a flow of a
type whose owning service holds submitted documents (`GATED_TYPES`) first closes that
service's approval gate, then commits, so no document submitted after the answer slips
through; deactivating commits first and opens the gate after, so no document is left
ungated while a flow is active. Documents already waiting keep their flow.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.workflow.db.models import Calendar, Channel, Flow
from services.workflow.domain.conditions import ConditionError, compile_condition
from services.workflow.schemas import (
    GATED_TYPES,
    OWNERS,
    DocumentType,
    FlowIn,
    FlowOut,
    StageIn,
)
from shared.client import ServiceClient
from shared.db.database import Database
from shared.db.paging import page_by_id, where_equal
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import FieldError, InvalidInput, NotFound, PassedOn, UpstreamError
from shared.http.pagination import PageParams

#: What a flow's conditions and approver fields may name.
FLOW_VARIABLES = ("document", "requester")


def flow_out(row: Flow) -> FlowOut:
    definition = row.definition
    return FlowOut(
        id=row.id,
        document_type=DocumentType(row.document_type),
        version=row.version,
        name=row.name,
        calendar_code=definition.get("calendar_code", "standard"),
        stages=[StageIn.model_validate(s) for s in definition["stages"]],
        notify_channels=list(definition.get("notify_channels", [])),
        active=row.active,
        created_at=row.created_at,
        created_by=row.created_by,
        activated_at=row.activated_at,
    )


def condition_errors(body: FlowIn) -> list[FieldError]:
    """Every condition and approver expression that does not compile, with where."""
    errors = []

    def check(path: str, source: str | None) -> None:
        if source is None:
            return
        try:
            compile_condition(source, FLOW_VARIABLES)
        except ConditionError as exc:
            errors.append(FieldError(path, str(exc), type="cel_error"))

    for s, stage in enumerate(body.stages):
        check(f"body.stages.{s}.condition", stage.condition)
        for t, step in enumerate(stage.steps):
            check(f"body.stages.{s}.steps.{t}.condition", step.condition)
            for a, approvers in enumerate(step.approvers):
                check(f"body.stages.{s}.steps.{t}.approvers.{a}.field", approvers.field)
    return errors


async def set_gate(client: ServiceClient, document_type: str, required: bool, flow: str) -> None:
    """Close or open the owning service's approval gate for `document_type`."""
    owner = OWNERS[document_type]
    response = await client.request(
        owner.service, "PUT", owner.gate_path, json={"required": required, "flow": flow}
    )
    if response.status_code == 200:
        return
    if response.status_code in (409, 422):
        body = response.json()
        raise PassedOn(
            owner.service,
            response.status_code,
            body,
            refused="the approval gate",
            errors=PassedOn.field_errors(body),
        )
    raise UpstreamError(
        f"{owner.service} answered {response.status_code} when setting the approval gate"
    )


async def _definition(body: FlowIn) -> dict[str, Any]:
    return body.model_dump(mode="json", exclude={"document_type", "name", "activate"})


async def save_flow(db: Database, uow: UnitOfWork, client: ServiceClient, body: FlowIn) -> FlowOut:
    """Add the next version of a document type's flow (and activate it if asked)."""
    errors = condition_errors(body)
    async with db.read() as session:
        if (
            await session.scalar(select(Calendar.id).where(Calendar.code == body.calendar_code))
            is None
        ):
            errors.append(
                FieldError("body.calendar_code", f"calendar {body.calendar_code} does not exist")
            )
        if body.notify_channels:
            known = set(
                await session.scalars(
                    select(Channel.code).where(Channel.code.in_(body.notify_channels))
                )
            )
            for index, channel in enumerate(body.notify_channels):
                if channel not in known:
                    errors.append(
                        FieldError(f"body.notify_channels.{index}", f"no channel {channel}")
                    )
    if errors:
        raise InvalidInput("the flow cannot be saved", errors=errors)
    label = f"{body.document_type.value} flow {body.name!r}"
    if body.activate and body.document_type in GATED_TYPES:
        await set_gate(client, body.document_type.value, True, label)
    async with uow:
        session = uow.session
        last = await session.scalar(
            select(func.max(Flow.version)).where(Flow.document_type == body.document_type.value)
        )
        now = utcnow()
        if body.activate:
            await session.execute(
                update(Flow)
                .where(Flow.document_type == body.document_type.value, Flow.active.is_(True))
                .values(active=False)
            )
        row = Flow(
            document_type=body.document_type.value,
            version=(last or 0) + 1,
            name=body.name,
            definition=await _definition(body),
            active=body.activate,
            created_at=now,
            created_by=uow.actor,
            activated_at=now if body.activate else None,
        )
        session.add(row)
        await session.flush()
        out = flow_out(row)
        payload = out.model_dump(mode="json")
        await uow.audit("create", "flow", str(out.id), after=payload)
        uow.emit("FlowSaved", "flow", str(out.id), payload)
        await uow.commit()
        return out


async def set_active(
    db: Database, uow: UnitOfWork, client: ServiceClient, flow_id: int, active: bool
) -> FlowOut:
    """Activate a version (deactivating the type's other one) or deactivate it."""
    async with db.read() as session:
        found = await session.get(Flow, flow_id)
        if found is None:
            raise NotFound(f"flow {flow_id} does not exist")
        document_type = DocumentType(found.document_type)
        label = f"{document_type.value} flow {found.name!r} v{found.version}"
    gated = document_type in GATED_TYPES
    if active and gated:
        await set_gate(client, document_type.value, True, label)
    async with uow:
        session = uow.session
        row = await session.get(Flow, flow_id, with_for_update=True)
        assert row is not None
        before = flow_out(row).model_dump(mode="json")
        if active:
            await session.execute(
                update(Flow)
                .where(
                    Flow.document_type == row.document_type,
                    Flow.active.is_(True),
                    Flow.id != row.id,
                )
                .values(active=False)
            )
            if not row.active:
                row.activated_at = utcnow()
        row.active = active
        await session.flush()
        out = flow_out(row)
        payload = out.model_dump(mode="json")
        await uow.audit(
            "activate" if active else "deactivate",
            "flow",
            str(out.id),
            before=before,
            after=payload,
        )
        uow.emit("FlowActivated" if active else "FlowDeactivated", "flow", str(out.id), payload)
        await uow.commit()
    if not active and gated:
        await set_gate(client, document_type.value, False, "")
    return out


async def list_flows(
    session: AsyncSession,
    page: PageParams,
    *,
    document_type: DocumentType | None,
    active: bool | None,
) -> tuple[list[FlowOut], str | None]:
    query = where_equal(
        select(Flow),
        {
            Flow.document_type: document_type.value if document_type else None,
            Flow.active: active,
        },
    )
    rows, cursor = await page_by_id(session, query, Flow.id, page)
    return [flow_out(r) for r in rows], cursor


async def get_flow(session: AsyncSession, flow_id: int) -> FlowOut:
    row = await session.get(Flow, flow_id)
    if row is None:
        raise NotFound(f"flow {flow_id} does not exist")
    return flow_out(row)


async def flow_for(session: AsyncSession, document_type: str) -> Flow | None:
    """The flow a document submitted now follows: the active version, else the latest
    (a gate set while its flow was being switched off still needs deciding)."""
    active = (
        await session.scalars(
            select(Flow).where(Flow.document_type == document_type, Flow.active.is_(True))
        )
    ).first()
    if active is not None:
        return active
    return (
        await session.scalars(
            select(Flow)
            .where(Flow.document_type == document_type)
            .order_by(Flow.version.desc())
            .limit(1)
        )
    ).first()
