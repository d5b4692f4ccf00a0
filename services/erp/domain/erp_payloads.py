"""What a voucher looks like to each ERP: Kingdee 云星空's GL_VOUCHER model and Yonyou
U8's voucher, with our number as the bill number / external code (so a query finds it,
and a second save is refused as a duplicate instead of posting twice).

Amounts go as strings with two decimals; red ink as negative amounts. Auxiliary
dimensions go to the fields the target's `dimension_fields` names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from services.erp.domain.vouchers import CENT


@dataclass(frozen=True, slots=True)
class Entry:
    summary: str
    account: str
    debit: Decimal
    credit: Decimal
    quantity: Decimal | None
    unit_price: Decimal | None
    dimensions: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Document:
    """A voucher as both ERPs need it."""

    number: str
    date: date
    year: int
    period: int
    word: str
    preparer: str
    attachments: int
    entries: Sequence[Entry]


def money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def kingdee_model(
    doc: Document,
    *,
    account_book: str,
    voucher_group: str,
    currency: str,
    dimension_fields: Mapping[str, str],
) -> dict[str, Any]:
    entries = []
    for entry in doc.entries:
        row: dict[str, Any] = {
            "FEXPLANATION": entry.summary,
            "FACCOUNTID": {"FNumber": entry.account},
            "FCURRENCYID": {"FNumber": currency},
            "FEXCHANGERATE": "1",
            "FAMOUNTFOR": money(entry.debit + entry.credit),
            "FDEBIT": money(entry.debit),
            "FCREDIT": money(entry.credit),
        }
        if entry.quantity is not None:
            row["FQty"] = plain(entry.quantity)
            row["FPrice"] = plain(entry.unit_price or Decimal(0))
        details = {
            dimension_fields[name]: {"FNumber": value}
            for name, value in entry.dimensions.items()
            if name in dimension_fields
        }
        if details:
            row["FDetailID"] = details
        entries.append(row)
    return {
        "FAccountBookID": {"FNumber": account_book},
        "FDate": doc.date.isoformat(),
        "FYEAR": doc.year,
        "FPERIOD": doc.period,
        "FVOUCHERGROUPID": {"FNumber": voucher_group},
        "FBillNo": doc.number,
        "FATTACHMENTS": doc.attachments,
        "FMaker": doc.preparer,
        "FEntity": entries,
    }


def u8_voucher(doc: Document, *, dimension_fields: Mapping[str, str]) -> dict[str, Any]:
    entries = []
    for entry in doc.entries:
        row: dict[str, Any] = {
            "abstract": entry.summary,
            "account_code": entry.account,
            "natural_debit_currency": money(entry.debit),
            "natural_credit_currency": money(entry.credit),
        }
        if entry.quantity is not None:
            row["quantity"] = plain(entry.quantity)
            row["price"] = plain(entry.unit_price or Decimal(0))
        for name, value in entry.dimensions.items():
            if name in dimension_fields:
                row[dimension_fields[name]] = value
        entries.append(row)
    return {
        "voucher": {
            "voucher_type": doc.word,
            "fiscal_year": doc.year,
            "accounting_period": doc.period,
            "date": doc.date.isoformat(),
            "enter": doc.preparer,
            "attachment_number": doc.attachments,
            "external_code": doc.number,
            "entry": entries,
        }
    }
