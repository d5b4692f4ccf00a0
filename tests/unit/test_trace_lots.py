"""What trace learns about lots from stock's payloads."""

from __future__ import annotations

from datetime import date

from services.trace.domain.lots import lot_facts, merge


def test_lot_facts_from_payload() -> None:
    facts = lot_facts({"item_code": "R1", "lot_number": "L1", "supplier": "Yageo",
                       "receipt_date": "2026-11-26", "expiry_date": None})
    assert facts.item_code == "R1" and facts.supplier == "Yageo"
    assert facts.receipt_date == date(2026, 11, 26) and facts.expiry_date is None
    assert facts.date_code == "" and facts.purchase_order == ""


def test_merge_fills_gaps_but_never_erases() -> None:
    known = lot_facts({"item_code": "R1", "lot_number": "L1", "supplier": "Yageo"})
    new = lot_facts({"item_code": "R1", "lot_number": "L1", "supplier": "Murata",
                     "date_code": "2545", "receipt_date": "2026-11-26"})
    merged = merge(known, new)
    assert merged.supplier == "Yageo"
    assert merged.date_code == "2545" and merged.receipt_date == date(2026, 11, 26)
