"""Rule and to-do routes."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from services.workflow import rule_examples as ex
from services.workflow.api.params import (
    RuleCode,
    ScheduledRuleCode,
    TodoId,
)
from services.workflow.schemas import (
    DryRunIn,
    DryRunOut,
    PreviewOut,
    RuleIn,
    RuleOut,
    RulePage,
    RunOut,
    TodoIn,
    TodoOut,
    TodoPage,
    TodoStatus,
)
from services.workflow.usecases import rules as usecases
from services.workflow.usecases import schedules, todos
from services.workflow.usecases.clocks import is_scheduled
from shared.auth.principal import ADMIN
from shared.errors import Conflict
from shared.http.commands import render, run_command
from shared.http.context import Reader, RequestContext, request_context
from shared.http.etags import IfMatch, etag_header, expected_version
from shared.http.examples import body_example, example_response
from shared.http.pagination import PageParams, page_params
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/rules", tags=["rules"])
todo_router = APIRouter(prefix="/v1/todos", tags=["to-dos"])
Admin = Annotated[RequestContext, Depends(request_context((ADMIN,)))]
Paging = Annotated[PageParams, Depends(page_params)]
#: A replacement of the demo's own (the model's example is a new one).
RuleUpdate = Annotated[
    RuleIn, body_example("The safety-stock message links to the availability", ex.RULE_UPDATE)
]
Text = Annotated[str | None, Query(max_length=100)]


@router.post(
    "",
    status_code=201,
    response_model=RuleOut,
    operation_id="create_rule",
    responses={**example_response(ex.RULE_CREATED, 201), **problem_responses(401, 403, 409, 422)},
)
async def create_rule(ctx: Admin, body: RuleIn) -> Response:
    """Add a rule (admin): trigger, facts, a CEL condition over `subject` and `facts`
    (compiled now: a bad one is refused with its line and column), the episode key and the
    actions. It fires once per episode: again only after its condition cleared."""
    return await run_command(
        ctx,
        lambda uow: usecases.save_rule(uow, body),
        body=body,
        status_code=201,
        headers=etag_header,
    )


@router.get(
    "",
    response_model=RulePage,
    operation_id="list_rules",
    responses=problem_responses(401, 422),
)
async def list_rules(ctx: Reader, page: Paging) -> Response:
    """Rules with how many episodes are open now."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_rules(session, page)
    return render(ctx, RulePage(items=items, next_cursor=cursor))


@router.get(
    "/{code}",
    response_model=RuleOut,
    operation_id="get_rule",
    responses=problem_responses(401, 404),
)
async def get_rule(ctx: Reader, code: RuleCode) -> Response:
    """One rule."""
    async with ctx.db.read() as session:
        out = await usecases.get_rule(session, code)
    return render(ctx, out, headers=etag_header(out))


@router.put(
    "/{code}",
    response_model=RuleOut,
    operation_id="update_rule",
    responses={
        **example_response(ex.RULE_UPDATED),
        **problem_responses(401, 403, 404, 412, 422, 428),
    },
)
async def update_rule(
    ctx: Admin, code: RuleCode, body: RuleUpdate, if_match: IfMatch = None
) -> Response:
    """Replace a rule (admin; If-Match: its ETag), e.g. to switch it on or off."""
    expected = expected_version(if_match, "rule")
    return await run_command(
        ctx,
        lambda uow: usecases.save_rule(uow, body, code=code, expected=expected),
        body=body,
        headers=etag_header,
    )


@router.post(
    "/{code}/dry-run",
    response_model=DryRunOut,
    operation_id="dry_run_rule",
    responses=problem_responses(401, 404, 422, 502, 503),
)
async def dry_run_rule(ctx: Reader, code: RuleCode, body: DryRunIn) -> Response:
    """What the rule would do now, changing nothing: a balance rule for an item
    (`item_code`, facts looked up or given in `facts`), a scheduled rule for a `subject` as
    its source gives them. Condition, key, episode, the messages and to-dos it would make."""
    client = ctx.request.app.state.client
    async with ctx.db.read() as session:
        return render(ctx, await schedules.dry_run(session, client, code, body))


@router.post(
    "/{code}/preview",
    response_model=PreviewOut,
    operation_id="preview_rule",
    responses=problem_responses(401, 404, 409),
)
async def preview_rule(ctx: Reader, code: ScheduledRuleCode) -> Response:
    """A scheduled rule: read its source now and show every subject that would fire and
    every open episode that would close. Changes nothing."""
    client = ctx.request.app.state.client
    async with ctx.db.read() as session:
        rule = await usecases.rule_named(session, code)
    if not is_scheduled(rule):
        raise Conflict(f"rule {code} is not scheduled: dry-run it on an item")
    return render(ctx, await schedules.preview(ctx.db, client, rule))


@router.post(
    "/{code}/run",
    response_model=RunOut,
    operation_id="run_rule",
    responses=problem_responses(401, 403, 404, 409),
)
async def run_rule(ctx: Admin, code: ScheduledRuleCode) -> Response:
    """Run a switched-on scheduled rule now (admin), as its schedule would: episodes open
    and close, actions run. Its next scheduled time stays as it is."""
    client = ctx.request.app.state.client
    return render(ctx, await schedules.run_now(ctx.db, client, code))


@todo_router.post(
    "",
    status_code=201,
    response_model=TodoOut,
    operation_id="create_todo",
    responses={**example_response(ex.TODO_CREATED, 201), **problem_responses(401, 422)},
)
async def create_todo(ctx: Reader, body: TodoIn) -> Response:
    """Open a to-do for a person or a role."""
    return await run_command(
        ctx, lambda uow: todos.create_todo(uow, body), body=body, status_code=201
    )


@todo_router.get(
    "",
    response_model=TodoPage,
    operation_id="list_todos",
    responses=problem_responses(401, 422),
)
async def list_todos(
    ctx: Reader,
    page: Paging,
    status: TodoStatus | None = None,
    todo_type: Text = None,
    item_code: Text = None,
    assignee: Text = None,
    assignee_role: Text = None,
    mine: Annotated[bool, Query(description="Only mine and my roles'")] = False,
) -> Response:
    """To-dos by status, type, item, assignee or role; `mine=true`: mine and my roles'."""
    async with ctx.db.read() as session:
        items, cursor = await todos.list_todos(
            session,
            page,
            status=status,
            todo_type=todo_type,
            item_code=item_code,
            assignee=assignee,
            assignee_role=assignee_role,
            mine=ctx.principal if mine else None,
        )
    return render(ctx, TodoPage(items=items, next_cursor=cursor))


@todo_router.post(
    "/{todo_id}/done",
    response_model=TodoOut,
    operation_id="complete_todo",
    responses={**example_response(ex.TODO_DONE), **problem_responses(401, 403, 404, 409, 422)},
)
async def complete_todo(ctx: Reader, todo_id: TodoId) -> Response:
    """Mark a to-do done (its assignee, a holder of its role, or an admin)."""
    return await run_command(
        ctx, lambda uow: todos.close_todo(uow, todo_id, ctx.principal, TodoStatus.DONE, "")
    )


@todo_router.post(
    "/{todo_id}/cancel",
    response_model=TodoOut,
    operation_id="cancel_todo",
    responses={**example_response(ex.TODO_CANCELLED), **problem_responses(401, 403, 404, 409, 422)},
)
async def cancel_todo(ctx: Reader, todo_id: TodoId) -> Response:
    """Cancel a to-do (its assignee, a holder of its role, or an admin)."""
    return await run_command(
        ctx,
        lambda uow: todos.close_todo(uow, todo_id, ctx.principal, TodoStatus.CANCELLED, ""),
    )
