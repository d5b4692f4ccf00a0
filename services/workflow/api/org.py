"""Organisation and calendar routes: departments, people, role holders, working calendars."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from services.workflow import org_examples as ex
from services.workflow.api.params import (
    CalendarCode,
    DepartmentCode,
    RoleHolderId,
    Username,
)
from services.workflow.schemas import (
    CalendarIn,
    CalendarOut,
    CalendarPage,
    DepartmentIn,
    DepartmentOut,
    DepartmentPage,
    PersonIn,
    PersonOut,
    PersonPage,
    RoleHolderIn,
    RoleHolderOut,
    RoleHolderPage,
)
from services.workflow.usecases import org as usecases
from shared.auth.principal import ADMIN
from shared.http.commands import render, run_command
from shared.http.context import Reader, RequestContext, request_context
from shared.http.etags import IfMatch, etag_header, expected_version
from shared.http.examples import body_example, example_response
from shared.http.pagination import PageParams, page_params
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/org", tags=["organisation"])
calendars = APIRouter(prefix="/v1/calendars", tags=["calendars"])
Admin = Annotated[RequestContext, Depends(request_context((ADMIN,)))]
Text = Annotated[str | None, Query(max_length=100)]
Paging = Annotated[PageParams, Depends(page_params)]
#: Replacements of the demo's own (the models' examples are new ones).
DepartmentUpdate = Annotated[DepartmentIn, body_example("SMT renamed", ex.DEPARTMENT_UPDATE)]
PersonUpdate = Annotated[PersonIn, body_example("li's contacts added", ex.PERSON_UPDATE)]
CalendarUpdate = Annotated[CalendarIn, body_example("New Year's Day off", ex.CALENDAR_UPDATE)]


@router.post(
    "/departments",
    status_code=201,
    response_model=DepartmentOut,
    operation_id="create_department",
    responses={
        **example_response(ex.DEPARTMENT_CREATED, 201),
        **problem_responses(401, 403, 409, 422),
    },
)
async def create_department(ctx: Admin, body: DepartmentIn) -> Response:
    """Add a department (admin); `manager` heads it."""
    return await run_command(
        ctx,
        lambda uow: usecases.save_department(uow, body),
        body=body,
        status_code=201,
        headers=etag_header,
    )


@router.get(
    "/departments",
    response_model=DepartmentPage,
    operation_id="list_departments",
    responses=problem_responses(401, 422),
)
async def list_departments(ctx: Reader, page: Paging, parent_code: Text = None) -> Response:
    """Departments, optionally those directly under one."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_departments(session, page, parent_code=parent_code)
    return render(ctx, DepartmentPage(items=items, next_cursor=cursor))


@router.put(
    "/departments/{code}",
    response_model=DepartmentOut,
    operation_id="update_department",
    responses={
        **example_response(ex.DEPARTMENT_UPDATED),
        **problem_responses(401, 403, 404, 412, 422, 428),
    },
)
async def update_department(
    ctx: Admin, code: DepartmentCode, body: DepartmentUpdate, if_match: IfMatch = None
) -> Response:
    """Replace a department (admin; If-Match: its ETag)."""
    expected = expected_version(if_match, "department")
    return await run_command(
        ctx,
        lambda uow: usecases.save_department(uow, body, code=code, expected=expected),
        body=body,
        headers=etag_header,
    )


@router.post(
    "/people",
    status_code=201,
    response_model=PersonOut,
    operation_id="create_person",
    responses={**example_response(ex.PERSON_CREATED, 201), **problem_responses(401, 403, 409, 422)},
)
async def create_person(ctx: Admin, body: PersonIn) -> Response:
    """Register a person by gateway user name, with department, manager and contacts (admin)."""
    return await run_command(
        ctx,
        lambda uow: usecases.save_person(uow, body),
        body=body,
        status_code=201,
        headers=etag_header,
    )


@router.get(
    "/people",
    response_model=PersonPage,
    operation_id="list_people",
    responses=problem_responses(401, 422),
)
async def list_people(ctx: Reader, page: Paging, department_code: Text = None) -> Response:
    """People, optionally of one department."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_people(session, page, department_code=department_code)
    return render(ctx, PersonPage(items=items, next_cursor=cursor))


@router.get(
    "/people/{username}",
    response_model=PersonOut,
    operation_id="get_person",
    responses=problem_responses(401, 404),
)
async def get_person(ctx: Reader, username: Username) -> Response:
    """One person."""
    async with ctx.db.read() as session:
        out = await usecases.get_person(session, username)
    return render(ctx, out, headers=etag_header(out))


@router.put(
    "/people/{username}",
    response_model=PersonOut,
    operation_id="update_person",
    responses={
        **example_response(ex.PERSON_UPDATED),
        **problem_responses(401, 403, 404, 412, 422, 428),
    },
)
async def update_person(
    ctx: Admin, username: Username, body: PersonUpdate, if_match: IfMatch = None
) -> Response:
    """Replace a person (admin; If-Match: their ETag)."""
    expected = expected_version(if_match, "person")
    return await run_command(
        ctx,
        lambda uow: usecases.save_person(uow, body, username=username, expected=expected),
        body=body,
        headers=etag_header,
    )


@router.post(
    "/role-holders",
    status_code=201,
    response_model=RoleHolderOut,
    operation_id="add_role_holder",
    responses={
        **example_response(ex.ROLE_HOLDER_CREATED, 201),
        **problem_responses(401, 403, 409, 422),
    },
)
async def add_role_holder(ctx: Admin, body: RoleHolderIn) -> Response:
    """Give a person an approval role, everywhere or for one warehouse (admin)."""
    return await run_command(
        ctx, lambda uow: usecases.add_role_holder(uow, body), body=body, status_code=201
    )


@router.get(
    "/role-holders",
    response_model=RoleHolderPage,
    operation_id="list_role_holders",
    responses=problem_responses(401, 422),
)
async def list_role_holders(
    ctx: Reader, page: Paging, role: Text = None, scope: Text = None, username: Text = None
) -> Response:
    """Who holds which approval role where."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_role_holders(
            session, page, role=role, scope=scope, username=username
        )
    return render(ctx, RoleHolderPage(items=items, next_cursor=cursor))


@router.delete(
    "/role-holders/{holder_id}",
    status_code=204,
    operation_id="remove_role_holder",
    responses=problem_responses(401, 403, 404),
)
async def remove_role_holder(ctx: Admin, holder_id: RoleHolderId) -> Response:
    """Take an approval role away (admin); steps already assigned keep their tasks."""
    await usecases.remove_role_holder(ctx.uow(), holder_id)
    return Response(status_code=204)


@calendars.post(
    "",
    status_code=201,
    response_model=CalendarOut,
    operation_id="create_calendar",
    responses={
        **example_response(ex.CALENDAR_CREATED, 201),
        **problem_responses(401, 403, 409, 422),
    },
)
async def create_calendar(ctx: Admin, body: CalendarIn) -> Response:
    """Add a working calendar: hours per weekday, holidays, make-up working days (admin)."""
    return await run_command(
        ctx,
        lambda uow: usecases.save_calendar(uow, body),
        body=body,
        status_code=201,
        headers=etag_header,
    )


@calendars.get(
    "",
    response_model=CalendarPage,
    operation_id="list_calendars",
    responses=problem_responses(401, 422),
)
async def list_calendars(ctx: Reader, page: Paging) -> Response:
    """Working calendars (`standard` ships: Monday to Friday, 09:00-12:00 and 13:00-18:00)."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_calendars(session, page)
    return render(ctx, CalendarPage(items=items, next_cursor=cursor))


@calendars.get(
    "/{code}",
    response_model=CalendarOut,
    operation_id="get_calendar",
    responses=problem_responses(401, 404),
)
async def get_calendar(ctx: Reader, code: CalendarCode) -> Response:
    """One working calendar."""
    async with ctx.db.read() as session:
        out = await usecases.get_calendar(session, code)
    return render(ctx, out, headers=etag_header(out))


@calendars.put(
    "/{code}",
    response_model=CalendarOut,
    operation_id="update_calendar",
    responses={
        **example_response(ex.CALENDAR_UPDATED),
        **problem_responses(401, 403, 404, 412, 422, 428),
    },
)
async def update_calendar(
    ctx: Admin, code: CalendarCode, body: CalendarUpdate, if_match: IfMatch = None
) -> Response:
    """Replace a working calendar (admin; If-Match: its ETag); running time limits keep the
    due times they were given."""
    expected = expected_version(if_match, "calendar")
    return await run_command(
        ctx,
        lambda uow: usecases.save_calendar(uow, body, code=code, expected=expected),
        body=body,
        headers=etag_header,
    )
