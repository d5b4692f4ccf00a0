"""The organisation approvals route through: departments, people, role holders, and the
working calendars time limits count in.

People are named by their gateway user name. A manager named on a person or department
need not be registered (yet); routing skips to the next known manager. A department's
parent and a person's department must exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.workflow.db.models import Calendar, Department, Person, RoleHolder
from services.workflow.domain.calendar import WorkingCalendar, parse_periods, standard_calendar
from services.workflow.schemas import (
    CalendarIn,
    CalendarOut,
    DepartmentIn,
    DepartmentOut,
    PersonIn,
    PersonOut,
    RoleHolderIn,
    RoleHolderOut,
)
from shared.db.paging import page_by_id, where_equal
from shared.db.uow import UnitOfWork
from shared.errors import AlreadyExists, FieldError, InvalidInput, NotFound, PreconditionFailed
from shared.http.pagination import PageParams

RowT = TypeVar("RowT", Department, Person, Calendar)


def department_out(row: Department) -> DepartmentOut:
    return DepartmentOut.model_validate(row, from_attributes=True)


def person_out(row: Person) -> PersonOut:
    return PersonOut.model_validate(row, from_attributes=True)


def role_holder_out(row: RoleHolder) -> RoleHolderOut:
    return RoleHolderOut.model_validate(row, from_attributes=True)


def calendar_out(row: Calendar) -> CalendarOut:
    return CalendarOut(
        id=row.id,
        code=row.code,
        name=row.name,
        timezone=row.timezone,
        week={int(day): hours for day, hours in row.week.items()},
        holidays=[date.fromisoformat(d) for d in row.holidays],
        extra_workdays=[date.fromisoformat(d) for d in row.extra_workdays],
        extra_day_hours=row.extra_day_hours,
        version=row.version,
        created_at=row.created_at,
    )


async def _by_code(
    session: AsyncSession, model: type[RowT], column: Any, code: str, what: str, *, lock: bool
) -> RowT:
    query = select(model).where(column == code)
    if lock:
        query = query.with_for_update()
    row = (await session.scalars(query)).first()
    if row is None:
        raise NotFound(f"{what} {code} does not exist")
    return row


def _check_version(row: Department | Person | Calendar, expected: int, what: str) -> None:
    if row.version != expected:
        raise PreconditionFailed(f"{what} is at version {row.version}, not {expected}")


async def _department_errors(session: AsyncSession, body: DepartmentIn) -> list[FieldError]:
    if body.parent_code is None:
        return []
    if body.parent_code == body.code:
        return [FieldError("body.parent_code", "a department cannot be its own parent")]
    seen = {body.code}
    parent: str | None = body.parent_code
    while parent is not None:
        row = (await session.scalars(select(Department).where(Department.code == parent))).first()
        if row is None:
            return [FieldError("body.parent_code", f"department {parent} does not exist")]
        if row.code in seen:
            return [FieldError("body.parent_code", f"department {parent} is below {body.code}")]
        seen.add(row.code)
        parent = row.parent_code
    return []


@dataclass(frozen=True, slots=True)
class Kind:
    """How one kind of versioned master row is named and shown."""

    model: type[Any]
    key: Any  # the column that names a row (code, username)
    field: str  # the body field holding it
    what: str
    out: Callable[[Any], Any]


DEPARTMENT = Kind(Department, Department.code, "code", "department", department_out)
PERSON = Kind(Person, Person.username, "username", "person", person_out)
CALENDAR = Kind(Calendar, Calendar.code, "code", "calendar", calendar_out)


async def save_row(
    uow: UnitOfWork,
    kind: Kind,
    body: Any,
    columns: dict[str, Any],
    errors: list[FieldError],
    *,
    name: str | None,
    expected: int | None,
) -> Any:
    """Create a row (`name` None) or replace the one named `name` at version `expected`,
    inside the unit of work: every bad field in one 422, a taken name 409, a stale
    version 412; audited, committed, answered as `kind.out`."""
    session = uow.session
    if name is not None and getattr(body, kind.field) != name:
        errors = [*errors, FieldError(f"body.{kind.field}", f"must be {name}: it does not change")]
    if errors:
        raise InvalidInput(f"the {kind.what} cannot be saved", errors=errors)
    if name is None:
        row = kind.model(**columns)
        session.add(row)
        try:
            await session.flush()
        except IntegrityError:
            raise AlreadyExists(f"{kind.what} {getattr(body, kind.field)} already exists") from None
        action, before = "create", None
    else:
        row = await _by_code(session, kind.model, kind.key, name, kind.what, lock=True)
        assert expected is not None
        _check_version(row, expected, f"{kind.what} {name}")
        before = kind.out(row).model_dump(mode="json")
        for column, value in columns.items():
            setattr(row, column, value)
        await session.flush()
        action = "update"
    out = kind.out(row)
    await uow.audit(
        action,
        kind.what,
        getattr(body, kind.field),
        before=before,
        after=out.model_dump(mode="json"),
    )
    await uow.commit()
    return out


async def save_department(
    uow: UnitOfWork, body: DepartmentIn, *, code: str | None = None, expected: int | None = None
) -> DepartmentOut:
    """Create a department (`code` None) or replace one at version `expected`."""
    async with uow:
        errors = await _department_errors(uow.session, body)
        out: DepartmentOut = await save_row(
            uow, DEPARTMENT, body, body.model_dump(), errors, name=code, expected=expected
        )
        return out


async def _person_errors(session: AsyncSession, body: PersonIn) -> list[FieldError]:
    errors = []
    if body.department_code is not None:
        found = await session.scalar(
            select(Department.id).where(Department.code == body.department_code)
        )
        if found is None:
            errors.append(
                FieldError(
                    "body.department_code", f"department {body.department_code} does not exist"
                )
            )
    if body.manager == body.username:
        errors.append(FieldError("body.manager", "a person cannot be their own manager"))
    return errors


async def save_person(
    uow: UnitOfWork, body: PersonIn, *, username: str | None = None, expected: int | None = None
) -> PersonOut:
    """Register a person (`username` None) or replace one at version `expected`."""
    async with uow:
        errors = await _person_errors(uow.session, body)
        out: PersonOut = await save_row(
            uow, PERSON, body, body.model_dump(), errors, name=username, expected=expected
        )
        return out


async def add_role_holder(uow: UnitOfWork, body: RoleHolderIn) -> RoleHolderOut:
    async with uow:
        row = RoleHolder(**body.model_dump())
        uow.session.add(row)
        try:
            await uow.session.flush()
        except IntegrityError:
            raise AlreadyExists(
                f"{body.username} already holds {body.role}"
                + (f" for {body.scope}" if body.scope else "")
            ) from None
        out = role_holder_out(row)
        await uow.audit("create", "role_holder", str(out.id), after=out.model_dump(mode="json"))
        await uow.commit()
        return out


async def remove_role_holder(uow: UnitOfWork, holder_id: int) -> None:
    async with uow:
        row = await uow.session.get(RoleHolder, holder_id, with_for_update=True)
        if row is None:
            raise NotFound(f"role holder {holder_id} does not exist")
        before = role_holder_out(row).model_dump(mode="json")
        await uow.session.delete(row)
        await uow.session.flush()
        await uow.audit("delete", "role_holder", str(holder_id), before=before)
        await uow.commit()


async def list_departments(
    session: AsyncSession, page: PageParams, *, parent_code: str | None
) -> tuple[list[DepartmentOut], str | None]:
    query = where_equal(select(Department), {Department.parent_code: parent_code})
    rows, cursor = await page_by_id(session, query, Department.id, page)
    return [department_out(r) for r in rows], cursor


async def list_people(
    session: AsyncSession, page: PageParams, *, department_code: str | None
) -> tuple[list[PersonOut], str | None]:
    query = where_equal(select(Person), {Person.department_code: department_code})
    rows, cursor = await page_by_id(session, query, Person.id, page)
    return [person_out(r) for r in rows], cursor


async def get_person(session: AsyncSession, username: str) -> PersonOut:
    return person_out(
        await _by_code(session, Person, Person.username, username, "person", lock=False)
    )


async def list_role_holders(
    session: AsyncSession,
    page: PageParams,
    *,
    role: str | None,
    scope: str | None,
    username: str | None,
) -> tuple[list[RoleHolderOut], str | None]:
    query = where_equal(
        select(RoleHolder),
        {RoleHolder.role: role, RoleHolder.scope: scope, RoleHolder.username: username},
    )
    rows, cursor = await page_by_id(session, query, RoleHolder.id, page)
    return [role_holder_out(r) for r in rows], cursor


# --- calendars ------------------------------------------------------------------------


def working_calendar(row: Calendar | None) -> WorkingCalendar:
    """The pure calendar of a stored one (the standard calendar when there is none)."""
    if row is None:
        return standard_calendar()
    return WorkingCalendar(
        timezone=row.timezone,
        week={int(day): parse_periods(hours) for day, hours in row.week.items()},
        holidays=frozenset(date.fromisoformat(d) for d in row.holidays),
        extra_workdays=frozenset(date.fromisoformat(d) for d in row.extra_workdays),
        extra_day_periods=parse_periods(row.extra_day_hours),
    )


def _calendar_errors(body: CalendarIn) -> list[FieldError]:
    errors = []
    for day, hours in body.week.items():
        try:
            parse_periods(hours)
        except ValueError as exc:
            errors.append(FieldError(f"body.week.{day}", str(exc)))
    try:
        parse_periods(body.extra_day_hours)
    except ValueError as exc:
        errors.append(FieldError("body.extra_day_hours", str(exc)))
    if errors:
        return errors
    try:
        WorkingCalendar(
            timezone=body.timezone,
            week={day: parse_periods(hours) for day, hours in body.week.items()},
            extra_day_periods=parse_periods(body.extra_day_hours),
        )
    except ValueError as exc:
        field = "body.timezone" if "zone" in str(exc).lower() else "body.week"
        errors.append(FieldError(field, str(exc)))
    return errors


def _calendar_columns(body: CalendarIn) -> dict[str, Any]:
    return {
        "code": body.code,
        "name": body.name,
        "timezone": body.timezone,
        "week": {str(day): hours for day, hours in sorted(body.week.items())},
        "holidays": sorted(d.isoformat() for d in set(body.holidays)),
        "extra_workdays": sorted(d.isoformat() for d in set(body.extra_workdays)),
        "extra_day_hours": body.extra_day_hours,
    }


async def save_calendar(
    uow: UnitOfWork, body: CalendarIn, *, code: str | None = None, expected: int | None = None
) -> CalendarOut:
    """Create a working calendar or replace one at version `expected`."""
    async with uow:
        out: CalendarOut = await save_row(
            uow,
            CALENDAR,
            body,
            _calendar_columns(body),
            _calendar_errors(body),
            name=code,
            expected=expected,
        )
        return out


async def list_calendars(
    session: AsyncSession, page: PageParams
) -> tuple[list[CalendarOut], str | None]:
    rows, cursor = await page_by_id(session, select(Calendar), Calendar.id, page)
    return [calendar_out(r) for r in rows], cursor


async def get_calendar(session: AsyncSession, code: str) -> CalendarOut:
    return calendar_out(
        await _by_code(session, Calendar, Calendar.code, code, "calendar", lock=False)
    )
