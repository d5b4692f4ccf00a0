"""ERP connector (#9): pushing vouchers to Kingdee 云星空 and Yonyou U8, exactly once,
through local fakes that lose answers, expire sessions and refuse accounts; on both
databases, books and vouchers read through the gateway."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx

from services.erp.settings import KingdeeTarget, U8Target
from services.erp.usecases import pushes
from shared.db.types import utcnow
from tests.fakes.erp import FakeKingdee, FakeU8
from tests.service.test_erp_vouchers import Books, stack, walk_through

KINGDEE = KingdeeTarget(
    kind="kingdee",
    base_url="http://kingdee.test/k3cloud/",
    acct_id="62f49d03",
    username="api",
    password="secret",  # type: ignore[arg-type]
    account_book="001",
)
U8 = U8Target(
    kind="u8",
    base_url="http://u8.test",
    from_account="inventory",
    to_account="u8-sz",
    app_key="u8-app",
    app_secret="u8-secret",  # type: ignore[arg-type]
)


class Dispatch(httpx.AsyncBaseTransport):
    def __init__(self, apps: dict[str, Any]) -> None:
        self.transports = {host: httpx.ASGITransport(app=app) for host, app in apps.items()}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self.transports.get(request.url.host)
        if transport is None:
            raise httpx.ConnectError(f"no ERP at {request.url.host}", request=request)
        return await transport.handle_async_request(request)


async def book(s: Books, code: str, template: str, target: str | None) -> None:
    response = await s.client.post(
        "/v1/books",
        json={"code": code, "name": code, "template": template, "push_target": target},
        headers=s.finance,
    )
    assert response.status_code == 201, response.text


async def one_receipt(s: Books) -> None:
    """One receipt of 10 at 2.00 (a voucher of 20.00), read by erp."""
    await s.post(
        "/v1/items",
        {"code": "R", "name": "R", "uom": "pcs", "item_type": "raw_material", "tracking": "none"},
    )
    await s.post("/v1/locations", {"code": "WH1", "name": "W", "location_type": "warehouse"})
    await s.post(
        "/v1/locations",
        {"code": "WH1/A", "name": "A", "location_type": "storage", "parent_code": "WH1"},
    )
    await s.post(
        "/v1/receipts",
        {
            "item_code": "R",
            "location_code": "WH1/A",
            "quantity": "10",
            "unit_price": "2",
            "supplier": "S1",
        },
    )
    await s.sync()


async def run(s: Books, later: timedelta = timedelta(0)) -> dict[int, str | None]:
    return await pushes.run_once(s.erp, utcnow() + later)


async def vouchers(s: Books, **params: Any) -> list[dict[str, Any]]:
    return list((await s.pull(limit=100, **params))["items"])


async def test_kingdee_receives_each_voucher_once_though_an_answer_is_lost(
    database_factory,
) -> None:
    kingdee = FakeKingdee()
    async with stack(
        database_factory,
        erp_transport=Dispatch({"kingdee.test": kingdee}),
        push_targets={"kd": KINGDEE},
    ) as s:
        refused = await s.client.post(
            "/v1/books",
            json={"code": "X", "name": "X", "template": "cas", "push_target": "sap"},
            headers=s.finance,
        )
        assert refused.status_code == 422
        assert [e["field"] for e in refused.json()["errors"]] == ["body.push_target"]
        await book(s, "CAS", "cas", "kd")
        await walk_through(s)
        await s.sync()
        ready = await vouchers(s)
        assert len(ready) == 7
        assert {(v["status"], v["push"]["state"], v["push"]["target"]) for v in ready} == {
            ("ready", "pending", "kd")
        }

        kingdee.lose_next_save = True  # the first voucher is saved, its answer lost
        first = await run(s)
        assert list(first.values()) == ["unknown"] + ["confirmed"] * 6
        assert len(kingdee.saved) == 7 and kingdee.save_requests == 7
        # the next pass asks Kingdee instead of sending again: it has it
        kingdee.expire_session = True  # and the session ran out meanwhile
        assert list((await run(s, timedelta(minutes=10))).values()) == ["confirmed"]
        assert kingdee.save_requests == 7  # never sent twice
        assert await run(s, timedelta(hours=1)) == {}

        done = await vouchers(s)
        assert {(v["status"], v["push"]["state"]) for v in done} == {("exported", "confirmed")}
        assert sorted(v["erp_number"] for v in done) == sorted(
            kingdee.number_of(number) for number in kingdee.saved
        )
        # what Kingdee got: our number as the bill number, balanced entries, dimensions
        receipt = next(v for v in done if v["document_type"] == "purchase_receipt")
        model = kingdee.saved[receipt["number"]]
        assert model["FAccountBookID"] == {"FNumber": "001"}
        assert model["FVOUCHERGROUPID"] == {"FNumber": "PRE001"}
        entries = [
            (e["FACCOUNTID"]["FNumber"], e["FDEBIT"], e["FCREDIT"]) for e in model["FEntity"]
        ]
        assert entries == [("1403", "500.00", "0.00"), ("2202.02", "0.00", "500.00")]
        assert model["FEntity"][0]["FQty"] == "1000" and model["FEntity"][0]["FPrice"] == "0.5"
        assert model["FEntity"][1]["FDetailID"] == {"FDETAILID__FFLEX4": {"FNumber": "Yageo"}}
        reversal = next(v for v in done if v["red_ink"])
        red = kingdee.saved[reversal["number"]]["FEntity"]
        assert [e["FDEBIT"] for e in red] == ["-3.00", "0.00"]


async def test_a_duplicate_found_after_a_race_is_confirmed_not_saved_again(
    database_factory,
) -> None:
    kingdee = FakeKingdee()
    async with stack(
        database_factory,
        erp_transport=Dispatch({"kingdee.test": kingdee}),
        push_targets={"kd": KINGDEE},
    ) as s:
        await book(s, "CAS", "cas", "kd")
        await one_receipt(s)
        [voucher] = await vouchers(s)
        # another replica saved it a moment ago: the query misses it, the save is a duplicate
        kingdee.saved[voucher["number"]] = {"FBillNo": voucher["number"], "FEntity": []}
        kingdee.hide_next_query = True
        assert list((await run(s)).values()) == ["confirmed"]
        assert kingdee.save_requests == 1 and len(kingdee.saved) == 1
        [done] = await vouchers(s)
        assert (done["status"], done["erp_number"]) == ("exported", "记-1")


async def test_u8_token_expiry_a_lost_answer_and_a_refusal_finance_retries(
    database_factory,
) -> None:
    u8 = FakeU8(refuse_accounts={"6401"})
    async with stack(
        database_factory,
        erp_transport=Dispatch({"u8.test": u8}),
        push_targets={"u8": U8},
    ) as s:
        await book(s, "CAS", "cas", "u8")
        await walk_through(s)
        await s.sync()
        u8.expire_token = True
        u8.lose_next_save = True
        states = list((await run(s)).values())
        # the receipt's answer was lost; the shipment names 6401, which U8 does not know
        assert states == [
            "unknown",
            "confirmed",
            "confirmed",
            "failed",
            "confirmed",
            "confirmed",
            "confirmed",
        ]
        assert list((await run(s, timedelta(minutes=10))).values()) == ["confirmed"]
        assert u8.add_requests == 7 and len(u8.saved) == 6

        failed = await vouchers(s, status="failed")
        assert [v["document_type"] for v in failed] == ["shipment"]
        assert "科目 6401 不存在" in failed[0]["push"]["last_error"]
        shipment = failed[0]
        # finance opens 6401 in U8 and retries
        u8.refuse_accounts.clear()
        retried = await s.client.post(f"/v1/vouchers/{shipment['id']}/push", headers=s.finance)
        assert retried.status_code == 200, retried.text
        assert (retried.json()["status"], retried.json()["push"]["state"]) == ("ready", "pending")
        again = await s.client.post(f"/v1/vouchers/{shipment['id']}/push", headers=s.finance)
        assert again.status_code == 409
        assert list((await run(s)).values()) == ["confirmed"]
        assert u8.add_requests == 8 and len(u8.saved) == 7
        sent = u8.saved[shipment["number"]]
        assert sent["voucher_type"] == "记" and sent["external_code"] == shipment["number"]
        assert [(e["account_code"], e["natural_debit_currency"]) for e in sent["entry"]] == [
            ("6401", "10.00"),
            ("1405", "0.00"),
        ]
        assert sent["entry"][0]["customer_code"] == "ACME"
        done = await vouchers(s)
        assert {v["status"] for v in done} == {"exported"}
        assert sum(Decimal(v["total"]) for v in done) == Decimal("735")


async def test_a_book_without_a_target_is_not_pushed_and_an_unknown_erp_waits(
    database_factory,
) -> None:
    async with stack(
        database_factory, erp_transport=Dispatch({}), push_targets={"kd": KINGDEE}
    ) as s:
        await book(s, "PULL", "cas", None)
        await book(s, "KD", "sbas", "kd")
        await walk_through(s)
        await s.sync()
        assert all(v["push"] is None for v in await vouchers(s, book="PULL"))
        # Kingdee cannot be reached: the requests never left, they wait as pending
        states = await run(s)
        assert set(states.values()) == {"pending"} and len(states) == 7
        pending = await vouchers(s, book="KD")
        assert {(v["status"], v["push"]["state"], v["push"]["attempts"]) for v in pending} == {
            ("ready", "pending", 1)
        }
        assert "not sent" in pending[0]["push"]["last_error"]


async def test_a_u8_voucher_voided_is_replaced_by_its_correction(database_factory) -> None:
    u8 = FakeU8()
    async with stack(
        database_factory, erp_transport=Dispatch({"u8.test": u8}), push_targets={"u8": U8}
    ) as s:
        await book(s, "CAS", "cas", "u8")
        await walk_through(s)
        await s.sync()
        await run(s)
        done = await vouchers(s)
        assert {v["status"] for v in done} == {"exported"} and len(u8.saved) == 7
        shipment = next(v for v in done if v["document_type"] == "shipment")
        ready_only = await s.client.post(
            f"/v1/vouchers/{shipment['id']}/void", json={"reason": ""}, headers=s.finance
        )
        assert ready_only.status_code == 422  # a reason is needed

        # finance books deliveries of finished goods to 6402 now, and corrects this one
        rows = (
            await s.client.get(
                "/v1/books/CAS/account-map",
                params={"movement_type": "601", "limit": 10},
                headers=s.finance,
            )
        ).json()["items"]
        row = next(r for r in rows if r["valuation_class"] == "finished_good")
        fixed = await s.client.put(
            "/v1/books/CAS/account-map",
            json={
                **{
                    k: row[k]
                    for k in (
                        "movement_type",
                        "valuation_class",
                        "modifier",
                        "credit_account",
                        "debit_dimensions",
                        "credit_dimensions",
                    )
                },
                "debit_account": "6402",
            },
            headers=s.finance,
        )
        assert fixed.status_code == 200, fixed.text
        u8.lose_next_cancel = True
        lost = await s.client.post(
            f"/v1/vouchers/{shipment['id']}/void",
            json={"reason": "wrong cost account"},
            headers=s.finance,
        )
        assert lost.status_code == 503  # cancelled in U8, but the answer was lost
        assert (await s.client.get(f"/v1/vouchers/{shipment['id']}", headers=s.finance)).json()[
            "status"
        ] == "exported"
        voided = await s.client.post(
            f"/v1/vouchers/{shipment['id']}/void",
            json={"reason": "wrong cost account"},
            headers=s.finance,
        )
        assert voided.status_code == 200, voided.text  # asking again is harmless
        old, new = voided.json()["voided"], voided.json()["replacement"]
        assert (old["status"], old["void_reason"]) == ("voided", "wrong cost account")
        assert u8.cancelled == {shipment["number"]: "wrong cost account"}
        assert (new["status"], new["replaces_number"], new["document_id"]) == (
            "ready",
            shipment["number"],
            shipment["document_id"],
        )
        assert new["number"] != shipment["number"]
        assert [(ln["account"], ln["debit"], ln["credit"]) for ln in new["lines"]] == [
            ("6402", "10", "0"),
            ("1405", "0", "10"),
        ]
        again = await s.client.post(
            f"/v1/vouchers/{shipment['id']}/void", json={"reason": "twice"}, headers=s.finance
        )
        assert again.status_code == 409

        assert list((await run(s)).values()) == ["confirmed"]
        assert len(u8.saved) == 8
        assert [e["account_code"] for e in u8.saved[new["number"]]["entry"]] == ["6402", "1405"]
        # the books count the correction, not the voided voucher
        tied = (
            await s.client.get("/v1/reconciliation", params={"book": "CAS"}, headers=s.finance)
        ).json()
        assert tied["total_difference"] == "0"
        assert {v["status"] for v in await vouchers(s)} == {"exported", "voided"}


async def test_a_kingdee_voucher_is_not_voided_but_reversed(database_factory) -> None:
    kingdee = FakeKingdee()
    async with stack(
        database_factory,
        erp_transport=Dispatch({"kingdee.test": kingdee}),
        push_targets={"kd": KINGDEE},
    ) as s:
        await book(s, "CAS", "cas", "kd")
        await one_receipt(s)
        [ready] = await vouchers(s)
        early = await s.client.post(
            f"/v1/vouchers/{ready['id']}/void", json={"reason": "x"}, headers=s.finance
        )
        assert early.status_code == 409  # not pushed yet
        await run(s)
        refused = await s.client.post(
            f"/v1/vouchers/{ready['id']}/void", json={"reason": "x"}, headers=s.finance
        )
        assert refused.status_code == 409 and "red ink" in refused.json()["detail"]
