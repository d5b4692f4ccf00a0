"""Reconciliation: stock value per account beside the voucher lines on that account.

Stock outside a production line sits on its class's stock account: the debit account a
purchase receipt (101) of that valuation class posts to. Work in progress at a line sits
on production cost: the debit account an issue to a work order (261) posts to. Each
account's difference is stock value minus the vouchers' balance (debits minus credits);
the documents that explain it are listed beside it (held vouchers, movements not yet in a
voucher).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from services.erp.domain.accounts import RuleSpec, determine
from services.erp.domain.vouchers import CLASS_OF_STAGE


@dataclass(frozen=True, slots=True)
class Unplaced:
    item_code: str
    stage: str
    value: Decimal
    reason: str


def account_of(
    rules: Mapping[tuple[str, str, str], RuleSpec], valuation_class: str, stage: str
) -> str | None:
    """The account that holds stock of a class at a stage (None: the map does not say)."""
    found = determine(rules, "261" if stage == "wip" else "101", valuation_class, "")
    return found.rule.debit_account if found is not None else None


def stock_by_account(
    rules: Mapping[tuple[str, str, str], RuleSpec],
    values: Iterable[tuple[str, str, Decimal]],
    item_types: Mapping[str, str],
) -> tuple[dict[str, Decimal], list[Unplaced]]:
    """(item, stage, value) rows summed per account; rows no account takes, with why."""
    by_account: dict[str, Decimal] = defaultdict(Decimal)
    unplaced: list[Unplaced] = []
    for item, stage, value in values:
        valuation_class = item_types.get(item) or CLASS_OF_STAGE.get(stage)
        if valuation_class is None:
            unplaced.append(Unplaced(item, stage, value, "the item's type is not known"))
            continue
        account = account_of(rules, valuation_class, stage)
        if account is None:
            unplaced.append(
                Unplaced(item, stage, value, f"no account rule places {valuation_class} stock")
            )
            continue
        by_account[account] += value
    return dict(by_account), unplaced
