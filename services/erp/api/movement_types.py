"""Movement type routes: the table, a firm's own types, and classifying a movement."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from services.erp import movement_type_examples as examples
from services.erp.schemas import (
    ClassificationOut,
    MovementFactsIn,
    MovementTypeIn,
    MovementTypeOut,
    MovementTypePage,
)
from services.erp.usecases import movement_types as usecases
from shared.auth.principal import ADMIN, FINANCE
from shared.http.commands import render, run_command
from shared.http.context import Reader, RequestContext, request_context
from shared.http.etags import IfMatch, etag_header, expected_version
from shared.http.examples import body_example, example_response
from shared.http.pagination import PageParams, page_params
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/movement-types", tags=["movement types"])
Finance = Annotated[RequestContext, Depends(request_context((FINANCE, ADMIN)))]
CodePath = Annotated[
    str, Path(pattern=r"^[0-9A-Z]{3,4}$", description="101, 261, Z01, ...", examples=["101"])
]
#: 561 (opening balances), edited to give vouchers: `examples.TYPE_561_IN`.
EditedCodePath = Annotated[CodePath, Path(examples=["561"])]
#: A firm's own type (built-in ones cannot be deleted): Z01, as `examples.TYPE_IN` adds it.
OwnCodePath = Annotated[CodePath, Path(examples=["Z01"])]
EditedType = Annotated[
    MovementTypeIn,
    body_example("Opening balances (561) give vouchers", examples.TYPE_561_IN, name="561"),
]


@router.get(
    "",
    response_model=MovementTypePage,
    operation_id="list_movement_types",
    responses=problem_responses(401, 422),
)
async def list_movement_types(
    ctx: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    builtin: Annotated[
        bool | None, Query(description="Only built-in, or only a firm's own")
    ] = None,
) -> Response:
    """Every movement type with the rules that recognise its stock movements."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_types(session, page, builtin=builtin)
    return render(ctx, MovementTypePage(items=items, next_cursor=cursor))


@router.post(
    "",
    status_code=201,
    response_model=MovementTypeOut,
    operation_id="create_movement_type",
    responses={
        **example_response(examples.TYPE_CREATED, 201),
        **problem_responses(401, 403, 409, 422),
    },
)
async def create_movement_type(ctx: Finance, body: MovementTypeIn) -> Response:
    """Add a firm's own movement type (finance, admin). Its rules say which stock movements
    it stands for; a more specific rule than a built-in one takes those movements over."""
    return await run_command(
        ctx,
        lambda uow: usecases.create_type(uow, body),
        body=body,
        status_code=201,
        headers=etag_header,
    )


@router.post(
    "/classify",
    response_model=ClassificationOut,
    operation_id="classify_movement",
    responses=problem_responses(401, 422),
)
async def classify_movement(ctx: Reader, body: MovementFactsIn) -> Response:
    """Which movement type a stock movement is (send a `MovementPosted` payload as it is):
    the type, its account modifier, whether it is a reversal, and the rule that decided."""
    async with ctx.db.read() as session:
        return render(ctx, await usecases.classify(session, body))


@router.get(
    "/{code}",
    response_model=MovementTypeOut,
    operation_id="get_movement_type",
    responses=problem_responses(401, 404, 422),
)
async def get_movement_type(ctx: Reader, code: CodePath) -> Response:
    """One movement type with its rules."""
    async with ctx.db.read() as session:
        out = await usecases.get_type(session, code)
    return render(ctx, out, headers=etag_header(out))


@router.put(
    "/{code}",
    response_model=MovementTypeOut,
    operation_id="replace_movement_type",
    responses={
        **example_response(examples.TYPE_561_OUT),
        **problem_responses(401, 403, 404, 412, 422, 428),
    },
)
async def replace_movement_type(
    ctx: Finance, code: EditedCodePath, body: EditedType, if_match: IfMatch = None
) -> Response:
    """Replace a movement type's name, flags and rules (finance, admin; If-Match: its ETag).
    Built-in types may be edited too, e.g. to have opening balances (561) give vouchers."""
    expected = expected_version(if_match, "movement type")
    return await run_command(
        ctx,
        lambda uow: usecases.replace_type(uow, code, body, expected),
        body=body,
        headers=etag_header,
    )


@router.delete(
    "/{code}",
    status_code=204,
    operation_id="delete_movement_type",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def delete_movement_type(ctx: Finance, code: OwnCodePath) -> Response:
    """Remove a firm's own movement type that no account map and no other type names."""
    await usecases.delete_type(ctx.uow(), code)
    return Response(status_code=204)
