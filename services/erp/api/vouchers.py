"""Voucher routes: the pull feed, one voucher, acknowledging an export, releasing held ones."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from services.erp import voucher_examples as examples
from services.erp.schemas import (
    AcknowledgeIn,
    ReleaseOut,
    VoidIn,
    VoidOut,
    VoucherFeed,
    VoucherOut,
)
from services.erp.usecases import pushes
from services.erp.usecases import vouchers as usecases
from shared.auth.principal import ADMIN, FINANCE, INTEGRATION
from shared.db.uow import UnitOfWork
from shared.http.commands import render, render_payload, run_command
from shared.http.context import RequestContext, request_context
from shared.http.examples import example_response
from shared.http.params import IdPath
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/vouchers", tags=["vouchers"])
#: Finance reads and releases; the ERP's integration key pulls and acknowledges.
Accounting = Annotated[RequestContext, Depends(request_context((FINANCE, ADMIN, INTEGRATION)))]
Finance = Annotated[RequestContext, Depends(request_context((FINANCE, ADMIN)))]
Book = Annotated[
    str | None, Query(max_length=20, description="Only this book's vouchers", examples=["LS01"])
]
#: LS01-00000027, the voucher of the demo's first shipment (SH-00000001).
VoucherId = Annotated[IdPath, Path(examples=[27])]


@router.get(
    "",
    response_model=VoucherFeed,
    operation_id="pull_vouchers",
    responses=problem_responses(401, 403, 422),
)
async def pull_vouchers(
    ctx: Accounting,
    after: Annotated[
        int, Query(ge=0, le=2**63 - 1, description="The `next_after` of the last page")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    book: Book = None,
    status: Annotated[
        usecases.PullStatus | None,
        Query(description="ready (to export), held (finance must act), exported"),
    ] = None,
    document_type: Annotated[str | None, Query(max_length=40)] = None,
    date_from: Annotated[date | None, Query()] = None,
    date_to: Annotated[date | None, Query()] = None,
) -> Response:
    """Vouchers in the order they last changed, after cursor `after`: an ERP pulls `ready`
    ones and acknowledges each; pulling again from an older cursor is harmless (a voucher
    shows its latest state). Daily summaries whose day is over are closed first."""
    uow = ctx.uow()
    async with uow:
        if await usecases.close_due(uow.session):
            await uow.commit()
    async with ctx.db.read() as session:
        feed = await usecases.pull(
            session,
            after=after,
            limit=limit,
            book=book,
            status=status,
            document_type=document_type,
            date_from=date_from,
            date_to=date_to,
        )
    return render_payload(ctx, feed, VoucherFeed)


@router.get(
    "/{voucher_id}",
    response_model=VoucherOut,
    operation_id="get_voucher",
    responses=problem_responses(401, 403, 404, 422),
)
async def get_voucher(ctx: Accounting, voucher_id: VoucherId) -> Response:
    """One voucher with its lines (or, held, its reasons)."""
    async with ctx.db.read() as session:
        return render(ctx, await usecases.get_voucher(session, voucher_id))


@router.post(
    "/{voucher_id}/ack",
    response_model=VoucherOut,
    operation_id="acknowledge_voucher",
    responses={
        **example_response(examples.VOUCHER_ACKNOWLEDGED),
        **problem_responses(401, 403, 404, 409, 422),
    },
)
async def acknowledge_voucher(
    ctx: Accounting, voucher_id: VoucherId, body: AcknowledgeIn
) -> Response:
    """The ERP saved the voucher as `erp_number`: it is exported. Sending the same again
    is harmless; another number for an exported voucher is 409, as is acknowledging one
    that is held."""

    async def command(uow: UnitOfWork) -> VoucherOut:
        async with uow:
            out = await usecases.acknowledge(uow.session, voucher_id, body.erp_number)
            await uow.audit(
                "acknowledge", "voucher", out.number, after={"erp_number": out.erp_number}
            )
            await uow.commit()
            return out

    return await run_command(ctx, command, body=body)


@router.post(
    "/release",
    response_model=ReleaseOut,
    operation_id="release_vouchers",
    responses=problem_responses(401, 403, 422),
)
async def release_vouchers(ctx: Finance, book: Book = None) -> Response:
    """Rebuild held vouchers now (changing the map, an account or a movement type does
    this by itself): those that build become ready."""

    async def command(uow: UnitOfWork) -> ReleaseOut:
        async with uow:
            released = await usecases.release_held(uow.session, book=book)
            held = await usecases.count_held(uow.session, book=book)
            await uow.commit()
            return ReleaseOut(released=released, still_held=held)

    return await run_command(ctx, command)


@router.post(
    "/{voucher_id}/push",
    response_model=VoucherOut,
    operation_id="retry_voucher_push",
    responses={
        **example_response(examples.VOUCHER_PUSH_RETRIED),
        **problem_responses(401, 403, 404, 409, 422),
    },
)
async def retry_voucher_push(ctx: Finance, voucher_id: VoucherId) -> Response:
    """Push a voucher the ERP refused again, once finance fixed the cause in the ERP
    (409 unless its push failed)."""
    await pushes.retry(ctx.uow(), voucher_id)
    async with ctx.db.read() as session:
        return render(ctx, await usecases.get_voucher(session, voucher_id))


@router.post(
    "/{voucher_id}/void",
    response_model=VoidOut,
    operation_id="void_voucher",
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
async def void_voucher(ctx: Finance, voucher_id: VoucherId, body: VoidIn) -> Response:
    """Void (作废) a voucher in the ERP it was pushed to (U8's voucher cancel), then build
    its correction from the same movements with the book's map as it is now, under a new
    number (`replaces_number`), pushed like any ready voucher. Kingdee's vouchers are
    corrected by red ink instead (409). A lost answer is 503: ask again, it is harmless."""
    voided, replacement = await pushes.void(
        ctx.db, pushes.adapters_of(ctx.request.app), ctx.uow(), voucher_id, body.reason
    )
    async with ctx.db.read() as session:
        out = VoidOut(
            voided=await usecases.get_voucher(session, voided),
            replacement=await usecases.get_voucher(session, replacement),
        )
    return render(ctx, out)
