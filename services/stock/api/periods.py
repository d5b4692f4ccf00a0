"""The closed period: postings may be back-dated only after it."""

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from services.stock.db.models import PostingPeriod
from services.stock.schemas import PostingPeriodIn, PostingPeriodOut
from shared.auth.principal import FINANCE
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import FieldError, InvalidInput
from shared.http.commands import render, run_command
from shared.http.context import Reader, RequestContext, request_context
from shared.http.problems import problem_responses

router = APIRouter(tags=["ledger"])
Finance = Annotated[RequestContext, Depends(request_context((FINANCE,)))]


def _out(row: PostingPeriod) -> PostingPeriodOut:
    return PostingPeriodOut(
        closed_through=row.closed_through, updated_at=row.updated_at, updated_by=row.updated_by
    )


@router.get(
    "/v1/posting-period",
    response_model=PostingPeriodOut,
    operation_id="get_posting_period",
    responses=problem_responses(401),
)
async def get_posting_period(ctx: Reader) -> Response:
    """Through which day the books are closed (null: none)."""
    async with ctx.db.read() as session:
        row = await session.get(PostingPeriod, 1)
        assert row is not None, "the posting_period row comes with the migrations"
        return render(ctx, _out(row))


@router.put(
    "/v1/posting-period",
    response_model=PostingPeriodOut,
    operation_id="set_posting_period",
    responses=problem_responses(401, 403, 422),
)
async def set_posting_period(ctx: Finance, body: PostingPeriodIn) -> Response:
    """Close the books through a past day, or reopen (finance, admin)."""

    async def command(uow: UnitOfWork) -> PostingPeriodOut:
        if body.closed_through is not None and body.closed_through >= utcnow().date():
            raise InvalidInput(
                "only past days can be closed",
                errors=[FieldError("body.closed_through", "must be before today (UTC)")],
            )
        async with uow:
            row = await uow.session.get(PostingPeriod, 1, with_for_update=True)
            assert row is not None, "the posting_period row comes with the migrations"
            before = _out(row).model_dump(mode="json")
            row.closed_through = body.closed_through
            row.updated_at = utcnow()
            row.updated_by = uow.actor
            await uow.session.flush()
            out = _out(row)
            payload = out.model_dump(mode="json")
            await uow.audit("set", "posting_period", "1", before=before, after=payload)
            uow.emit("PostingPeriodChanged", "posting_period", "1", payload)
            await uow.commit()
            return out

    return await run_command(ctx, command, body=body)
