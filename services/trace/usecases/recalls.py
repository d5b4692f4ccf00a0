"""Recall reports for a bad lot (or unit): what it reached, who has it, what to quarantine.

The report is the complete forward trace summarised: counts of the reached lots and
units by where they are now, the finished ones (nothing was made from them), customers
with their sales orders, every shipment, and everything still in our stock (the start
included) that should go to quarantine. The quarantine action posts one stock transfer
per location holding such stock, each with an Idempotency-Key derived from what it
moves, so a retry never moves twice, and what is already in the quarantine location is
left alone: running it again after a failure moves what is still outside.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from services.trace.domain.lots import SERIAL
from services.trace.schemas import NodeOut, QuarantineIn, QuarantineOut, QuarantineTransfer
from services.trace.usecases.genealogy import (
    NodeBook,
    NodeRef,
    find_node,
    forward_node,
    node_ref,
    reach_forward,
    reached_in_order,
    shipments_of,
)
from shared.client import ServiceClient
from shared.db.database import Database
from shared.errors import PassedOn, ProblemError, UpstreamError
from shared.schemas import plain
from shared.spreadsheet_files import SheetSpec, write_workbook


async def quarantine_locations(client: ServiceClient) -> list[str] | None:
    """Stock's quarantine locations, or None when stock cannot say (the report then
    lists everything still in stock as to quarantine)."""
    codes: list[str] = []
    cursor: str | None = None
    try:
        while True:
            params: dict[str, Any] = {"location_type": "quarantine", "limit": 500}
            if cursor:
                params["cursor"] = cursor
            response = await client.request("stock", "GET", "/v1/locations", params=params)
            if response.status_code != 200:
                return None
            page = response.json()
            codes += [str(row["code"]) for row in page["items"]]
            cursor = page.get("next_cursor")
            if not cursor:
                return sorted(codes)
    except ProblemError:
        return None


async def recall_report(
    session: AsyncSession, ref: NodeRef, quarantined: list[str] | None
) -> dict[str, Any]:
    """The report as `RecallReportOut` shows it (JSON types: it may hold 10,000 units).
    Stock in one of the `quarantined` locations is listed as already quarantined, the
    rest as to quarantine."""
    start = await find_node(session, ref)
    reach = await reach_forward(session, start.id, None)
    book = NodeBook()
    await book.load(session, reach.depth)
    reached = reached_in_order(book, reach)
    counts: dict[str, int] = defaultdict(int)
    for i in reached:
        counts[book.status(i)] += 1
    shipments = await shipments_of(session, book, sorted(reach.depth))
    inside = set(quarantined or ())
    to_quarantine: list[dict[str, Any]] = []
    already: list[dict[str, Any]] = []
    for i in [start.id, *reached]:
        places = book.places.get(i)
        if not places:
            continue
        out = [p for p in places if p["location_code"] not in inside]
        held = [p for p in places if p["location_code"] in inside]
        if out:
            to_quarantine.append({**forward_node(book, reach, i), "in_stock": out})
        if held:
            already.append({**forward_node(book, reach, i), "in_stock": held})
    return {
        "start": book.fields(start.id),
        "counts": [{"status": s, "nodes": n} for s, n in sorted(counts.items())],
        "finished": [forward_node(book, reach, i) for i in reached if i not in reach.makes],
        "customers": _customers(shipments),
        "shipments": shipments,
        "quarantine_locations": quarantined,
        "to_quarantine": to_quarantine,
        "quarantined": already,
    }


def _customers(shipments: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    orders: dict[str, set[str]] = defaultdict(set)
    units: dict[str, set[int]] = defaultdict(set)
    quantity: dict[str, Decimal] = defaultdict(Decimal)
    for s in shipments:
        orders[s["customer"]].add(s["sales_order"])
        units[s["customer"]].add(s["node_id"])
        quantity[s["customer"]] += Decimal(s["quantity"])
    return [
        {
            "customer": customer,
            "sales_orders": sorted(orders[customer]),
            "units": len(units[customer]),
            "quantity": plain(quantity[customer]),
        }
        for customer in sorted(orders)
    ]


def recall_workbook(report: dict[str, Any]) -> bytes:
    """The report as .xlsx: a summary, the shipments by customer, what to quarantine, what
    is quarantined already and the finished goods reached."""
    start = report["start"]
    summary: list[list[object]] = [
        ["Item", start["item_code"]],
        ["Lot", start["lot_number"] or ""],
        ["Serial", start["serial_number"] or ""],
        ["Supplier", start["supplier"]],
        ["Supplier lot", start["supplier_lot"]],
        ["Receipt", start["receipt_number"]],
    ]
    summary += [[f"Reached: {c['status']}", c["nodes"]] for c in report["counts"]]
    summary += [
        [f"Customer: {c['customer']}", ", ".join(c["sales_orders"])] for c in report["customers"]
    ]

    def node_row(n: dict[str, Any]) -> list[object]:
        return [
            n["item_code"],
            n["lot_number"] or "",
            n["serial_number"] or "",
            n["work_order"] or "",
            n["bom_revision"] or "",
            n["status"],
            "; ".join(
                f"{p['location_code']} {p['quality_state']} {p['quantity']}" for p in n["in_stock"]
            ),
            n["customer"],
            n["sales_order"],
        ]

    node_header = [
        "Item",
        "Lot",
        "Serial",
        "Work order",
        "BOM revision",
        "Status",
        "In stock",
        "Customer",
        "Sales order",
    ]
    return write_workbook(
        [
            SheetSpec("Summary", ["What", "Value"], summary, widths=(24, 40)),
            SheetSpec(
                "Shipments",
                [
                    "Customer",
                    "Sales order",
                    "Shipment",
                    "Shipped at",
                    "Item",
                    "Lot",
                    "Serial",
                    "Quantity",
                ],
                [
                    [
                        s["customer"],
                        s["sales_order"],
                        s["document_number"],
                        s["shipped_at"],
                        s["item_code"],
                        s["lot_number"] or "",
                        s["serial_number"] or "",
                        Decimal(s["quantity"]),
                    ]
                    for s in report["shipments"]
                ],
            ),
            SheetSpec("To quarantine", node_header, [node_row(n) for n in report["to_quarantine"]]),
            SheetSpec("Quarantined", node_header, [node_row(n) for n in report["quarantined"]]),
            SheetSpec("Finished", node_header, [node_row(n) for n in report["finished"]]),
        ]
    )


def _refused(response: httpx.Response, location: str) -> ProblemError:
    """Stock's own refusal (409 short stock, 422 a bad line) passed on; anything else is
    stock failing, not the caller's request."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code in (409, 422) and isinstance(body, dict):
        return PassedOn(
            "stock",
            response.status_code,
            body,
            refused=f"the transfer from {location}",
            errors=PassedOn.field_errors(body),
        )
    return UpstreamError(f"stock answered {response.status_code} to the transfer from {location}")


def transfer_requests(
    report: dict[str, Any], to_location: str, note: str
) -> tuple[list[dict[str, Any]], int]:
    """One transfer body per location holding recalled stock outside `to_location`."""
    lines: dict[str, list[dict[str, Any]]] = defaultdict(list)
    units: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    already = sum(len(node["in_stock"]) for node in report["quarantined"])
    for node in report["to_quarantine"]:
        for place in node["in_stock"]:
            location = place["location_code"]
            if location == to_location:
                already += 1
                continue
            if node["kind"] == SERIAL:
                units[(location, node["item_code"], place["quality_state"])].append(
                    node["serial_number"]
                )
            else:
                lines[location].append(
                    {
                        "item_code": node["item_code"],
                        "lot_number": node["lot_number"],
                        "quantity": place["quantity"],
                        "quality_state": place["quality_state"],
                    }
                )
    for (location, item_code, state), serials in sorted(units.items()):
        lines[location].append(
            {
                "item_code": item_code,
                "quantity": str(len(serials)),
                "serial_numbers": sorted(serials),
                "quality_state": state,
            }
        )
    start = report["start"]
    label = start["serial_number"] or start["lot_number"]
    bodies = [
        {
            "from_location_code": location,
            "to_location_code": to_location,
            "note": f"Recall of {start['item_code']} {label}: {note}"[:500],
            "lines": location_lines,
        }
        for location, location_lines in sorted(lines.items())
    ]
    return bodies, already


async def quarantine(
    db: Database, client: ServiceClient, actor: str, body: QuarantineIn
) -> QuarantineOut:
    """Trace posts the transfers as itself (the route already checked the caller may
    quarantine); each transfer's note names the caller, and the request id links both
    services' audit rows. The report is read first, in its own snapshot: no transaction
    stays open while stock posts."""
    ref = node_ref(body.item_code, body.lot_number, body.serial_number)
    quarantined = await quarantine_locations(client)
    async with db.snapshot() as session:
        report = await recall_report(session, ref, quarantined)
    requests, already = transfer_requests(
        report, body.to_location_code, body.note or f"Recall quarantine by {actor}"
    )
    done: list[QuarantineTransfer] = []
    for request in requests:
        key = (
            "recall-"
            + hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()[:40]
        )
        response = await client.request(
            "stock", "POST", "/v1/transfers", json=request, idempotency_key=key
        )
        if response.status_code != 201:
            raise _refused(response, request["from_location_code"])
        posted = response.json()
        done.append(
            QuarantineTransfer(
                from_location_code=request["from_location_code"],
                transfer_number=str(posted.get("number", "")),
                lines=len(request["lines"]),
                quantity=sum((Decimal(line["quantity"]) for line in request["lines"]), Decimal(0)),
            )
        )
    return QuarantineOut(
        start=NodeOut.model_validate(report["start"]),
        to_location_code=body.to_location_code,
        transfers=done,
        already_there=already,
    )
