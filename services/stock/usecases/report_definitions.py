"""Saved report definitions: a report query with a name, shared with roles.

A definition is seen by its owner (who saved it), by callers holding one of its roles, and
by admin; only its owner or admin replaces or deletes it. Saving checks the query exactly
as `POST /v1/reports/query` does (same errors, under `body.query`), value measures too:
whoever may not read cost may not save them. Running it checks again, for the caller.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.db.models import ReportDefinition
from services.stock.report_query_schemas import (
    ReportDefinitionIn,
    ReportDefinitionOut,
    ReportFormat,
    ReportQuery,
)
from services.stock.usecases.report_query_plan import Plan, check_cost_roles, plan_query
from shared.auth.principal import ADMIN, ROLES, Principal
from shared.db.paging import page_by_id
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import (
    AlreadyExists,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
)
from shared.http.pagination import PageParams


def definition_out(row: ReportDefinition) -> ReportDefinitionOut:
    return ReportDefinitionOut(
        id=row.id,
        name=row.name,
        description=row.description,
        query=row.query,
        format=ReportFormat(row.format),
        shared_with_roles=[role for role in row.shared_roles.split(",") if role],
        owner=row.owner,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _checked(body: ReportDefinitionIn, principal: Principal, today: date) -> None:
    """The query as the query endpoint checks it, and the roles named: one 422 for all."""
    errors = [
        FieldError(f"body.shared_with_roles.{i}", f"unknown role; one of: {', '.join(ROLES)}")
        for i, role in enumerate(body.shared_with_roles)
        if role not in ROLES
    ]
    try:
        plan = plan_query(body.query, today, prefix="body.query")
    except InvalidInput as exc:
        errors = exc.errors + errors
        plan = None
    if errors:
        raise InvalidInput(f"{len(errors)} field(s) are not valid", errors=errors)
    assert plan is not None
    check_cost_roles(plan, principal, prefix="body.query")


def _roles(body: ReportDefinitionIn) -> str:
    return "," + "".join(f"{role}," for role in sorted(set(body.shared_with_roles)))


def _duplicate(name: str) -> AlreadyExists:
    return AlreadyExists(
        f"a report definition named {name!r} already exists",
        errors=[FieldError("body.name", "already used by another report definition", "unique")],
    )


async def save_definition(
    uow: UnitOfWork,
    body: ReportDefinitionIn,
    principal: Principal,
    *,
    definition_id: int | None = None,
    expected: int | None = None,
) -> ReportDefinitionOut:
    """Create a definition owned by the caller, or replace one at version `expected`
    (its owner or admin)."""
    now = utcnow()
    _checked(body, principal, now.date())
    async with uow:
        session = uow.session
        if definition_id is None:
            row = ReportDefinition(owner=principal.subject, created_at=now, version=1)
            session.add(row)
        else:
            row = await _locked(session, definition_id, principal)
            _may_change(row, principal)
            if expected is not None and row.version != expected:
                raise PreconditionFailed(
                    f"report definition {definition_id} is at version {row.version}, "
                    f"not {expected}"
                )
        before = definition_out(row).model_dump(mode="json") if definition_id else None
        row.name = body.name
        row.description = body.description
        row.query = body.query.model_dump(mode="json")
        row.format = body.format.value
        row.shared_roles = _roles(body)
        row.updated_at = now
        if await _name_taken(session, body.name, definition_id):
            raise _duplicate(body.name)
        try:
            await session.flush()
        except IntegrityError as exc:
            raise _duplicate(body.name) from exc
        out = definition_out(row)
        await uow.audit(
            "create" if definition_id is None else "update",
            "report_definition",
            str(row.id),
            before=before,
            after=out.model_dump(mode="json"),
        )
        await uow.commit()
        return out


async def _name_taken(session: AsyncSession, name: str, definition_id: int | None) -> bool:
    query = select(ReportDefinition.id).where(ReportDefinition.name == name)
    if definition_id is not None:
        query = query.where(ReportDefinition.id != definition_id)
    with session.no_autoflush:
        return (await session.scalar(query)) is not None


async def delete_definition(
    uow: UnitOfWork, definition_id: int, principal: Principal
) -> None:
    """Delete a definition (its owner or admin)."""
    async with uow:
        row = await _locked(uow.session, definition_id, principal)
        _may_change(row, principal)
        before = definition_out(row).model_dump(mode="json")
        await uow.session.delete(row)
        await uow.session.flush()
        await uow.audit("delete", "report_definition", str(definition_id), before=before)
        await uow.commit()


def _sees(row: ReportDefinition, principal: Principal) -> bool:
    if row.owner == principal.subject or principal.has_any({ADMIN}):
        return True
    return any(f",{role}," in row.shared_roles for role in principal.roles)


def _may_change(row: ReportDefinition, principal: Principal) -> None:
    if row.owner != principal.subject and not principal.has_any({ADMIN}):
        raise Forbidden("only the definition's owner or admin may change it")


async def _locked(
    session: AsyncSession, definition_id: int, principal: Principal
) -> ReportDefinition:
    query = select(ReportDefinition).where(ReportDefinition.id == definition_id)
    row = (await session.scalars(query.with_for_update())).first()
    if row is None or not _sees(row, principal):
        raise NotFound(f"report definition {definition_id} does not exist")
    return row


async def get_definition(
    session: AsyncSession, definition_id: int, principal: Principal
) -> ReportDefinitionOut:
    """A definition the caller may see (404 otherwise)."""
    row = await session.get(ReportDefinition, definition_id)
    if row is None or not _sees(row, principal):
        raise NotFound(f"report definition {definition_id} does not exist")
    return definition_out(row)


def _visible(query: Select[Any], principal: Principal) -> Select[Any]:
    if principal.has_any({ADMIN}):
        return query
    shared = [ReportDefinition.shared_roles.like(f"%,{role},%") for role in sorted(principal.roles)]
    return query.where(or_(ReportDefinition.owner == principal.subject, *shared))


async def list_definitions(
    session: AsyncSession, page: PageParams, principal: Principal
) -> tuple[list[ReportDefinitionOut], str | None]:
    """The definitions the caller may see, by id."""
    rows, cursor = await page_by_id(
        session, _visible(select(ReportDefinition), principal), ReportDefinition.id, page
    )
    return [definition_out(row) for row in rows], cursor


def definition_plan(
    out: ReportDefinitionOut,
    principal: Principal,
    today: date,
    *,
    date_from: date | None,
    date_to: date | None,
) -> Plan:
    """The saved query to run now, its dates overridden by those given; checked again (the
    dates, the caller's roles)."""
    query = ReportQuery.model_validate(out.query)
    filters = query.filters.model_copy(
        update={
            name: value
            for name, value in (("date_from", date_from), ("date_to", date_to))
            if value is not None
        }
    )
    try:
        plan = plan_query(query.model_copy(update={"filters": filters}), today, prefix="query")
    except InvalidInput as exc:  # name the query parameters (the dates) as sent
        for index, error in enumerate(exc.errors):
            name = error.field.replace("query.filters.date_", "query.date_", 1)
            exc.errors[index] = FieldError(name, error.message, error.type)
        raise
    check_cost_roles(plan, principal, prefix="query")
    return plan
