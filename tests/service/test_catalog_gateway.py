"""The README's catalog walk-through, through the gateway, on both databases.

A planner (a real gateway user) builds a 3-level product, releases it, explodes it,
asks where-used, revises and diffs, and imports a BOM sheet with Chinese headers.
"""

from __future__ import annotations

import io
import uuid
from decimal import Decimal

import httpx
from openpyxl import Workbook

from tests.service.test_gateway_support import gateway_stack

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sheet(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def test_catalog_walkthrough_through_the_gateway(database_factory) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    async with gateway_stack(database_factory) as stack:
        planner = await stack.create_user(f"planner-{tag.lower()}", "planner")
        finance = await stack.create_user(f"finance-{tag.lower()}", "finance")
        client = stack.client

        async def post(path: str, body: dict, **kw) -> dict:
            response = await client.post(path, json=body, headers={**planner, **kw})
            assert response.status_code in (200, 201), response.text
            return response.json()

        async def item(code: str, item_type: str, **extra) -> dict:
            return await post(
                "/v1/items",
                {
                    "code": f"{code}-{tag}",
                    "name": code,
                    "uom": "pcs",
                    "item_type": item_type,
                    **extra,
                },
            )

        res = await item("RES-10K", "raw_material", specification="10k 0402 1%")
        cap = await item("CAP-100N", "raw_material")
        pcb = await item("PCB-MAIN", "raw_material")
        pcba = await item("PCBA-MAIN", "semi_finished")
        speaker = await item("SPK-1", "finished_good")
        cost = await client.patch(
            f"/v1/items/{res['id']}",
            json={"standard_cost": "0.002"},
            headers={**finance, "If-Match": 'W/"1"'},
        )
        assert cost.status_code == 200 and cost.json()["standard_cost"] == "0.002"
        seen = (await client.get(f"/v1/items/{res['id']}", headers=planner)).json()
        assert "standard_cost" not in seen

        async def released(parent: dict, revision: str, lines: list[dict], **extra) -> dict:
            bom = await post(
                "/v1/boms", {"item_code": parent["code"], "revision": revision, "lines": lines}
            )
            response = await client.post(
                f"/v1/boms/{bom['id']}/release",
                json=extra,
                headers={**planner, "If-Match": f'W/"{bom["version"]}"'},
            )
            assert response.status_code == 200, response.text
            return response.json()

        pcba_a = await released(
            pcba,
            "A",
            [
                {
                    "component_code": res["code"],
                    "quantity": "4",
                    "designators": "R1-R4",
                    "scrap_percent": "2",
                },
                {"component_code": cap["code"], "quantity": "2", "designators": "C1, C2"},
                {"component_code": pcb["code"], "quantity": "1"},
            ],
            effective_from="2026-01-01",
        )
        await released(
            speaker,
            "A",
            [{"component_code": pcba["code"], "quantity": "1"}],
            effective_from="2026-01-01",
        )

        explosion = await client.get(
            f"/v1/items/{speaker['id']}/explosion",
            params={"quantity": "10", "date": "2026-03-01"},
            headers=planner,
        )
        assert explosion.status_code == 200, explosion.text
        rows = {row["component_code"]: row for row in explosion.json()["rows"]}
        assert rows[pcba["code"]]["level"] == 1 and rows[res["code"]]["level"] == 2
        assert Decimal(rows[res["code"]]["extended_quantity"]) == Decimal("40.8")
        assert rows[res["code"]]["path"] == [speaker["code"], pcba["code"], res["code"]]

        used = await client.get(
            f"/v1/items/{res['id']}/where-used", params={"multi_level": "true"}, headers=planner
        )
        assert used.status_code == 200, used.text
        assert [p["code"] for p in used.json()["top_products"]] == [speaker["code"]]

        revised = await post(f"/v1/boms/{pcba_a['id']}/revise", {"revision": "B"})
        lines = [
            {"component_code": res["code"], "quantity": "5", "designators": "R1-R5"},
            {"component_code": cap["code"], "quantity": "2", "designators": "C1, C2"},
        ]
        changed = await client.put(
            f"/v1/boms/{revised['id']}",
            json={"lines": lines},
            headers={**planner, "If-Match": f'W/"{revised["version"]}"'},
        )
        assert changed.status_code == 200, changed.text
        diff = await client.get(
            f"/v1/boms/{revised['id']}/diff", params={"against": pcba_a["id"]}, headers=planner
        )
        assert diff.status_code == 200, diff.text
        body = diff.json()
        assert [r["component_code"] for r in body["removed"]] == [pcb["code"]]
        assert [c["component_code"] for c in body["changed"]] == [res["code"]]

        # A BOM sheet with Chinese headers: the dry run names the bad row and column.
        board = await item("PCBA-AUX", "semi_finished")
        sheet = _sheet(
            [
                ["父项编码", "子项编码", "用量", "位号"],
                [board["code"], res["code"], 2, "R1,R2"],
                [board["code"], cap["code"], 3, "C1,C2"],
                [board["code"], "NO-SUCH-PART", 1, ""],
            ]
        )
        dry = await client.post(
            "/v1/imports/boms",
            params={"dry_run": "true"},
            files={"file": ("aux.xlsx", sheet, XLSX)},
            headers=planner,
        )
        assert dry.status_code == 200, dry.text
        errors = {(e["row"], e["field"]) for e in dry.json()["errors"]}
        assert (3, "designators") in {(r, f.split(".")[-1] if f else f) for r, f in errors}
        assert 4 in {row for row, _ in errors}
        nothing = (
            await client.get("/v1/boms", params={"item_code": board["code"]}, headers=planner)
        ).json()
        assert nothing["items"] == []


async def test_bom_rules_hold_through_the_gateway(database_factory) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    async with gateway_stack(database_factory) as stack:
        planner = await stack.create_user(f"planner-{tag.lower()}", "planner")
        client = stack.client

        async def item(name: str, item_type: str = "semi_finished") -> dict:
            response = await client.post(
                "/v1/items",
                json={"code": f"{name}-{tag}", "name": name, "uom": "pcs", "item_type": item_type},
                headers=planner,
            )
            assert response.status_code == 201, response.text
            return response.json()

        async def draft(parent: dict, revision: str, lines: list[dict], **extra) -> dict:
            response = await client.post(
                "/v1/boms",
                json={"item_code": parent["code"], "revision": revision, "lines": lines, **extra},
                headers=planner,
            )
            assert response.status_code == 201, response.text
            return response.json()

        async def release(bom: dict, **body) -> httpx.Response:
            return await client.post(
                f"/v1/boms/{bom['id']}/release",
                json=body,
                headers={**planner, "If-Match": f'W/"{bom["version"]}"'},
            )

        top, sub, part = await item("TOP"), await item("SUB"), await item("R", "raw_material")
        mismatch = await client.post(
            "/v1/boms",
            json={
                "item_code": sub["code"],
                "revision": "A",
                "lines": [
                    {"component_code": part["code"], "quantity": "3", "designators": "R1-R4"}
                ],
            },
            headers=planner,
        )
        assert mismatch.status_code == 422
        assert mismatch.json()["errors"][0]["field"] == "body.lines.0.designators"

        sub_a = await draft(
            sub,
            "A",
            [{"component_code": part["code"], "quantity": "1"}],
            effective_from="2026-01-01",
        )
        assert (await release(sub_a)).status_code == 200
        top_a = await draft(top, "A", [{"component_code": sub["code"], "quantity": "1"}])
        assert (await release(top_a)).status_code == 200
        loop = await draft(
            sub,
            "B",
            [{"component_code": top["code"], "quantity": "1"}],
            effective_from="2027-01-01",
        )
        cycle = await release(loop)
        assert cycle.status_code == 422 and cycle.json()["code"] == "bom_cycle"

        overlapping = await draft(
            sub,
            "C",
            [{"component_code": part["code"], "quantity": "2"}],
            effective_from="2026-06-01",
        )
        overlap = await release(overlapping)
        assert overlap.status_code == 409 and overlap.json()["code"] == "effectivity_overlap"

        frozen = await client.put(
            f"/v1/boms/{sub_a['id']}",
            json={"lines": [{"component_code": part["code"], "quantity": "9"}]},
            headers={**planner, "If-Match": 'W/"2"'},
        )
        assert frozen.status_code == 409 and frozen.json()["code"] == "bom_not_draft"
        lines = (await client.get(f"/v1/boms/{sub_a['id']}", headers=planner)).json()["lines"]
        assert [line["quantity"] for line in lines] == ["1"]
