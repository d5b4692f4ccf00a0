"""Scrap, return to supplier and customer return routes (one table, three resources).

`kind_router` builds each resource's routes (post or save as a draft, list, read,
reverse, and the draft routes) from a `Resource`; the three differ only in path, names,
request model and filters. An id of another kind does not exist under a resource (404),
draft routes included. Scraps and supplier returns have approval gates: their posts
answer 202 when held, and workflow decides them at `.../{id}/approval-decision`. No
`from __future__ import annotations`: the routes' annotations are each resource's own
request model, resolved when the routes are made.
"""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from services.stock import document_examples as ex
from services.stock.api.deps import Catalog, Warehouse
from services.stock.api.document_approvals import (
    add_approval_route,
    approve_draft,
    held_or,
    held_response,
)
from services.stock.api.drafts import add_draft_routes
from services.stock.db.models import ScrapReturn
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
from shared.http.problems import problem_responses

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

DRAFT_NOTE = ', or save it as a draft (`"draft": true`) to post later'


@dataclass(frozen=True, slots=True)
class Resource:
    """One of the three documents as the API shows it."""

    kind: DocumentKind
    path: str
    tag: str
    #: Operation ids: `post_<one>`, `get_<one>`, `list_<many>`, `<verb>_<one>_draft`.
    one: str
    many: str
    #: The path parameter naming a document (`scrap_id`, `return_id`).
    id_name: str
    create: type[DocumentCreate]
    #: Whether the list filters by counterparty (supplier or customer; scrap has none).
    by_counterparty: bool
    post_doc: str
    list_doc: str
    get_doc: str
    reverse_doc: str
    #: A document of the demo: the OpenAPI example of the path parameter.
    example_id: int


RESOURCES = (
    Resource(
        DocumentKind.SCRAP,
        SCRAPS,
        "scraps",
        "scrap",
        "scraps",
        "scrap_id",
        ScrapCreate,
        False,
        "Scrap stock at a location to VIRTUAL/SCRAPPED, all lines or none",
        "Scraps in posting order, by an item on any line, location, status or reference.",
        "Read a scrap with its lines and movements.",
        "Reverse a posted scrap as a whole: the stock comes back (accepts Idempotency-Key).",
        ex.SCRAP_ID,
    ),
    Resource(
        DocumentKind.SUPPLIER_RETURN,
        SUPPLIER_RETURNS,
        "supplier returns",
        "supplier_return",
        "supplier_returns",
        "return_id",
        SupplierReturnCreate,
        True,
        "Return inspected stock to a supplier, all lines or none",
        "Supplier returns in posting order, by item, location, status, reference or supplier.",
        "Read a return to supplier with its lines and movements.",
        "Reverse a posted return to supplier as a whole (accepts Idempotency-Key).",
        ex.SUPPLIER_RETURN_ID,
    ),
    Resource(
        DocumentKind.CUSTOMER_RETURN,
        CUSTOMER_RETURNS,
        "customer returns",
        "customer_return",
        "customer_returns",
        "return_id",
        CustomerReturnCreate,
        True,
        "Take back stock from a customer, pending inspection, all lines or none",
        "Customer returns in posting order, by item, location, status, reference or customer.",
        "Read a customer return with its lines and movements.",
        "Reverse a posted customer return while its stock still waits for inspection.",
        ex.CUSTOMER_RETURN_ID,
    ),
)


def kind_router(resource: Resource) -> APIRouter:
    """The routes of one resource: post, list, get, reverse, and the draft routes."""
    kind = resource.kind
    label = usecases.SPECS[kind].label
    router = APIRouter(prefix=resource.path, tags=[resource.tag])
    DocumentId = Annotated[
        int,
        Path(
            alias=resource.id_name,
            ge=1,
            le=2**62,
            description="Numeric id",
            examples=[resource.example_id],
        ),
    ]
    Create = resource.create

    def add(path: str, endpoint: Any, method: str, operation: str, **route: Any) -> None:
        """One route, named as its operation (the summary reads `Post Scrap`, ...)."""
        router.add_api_route(
            path, endpoint, methods=[method], name=operation, operation_id=operation, **route
        )

    gate = usecases.GATES.get(kind)

    async def post(ctx: Warehouse, catalog: Catalog, body: Create) -> Response:  # type: ignore[valid-type]
        return await run_command(
            ctx,
            lambda uow: usecases.save_document(uow, catalog, body),
            body=body,
            status_code=held_or(201),
        )

    post.__doc__ = f"{resource.post_doc}{DRAFT_NOTE} (accepts Idempotency-Key)." + (
        f" Under a closed approval gate (`{gate.document_type.value}`) it is kept a draft "
        "that waits for approval: 202."
        if gate is not None
        else ""
    )
    add(
        "",
        post,
        "POST",
        f"post_{resource.one}",
        status_code=201,
        response_model=ScrapReturnOut,
        responses={**POST_PROBLEMS, **held_response(ScrapReturnOut)} if gate else POST_PROBLEMS,
    )

    async def listed(
        ctx: RequestContext,
        page: PageParams,
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

    async def list_returns(
        ctx: Reader,
        page: Page,
        item_code: ItemCode = None,
        location_code: LocationCode = None,
        status: DocumentStatus | None = None,
        reference: Reference = None,
        counterparty: Counterparty = None,
    ) -> Response:
        return await listed(ctx, page, item_code, location_code, status, reference, counterparty)

    async def list_scraps(
        ctx: Reader,
        page: Page,
        item_code: ItemCode = None,
        location_code: LocationCode = None,
        status: DocumentStatus | None = None,
        reference: Reference = None,
    ) -> Response:
        return await listed(ctx, page, item_code, location_code, status, reference)

    listing = list_returns if resource.by_counterparty else list_scraps
    listing.__doc__ = resource.list_doc
    add(
        "",
        listing,
        "GET",
        f"list_{resource.many}",
        response_model=ScrapReturnPage,
        responses=LIST_PROBLEMS,
    )

    async def get(ctx: Reader, document_id: DocumentId) -> Response:
        async with ctx.db.read() as session:
            return render(ctx, await usecases.get_document(session, kind, document_id))

    get.__doc__ = resource.get_doc
    add(
        "/{" + resource.id_name + "}",
        get,
        "GET",
        f"get_{resource.one}",
        response_model=ScrapReturnOut,
        responses=GET_PROBLEMS,
    )

    async def reverse(ctx: Warehouse, catalog: Catalog, document_id: DocumentId) -> Response:
        async def command(uow: UnitOfWork) -> ScrapReturnOut:
            async with ctx.db.read() as session:
                codes = await usecases.document_item_codes(session, kind, document_id)
            items = await catalog_items(catalog, codes)
            return await usecases.reverse_posted(uow, kind, document_id, items)

        return await run_command(ctx, command)

    reverse.__doc__ = resource.reverse_doc
    add(
        "/{" + resource.id_name + "}/reverse",
        reverse,
        "POST",
        f"reverse_{resource.one}",
        response_model=ScrapReturnOut,
        responses=REVERSE_PROBLEMS,
    )

    async def of_this_kind(ctx: Warehouse, document_id: DocumentId) -> None:
        """The draft routes read the stored request by id alone: another kind's id is 404
        here before it is read (it would post under the wrong resource, or not parse)."""
        async with ctx.db.read() as session:
            await usecases.require_kind(session, kind, document_id)

    draft_routes = APIRouter(dependencies=[Depends(of_this_kind)])
    add_draft_routes(
        draft_routes,
        noun=label,
        operation=resource.one,
        id_name=resource.id_name,
        model=ScrapReturn,
        create=resource.create,
        out=ScrapReturnOut,
        save=usecases.save_document,
        cancel=lambda uow, document_id: usecases.cancel_document(uow, kind, document_id),
        example_id=resource.example_id,
        gated=gate is not None,
    )
    if gate is not None:
        add_approval_route(
            draft_routes,
            gate=gate,
            operation=resource.one,
            id_name=resource.id_name,
            out=ScrapReturnOut,
            approve=approve_draft(gate, resource.create, usecases.save_document),
            example_id=resource.example_id,
        )
    router.include_router(draft_routes)
    return router


router = APIRouter()
for _resource in RESOURCES:
    router.include_router(kind_router(_resource))
