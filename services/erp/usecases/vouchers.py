"""Vouchers from stock's movements: building them per book, holding what cannot be built,
releasing it once the map is fixed, closing daily summaries, pulling and acknowledging.

How a voucher comes about (`usecases/stock_feed.py` calls these in the feed's unit of
work, so a voucher and the cursor that read its movements commit together):

1. `movement_row`: a `MovementPosted` is classified (its movement type and modifier).
   A movement of a type that gives no vouchers, or of no value, is left out; the others
   are kept (`erp_movements`), in memory while the page runs (`Page`).
2. `Page.close`: stock writes a document's movements together, followed by the
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

from sqlalchemy import delete, func, insert, select, update
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
from services.erp.schemas import VoucherOut
from shared.db.dialects import dialect_insert
from shared.db.types import utcnow
from shared.errors import Conflict, NotFound
from shared.schemas import plain

READY, HELD, OPEN, EXPORTED, FAILED = "ready", "held", "open", "exported", "failed"
VOIDED = "voided"
#: The document type of a revaluation's correction voucher, and its number's prefix.
REVALUATION, REVALUATION_NUMBER = "revaluation", "ItemRevalued "
PullStatus = Literal["ready", "held", "exported", "failed", "voided"]
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


def build(ref: Reference, book: Book, movements: Sequence[Movement], summary_of: Any) -> Built:
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


def local_date(book: Book, moment: datetime) -> date:
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


def push_row(voucher_id: int, book_code: str, target: str, now: datetime) -> dict[str, Any]:
    """A pending push of a ready voucher to its book's target (usecases/pushes.py)."""
    return {
        "voucher_id": voucher_id,
        "book_code": book_code,
        "target": target,
        "state": "pending",
        "attempts": 0,
        "last_error": "",
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }


async def enqueue(session: AsyncSession, ready: Sequence[Voucher]) -> None:
    """A pending push for each ready voucher of a book with a push target (once per
    voucher and target; usecases/pushes.py works them off)."""
    if not ready:
        return
    targets: dict[str, str] = {
        code: target
        for code, target in await session.execute(
            select(Book.code, Book.push_target).where(
                Book.code.in_({v.book_code for v in ready}), Book.push_target.is_not(None)
            )
        )
        if target is not None
    }
    now = utcnow()
    rows = [
        push_row(v.id, v.book_code, targets[v.book_code], now)
        for v in ready
        if v.book_code in targets
    ]
    if rows:
        insert = dialect_insert(session)
        await session.execute(
            insert(Push).on_conflict_do_nothing(index_elements=["voucher_id", "target"]), rows
        )


@dataclass(slots=True)
class Draft:
    """A per-document voucher built in memory, written with the page's others."""

    book: Book
    columns: dict[str, Any]
    lines: list[LineDraft]
    movement_ids: list[int]
    originals: list[int]  # the movements a reversal reverses


class Page:
    """One page of stock's feed: its movements, and the vouchers the documents they close
    into, written at the end in a few set-based statements (`finish`).

    Movements stay in memory until their document's event closes them; only those still
    open when the page ends are written open (and picked up by the next page), so the
    ledger of open movements stays a handful of rows."""

    def __init__(self, session: AsyncSession, ref: Reference) -> None:
        self.session = session
        self.ref = ref
        self.new_rows: list[dict[str, Any]] = []
        self.carried: list[Movement] = []  # open when the page began
        self.open: list[Movement] = []
        self.closed: set[int] = set()
        self.drafts: list[Draft] = []

    @classmethod
    async def start(cls, session: AsyncSession, ref: Reference) -> Page:
        page = cls(session, ref)
        page.carried = list(
            await session.scalars(
                select(Movement).where(Movement.closed.is_(False)).order_by(Movement.event_seq)
            )
        )
        page.open = list(page.carried)
        return page

    @property
    def open_document(self) -> tuple[str, int, bool] | None:
        if not self.open:
            return None
        m = self.open[-1]
        return (m.document_type, m.document_id, m.reversal_of_id is not None)

    def add(self, row: dict[str, Any]) -> None:
        self.new_rows.append(row)
        self.open.append(Movement(**row))

    async def close(self, closing_payload: dict[str, Any] | None) -> None:
        """Build the vouchers of the open movements, for every book; `closing_payload` is
        the document's event that closed them, if any (its `number` names the document)."""
        if not self.open:
            return
        movements, self.open = self.open, []
        self.closed.update(m.id for m in movements)
        await self.ref.load_items(
            self.session, (m.item_code for m in movements if m.stage == "wip")
        )
        groups: dict[tuple[str, int, bool], list[Movement]] = defaultdict(list)
        for m in movements:
            groups[(m.document_type, m.document_id, m.reversal_of_id is not None)].append(m)
        for (document_type, document_id, reversal), mine in groups.items():
            number = ""
            if closing_payload is not None and str(closing_payload.get("id")) == str(document_id):
                number = str(closing_payload.get("number") or "")
            for book in self.ref.books:
                scoped = [m for m in mine if _in_scope(book, m)]
                if not scoped:
                    continue
                if book.voucher_mode == "daily_summary":
                    await self._flush_movements()  # the summary links rows that exist
                    await _add_to_daily(self.session, self.ref, book, scoped)
                    continue
                self._draft(book, scoped, document_type, document_id, number, reversal)

    def _draft(
        self,
        book: Book,
        movements: Sequence[Movement],
        document_type: str,
        document_id: int,
        number: str,
        reversal: bool,
    ) -> None:
        named = number or f"{document_type} {document_id}"
        built = build(self.ref, book, movements, lambda kind: f"{_short(kind)} {named}")
        if not built.postings and not built.reasons:
            return  # nothing of value to post (e.g. only work in progress consumed)
        day = local_date(book, movements[0].posted_at)
        lines = [] if built.reasons else merge([], built.postings)
        self.drafts.append(
            Draft(
                book=book,
                columns={
                    "book_code": book.code,
                    "status": HELD if built.reasons else READY,
                    "grouping": f"doc:{document_type}:{document_id}:"
                    f"{'reversal' if reversal else 'posting'}",
                    "date": day,
                    "year": day.year,
                    "period": day.month,
                    "word": book.voucher_word,
                    "preparer": book.preparer,
                    "attachments": 1,
                    "currency": book.currency,
                    "document_type": document_type,
                    "document_id": document_id,
                    "document_number": number,
                    "movement_types": sorted(
                        {m.movement_type for m in movements if m.movement_type}
                    ),
                    "red_ink": reversal,
                    "reverses_number": None,
                    "total": totals(lines)[0],
                    "hold_reasons": built.reasons,
                },
                lines=lines,
                movement_ids=[m.id for m in movements],
                originals=[m.reversal_of_id for m in movements if m.reversal_of_id is not None],
            )
        )

    async def _flush_movements(self) -> None:
        if self.new_rows:
            for row in self.new_rows:
                row["closed"] = row["id"] in self.closed
            insert = dialect_insert(self.session)
            await self.session.execute(
                insert(Movement).on_conflict_do_nothing(index_elements=["id"]), self.new_rows
            )
            self.new_rows = []

    async def finish(self) -> None:
        """Write the page: its movements (closed, or open when their document's event is
        still to come), the carried ones it closed, and its vouchers."""
        await self._flush_movements()
        done = [m.id for m in self.carried if m.id in self.closed]
        if done:
            await self.session.execute(
                update(Movement).where(Movement.id.in_(done)).values(closed=True)
            )
        if self.drafts:
            await self._write_drafts()

    async def _write_drafts(self) -> None:
        session, drafts = self.session, self.drafts
        first_number = await take(session, NUMBER, len(drafts))
        first_feed = await take(session, FEED, len(drafts))
        now = utcnow()
        numbered: dict[tuple[str, int], str] = {}
        for offset, draft in enumerate(drafts):
            number = f"{draft.book.code}-{first_number + offset:08d}"
            draft.columns |= {
                "number": number,
                "feed_seq": first_feed + offset,
                "created_at": now,
                "updated_at": now,
            }
            for movement_id in draft.movement_ids:
                numbered.setdefault((draft.book.code, movement_id), number)
        await self._name_originals(numbered)
        ids = list(
            await session.scalars(
                insert(Voucher).returning(Voucher.id, sort_by_parameter_order=True),
                [d.columns for d in drafts],
            )
        )
        lines = [
            {
                "voucher_id": voucher_id,
                "line_no": line_no,
                "summary": line.summary,
                "account": line.account,
                "currency": draft.book.currency,
                "debit": line.debit,
                "credit": line.credit,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "dimensions": line.dimensions,
            }
            for draft, voucher_id in zip(drafts, ids, strict=True)
            for line_no, line in enumerate(draft.lines, start=1)
        ]
        if lines:
            await session.execute(insert(VoucherLine), lines)
        await session.execute(
            insert(VoucherMovement),
            [
                {"book_code": d.book.code, "movement_id": m, "voucher_id": voucher_id}
                for d, voucher_id in zip(drafts, ids, strict=True)
                for m in d.movement_ids
            ],
        )
        pushes = [
            push_row(voucher_id, d.book.code, target, now)
            for d, voucher_id in zip(drafts, ids, strict=True)
            if (target := d.book.push_target) and d.columns["status"] == READY
        ]
        if pushes:
            await session.execute(insert(Push), pushes)

    async def _name_originals(self, numbered: dict[tuple[str, int], str]) -> None:
        """`reverses_number` of red-ink drafts: the voucher of the movements they reverse,
        built in this page or before."""
        wanted = {(d.book.code, m) for d in self.drafts for m in d.originals} - numbered.keys()
        if wanted:
            for book_code, movement_id, number in await self.session.execute(
                select(VoucherMovement.book_code, VoucherMovement.movement_id, Voucher.number)
                .join(Voucher, Voucher.id == VoucherMovement.voucher_id)
                .where(VoucherMovement.movement_id.in_({m for _, m in wanted}))
            ):
                numbered.setdefault((book_code, movement_id), number)
        for draft in self.drafts:
            for original in draft.originals:
                found = numbered.get((draft.book.code, original))
                if found is not None:
                    draft.columns["reverses_number"] = found
                    break


async def _add_to_daily(
    session: AsyncSession, ref: Reference, book: Book, movements: Sequence[Movement]
) -> None:
    """Add movements to their day's open summary voucher per movement type (and red ink)."""
    by_key: dict[tuple[date, str, bool], list[Movement]] = defaultdict(list)
    for m in movements:
        by_key[
            (local_date(book, m.posted_at), m.movement_type or "?", m.reversal_of_id is not None)
        ].append(m)
    for (day, code, red), mine in by_key.items():
        kind = ref.types.get(code)
        built = build(ref, book, mine, lambda k, day=day: f"{_short(k)} {day.isoformat()} 汇总")
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


async def _movements_of(session: AsyncSession, voucher: Voucher) -> list[Movement]:
    """The movements a voucher of its book stands for, in feed order."""
    return list(
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


def summary_of(voucher: Voucher) -> Any:
    """The lines' summary (摘要) of a voucher rebuilt: per movement type, for a daily
    summary its day, for a document its number; a revaluation's names its item."""
    if voucher.document_type == REVALUATION:
        item = voucher.document_number.removeprefix(REVALUATION_NUMBER)
        return lambda kind: f"重估 {item}"
    if voucher.document_id is None:
        label = f"{voucher.date.isoformat()} 汇总"
    else:
        label = voucher.document_number or f"{voucher.document_type} {voucher.document_id}"
    return lambda kind: f"{_short(kind)} {label}"


async def new_voucher(
    session: AsyncSession,
    book: Book,
    movements: Sequence[Movement],
    built: Built,
    *,
    grouping: str,
    day: date,
    document_type: str,
    document_id: int | None,
    document_number: str,
    red_ink: bool,
) -> Voucher:
    """A voucher of `built` (the postings of `movements`), held with the reasons when any
    cannot post."""
    voucher = await _new_voucher(
        session,
        book,
        grouping=grouping,
        day=day,
        status=HELD if built.reasons else READY,
        document_type=document_type,
        document_id=document_id,
        document_number=document_number,
        red_ink=red_ink,
    )
    voucher.movement_types = sorted({m.movement_type for m in movements if m.movement_type})
    voucher.hold_reasons = built.reasons
    await _write_lines(session, voucher, [] if built.reasons else merge([], built.postings))
    return voucher


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
        movements = await _movements_of(session, voucher)
        await ref.load_items(session, (m.item_code for m in movements))
        built = build(ref, books[voucher.book_code], movements, summary_of(voucher))
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


async def replace(session: AsyncSession, old: Voucher) -> Voucher:
    """A voucher built again from `old`'s movements with the book's map as it is now,
    under a new number, taking over the movements (`old` was voided in the ERP)."""
    ref = await Reference.load(session)
    book = next(b for b in ref.books if b.code == old.book_code)
    movements = await _movements_of(session, old)
    await ref.load_items(session, (m.item_code for m in movements))
    new = await new_voucher(
        session,
        book,
        movements,
        build(ref, book, movements, summary_of(old)),
        grouping=old.grouping,
        day=old.date,
        document_type=old.document_type,
        document_id=old.document_id,
        document_number=old.document_number,
        red_ink=old.red_ink,
    )
    new.attachments = old.attachments
    new.reverses_number = old.reverses_number
    new.replaces_number = old.number
    await session.execute(
        update(VoucherMovement)
        .where(VoucherMovement.voucher_id == old.id, VoucherMovement.book_code == book.code)
        .values(voucher_id=new.id)
    )
    return new


async def count_held(session: AsyncSession, *, book: str | None = None) -> int:
    query = select(func.count()).select_from(Voucher).where(Voucher.status == HELD)
    if book is not None:
        query = query.where(Voucher.book_code == book)
    return int(await session.scalar(query) or 0)


# --- reading and acknowledging ----------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    """A UTC timestamp as the API writes it (pydantic's form: ...Z)."""
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _amount(value: Decimal | None) -> str | None:
    return plain(value) if value is not None else None


_VOUCHER = (
    Voucher.id,
    Voucher.number,
    Voucher.book_code,
    Voucher.status,
    Voucher.date,
    Voucher.year,
    Voucher.period,
    Voucher.word,
    Voucher.preparer,
    Voucher.attachments,
    Voucher.currency,
    Voucher.document_type,
    Voucher.document_id,
    Voucher.document_number,
    Voucher.movement_types,
    Voucher.red_ink,
    Voucher.reverses_number,
    Voucher.total,
    Voucher.hold_reasons,
    Voucher.erp_number,
    Voucher.exported_at,
    Voucher.void_reason,
    Voucher.voided_at,
    Voucher.replaces_number,
    Voucher.feed_seq,
    Voucher.updated_at,
)
_LINE = (
    VoucherLine.voucher_id,
    VoucherLine.line_no,
    VoucherLine.summary,
    VoucherLine.account,
    VoucherLine.currency,
    VoucherLine.debit,
    VoucherLine.credit,
    VoucherLine.quantity,
    VoucherLine.unit_price,
    VoucherLine.dimensions,
)


async def _payloads(session: AsyncSession, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Vouchers (rows of `_VOUCHER`) as `VoucherOut` shows them, in JSON types: a page of
    a thousand is read with three plain queries and no model per voucher."""
    if not rows:
        return []
    ids = [row.id for row in rows]
    lines: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for line in await session.execute(
        select(*_LINE)
        .where(VoucherLine.voucher_id.in_(ids))
        .order_by(VoucherLine.voucher_id, VoucherLine.line_no)
    ):
        lines[line.voucher_id].append(
            {
                "line_no": line.line_no,
                "summary": line.summary,
                "account": line.account,
                "currency": line.currency,
                "debit": plain(line.debit),
                "credit": plain(line.credit),
                "quantity": _amount(line.quantity),
                "unit_price": _amount(line.unit_price),
                "dimensions": dict(line.dimensions),
            }
        )
    pushes: dict[int, dict[str, Any]] = {}
    for push in await session.scalars(
        select(Push).where(Push.voucher_id.in_(ids)).order_by(Push.id)
    ):
        pushes[push.voucher_id] = {
            "target": push.target,
            "state": push.state,
            "attempts": push.attempts,
            "last_error": push.last_error or None,
            "erp_number": push.erp_number,
            "next_attempt_at": _iso(push.next_attempt_at),
        }
    return [
        {
            "id": row.id,
            "number": row.number,
            "book_code": row.book_code,
            "status": row.status,
            "date": row.date.isoformat(),
            "year": row.year,
            "period": row.period,
            "word": row.word,
            "preparer": row.preparer,
            "attachments": row.attachments,
            "currency": row.currency,
            "document_type": row.document_type or None,
            "document_id": row.document_id,
            "document_number": row.document_number or None,
            "movement_types": list(row.movement_types),
            "red_ink": row.red_ink,
            "reverses_number": row.reverses_number,
            "total": plain(row.total),
            "hold_reasons": list(row.hold_reasons),
            "erp_number": row.erp_number,
            "exported_at": _iso(row.exported_at),
            "void_reason": row.void_reason,
            "voided_at": _iso(row.voided_at),
            "replaces_number": row.replaces_number,
            "cursor": row.feed_seq,
            "updated_at": _iso(row.updated_at),
            "push": pushes.get(row.id),
            "lines": lines[row.id],
        }
        for row in rows
    ]


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
) -> dict[str, Any]:
    """Vouchers changed after cursor `after`, oldest change first, as `VoucherFeed` in JSON
    types. Open daily summaries are not shown until their day closes."""
    query = select(*_VOUCHER).where(Voucher.feed_seq > after, Voucher.status != OPEN)
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
    rows = list(await session.execute(query.order_by(Voucher.feed_seq).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": await _payloads(session, rows),
        "next_after": rows[-1].feed_seq if rows else after,
        "has_more": more,
    }


async def get_voucher(session: AsyncSession, voucher_id: int) -> VoucherOut:
    row = (await session.execute(select(*_VOUCHER).where(Voucher.id == voucher_id))).first()
    if row is None:
        raise NotFound(f"voucher {voucher_id} does not exist")
    return VoucherOut.model_validate((await _payloads(session, [row]))[0])


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
