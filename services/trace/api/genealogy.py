"""Genealogy routes: nodes, where a unit is, backward and forward traces."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from services.trace import genealogy_examples
from services.trace.schemas import (
    BackwardGraphOut,
    BackwardTraceOut,
    ForwardTraceOut,
    NodeDetail,
    NodePage,
)
from services.trace.usecases import genealogy
from services.trace.usecases.nodes import list_nodes
from services.trace.usecases.rebuild import RebuildOut, rebuild
from shared.auth.principal import ADMIN
from shared.http.commands import render, render_payload
from shared.http.context import Reader, RequestContext, request_context
from shared.http.examples import example_response
from shared.http.pagination import PageParams, page_params
from shared.http.problems import problem_responses
from shared.runtime import collector_paused

router = APIRouter(prefix="/v1/genealogy", tags=["genealogy"])
Admin = Annotated[RequestContext, Depends(request_context((ADMIN,)))]

ItemCode = Annotated[str | None, Query(max_length=64, description="The item of the lot or serial")]
LotNumber = Annotated[str | None, Query(max_length=100, description="A lot of the item")]
SerialNumber = Annotated[
    str | None, Query(max_length=100, description="A serial-tracked unit of the item")
]
Depth = Annotated[
    int | None,
    Query(ge=1, le=100, description="Levels to follow; absent: the complete trace"),
]
Text = Annotated[str | None, Query(max_length=200)]


async def named_node(
    item_code: ItemCode = None, lot_number: LotNumber = None, serial_number: SerialNumber = None
) -> genealogy.NodeRef:
    """The lot or unit a request names: `item_code` with `lot_number` or `serial_number`
    (422 naming the fields otherwise)."""
    return genealogy.node_ref(item_code, lot_number, serial_number)


Named = Annotated[genealogy.NodeRef, Depends(named_node)]


@router.get(
    "/nodes",
    response_model=NodePage,
    operation_id="list_genealogy_nodes",
    responses=problem_responses(401, 422),
)
async def list_genealogy_nodes(
    ctx: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    item_code: ItemCode = None,
    kind: Annotated[Literal["lot", "serial"] | None, Query()] = None,
    lot_number: LotNumber = None,
    status: Annotated[
        Literal[
            "in_stock",
            "consumed",
            "shipped",
            "returned",
            "scrapped",
            "lost",
            "withdrawn",
            "unknown",
        ]
        | None,
        Query(description="Where it is now"),
    ] = None,
    work_order: Text = None,
    bom_revision: Annotated[
        str | None, Query(max_length=20, description="As built: its work order's BOM revision")
    ] = None,
    supplier: Text = None,
    customer: Text = None,
    sales_order: Text = None,
) -> Response:
    """Lots and units by item, lot, state, work order, as-built revision, supplier or
    customer: "which shipped speakers are revision B, and who has them?" is
    `?item_code=SPK&bom_revision=B&status=shipped`."""
    async with ctx.db.read() as session:
        items, cursor = await list_nodes(
            session,
            page,
            item_code=item_code,
            kind=kind,
            lot_number=lot_number,
            status=status,
            work_order=work_order,
            bom_revision=bom_revision,
            supplier=supplier,
            customer=customer,
            sales_order=sales_order,
        )
    return render(ctx, NodePage(items=items, next_cursor=cursor))


@router.get(
    "/node",
    response_model=NodeDetail,
    operation_id="get_genealogy_node",
    responses=problem_responses(401, 404, 422),
)
async def get_genealogy_node(
    ctx: Reader,
    ref: Named,
) -> Response:
    """Where a lot or unit is now, with every movement, operation and QC record."""
    async with ctx.db.read() as session:
        return render(ctx, await genealogy.node_detail(session, ref))


@router.get(
    "/backward",
    response_model=BackwardTraceOut | BackwardGraphOut,
    operation_id="trace_backward",
    responses=problem_responses(401, 404, 422),
)
async def trace_backward(
    ctx: Reader,
    ref: Named,
    depth: Depth = None,
    shape: Annotated[
        Literal["tree", "graph"],
        Query(description="tree (default): nested; graph: nodes once, edges once"),
    ] = "tree",
) -> Response:
    """Everything inside a unit or lot down to the supplier lots, each node with its
    work order, as-built revision, steps (operator, station), QC records, supplier and
    receipt: as a tree (`BackwardTraceOut`), or as a graph (`BackwardGraphOut`)."""
    # a large answer: built and rendered without the collector (shared/runtime.py)
    with collector_paused():
        async with ctx.db.snapshot() as session:
            if shape == "graph":
                return render_payload(
                    ctx, await genealogy.backward_graph(session, ref, depth), BackwardGraphOut
                )
            payload = await genealogy.backward(session, ref, depth)
            return render_payload(ctx, payload, BackwardTraceOut)


@router.get(
    "/forward",
    response_model=ForwardTraceOut,
    operation_id="trace_forward",
    responses=problem_responses(401, 404, 422),
)
async def trace_forward(
    ctx: Reader,
    ref: Named,
    depth: Depth = None,
) -> Response:
    """Everything a lot or unit went into, up to finished goods: where each is now, and
    the shipments with sales orders and customers."""
    with collector_paused():  # a large answer (shared/runtime.py)
        async with ctx.db.snapshot() as session:
            payload = await genealogy.forward(session, ref, depth)
            return render_payload(ctx, payload, ForwardTraceOut)


@router.post(
    "/rebuild",
    response_model=RebuildOut,
    operation_id="rebuild_genealogy",
    responses={
        **example_response(genealogy_examples.REBUILD_OUT),
        **problem_responses(401, 403),
    },
)
async def rebuild_genealogy(ctx: Admin) -> Response:
    """Empty the genealogy and replay stock's and mrp's feeds from their start (the
    records MES pushed here are kept and derived again). Answers when the replay is done;
    the graph is the one the feeds describe."""
    out = await rebuild(ctx.db, ctx.request.app.state.consumers, actor=ctx.principal.subject)
    return render(ctx, out)
