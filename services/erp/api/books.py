"""Company book routes: books, their accounts, their account maps and what applies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from services.erp import book_examples
from services.erp.schemas import (
    AccountIn,
    AccountOut,
    AccountPage,
    AccountRuleIn,
    AccountRuleOut,
    AccountRulePage,
    BookIn,
    BookOut,
    BookPage,
    DeterminationOut,
)
from services.erp.usecases import books as usecases
from shared.auth.principal import ADMIN, FINANCE
from shared.http.commands import render, run_command
from shared.http.context import Reader, RequestContext, request_context
from shared.http.etags import IfMatch, etag_header, expected_version
from shared.http.examples import body_example, example_response
from shared.http.pagination import PageParams, page_params
from shared.http.params import IdPath
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/books", tags=["books and account maps"])
Finance = Annotated[RequestContext, Depends(request_context((FINANCE, ADMIN)))]
Paging = Annotated[PageParams, Depends(page_params)]
BookPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,19}$", examples=["LS01"])]
AccountPath = Annotated[str, Path(pattern=r"^[0-9A-Za-z][0-9A-Za-z_.-]{0,39}$", examples=["1403"])]
TypeQuery = Annotated[
    str, Query(pattern=r"^[0-9A-Z]{3,4}$", description="101, 261, ...", examples=["101"])
]
#: A row of the map: 7 is (601, raw_material) of the demo's book LS01.
RuleIdPath = Annotated[IdPath, Path(examples=[7])]
#: A new book (LS01 exists in the demo), and the answer to it.
NewBook = Annotated[
    BookIn,
    body_example(
        "A second book for the Dongguan hub (小企业会计准则)",
        book_examples.BOOK_CREATE,
        name="LS02",
    ),
]
_BOOK_CREATED = example_response(book_examples.BOOK_CREATED, 201)


def _targets(ctx: RequestContext) -> list[str]:
    """The push targets this service is configured with (ERP_PUSH_TARGETS)."""
    return list(ctx.request.app.state.settings.push_targets)


@router.post(
    "",
    status_code=201,
    response_model=BookOut,
    operation_id="create_book",
    responses={**_BOOK_CREATED, **problem_responses(401, 403, 409, 422)},
)
async def create_book(ctx: Finance, body: NewBook) -> Response:
    """Open a company book (账套) from a template: `cas` (企业会计准则) or `sbas`
    (小企业会计准则) fills its accounts and account map (finance, admin)."""
    return await run_command(
        ctx,
        lambda uow: usecases.create_book(uow, body, _targets(ctx)),
        body=body,
        status_code=201,
        headers=etag_header,
    )


@router.get(
    "",
    response_model=BookPage,
    operation_id="list_books",
    responses=problem_responses(401, 422),
)
async def list_books(ctx: Reader, page: Paging) -> Response:
    """The company books."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_books(session, page)
    return render(ctx, BookPage(items=items, next_cursor=cursor))


@router.get(
    "/{book}",
    response_model=BookOut,
    operation_id="get_book",
    responses=problem_responses(401, 404, 422),
)
async def get_book(ctx: Reader, book: BookPath) -> Response:
    """One book with its settings."""
    async with ctx.db.read() as session:
        out = await usecases.get_book(session, book)
    return render(ctx, out, headers=etag_header(out))


@router.put(
    "/{book}",
    response_model=BookOut,
    operation_id="replace_book",
    responses=problem_responses(401, 403, 404, 412, 422, 428),
)
async def replace_book(
    ctx: Finance, book: BookPath, body: BookIn, if_match: IfMatch = None
) -> Response:
    """Change a book's name, currency and voucher settings (If-Match: its ETag)."""
    expected = expected_version(if_match, "book")
    return await run_command(
        ctx,
        lambda uow: usecases.replace_book(uow, book, body, expected, _targets(ctx)),
        body=body,
        headers=etag_header,
    )


@router.get(
    "/{book}/accounts",
    response_model=AccountPage,
    operation_id="list_book_accounts",
    responses=problem_responses(401, 404, 422),
)
async def list_book_accounts(ctx: Reader, book: BookPath, page: Paging) -> Response:
    """The accounts (科目) the book's account map may name."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_accounts(session, book, page)
    return render(ctx, AccountPage(items=items, next_cursor=cursor))


@router.put(
    "/{book}/accounts/{account}",
    response_model=AccountOut,
    operation_id="put_book_account",
    responses={
        201: {"description": "Added", "model": AccountOut},
        **problem_responses(401, 403, 404, 409, 422),
    },
)
async def put_book_account(
    ctx: Finance, book: BookPath, account: AccountPath, body: AccountIn
) -> Response:
    """Add an account (201) or replace it (200): name, quantity tracking, the auxiliary
    dimensions (辅助核算) it carries. An account the map uses can neither be switched off
    nor lose a dimension a rule fills (409)."""
    out, created = await usecases.put_account(ctx.uow(), book, account, body)
    return render(ctx, out, status_code=201 if created else 200)


@router.get(
    "/{book}/account-map",
    response_model=AccountRulePage,
    operation_id="list_account_rules",
    responses=problem_responses(401, 404, 422),
)
async def list_account_rules(
    ctx: Reader,
    book: BookPath,
    page: Paging,
    movement_type: Annotated[
        str | None, Query(pattern=r"^[0-9A-Z]{3,4}$", description="Only this type's rows")
    ] = None,
) -> Response:
    """The book's account map: (movement type, valuation class, modifier) -> debit and
    credit account with the dimensions to fill on each side."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_rules(session, book, page, movement_type=movement_type)
    return render(ctx, AccountRulePage(items=items, next_cursor=cursor))


@router.put(
    "/{book}/account-map",
    response_model=AccountRuleOut,
    operation_id="put_account_rule",
    responses={
        201: {"description": "Added", "model": AccountRuleOut},
        **problem_responses(401, 403, 404, 422),
    },
)
async def put_account_rule(ctx: Finance, book: BookPath, body: AccountRuleIn) -> Response:
    """Set the row for (movement type, valuation class, modifier): added (201) or replaced
    (200). Accounts must be the book's active accounts and carry the dimensions named;
    both accounts null: the combination deliberately gives no voucher."""
    out, created = await usecases.put_rule(ctx.uow(), book, body)
    return render(ctx, out, status_code=201 if created else 200)


@router.delete(
    "/{book}/account-map/{rule_id}",
    status_code=204,
    operation_id="delete_account_rule",
    responses=problem_responses(401, 403, 404, 422),
)
async def delete_account_rule(ctx: Finance, book: BookPath, rule_id: RuleIdPath) -> Response:
    """Remove a row of the account map."""
    await usecases.delete_rule(ctx.uow(), book, rule_id)
    return Response(status_code=204)


@router.get(
    "/{book}/account-map/determine",
    response_model=DeterminationOut,
    operation_id="determine_accounts",
    responses=problem_responses(401, 404, 422),
)
async def determine_accounts(
    ctx: Reader,
    book: BookPath,
    movement_type: TypeQuery,
    valuation_class: Annotated[
        str,
        Query(
            pattern=r"^[a-z0-9_]{0,40}$",
            description="raw_material, finished_good, ...",
            examples=["raw_material"],
        ),
    ] = "",
    modifier: Annotated[str, Query(pattern=r"^[a-z0-9_]{0,20}$")] = "",
    reversal: Annotated[bool, Query(description="The movement reverses another")] = False,
) -> Response:
    """Which row of the map posts a movement: tried with the exact key, then any class,
    then any modifier, then both; a reversal type (102) falls back to the type it reverses
    (101). The voucher of a reversal is red ink. 404 `unmapped` names the keys tried."""
    async with ctx.db.read() as session:
        out = await usecases.determine(
            session, book, movement_type, valuation_class, modifier, reversal=reversal
        )
    return render(ctx, out)
