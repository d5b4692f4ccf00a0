"""A speaker built from two supplier lots through a PCBA lot into serialized finished goods,
some shipped: trace answers both ways, exactly, and quarantines what is left.

Everything reaches trace through stock's and mrp's feeds (and one MES test record);
the graph rebuilt from the feeds is the same graph.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import openpyxl
from sqlalchemy import select

from services.trace.db import models
from tests.conftest import auth
from tests.service.trace_support import Factory, code, factory_fixture, ok, trace_settings
from tests.wiring import started

__all__ = ["factory_fixture"]


@dataclass
class Built:
    res: str  # resistor, lot-tracked
    ic: str  # chip, lot-tracked
    pcba: str  # semi-finished, lot-tracked
    spk: str  # finished speaker, serial-tracked
    res_lot: str  # supplier lot in the product
    ic_lot: str  # supplier lot in the product
    spare_lot: str  # a resistor lot never used
    pcba_lot: str
    serials: list[str]
    raw: str
    line: str
    fg: str
    quarantine: str
    wo_pcba: dict[str, Any]
    wo_spk: dict[str, Any]


async def item(f: Factory, prefix: str, item_type: str, tracking: str) -> str:
    body = {
        "code": code(prefix),
        "name": prefix,
        "uom": "pcs",
        "item_type": item_type,
        "procurement": "buy" if item_type == "raw_material" else "make",
        "tracking": tracking,
    }
    return str((await ok(await f.catalog.post("/v1/items", json=body)))["code"])


async def bom(f: Factory, parent: str, lines: list[tuple[str, str]], revision: str) -> None:
    body = {
        "item_code": parent,
        "revision": revision,
        "lines": [{"component_code": c, "quantity": q} for c, q in lines],
    }
    created = await ok(await f.catalog.post("/v1/boms", json=body))
    await ok(
        await f.catalog.post(
            f"/v1/boms/{created['id']}/release",
            json={},
            headers={"If-Match": f'W/"{created["version"]}"'},
        ),
        200,
    )


async def location(f: Factory, prefix: str, kind: str) -> str:
    where = code(prefix)
    await ok(
        await f.stock.post(
            "/v1/locations", json={"code": where, "name": where, "location_type": kind}
        )
    )
    return where


async def receive_lot(
    f: Factory, item_code: str, lot: str, where: str, quantity: str, supplier: str
) -> dict[str, Any]:
    body = {
        "item_code": item_code,
        "location_code": where,
        "quantity": quantity,
        "lot_number": lot,
        "supplier": supplier,
        "supplier_lot": f"S-{lot}",
        "date_code": "2611",
        "purchase_order": f"PO-{supplier}",
    }
    receipt = await ok(await f.stock.post("/v1/receipts", json=body))
    qc = {
        "item_code": item_code,
        "lot_number": lot,
        "location_code": where,
        "accepted_quantity": quantity,
        "rejected_quantity": "0",
        "sample_size": 5,
        "inspector": "QC Li",
    }
    await ok(await f.stock.post("/v1/inspections", json=qc))
    return receipt  # type: ignore[no-any-return]


async def work_order(f: Factory, item_code: str, quantity: str, line: str, fg: str) -> Any:
    body = {
        "item_code": item_code,
        "quantity": quantity,
        "start_date": "2027-03-01",
        "due_date": "2027-03-05",
        "wip_location_code": line,
        "output_location_code": fg,
        "release": True,
    }
    return await ok(await f.mrp.post("/v1/work-orders", json=body))


async def issue(f: Factory, order: str, line: str, lines: list[dict[str, Any]]) -> None:
    doc = await ok(
        await f.stock.post(
            "/v1/requisitions",
            json={"work_order": order, "to_location_code": line, "lines": lines},
        )
    )
    await ok(await f.stock.post(f"/v1/requisitions/{doc['id']}/submit"), 200)
    await ok(await f.stock.post(f"/v1/requisitions/{doc['id']}/post"), 200)


async def complete(f: Factory, order: dict[str, Any], event: str, **body: Any) -> Any:
    payload = {
        "event_id": event,
        "operation": body.pop("operation", "0030"),
        "station": body.pop("station", "SMT-2"),
        "operator": body.pop("operator", "Wang"),
        "started_at": "2027-03-01T08:00:00+08:00",
        "finished_at": "2027-03-01T09:00:00+08:00",
        **body,
    }
    return await ok(
        await f.mrp.post(
            f"/v1/work-orders/{order['id']}/completions",
            json=payload,
            headers=auth("integration"),
        )
    )


async def ship(f: Factory, spk: str, fg: str, serials: list[str], so: str, customer: str) -> None:
    body = {
        "sales_order": so,
        "customer": customer,
        "from_location_code": fg,
        "lines": [{"item_code": spk, "quantity": str(len(serials)), "serial_numbers": serials}],
    }
    await ok(await f.stock.post("/v1/shipments", json=body))


async def build(f: Factory) -> Built:
    """Two supplier lots -> a PCBA lot (work order 1) -> four speakers (work order 2);
    speakers 1-2 ship to ACME on SO-1, speaker 3 to BETA on SO-2, speaker 4 stays."""
    res = await item(f, "RES", "raw_material", "lot")
    ic = await item(f, "IC", "raw_material", "lot")
    pcba = await item(f, "PCBA", "semi_finished", "lot")
    spk = await item(f, "SPK", "finished_good", "serial")
    await bom(f, pcba, [(res, "2"), (ic, "1")], "A")
    await bom(f, spk, [(pcba, "1")], "B")
    raw = await location(f, "WH1/RAW", "storage")
    line = await location(f, "WH1/LINE", "production_line")
    fg = await location(f, "WH1/FG", "finished_goods")
    quarantine = await location(f, "WH1/QUAR", "quarantine")
    res_lot, ic_lot, spare_lot = code("RL"), code("IL"), code("RS")
    await receive_lot(f, res, res_lot, raw, "1000", "Yageo")
    await receive_lot(f, ic, ic_lot, raw, "500", "TI")
    await receive_lot(f, res, spare_lot, raw, "1000", "Yageo")
    wo_pcba = await work_order(f, pcba, "10", line, fg)
    await issue(
        f,
        wo_pcba["number"],
        line,
        [
            {"item_code": res, "quantity": "20", "lot_number": res_lot},
            {"item_code": ic, "quantity": "10", "lot_number": ic_lot},
        ],
    )
    pcba_lot = code("PL")
    await complete(
        f,
        wo_pcba,
        "EV-PCBA-1",
        produced=[{"quantity": "10", "lot_number": pcba_lot}],
        consumed=[
            {"item_code": res, "quantity": "20", "lot_number": res_lot},
            {"item_code": ic, "quantity": "10", "lot_number": ic_lot},
        ],
    )
    wo_spk = await work_order(f, spk, "4", line, fg)
    await issue(
        f, wo_spk["number"], line, [{"item_code": pcba, "quantity": "4", "lot_number": pcba_lot}]
    )
    serials = [code("SN") for _ in range(4)]
    await complete(
        f,
        wo_spk,
        "EV-SPK-1",
        operation="0050 Final assembly",
        station="FA-1",
        operator="Zhao",
        produced=[{"quantity": "4", "serial_numbers": serials}],
        consumed=[{"item_code": pcba, "quantity": "4", "lot_number": pcba_lot}],
    )
    await ship(f, spk, fg, serials[:2], "SO-1", "ACME")
    await ship(f, spk, fg, serials[2:3], "SO-2", "BETA")
    test_record = {
        "record_id": f"T-{serials[0]}",
        "kind": "test",
        "work_order": wo_spk["number"],
        "item_code": spk,
        "serial_number": serials[0],
        "operation": "0060 Acoustic test",
        "station": "EOL-3",
        "operator": "Sun",
        "result": "pass",
        "started_at": "2027-03-01T10:00:00+08:00",
        "finished_at": "2027-03-01T10:02:00+08:00",
        "measurements": [
            {
                "name": "spl",
                "value": "86.5",
                "unit": "dB",
                "low": "84",
                "high": "90",
                "result": "pass",
            }
        ],
    }
    await ok(await f.trace.post("/v1/operations", json=test_record, headers=auth("integration")))
    await f.sync()
    return Built(
        res,
        ic,
        pcba,
        spk,
        res_lot,
        ic_lot,
        spare_lot,
        pcba_lot,
        serials,
        raw,
        line,
        fg,
        quarantine,
        wo_pcba,
        wo_spk,
    )


def flat(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node] + [n for child in node["children"] for n in flat(child)]


async def test_backward_from_a_shipped_speaker_reaches_both_supplier_lots(factory: Factory) -> None:
    b = await build(factory)
    trace = await ok(
        await factory.trace.get(
            "/v1/genealogy/backward", params={"item_code": b.spk, "serial_number": b.serials[0]}
        ),
        200,
    )
    root = trace["root"]
    assert (root["kind"], root["serial_number"], root["work_order"]) == (
        "serial",
        b.serials[0],
        b.wo_spk["number"],
    )
    assert root["bom_revision"] == "B" and root["status"] == "shipped"
    assert (root["customer"], root["sales_order"]) == ("ACME", "SO-1")
    assert [(s["operation"], s["station"], s["operator"]) for s in root["steps"]] == [
        ("0050 Final assembly", "FA-1", "Zhao"),
        ("0060 Acoustic test", "EOL-3", "Sun"),
    ]
    assert [(q["kind"], q["result"], q["inspector"]) for q in root["qc_records"]] == [
        ("test", "pass", "Sun")
    ]
    (board,) = root["children"]
    assert (board["item_code"], board["lot_number"], board["work_order"]) == (
        b.pcba,
        b.pcba_lot,
        b.wo_pcba["number"],
    )
    assert board["bom_revision"] == "A" and board["link"] == "consumed"
    assert board["via_work_order"] == b.wo_spk["number"] and board["quantity"] == "4"
    assert [(s["operation"], s["station"]) for s in board["steps"]] == [("0030", "SMT-2")]
    below = {(c["item_code"], c["lot_number"]): c for c in board["children"]}
    assert set(below) == {(b.res, b.res_lot), (b.ic, b.ic_lot)}
    resistor = below[(b.res, b.res_lot)]
    assert (resistor["supplier"], resistor["supplier_lot"], resistor["date_code"]) == (
        "Yageo",
        f"S-{b.res_lot}",
        "2611",
    )
    assert resistor["purchase_order"] == "PO-Yageo" and resistor["receipt_number"].startswith("GR-")
    assert resistor["quantity"] == "20" and resistor["children"] == []
    assert [(q["kind"], q["result"], q["inspector"]) for q in resistor["qc_records"]] == [
        ("inspection", "accepted", "QC Li")
    ]
    assert below[(b.ic, b.ic_lot)]["supplier"] == "TI"
    assert trace["complete"] is True and trace["node_count"] == 4
    assert sorted(n["lot_number"] for n in trace["supplier_lots"]) == sorted([b.res_lot, b.ic_lot])
    assert b.spare_lot not in {n["lot_number"] for n in flat(root)}
    # depth-limited: one level, and it says the tree was cut
    short = await ok(
        await factory.trace.get(
            "/v1/genealogy/backward",
            params={"item_code": b.spk, "serial_number": b.serials[0], "depth": 1},
        ),
        200,
    )
    assert short["complete"] is False and short["node_count"] == 2
    assert short["root"]["children"][0]["children"] == []


async def test_forward_from_a_supplier_lot_names_every_unit_order_and_customer(
    factory: Factory,
) -> None:
    b = await build(factory)
    trace = await ok(
        await factory.trace.get(
            "/v1/genealogy/forward", params={"item_code": b.res, "lot_number": b.res_lot}
        ),
        200,
    )
    assert trace["start"]["status"] == "in_stock"
    assert trace["start"]["in_stock"] == [
        {"location_code": b.raw, "quality_state": "qualified", "quantity": "980"}
    ]
    reached = {(n["item_code"], n["lot_number"], n["serial_number"]): n for n in trace["nodes"]}
    assert set(reached) == {(b.pcba, b.pcba_lot, None)} | {(b.spk, None, s) for s in b.serials}
    board = reached[(b.pcba, b.pcba_lot, None)]
    assert board["depth"] == 1 and board["status"] == "in_stock"
    assert board["in_stock"] == [
        {"location_code": b.fg, "quality_state": "qualified", "quantity": "6"}
    ]
    states = {s: reached[(b.spk, None, s)]["status"] for s in b.serials}
    assert states == {
        b.serials[0]: "shipped",
        b.serials[1]: "shipped",
        b.serials[2]: "shipped",
        b.serials[3]: "in_stock",
    }
    assert reached[(b.spk, None, b.serials[3])]["in_stock"][0]["location_code"] == b.fg
    assert all(reached[(b.spk, None, s)]["bom_revision"] == "B" for s in b.serials)
    shipped = sorted(
        (s["serial_number"], s["sales_order"], s["customer"]) for s in trace["shipments"]
    )
    assert shipped == sorted(
        [
            (b.serials[0], "SO-1", "ACME"),
            (b.serials[1], "SO-1", "ACME"),
            (b.serials[2], "SO-2", "BETA"),
        ]
    )
    assert all(s["document_number"].startswith("SH-") for s in trace["shipments"])
    # the unused lot reached nothing
    spare = await ok(
        await factory.trace.get(
            "/v1/genealogy/forward", params={"item_code": b.res, "lot_number": b.spare_lot}
        ),
        200,
    )
    assert spare["nodes"] == [] and spare["shipments"] == []
    # which shipped speakers are revision B, and who has them?
    units = await ok(
        await factory.trace.get(
            "/v1/genealogy/nodes",
            params={"item_code": b.spk, "bom_revision": "B", "status": "shipped"},
        ),
        200,
    )
    assert sorted((u["serial_number"], u["customer"]) for u in units["items"]) == sorted(
        [(b.serials[0], "ACME"), (b.serials[1], "ACME"), (b.serials[2], "BETA")]
    )
    none = await factory.trace.get(
        "/v1/genealogy/nodes", params={"item_code": b.spk, "bom_revision": "A"}
    )
    assert none.json()["items"] == []


async def test_where_a_unit_is_and_its_history(factory: Factory) -> None:
    b = await build(factory)
    detail = await ok(
        await factory.trace.get(
            "/v1/genealogy/node", params={"item_code": b.spk, "serial_number": b.serials[3]}
        ),
        200,
    )
    assert detail["status"] == "in_stock"
    assert detail["in_stock"] == [
        {"location_code": b.fg, "quality_state": "qualified", "quantity": "1"}
    ]
    assert [(h["action"], h["to_location"], h["work_order"]) for h in detail["history"]] == [
        ("produced", b.fg, b.wo_spk["number"])
    ]
    assert detail["history"][0]["document_number"].startswith("PR-")
    shipped = await ok(
        await factory.trace.get(
            "/v1/genealogy/node", params={"item_code": b.spk, "serial_number": b.serials[0]}
        ),
        200,
    )
    assert [h["action"] for h in shipped["history"]] == ["produced", "shipped"]
    assert shipped["in_stock"] == [] and shipped["customer"] == "ACME"
    lot = await ok(
        await factory.trace.get(
            "/v1/genealogy/node", params={"item_code": b.res, "lot_number": b.res_lot}
        ),
        200,
    )
    assert [h["action"] for h in lot["history"]] == ["received", "inspected", "issued", "consumed"]
    missing = await factory.trace.get(
        "/v1/genealogy/node", params={"item_code": b.spk, "serial_number": "NOPE"}
    )
    assert missing.status_code == 404
    both = await factory.trace.get(
        "/v1/genealogy/backward", params={"lot_number": "X", "serial_number": "Y"}
    )
    assert both.status_code == 422
    assert {e["field"] for e in both.json()["errors"]} == {"query.item_code", "query.lot_number"}


async def test_recall_report_xlsx_and_quarantine(factory: Factory) -> None:
    b = await build(factory)
    params = {"item_code": b.res, "lot_number": b.res_lot}
    report = await ok(await factory.trace.get("/v1/recalls/report", params=params), 200)
    assert {c["status"]: c["nodes"] for c in report["counts"]} == {"in_stock": 2, "shipped": 3}
    assert [(c["customer"], c["sales_orders"], c["units"]) for c in report["customers"]] == [
        ("ACME", ["SO-1"], 2),
        ("BETA", ["SO-2"], 1),
    ]
    assert sorted(n["serial_number"] for n in report["finished"]) == sorted(b.serials)
    assert b.quarantine in report["quarantine_locations"] and report["quarantined"] == []
    quarantine = {
        (n["item_code"], n["lot_number"] or n["serial_number"]) for n in report["to_quarantine"]
    }
    assert quarantine == {(b.res, b.res_lot), (b.pcba, b.pcba_lot), (b.spk, b.serials[3])}
    xlsx = await factory.trace.get("/v1/recalls/report", params={**params, "format": "xlsx"})
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == [
        "Summary",
        "Shipments",
        "To quarantine",
        "Quarantined",
        "Finished",
    ]
    shipments = list(book["Shipments"].iter_rows(min_row=2, values_only=True))
    assert sorted((r[0], r[1], r[6]) for r in shipments) == sorted(
        [
            ("ACME", "SO-1", b.serials[0]),
            ("ACME", "SO-1", b.serials[1]),
            ("BETA", "SO-2", b.serials[2]),
        ]
    )
    # the one-call quarantine moves what is still ours through stock
    body = {**params, "to_location_code": b.quarantine}
    moved = await ok(
        await factory.trace.post("/v1/recalls/quarantine", json=body, headers=auth("qc")), 200
    )
    assert sorted((t["from_location_code"], t["lines"]) for t in moved["transfers"]) == sorted(
        [(b.raw, 1), (b.fg, 2)]
    )
    assert all(t["transfer_number"] for t in moved["transfers"])
    balances = (
        await factory.stock.get("/v1/balances", params={"location_code": b.quarantine})
    ).json()["items"]
    assert sorted((r["item_code"], r["quantity"]) for r in balances) == sorted(
        [(b.res, "980"), (b.pcba, "6"), (b.spk, "1")]
    )
    await factory.sync()
    after = await ok(await factory.trace.get("/v1/recalls/report", params=params), 200)
    assert after["to_quarantine"] == []
    assert {
        (n["item_code"], n["lot_number"] or n["serial_number"], n["in_stock"][0]["location_code"])
        for n in after["quarantined"]
    } == {
        (b.res, b.res_lot, b.quarantine),
        (b.pcba, b.pcba_lot, b.quarantine),
        (b.spk, b.serials[3], b.quarantine),
    }
    again = await ok(
        await factory.trace.post("/v1/recalls/quarantine", json=body, headers=auth("qc")), 200
    )
    assert again["transfers"] == [] and again["already_there"] == 3
    forbidden = await factory.trace.post(
        "/v1/recalls/quarantine", json=body, headers=auth("planner")
    )
    assert forbidden.status_code == 403
    # stock down: the report still answers, everything in stock listed as to quarantine
    stock = factory.transport.apps.pop("stock")
    try:
        blind = await ok(await factory.trace.get("/v1/recalls/report", params=params), 200)
    finally:
        factory.transport.register("stock", stock)
    assert blind["quarantine_locations"] is None and blind["quarantined"] == []
    assert len(blind["to_quarantine"]) == 3


async def _graph(app: Any) -> dict[str, Any]:
    """Everything trace knows, keyed by what it is (never by surrogate ids)."""
    async with app.state.db.read() as session:
        nodes = {
            n.id: (n.item_code, n.kind, n.code)
            for n in await session.scalars(select(models.TraceNode))
        }
        rows = {
            "nodes": sorted(
                (
                    n.item_code,
                    n.kind,
                    n.code,
                    n.lot_number,
                    n.supplier,
                    n.supplier_lot,
                    n.date_code,
                    n.purchase_order,
                    n.receipt_number,
                    str(n.receipt_date),
                    n.work_order,
                    n.status,
                    n.location_code,
                    n.quality_state,
                    n.sales_order,
                    n.customer,
                )
                for n in await session.scalars(select(models.TraceNode))
            ),
            "links": sorted(
                (r.work_order, r.role, r.how, nodes[r.node_id], str(r.quantity))
                for r in await session.scalars(select(models.TraceLink))
            ),
            "stock": sorted(
                (nodes[r.node_id], r.location_code, r.quality_state, str(r.quantity))
                for r in await session.scalars(select(models.TraceNodeStock))
            ),
            "history": sorted(
                (nodes[r.node_id], r.source_seq, r.action, r.document_type, str(r.quantity))
                for r in await session.scalars(select(models.TraceHistory))
            ),
            "work_orders": sorted(
                (r.number, r.item_code, r.bom_revision, r.status)
                for r in await session.scalars(select(models.TraceWorkOrder))
            ),
            "qc": sorted(
                (nodes[r.node_id], r.record_key, r.result)
                for r in await session.scalars(select(models.TraceQcRecord))
                if r.source != "mes"
            ),
            "operations": sorted(
                (r.record_id, r.work_order, r.operation, r.station, r.operator)
                for r in await session.scalars(select(models.TraceOperation))
                if r.source != "mes"
            ),
            "documents": sorted(
                (r.document_type, r.document_id, r.number)
                for r in await session.scalars(select(models.TraceDocument))
            ),
        }
    return rows


async def test_a_trace_rebuilt_from_the_feeds_is_the_same_graph(
    factory: Factory, database_factory
) -> None:
    b = await build(factory)
    await ok(
        await factory.trace.post(
            "/v1/recalls/quarantine",
            json={"item_code": b.res, "lot_number": b.res_lot, "to_location_code": b.quarantine},
        ),
        200,
    )
    await factory.sync()
    before = await _graph(factory.apps["trace"])
    assert before["links"] and before["history"] and before["operations"]
    from services.trace.app import create_app as trace_app

    fresh = trace_app(
        trace_settings(await database_factory("trace")), http_transport=factory.transport
    )
    async with started({"trace2": fresh}):
        await factory.sync(fresh)
        assert await _graph(fresh) == before
    # one event at a time (the path a failing page takes) builds the same graph as pages
    single = trace_app(
        trace_settings(await database_factory("trace")), http_transport=factory.transport
    )
    async with started({"trace3": single}):
        for consumer in single.state.consumers.values():
            consumer.batch_size = 1
        await factory.sync(single)
        assert await _graph(single) == before


async def test_mes_assignments_narrow_the_genealogy_and_survive_a_rebuild(
    factory: Factory,
) -> None:
    """Two module lots go into one work order of two speakers; MES says which went into
    which speaker, so each lot reaches one speaker, not both."""
    f = factory
    module = await item(f, "MOD", "raw_material", "lot")
    spk = await item(f, "SPK", "finished_good", "serial")
    await bom(f, spk, [(module, "1")], "C")
    raw = await location(f, "WH1/RAW", "storage")
    line = await location(f, "WH1/LINE", "production_line")
    fg = await location(f, "WH1/FG", "finished_goods")
    m1, m2 = code("M1"), code("M2")
    await receive_lot(f, module, m1, raw, "50", "Goertek")
    await receive_lot(f, module, m2, raw, "50", "AAC")
    order = await work_order(f, spk, "2", line, fg)
    lots = [
        {"item_code": module, "quantity": "1", "lot_number": m1},
        {"item_code": module, "quantity": "1", "lot_number": m2},
    ]
    await issue(f, order["number"], line, lots)
    sa, sb = code("SA"), code("SB")
    await complete(
        f, order, "EV-1", produced=[{"quantity": "2", "serial_numbers": [sa, sb]}], consumed=lots
    )
    await f.sync()

    async def reached(lot: str) -> set[str]:
        got = await ok(
            await f.trace.get(
                "/v1/genealogy/forward", params={"item_code": module, "lot_number": lot}
            ),
            200,
        )
        return {n["serial_number"] for n in got["nodes"]}

    assert await reached(m1) == {sa, sb} and await reached(m2) == {sa, sb}
    mes = auth("integration")
    for unit, lot in ((sa, m1), (sb, m2)):
        record = {
            "record_id": f"ASM-{unit}",
            "work_order": order["number"],
            "item_code": spk,
            "serial_number": unit,
            "operation": "0040 Module fit",
            "station": "FA-2",
            "operator": "Qian",
            "started_at": "2027-03-01T09:30:00+08:00",
            "components": [{"item_code": module, "lot_number": lot, "quantity": "1"}],
        }
        first = await f.trace.post("/v1/operations", json=record, headers=mes)
        assert first.status_code == 201, first.text
        again = await f.trace.post("/v1/operations", json=record, headers=mes)
        assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
    assert await reached(m1) == {sa} and await reached(m2) == {sb}
    back = await ok(
        await f.trace.get("/v1/genealogy/backward", params={"item_code": spk, "serial_number": sa}),
        200,
    )
    assert [(c["lot_number"], c["link"]) for c in back["root"]["children"]] == [(m1, "assigned")]
    assert [s["operation"] for s in back["root"]["steps"]] == ["0030", "0040 Module fit"]
    changed = await f.trace.post(
        "/v1/operations",
        json={"record_id": f"ASM-{sa}", "work_order": order["number"], "result": "ng"},
        headers=mes,
    )
    assert changed.status_code == 409 and changed.json()["code"] == "record_id_reused"
    bad = await f.trace.post(
        "/v1/operations",
        json={
            "record_id": "X",
            "work_order": order["number"],
            "components": [{"item_code": module}],
        },
        headers=mes,
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} >= {"body.components.0"}
    listed = await ok(
        await f.trace.get("/v1/operations", params={"work_order": order["number"]}), 200
    )
    assert [r["record_id"] for r in listed["items"]] == ["mrp:EV-1", f"ASM-{sa}", f"ASM-{sb}"]
    # a shipment and its reversal: the unit is back in stock and ships nowhere
    await ship(f, spk, fg, [sa], "SO-9", "GAMMA")
    shipments = (await f.stock.get("/v1/shipments", params={"sales_order": "SO-9"})).json()
    (shipment,) = shipments["items"]
    await ok(await f.stock.post(f"/v1/shipments/{shipment['id']}/reverse"), 200)
    await f.sync()
    unit = await ok(
        await f.trace.get("/v1/genealogy/node", params={"item_code": spk, "serial_number": sa}),
        200,
    )
    assert unit["status"] == "in_stock" and unit["in_stock"][0]["location_code"] == fg
    assert [h["action"] for h in unit["history"]] == ["produced", "shipped", "unshipped"]
    forward = await ok(
        await f.trace.get("/v1/genealogy/forward", params={"item_code": module, "lot_number": m1}),
        200,
    )
    assert forward["shipments"] == []
    # rebuilt in place: the feeds replayed, the MES records kept and derived again
    before = await _graph(f.apps["trace"])
    rebuilt = await ok(await f.trace.post("/v1/genealogy/rebuild"), 200)
    assert rebuilt["mes_records"] == 2 and rebuilt["events_applied"]["stock"] > 0
    assert await _graph(f.apps["trace"]) == before
    assert await reached(m1) == {sa} and await reached(m2) == {sb}
    planner = await f.trace.post("/v1/genealogy/rebuild", headers=auth("planner"))
    assert planner.status_code == 403


async def test_a_lot_met_twice_is_shown_once_in_full_tree_and_graph(factory: Factory) -> None:
    """The resistor lot goes into the board and, directly, into the speaker too."""
    f = factory
    res = await item(f, "RES", "raw_material", "lot")
    ic = await item(f, "IC", "raw_material", "lot")
    pcba = await item(f, "PCBA", "semi_finished", "lot")
    spk = await item(f, "SPK", "finished_good", "serial")
    await bom(f, pcba, [(res, "2"), (ic, "1")], "A")
    await bom(f, spk, [(pcba, "1"), (res, "1")], "A")
    raw = await location(f, "WH1/RAW", "storage")
    line = await location(f, "WH1/LINE", "production_line")
    fg = await location(f, "WH1/FG", "finished_goods")
    rl, il, pl = code("RL"), code("IL"), code("PL")
    await receive_lot(f, res, rl, raw, "100", "Yageo")
    await receive_lot(f, ic, il, raw, "100", "TI")
    boards = await work_order(f, pcba, "2", line, fg)
    board_parts = [
        {"item_code": res, "quantity": "4", "lot_number": rl},
        {"item_code": ic, "quantity": "2", "lot_number": il},
    ]
    await issue(f, boards["number"], line, board_parts)
    await complete(
        f, boards, "EV-B", produced=[{"quantity": "2", "lot_number": pl}], consumed=board_parts
    )
    speakers = await work_order(f, spk, "2", line, fg)
    speaker_parts = [
        {"item_code": pcba, "quantity": "2", "lot_number": pl},
        {"item_code": res, "quantity": "2", "lot_number": rl},
    ]
    await issue(f, speakers["number"], line, speaker_parts)
    s1, s2 = code("S1"), code("S2")
    await complete(
        f,
        speakers,
        "EV-S",
        produced=[{"quantity": "2", "serial_numbers": [s1, s2]}],
        consumed=speaker_parts,
    )
    await f.sync()
    params = {"item_code": spk, "serial_number": s1}
    tree = await ok(await f.trace.get("/v1/genealogy/backward", params=params), 200)
    entries = flat_all(tree["root"])
    lots = [(e["lot_number"], e["repeated"], e["depth"]) for e in entries if e["depth"] > 0]
    # depth first, children by work order and item: the board (PCBA-...) before the
    # resistor (RES-...), so the resistor lot is shown in full under the board
    assert lots == [(pl, False, 1), (il, False, 2), (rl, False, 2), (rl, True, 1)]
    (again,) = [e for e in entries if e["repeated"]]
    assert set(again) == {
        "id",
        "kind",
        "item_code",
        "lot_number",
        "serial_number",
        "depth",
        "via_work_order",
        "link",
        "quantity",
        "repeated",
    }
    assert tree["node_count"] == 4
    graph = await ok(
        await f.trace.get("/v1/genealogy/backward", params={**params, "shape": "graph"}), 200
    )
    ids = {n["lot_number"] or n["serial_number"]: n["id"] for n in graph["nodes"]}
    assert {n["lot_number"] or n["serial_number"]: n["depth"] for n in graph["nodes"]} == {
        s1: 0,
        pl: 1,
        rl: 1,
        il: 2,
    }
    assert graph["root_id"] == ids[s1] and graph["complete"] is True
    assert sorted(
        (e["parent_id"], e["child_id"], e["work_order"], e["quantity"]) for e in graph["edges"]
    ) == sorted(
        [
            (ids[s1], ids[pl], speakers["number"], "2"),
            (ids[s1], ids[rl], speakers["number"], "2"),
            (ids[pl], ids[rl], boards["number"], "4"),
            (ids[pl], ids[il], boards["number"], "2"),
        ]
    )
    assert sorted(n["lot_number"] for n in graph["supplier_lots"]) == sorted([rl, il])
    # forward from the resistor lot: the board lot and both speakers, each once
    forward = await ok(
        await f.trace.get("/v1/genealogy/forward", params={"item_code": res, "lot_number": rl}),
        200,
    )
    assert sorted(
        (n["lot_number"] or n["serial_number"], n["depth"]) for n in forward["nodes"]
    ) == sorted([(pl, 1), (s1, 1), (s2, 1)])


def flat_all(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node] + [n for child in node.get("children", []) for n in flat_all(child)]
