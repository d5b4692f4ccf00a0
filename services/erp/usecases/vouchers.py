"""Vouchers from stock's movements: building them per book, holding what cannot be built,
releasing it once the map is fixed, closing daily summaries, pulling and acknowledging.

How a voucher comes about (`usecases/stock_feed.py` calls these in the feed's unit of
work, so a voucher and the cursor that read its movements commit together):

1. `add_movement`: a `MovementPosted` is classified (its movement type and modifier).
   A movement of a type that gives no vouchers, or of no value, is left out; the others
   are kept in `erp_movements`, open.
2. `close_open`: stock writes a document's movements together, followed by the
   document's own event (`ReceiptPosted`, `ShipmentReversed`, ...), so the next event
   that is not one of those movements closes them: for every book whose warehouses they
   touch, their postings (domain/vouchers.py) go into a voucher. A book set to
   `per_document` gets one voucher per posted (or reversed) document, `ready`; a book set
   to `daily_summary` adds them to that day's `open` voucher of the movement type, which
   `close_due` makes `ready` once the day is over in the book's time zone.
3. A movement that cannot be posted (no movement type matches it, its item's type is not
   known yet, no account rule applies, a dimension has no value) holds its voucher with
   the reason; nothing is dropped. Changing the map, an account, a movement type, or an
   item arriving runs `release_held`, which rebuilds held vouchers from their movements.

Every change a puller must see (built, held, released, acknowledged) moves the voucher to
the end of the pull feed (`feed_seq`, from a counter row held until commit, so the feed
is in commit order and a cursor never skips a voucher).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.erp.db.models import (
    Account,
    AccountRule,
    Book,
    Counter,
    Item,
    Movement,
    MovementType,
    MovementTypeRule,
    Push,
    Voucher,
    VoucherLine,
    VoucherMovement,
)
from services.erp.domain import movement_types as kinds
from services.erp.domain.accounts import AccountSpec, RuleSpec, determine
from services.erp.domain.vouchers import (
    CLASS_OF_STAGE,
    LineDraft,
    MovementFacts,
    Posting,
    merge,
    postings,
    totals,
    warehouse_of,
)
from services.erp.schemas import PushOut, VoucherLineOut, VoucherOut
from shared.db.dialects import dialect_insert
from shared.db.types import utcnow
from shared.errors import Conflict, NotFound

READY, HELD, OPEN, EXPORTED, FAILED = "ready", "held", "open", "exported", "failed"
PullStatus = Literal["ready", "held", "exported", "failed"]
FEED, NUMBER = "voucher_feed", "voucher_number"


async def take(session: AsyncSession, name: str, count: int = 1) -> int:
    """The first of `count` fresh values of a counter (its row stays locked until commit)."""
    last = await session.scalar(
        update(Counter)
        .where(Counter.name == name)
        .values(value=Counter.value + count)
        .returning(Counter.value)
    )
    assert last is not None
    return int(last) - count + 1


# --- what a batch needs to know, loaded once --------------------------------------------


@dataclass(slots=True)
class Reference:
    """Books, their accounts and maps, and the movement types, as one batch sees them."""

    books: list[Book]
    accounts: dict[str, dict[str, AccountSpec]]
    maps: dict[str, dict[tuple[str, str, str], RuleSpec]]
    types: dict[str, MovementType]
    type_rules: list[kinds.Rule]
    items: dict[str, str] = field(default_factory=dict)

    @classmethod
    async def load(cls, session: AsyncSession) -> Reference:
        books = list(await session.scalars(select(Book).order_by(Book.id)))
        accounts: dict[str, dict[str, AccountSpec]] = defaultdict(dict)
        for row in await session.scalars(select(Account)):
            accounts[row.book_code][row.code] = AccountSpec(
                row.code, row.name, row.tracks_quantity, tuple(row.dimensions)
            )
        maps: dict[str, dict[tuple[str, str, str], RuleSpec]] = defaultdict(dict)
        for r in await session.scalars(select(AccountRule)):
            spec = RuleSpec(
                r.movement_type,
                r.valuation_class,
                r.modifier,
                r.debit_account,
                r.credit_account,
                tuple(r.debit_dimensions),
                tuple(r.credit_dimensions),
            )
            maps[r.book_code][spec.key] = spec
        types = {row.code: row for row in await session.scalars(select(MovementType))}
        rules = [
            kinds.Rule(
                id=r.id,
                movement_type=r.movement_type,
                document_type=r.document_type,
                reversal=r.reversal,
                from_location=r.from_location,
                to_location=r.to_location,
                from_state=r.from_state,
                to_state=r.to_state,
                stage=r.stage,
                modifier=r.modifier,
            )
            for r in await session.scalars(select(MovementTypeRule).order_by(MovementTypeRule.id))
        ]
        return cls(books, accounts, maps, types, rules)

    async def load_items(self, session: AsyncSession, codes: Iterable[str]) -> None:
        wanted = sorted(set(codes) - set(self.items))
        if wanted:
            for code, item_type in await session.execute(
                select(Item.code, Item.item_type).where(Item.code.in_(wanted))
            ):
                self.items[code] = item_type


# --- 1. movements in ----------------------------------------------------------------------


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def classify(ref: Reference, payload: dict[str, Any]) -> kinds.Match | None:
    return kinds.classify(
        ref.type_rules,
        kinds.Facts(
            document_type=str(payload["document_type"]),
            reversal=payload.get("reversal_of_id") is not None,
            from_location=str(payload["from_location"]),
            to_location=str(payload["to_location"]),
            from_state=str(payload["from_state"]),
            to_state=str(payload["to_state"]),
            stage=str(payload["stage"]),
        ),
    )


def movement_row(ref: Reference, seq: int, payload: dict[str, Any]) -> dict[str, Any] | None:
    """The `erp_movements` row of a `MovementPosted` payload, or None when it cannot give a
    voucher line (its type gives no vouchers, or it moves no value)."""
    value = _decimal(payload.get("value"))
    match = classify(ref, payload)
    if match is not None and not ref.types[match.movement_type].posts_voucher:
        return None
    if value == 0:
        return None
    return {
        "id": int(payload["id"]),
        "event_seq": seq,
        "document_type": str(payload["document_type"]),
        "document_id": int(payload["document_id"]),
        "item_code": str(payload["item_code"]),
        "lot_number": str(payload.get("lot_number") or ""),
        "quantity": _decimal(payload["quantity"]),
        "value": value,
        "from_location": str(payload["from_location"]),
        "to_location": str(payload["to_location"]),
        "from_state": str(payload["from_state"]),
        "to_state": str(payload["to_state"]),
        "stage": str(payload["stage"]),
        "reversal_of_id": payload.get("reversal_of_id"),
        "posted_at": datetime.fromisoformat(str(payload["posted_at"]).replace("Z", "+00:00")),
        "purchase_order": str(payload.get("purchase_order") or ""),
        "work_order": str(payload.get("work_order") or ""),
        "sales_order": str(payload.get("sales_order") or ""),
        "supplier": str(payload.get("supplier") or ""),
        "customer": str(payload.get("customer") or ""),
        "movement_type": match.movement_type if match is not None else None,
        "modifier": match.modifier if match is not None else "",
        "closed": False,
    }


async def add_movements(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        insert = dialect_insert(session)
        await session.execute(
            insert(Movement).on_conflict_do_nothing(index_elements=["id"]), list(rows)
        )


# --- 2. vouchers built --------------------------------------------------------------------


def _in_scope(book: Book, movement: Movement) -> bool:
    if not book.warehouses:
        return True
    return bool(
        {warehouse_of(movement.from_location), warehouse_of(movement.to_location)}
        & set(book.warehouses)
    )


def _short(kind: MovementType | None) -> str:
    return kind.name.split(" ", 1)[0] if kind is not None else "?"


@dataclass(slots=True)
class Built:
    postings: list[Posting]
    reasons: list[str]


def _build(ref: Reference, book: Book, movements: Sequence[Movement], summary_of: Any) -> Built:
    """The postings of `movements` in `book`, and why any of them cannot post."""
    built = Built([], [])
    for m in movements:
        named = f"movement {m.id} ({m.item_code}, {m.document_type} {m.document_id})"
        if m.movement_type is None:  # a type added since may match it now
            match = kinds.classify(ref.type_rules, _facts_of(m))
            if match is not None:
                m.movement_type, m.modifier = match.movement_type, match.modifier
        if m.movement_type is None:
            built.reasons.append(f"{named}: no movement type matches it")
            continue
        kind = ref.types.get(m.movement_type)
        if kind is None:
            built.reasons.append(f"{named}: movement type {m.movement_type} no longer exists")
            continue
        if not kind.posts_voucher:
            continue
        valuation_class = CLASS_OF_STAGE.get(m.stage) or ref.items.get(m.item_code)
        if valuation_class is None:
            built.reasons.append(
                f"{named}: the item type of {m.item_code} is not known yet (catalog feed)"
            )
            continue
        found = determine(
            ref.maps.get(book.code, {}),
            kind.code,
            valuation_class,
            m.modifier,
            reverses=kind.reverses,
            reversal=m.reversal_of_id is not None,
        )
        if found is None:
            built.reasons.append(
                f"{named}: no account rule for {kind.code}/{valuation_class}/"
                f"{m.modifier or '-'} in book {book.code}"
            )
            continue
        facts = MovementFacts(
            id=m.id,
            item_code=m.item_code,
            quantity=m.quantity,
            value=m.value,
            from_location=m.from_location,
            to_location=m.to_location,
            reversal=m.reversal_of_id is not None,
            supplier=m.supplier,
            customer=m.customer,
            work_order=m.work_order,
        )
        found_postings, problems = postings(
            facts, found, ref.accounts.get(book.code, {}), summary_of(kind)
        )
        built.postings += found_postings
        built.reasons += [f"{named}: {problem}" for problem in problems]
    return built


def _facts_of(m: Movement) -> kinds.Facts:
    return kinds.Facts(
        document_type=m.document_type,
        reversal=m.reversal_of_id is not None,
        from_location=m.from_location,
        to_location=m.to_location,
        from_state=m.from_state,
        to_state=m.to_state,
        stage=m.stage,
    )


def _local_date(book: Book, moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(book.timezone)).date()


async def _lines_of(session: AsyncSession, voucher_id: int) -> list[LineDraft]:
    rows = await session.scalars(
        select(VoucherLine)
        .where(VoucherLine.voucher_id == voucher_id)
        .order_by(VoucherLine.line_no)
    )
    return [
        LineDraft(
            "credit" if row.credit != 0 else "debit",
            row.summary,
            row.account,
            row.debit,
            row.credit,
            row.quantity,
            dict(row.dimensions),
        )
        for row in rows
    ]


async def _write_lines(session: AsyncSession, voucher: Voucher, lines: Sequence[LineDraft]) -> None:
    await session.execute(delete(VoucherLine).where(VoucherLine.voucher_id == voucher.id))
    session.add_all(
        VoucherLine(
            voucher_id=voucher.id,
            line_no=number,
            summary=line.summary,
            account=line.account,
            currency=voucher.currency,
            debit=line.debit,
            credit=line.credit,
            quantity=line.quantity,
            unit_price=line.unit_price,
            dimensions=line.dimensions,
        )
        for number, line in enumerate(lines, start=1)
    )
    debit, credit = totals(lines)
    assert debit == credit, f"voucher {voucher.number} does not balance: {debit} != {credit}"
    voucher.total = debit


async def _new_voucher(
    session: AsyncSession,
    book: Book,
    *,
    grouping: str,
    day: date,
    status: str,
    document_type: str,
    document_id: int | None,
    document_number: str,
    red_ink: bool,
) -> Voucher:
    now = utcnow()
    voucher = Voucher(
        number=f"{book.code}-{await take(session, NUMBER):08d}",
        book_code=book.code,
        status=status,
        grouping=grouping,
        date=day,
        year=day.year,
        period=day.month,
        word=book.voucher_word,
        preparer=book.preparer,
        attachments=1 if document_id is not None else 0,
        currency=book.currency,
        document_type=document_type,
        document_id=document_id,
        document_number=document_number,
        movement_types=[],
        red_ink=red_ink,
        total=Decimal(0),
        hold_reasons=[],
        feed_seq=0,
        created_at=now,
        updated_at=now,
    )
    session.add(voucher)
    await session.flush()
    return voucher


async def _link(
    session: AsyncSession, book: Book, voucher: Voucher, movements: Iterable[Movement]
) -> None:
    session.add_all(
        VoucherMovement(book_code=book.code, movement_id=m.id, voucher_id=voucher.id)
        for m in movements
    )


async def publish(session: AsyncSession, vouchers: Sequence[Voucher]) -> None:
    """Move `vouchers` to the end of the pull feed, in id order; those now ready in a book
    with a push target get their push (`enqueue`)."""
    if not vouchers:
        return
    first = await take(session, FEED, len(vouchers))
    for offset, voucher in enumerate(sorted(vouchers, key=lambda v: v.id)):
        voucher.feed_seq = first + offset
        voucher.updated_at = utcnow()
    await session.flush()
    await enqueue(session, [v for v in vouchers if v.status == READY])


async def enqueue(session: AsyncSession, ready: Sequence[Voucher]) -> None:
    """A pending push for each ready voucher of a book with a push target (once per
    voucher and target; usecases/pushes.py works them off)."""
    if not ready:
        return
    targets = {
        code: target
        for code, target in await session.execute(
            select(Book.code, Book.push_target).where(
                Book.code.in_({v.book_code for v in ready}), Book.push_target.is_not(None)
            )
        )
    }
    now = utcnow()
    rows = [
        {
            "voucher_id": v.id,
            "book_code": v.book_code,
            "target": targets[v.book_code],
            "state": "pending",
            "attempts": 0,
            "last_error": "",
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for v in ready
        if v.book_code in targets
    ]
    if rows:
        insert = dialect_insert(session)
        await session.execute(
            insert(Push).on_conflict_do_nothing(index_elements=["voucher_id", "target"]), rows
        )


async def close_open(
    session: AsyncSession, ref: Reference, closing_payload: dict[str, Any] | None
) -> int:
    """Build the vouchers of the open movements (one document's, or one reversal's), for
    every book; `closing_payload` is the document's event that closed them, if any (its
    `number` names the document on the voucher). Returns how many movements closed."""
    open_rows = list(
        await session.scalars(
            select(Movement).where(Movement.closed.is_(False)).order_by(Movement.event_seq)
        )
    )
    if not open_rows:
        return 0
    await ref.load_items(session, (m.item_code for m in open_rows if m.stage == "wip"))
    groups: dict[tuple[str, int, bool], list[Movement]] = defaultdict(list)
    for m in open_rows:
        groups[(m.document_type, m.document_id, m.reversal_of_id is not None)].append(m)
    published: list[Voucher] = []
    for (document_type, document_id, reversal), movements in groups.items():
        number = ""
        if closing_payload is not None and str(closing_payload.get("id")) == str(document_id):
            number = str(closing_payload.get("number") or "")
        for book in ref.books:
            mine = [m for m in movements if _in_scope(book, m)]
            if not mine:
                continue
            if book.voucher_mode == "daily_summary":
                await _add_to_daily(session, ref, book, mine)
                continue
            voucher = await _document_voucher(
                session, ref, book, mine, document_type, document_id, number, reversal
            )
            if voucher is not None:
                published.append(voucher)
    await session.execute(
        update(Movement).where(Movement.id.in_([m.id for m in open_rows])).values(closed=True)
    )
    await publish(session, published)
    return len(open_rows)


async def _document_voucher(
    session: AsyncSession,
    ref: Reference,
    book: Book,
    movements: Sequence[Movement],
    document_type: str,
    document_id: int,
    number: str,
    reversal: bool,
) -> Voucher | None:
    named = number or f"{document_type} {document_id}"
    built = _build(ref, book, movements, lambda kind: f"{_short(kind)} {named}")
    if not built.postings and not built.reasons:
        return None  # nothing of value to post (e.g. only work in progress consumed)
    voucher = await _new_voucher(
        session,
        book,
        grouping=f"doc:{document_type}:{document_id}:{'reversal' if reversal else 'posting'}",
        day=_local_date(book, movements[0].posted_at),
        status=HELD if built.reasons else READY,
        document_type=document_type,
        document_id=document_id,
        document_number=number,
        red_ink=reversal,
    )
    voucher.movement_types = sorted({m.movement_type for m in movements if m.movement_type})
    voucher.hold_reasons = built.reasons
    if reversal:
        voucher.reverses_number = await _original_number(session, book, movements)
    await _write_lines(session, voucher, [] if built.reasons else merge([], built.postings))
    await _link(session, book, voucher, movements)
    return voucher


async def _original_number(
    session: AsyncSession, book: Book, movements: Sequence[Movement]
) -> str | None:
    originals = [m.reversal_of_id for m in movements if m.reversal_of_id is not None]
    if not originals:
        return None
    number: str | None = await session.scalar(
        select(Voucher.number)
        .join(VoucherMovement, VoucherMovement.voucher_id == Voucher.id)
        .where(VoucherMovement.book_code == book.code, VoucherMovement.movement_id.in_(originals))
        .order_by(Voucher.id)
        .limit(1)
    )
    return number


async def _add_to_daily(
    session: AsyncSession, ref: Reference, book: Book, movements: Sequence[Movement]
) -> None:
    """Add movements to their day's open summary voucher per movement type (and red ink)."""
    by_key: dict[tuple[date, str, bool], list[Movement]] = defaultdict(list)
    for m in movements:
        by_key[
            (_local_date(book, m.posted_at), m.movement_type or "?", m.reversal_of_id is not None)
        ].append(m)
    for (day, code, red), mine in by_key.items():
        kind = ref.types.get(code)
        built = _build(ref, book, mine, lambda k, day=day: f"{_short(k)} {day.isoformat()} 汇总")
        if not built.postings and not built.reasons:
            continue
        grouping = f"day:{day.isoformat()}:{code}:{'red' if red else 'blue'}"
        voucher = (
            await session.scalars(
                select(Voucher).where(
                    Voucher.book_code == book.code,
                    Voucher.grouping == grouping,
                    Voucher.status == OPEN,
                )
            )
        ).first()
        if voucher is None:
            voucher = await _new_voucher(
                session,
                book,
                grouping=grouping,
                day=day,
                status=OPEN,
                document_type="",
                document_id=None,
                document_number="",
                red_ink=red,
            )
            voucher.movement_types = [code] if kind is not None else []
        documents = {(m.document_type, m.document_id) for m in mine}
        voucher.attachments += len(documents)
        voucher.hold_reasons = [*voucher.hold_reasons, *built.reasons]
        existing = await _lines_of(session, voucher.id)
        await _write_lines(session, voucher, merge(existing, built.postings))
        await _link(session, book, voucher, mine)
        voucher.updated_at = utcnow()


async def close_due(session: AsyncSession, now: datetime | None = None) -> int:
    """Make every daily summary whose day is over in its book's time zone ready (or held
    with its reasons). Returns how many closed."""
    moment = now or utcnow()
    rows = list(await session.scalars(select(Voucher).where(Voucher.status == OPEN)))
    if not rows:
        return 0
    zones = {b.code: b.timezone for b in await session.scalars(select(Book))}
    due = [
        v
        for v in rows
        if v.date < moment.astimezone(ZoneInfo(zones.get(v.book_code, "UTC"))).date()
    ]
    for voucher in due:
        voucher.status = HELD if voucher.hold_reasons else READY
        if voucher.hold_reasons:
            await _write_lines(session, voucher, [])
    await publish(session, due)
    return len(due)


# --- 3. held vouchers released --------------------------------------------------------------


async def release_held(
    session: AsyncSession, *, book: str | None = None, reason_contains: str | None = None
) -> int:
    """Rebuild held vouchers (and open summaries with reasons) from their movements; those
    that now build become ready (or stay open until their day is over). Returns how many
    were released."""
    query = select(Voucher).where(Voucher.status.in_((HELD, OPEN)))
    if book is not None:
        query = query.where(Voucher.book_code == book)
    candidates = [v for v in await session.scalars(query.order_by(Voucher.id)) if v.hold_reasons]
    if reason_contains is not None:
        candidates = [v for v in candidates if any(reason_contains in r for r in v.hold_reasons)]
    if not candidates:
        return 0
    ref = await Reference.load(session)
    books = {b.code: b for b in ref.books}
    released: list[Voucher] = []
    for voucher in candidates:
        movements = list(
            await session.scalars(
                select(Movement)
                .join(VoucherMovement, VoucherMovement.movement_id == Movement.id)
                .where(
                    VoucherMovement.voucher_id == voucher.id,
                    VoucherMovement.book_code == voucher.book_code,
                )
                .order_by(Movement.event_seq)
            )
        )
        owner = books[voucher.book_code]
        await ref.load_items(session, (m.item_code for m in movements))
        named = voucher.document_number or f"{voucher.document_type} {voucher.document_id}"
        if voucher.document_id is None:
            day = voucher.date.isoformat()
            built = _build(ref, owner, movements, lambda k, day=day: f"{_short(k)} {day} 汇总")
        else:
            built = _build(ref, owner, movements, lambda k, named=named: f"{_short(k)} {named}")
        changed = built.reasons != voucher.hold_reasons
        voucher.hold_reasons = built.reasons
        if built.reasons:
            if changed and voucher.status == HELD:
                released.append(voucher)  # still held, for other reasons: show them
            continue
        await _write_lines(session, voucher, merge([], built.postings))
        voucher.movement_types = sorted({m.movement_type for m in movements if m.movement_type})
        if voucher.status == HELD:
            voucher.status = READY
            released.append(voucher)
    await publish(session, released)
    return sum(1 for v in released if v.status == READY)


async def count_held(session: AsyncSession, *, book: str | None = None) -> int:
    query = select(func.count()).select_from(Voucher).where(Voucher.status == HELD)
    if book is not None:
        query = query.where(Voucher.book_code == book)
    return int(await session.scalar(query) or 0)


# --- reading and acknowledging ----------------------------------------------------------------


def voucher_out(
    voucher: Voucher, lines: Sequence[VoucherLine], push: Push | None = None
) -> VoucherOut:
    return VoucherOut(
        id=voucher.id,
        number=voucher.number,
        book_code=voucher.book_code,
        status=voucher.status,
        date=voucher.date,
        year=voucher.year,
        period=voucher.period,
        word=voucher.word,
        preparer=voucher.preparer,
        attachments=voucher.attachments,
        currency=voucher.currency,
        document_type=voucher.document_type or None,
        document_id=voucher.document_id,
        document_number=voucher.document_number or None,
        movement_types=list(voucher.movement_types),
        red_ink=voucher.red_ink,
        reverses_number=voucher.reverses_number,
        total=voucher.total,
        hold_reasons=list(voucher.hold_reasons),
        erp_number=voucher.erp_number,
        exported_at=voucher.exported_at,
        cursor=voucher.feed_seq,
        updated_at=voucher.updated_at,
        push=None
        if push is None
        else PushOut(
            target=push.target,
            state=push.state,
            attempts=push.attempts,
            last_error=push.last_error or None,
            erp_number=push.erp_number,
            next_attempt_at=push.next_attempt_at,
        ),
        lines=[
            VoucherLineOut(
                line_no=line.line_no,
                summary=line.summary,
                account=line.account,
                currency=line.currency,
                debit=line.debit,
                credit=line.credit,
                quantity=line.quantity,
                unit_price=line.unit_price,
                dimensions=dict(line.dimensions),
            )
            for line in lines
        ],
    )


async def _with_lines(session: AsyncSession, vouchers: Sequence[Voucher]) -> list[VoucherOut]:
    lines: dict[int, list[VoucherLine]] = defaultdict(list)
    pushes: dict[int, Push] = {}
    if vouchers:
        ids = [v.id for v in vouchers]
        for line in await session.scalars(
            select(VoucherLine)
            .where(VoucherLine.voucher_id.in_(ids))
            .order_by(VoucherLine.voucher_id, VoucherLine.line_no)
        ):
            lines[line.voucher_id].append(line)
        for push in await session.scalars(
            select(Push).where(Push.voucher_id.in_(ids)).order_by(Push.id)
        ):
            pushes[push.voucher_id] = push
    return [voucher_out(v, lines[v.id], pushes.get(v.id)) for v in vouchers]


async def pull(
    session: AsyncSession,
    *,
    after: int,
    limit: int,
    book: str | None = None,
    status: str | None = None,
    document_type: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> tuple[list[VoucherOut], int, bool]:
    """Vouchers changed after cursor `after`, oldest change first: (page, next cursor,
    whether more follow). Open daily summaries are not shown until their day closes."""
    query = select(Voucher).where(Voucher.feed_seq > after, Voucher.status != OPEN)
    if book:
        query = query.where(Voucher.book_code == book)
    if status:
        query = query.where(Voucher.status == status)
    if document_type:
        query = query.where(Voucher.document_type == document_type)
    if date_from:
        query = query.where(Voucher.date >= date_from)
    if date_to:
        query = query.where(Voucher.date <= date_to)
    rows = list(await session.scalars(query.order_by(Voucher.feed_seq).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_after = rows[-1].feed_seq if rows else after
    return await _with_lines(session, rows), next_after, more


async def get_voucher(session: AsyncSession, voucher_id: int) -> VoucherOut:
    voucher = await session.get(Voucher, voucher_id)
    if voucher is None:
        raise NotFound(f"voucher {voucher_id} does not exist")
    return (await _with_lines(session, [voucher]))[0]


async def acknowledge(session: AsyncSession, voucher_id: int, erp_number: str) -> VoucherOut:
    """The ERP took the voucher as `erp_number`: it is exported. The same acknowledgement
    again changes nothing; another number for it is a conflict."""
    voucher = (
        await session.scalars(select(Voucher).where(Voucher.id == voucher_id).with_for_update())
    ).first()
    if voucher is None:
        raise NotFound(f"voucher {voucher_id} does not exist")
    if voucher.status == EXPORTED:
        if voucher.erp_number != erp_number:
            raise Conflict(
                f"voucher {voucher.number} was acknowledged as {voucher.erp_number}, "
                f"not {erp_number}"
            )
        return await get_voucher(session, voucher_id)
    if voucher.status not in (READY, FAILED):
        raise Conflict(
            f"voucher {voucher.number} is {voucher.status}: only a ready (or failed) one is "
            "exported"
        )
    voucher.status = EXPORTED
    voucher.erp_number = erp_number
    voucher.exported_at = utcnow()
    await publish(session, [voucher])
    await session.flush()
    return await get_voucher(session, voucher_id)
