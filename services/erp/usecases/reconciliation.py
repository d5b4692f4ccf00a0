"""Reconciliation of a book at a day: stock's value per account (asked of stock) beside
the balance of the book's voucher lines on that account, with the documents that explain
a difference (domain/reconcile.py)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.erp.clients import StockClient
from services.erp.db.models import Account, Item, Movement, Voucher, VoucherLine, VoucherMovement
from services.erp.domain.reconcile import account_of, stock_by_account
from services.erp.domain.vouchers import CLASS_OF_STAGE
from services.erp.schemas import (
    AccountReconciliation,
    ReconciliationOut,
    UnexplainedDocument,
    UnplacedStock,
)
from services.erp.usecases import vouchers
from shared.auth.principal import Principal
from shared.db.types import utcnow
from shared.errors import FieldError, InvalidInput, NotFound

#: Vouchers whose lines count: built (exported or not) and daily summaries still open.
COUNTED = (vouchers.READY, vouchers.EXPORTED, vouchers.FAILED, vouchers.OPEN)


async def reconcile(
    session: AsyncSession,
    stock: StockClient,
    principal: Principal,
    book_code: str,
    day: date | None = None,
) -> ReconciliationOut:
    """The book at the end of `day` in its time zone (default: today there)."""
    ref = await vouchers.Reference.load(session)
    book = next((b for b in ref.books if b.code == book_code), None)
    if book is None:
        raise NotFound(f"book {book_code} does not exist")
    rules = ref.maps.get(book_code, {})
    rows = []
    zone = ZoneInfo(book.timezone)
    today = utcnow().astimezone(zone).date()
    day = day or today
    if day > today:
        raise InvalidInput(
            "the day is in the future",
            errors=[FieldError("query.as_of_date", f"must not be after {today} ({zone})")],
        )
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)  # the day's end
    moment = None if end > utcnow() else end.astimezone(UTC)
    scopes: list[str | None] = list(book.warehouses) or [None]
    for warehouse in scopes:
        rows += await stock.values(moment, principal, warehouse)
    items = {
        code: item_type
        for code, item_type in await session.execute(
            select(Item.code, Item.item_type).where(Item.code.in_({r.item_code for r in rows}))
        )
    }
    by_account, unplaced = stock_by_account(
        rules, ((r.item_code, r.stage, r.value) for r in rows), items
    )
    holding = {
        account
        for cls in CLASS_OF_STAGE.values()
        for stage in ("raw", "wip")
        if (account := account_of(rules, cls, stage)) is not None
    }
    balances = {
        account: Decimal(debit or 0) - Decimal(credit or 0)
        for account, debit, credit in await session.execute(
            select(VoucherLine.account, func.sum(VoucherLine.debit), func.sum(VoucherLine.credit))
            .join(Voucher, Voucher.id == VoucherLine.voucher_id)
            .where(
                Voucher.book_code == book_code,
                Voucher.status.in_(COUNTED),
                Voucher.date <= day,
                VoucherLine.account.in_(holding | set(by_account)),
            )
            .group_by(VoucherLine.account)
        )
    }
    names = {
        code: name
        for code, name in await session.execute(
            select(Account.code, Account.name).where(Account.book_code == book_code)
        )
    }
    accounts = [
        AccountReconciliation(
            account=code,
            name=names.get(code, ""),
            stock_value=by_account.get(code, Decimal(0)),
            voucher_balance=balances.get(code, Decimal(0)),
            difference=by_account.get(code, Decimal(0)) - balances.get(code, Decimal(0)),
        )
        for code in sorted(holding | set(by_account) | set(balances))
    ]
    return ReconciliationOut(
        book_code=book_code,
        as_of_date=day,
        accounts=accounts,
        total_difference=sum((a.difference for a in accounts), Decimal(0)),
        documents=await _documents(session, book_code, day, end),
        unplaced_stock=[
            UnplacedStock(item_code=u.item_code, stage=u.stage, value=u.value, reason=u.reason)
            for u in unplaced
        ],
    )


async def _documents(
    session: AsyncSession, book_code: str, day: date, end: datetime
) -> list[UnexplainedDocument]:
    """Documents whose movements are not in the book's vouchers: held ones, and movements
    whose document's event erp has not read yet."""
    found: list[UnexplainedDocument] = []
    held = list(
        await session.scalars(
            select(Voucher)
            .where(
                Voucher.book_code == book_code, Voucher.status == vouchers.HELD, Voucher.date <= day
            )
            .order_by(Voucher.id)
        )
    )
    if held:
        values: dict[int, Decimal] = defaultdict(Decimal)
        for voucher_id, value in await session.execute(
            select(VoucherMovement.voucher_id, Movement.value)
            .join(Movement, Movement.id == VoucherMovement.movement_id)
            .where(
                VoucherMovement.book_code == book_code,
                VoucherMovement.voucher_id.in_([v.id for v in held]),
            )
        ):
            values[voucher_id] += value
        found += [
            UnexplainedDocument(
                document_type=v.document_type or None,
                document_id=v.document_id,
                document_number=v.document_number or None,
                voucher_number=v.number,
                state="held",
                value=values[v.id],
                reasons=list(v.hold_reasons),
            )
            for v in held
        ]
    waiting: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for document_type, document_id, value, posted_at in await session.execute(
        select(Movement.document_type, Movement.document_id, Movement.value, Movement.posted_at)
        .where(Movement.closed.is_(False))
        .order_by(Movement.event_seq)
    ):
        if posted_at <= end:
            waiting[(document_type, document_id)] += value
    found += [
        UnexplainedDocument(
            document_type=document_type,
            document_id=document_id,
            document_number=None,
            voucher_number=None,
            state="not_built",
            value=value,
            reasons=["its document's event has not been read from stock's feed yet"],
        )
        for (document_type, document_id), value in waiting.items()
    ]
    return found
