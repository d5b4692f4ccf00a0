"""Scrap, return to supplier and customer return routes (one table, three resources)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from services.stock.api.deps import Catalog, Warehouse
from services.stock.schemas import DocumentStatus
from services.stock.scrap_return_schemas import (
    CustomerReturnCreate,
    DocumentCreate,
    DocumentKind,
    ScrapCreate,
    ScrapReturnOut,
    ScrapReturnPage,
    SupplierReturnCreate,
)
from services.stock.usecases import scrap_returns as usecases
from services.stock.usecases.document_lines import catalog_items
from shared.db.uow import UnitOfWork
from shared.http.commands import render, run_command
from shared.http.context import Reader, RequestContext
from shared.http.pagination import PageParams, page_params
from shared.http.params import IdPath
from shared.http.problems import problem_responses

router = APIRouter()

SCRAPS = "/v1/scraps"
SUPPLIER_RETURNS = "/v1/supplier-returns"
CUSTOMER_RETURNS = "/v1/customer-returns"

Page = Annotated[PageParams, Depends(page_params)]
ItemCode = Annotated[str | None, Query(max_length=64)]
LocationCode = Annotated[
    str | None, Query(max_length=100, description="The location stock left or arrived at")
]
Reference = Annotated[str | None, Query(max_length=100)]
Counterparty = Annotated[str | None, Query(max_length=200)]

POST_PROBLEMS = problem_responses(401, 403, 409, 422, 502, 503)
LIST_PROBLEMS = problem_responses(401, 422)
GET_PROBLEMS = problem_responses(401, 404, 422)
REVERSE_PROBLEMS = problem_responses(401, 403, 404, 409, 422, 502, 503)


# --- shared bodies of the routes -------------------------------------------------------------


async def _post(ctx: RequestContext, catalog: Catalog, body: DocumentCreate) -> Response:
    async def command(uow: UnitOfWork) -> ScrapReturnOut:
        items, errors = await usecases.check_document(catalog, body)
        return await usecases.post_document(uow, body, items, errors)

    return await run_command(ctx, command, body=body, status_code=201)


async def _get(ctx: RequestContext, kind: DocumentKind, document_id: int) -> Response:
    async with ctx.db.read() as session:
        return render(ctx, await usecases.get_document(session, kind, document_id))


async def _list(
    ctx: RequestContext,
    kind: DocumentKind,
    page: PageParams,
    *,
    item_code: str | None,
    location_code: str | None,
    status: DocumentStatus | None,
    reference: str | None,
    counterparty: str | None = None,
) -> Response:
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_documents(
            session,
            kind,
            page,
            item_code=item_code,
            location_code=location_code,
            status=status,
            reference=reference,
            counterparty=counterparty,
        )
    return render(ctx, ScrapReturnPage(items=items, next_cursor=cursor))


async def _reverse(
    ctx: RequestContext, catalog: Catalog, kind: DocumentKind, document_id: int
) -> Response:
    async def command(uow: UnitOfWork) -> ScrapReturnOut:
        async with ctx.db.read() as session:
            codes = await usecases.document_item_codes(session, kind, document_id)
        items = await catalog_items(catalog, codes)
        return await usecases.reverse_posted(uow, kind, document_id, items)

    return await run_command(ctx, command)


# --- scrap -----------------------------------------------------------------------------------


@router.post(
    SCRAPS,
    status_code=201,
    response_model=ScrapReturnOut,
    operation_id="post_scrap",
    tags=["scraps"],
    responses=POST_PROBLEMS,
)
async def post_scrap(ctx: Warehouse, catalog: Catalog, body: ScrapCreate) -> Response:
    """Scrap stock at a location to VIRTUAL/SCRAPPED, all lines or none (Idempotency-Key)."""
    return await _post(ctx, catalog, body)


@router.get(
    SCRAPS,
    response_model=ScrapReturnPage,
    operation_id="list_scraps",
    tags=["scraps"],
    responses=LIST_PROBLEMS,
)
async def list_scraps(
    ctx: Reader,
    page: Page,
    item_code: ItemCode = None,
    location_code: LocationCode = None,
    status: DocumentStatus | None = None,
    reference: Reference = None,
) -> Response:
    """Scraps in posting order, by an item on any line, location, status or reference."""
    return await _list(
        ctx,
        DocumentKind.SCRAP,
        page,
        item_code=item_code,
        location_code=location_code,
        status=status,
        reference=reference,
    )


@router.get(
    SCRAPS + "/{scrap_id}",
    response_model=ScrapReturnOut,
    operation_id="get_scrap",
    tags=["scraps"],
    responses=GET_PROBLEMS,
)
async def get_scrap(ctx: Reader, scrap_id: IdPath) -> Response:
    """Read a scrap with its lines and movements."""
    return await _get(ctx, DocumentKind.SCRAP, scrap_id)


@router.post(
    SCRAPS + "/{scrap_id}/reverse",
    response_model=ScrapReturnOut,
    operation_id="reverse_scrap",
    tags=["scraps"],
    responses=REVERSE_PROBLEMS,
)
async def reverse_scrap(ctx: Warehouse, catalog: Catalog, scrap_id: IdPath) -> Response:
    """Reverse a posted scrap as a whole: the stock comes back (accepts Idempotency-Key)."""
    return await _reverse(ctx, catalog, DocumentKind.SCRAP, scrap_id)


# --- return to supplier ----------------------------------------------------------------------


@router.post(
    SUPPLIER_RETURNS,
    status_code=201,
    response_model=ScrapReturnOut,
    operation_id="post_supplier_return",
    tags=["supplier returns"],
    responses=POST_PROBLEMS,
)
async def post_supplier_return(
    ctx: Warehouse, catalog: Catalog, body: SupplierReturnCreate
) -> Response:
    """Return inspected stock to a supplier, all lines or none (accepts Idempotency-Key)."""
    return await _post(ctx, catalog, body)


@router.get(
    SUPPLIER_RETURNS,
    response_model=ScrapReturnPage,
    operation_id="list_supplier_returns",
    tags=["supplier returns"],
    responses=LIST_PROBLEMS,
)
async def list_supplier_returns(
    ctx: Reader,
    page: Page,
    item_code: ItemCode = None,
    location_code: LocationCode = None,
    status: DocumentStatus | None = None,
    reference: Reference = None,
    counterparty: Counterparty = None,
) -> Response:
    """Supplier returns in posting order, by item, location, status, reference or supplier."""
    return await _list(
        ctx,
        DocumentKind.SUPPLIER_RETURN,
        page,
        item_code=item_code,
        location_code=location_code,
        status=status,
        reference=reference,
        counterparty=counterparty,
    )


@router.get(
    SUPPLIER_RETURNS + "/{return_id}",
    response_model=ScrapReturnOut,
    operation_id="get_supplier_return",
    tags=["supplier returns"],
    responses=GET_PROBLEMS,
)
async def get_supplier_return(ctx: Reader, return_id: IdPath) -> Response:
    """Read a return to supplier with its lines and movements."""
    return await _get(ctx, DocumentKind.SUPPLIER_RETURN, return_id)


@router.post(
    SUPPLIER_RETURNS + "/{return_id}/reverse",
    response_model=ScrapReturnOut,
    operation_id="reverse_supplier_return",
    tags=["supplier returns"],
    responses=REVERSE_PROBLEMS,
)
async def reverse_supplier_return(ctx: Warehouse, catalog: Catalog, return_id: IdPath) -> Response:
    """Reverse a posted return to supplier as a whole (accepts Idempotency-Key)."""
    return await _reverse(ctx, catalog, DocumentKind.SUPPLIER_RETURN, return_id)


# --- customer return -------------------------------------------------------------------------


@router.post(
    CUSTOMER_RETURNS,
    status_code=201,
    response_model=ScrapReturnOut,
    operation_id="post_customer_return",
    tags=["customer returns"],
    responses=POST_PROBLEMS,
)
async def post_customer_return(
    ctx: Warehouse, catalog: Catalog, body: CustomerReturnCreate
) -> Response:
    """Take back stock from a customer, pending inspection, all lines or none (Idempotency-Key)."""
    return await _post(ctx, catalog, body)


@router.get(
    CUSTOMER_RETURNS,
    response_model=ScrapReturnPage,
    operation_id="list_customer_returns",
    tags=["customer returns"],
    responses=LIST_PROBLEMS,
)
async def list_customer_returns(
    ctx: Reader,
    page: Page,
    item_code: ItemCode = None,
    location_code: LocationCode = None,
    status: DocumentStatus | None = None,
    reference: Reference = None,
    counterparty: Counterparty = None,
) -> Response:
    """Customer returns in posting order, by item, location, status, reference or customer."""
    return await _list(
        ctx,
        DocumentKind.CUSTOMER_RETURN,
        page,
        item_code=item_code,
        location_code=location_code,
        status=status,
        reference=reference,
        counterparty=counterparty,
    )


@router.get(
    CUSTOMER_RETURNS + "/{return_id}",
    response_model=ScrapReturnOut,
    operation_id="get_customer_return",
    tags=["customer returns"],
    responses=GET_PROBLEMS,
)
async def get_customer_return(ctx: Reader, return_id: IdPath) -> Response:
    """Read a customer return with its lines and movements."""
    return await _get(ctx, DocumentKind.CUSTOMER_RETURN, return_id)


@router.post(
    CUSTOMER_RETURNS + "/{return_id}/reverse",
    response_model=ScrapReturnOut,
    operation_id="reverse_customer_return",
    tags=["customer returns"],
    responses=REVERSE_PROBLEMS,
)
async def reverse_customer_return(ctx: Warehouse, catalog: Catalog, return_id: IdPath) -> Response:
    """Reverse a posted customer return while its stock still waits for inspection."""
    return await _reverse(ctx, catalog, DocumentKind.CUSTOMER_RETURN, return_id)
