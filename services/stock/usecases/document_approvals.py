"""Approval gates on documents that post at once: purchase receipts, scraps, supplier returns;
and on stock counts posted with differences (`count_variance`).

Under a closed gate of its type (`approvals.approval_required`, read when the document
posts, so a draft saved before the gate closed waits too), posting such a document, at
once or from its draft, keeps it a draft instead: everything a draft save checks is
checked, nothing moves, `approval: pending`, and `ApprovalRequested` tells workflow, all
in the posting transaction. A pending draft cannot be replaced or posted (409
`approval_pending`); it can be cancelled (`ApprovalCancelled`). Workflow's decision
(`.../approval-decision`): `approved` posts it through the document's own posting code
(`approved_by`), exactly as `POST .../post` would, all or nothing: refused, it stays a
pending draft. Anything else leaves it a draft, `approval: not_required`
(`ApprovalReturned`). A decision on a document that no longer waits is answered with the
document as it is when the document records that decision's `reference`, else 409.
Lifting a gate releases nothing already waiting: workflow still decides it.

A stock count waits the same way, only it stays `counting` rather than a draft
(`Gate.waiting`): posting it with differences under a closed gate holds it, a pending
count takes no counts (`refuse_pending`), and any decision but approval leaves it
counting, to be recounted and posted (asking) again.

The documents keep their own code; each names its `Gate` and calls `must_wait` after
locking its draft or count (`open_posting` does both for a draft), `hold` and
`request_approval` where it keeps it waiting.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.stock.schemas import ApprovalDecision, ApprovalState, DocumentStatus, GatedDocument
from services.stock.usecases import drafts
from services.stock.usecases.approvals import ApprovalPending, approval_required
from services.stock.usecases.posting import DocumentStatusConflict
from shared.db.uow import UnitOfWork
from shared.errors import NotFound
from shared.schemas import plain


class GatedHeader(Protocol):
    """The columns of a document an approval gate can hold."""

    id: int
    number: str
    status: str
    approval: str
    approval_ref: str


class Shown(Protocol):
    """A document as the API shows it."""

    id: int
    number: str

    def model_dump(self, *, mode: str = "python") -> dict[str, Any]: ...


Out = TypeVar("Out", bound=BaseModel)


class GatedDraft(drafts.DocumentHeader, GatedHeader, Protocol):
    """A draftable document an approval gate can hold."""


Row = TypeVar("Row", bound=GatedDraft)
Request = TypeVar("Request", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Gate(Generic[Out]):
    """How documents of one type meet their approval gate."""

    document_type: GatedDocument
    #: The table's model (`Receipt`, `ScrapReturn`, `StockCount`).
    model: type[Any]
    #: The audit entity and event aggregate type of the document's other events.
    entity: str
    #: How messages name the document ("receipt", "supplier return").
    noun: str
    #: Reads documents as the API shows them (lines, movements) in a fixed number of queries.
    load: Callable[[AsyncSession, Sequence[Any]], Awaitable[Sequence[Out]]]
    #: The `kind` its rows have when documents share a table (scraps and returns).
    kind: str | None = None
    #: The status a document waits in, and returns to when not approved (a stock count
    #: stays `counting`).
    waiting: str = DocumentStatus.DRAFT.value

    def holds(self, row: GatedHeader) -> bool:
        """Whether `row` waits for workflow's decision."""
        return row.status == self.waiting and row.approval == ApprovalState.PENDING.value


@dataclass(frozen=True, slots=True)
class RequestedLine:
    line_no: int
    item_code: str
    #: In the item's stock unit (`uom`).
    quantity: Decimal
    uom: str | None
    lot_number: str | None
    unit_price: Decimal | None = None
    #: Where the line is, when the document's lines are at several places (a stock count's
    #: locations below its root); the event names it only then.
    location_code: str | None = None


@dataclass(frozen=True, slots=True)
class Requested:
    """What `ApprovalRequested` says of a held document besides its id and number."""

    location_code: str
    lines: Sequence[RequestedLine]
    supplier: str = ""
    purchase_order: str = ""
    reason: str = ""
    note: str = ""


def _waits(row: GatedHeader) -> ApprovalPending:
    return ApprovalPending(
        f"{row.number} waits for its approval flow; it is posted when the flow approves "
        "it, or it can be cancelled"
    )


def refuse_pending(gate: Gate[Any] | None, row: GatedHeader) -> None:
    """409 `approval_pending` for a document that waits for workflow's decision (it
    cannot be changed meanwhile)."""
    if gate is not None and gate.holds(row):
        raise _waits(row)


async def must_wait(
    session: AsyncSession,
    gate: Gate[Any] | None,
    row: GatedHeader | None,
    *,
    posting: bool,
    approved_by: str | None = None,
) -> bool:
    """Whether this posting must wait for approval instead (the gate of its type is closed).

    Called with the document's draft `row` locked, if it has one: a draft that waits is
    409 `approval_pending`, unless this is workflow's approval (`approved_by`, its
    reference), which marks it approved and lets it post."""
    if row is not None and gate is not None and gate.holds(row):
        if approved_by is None:
            raise _waits(row)
        row.approval, row.approval_ref = ApprovalState.APPROVED.value, approved_by
        return False
    if approved_by is not None:
        number = row.number if row is not None else "the document"
        raise DocumentStatusConflict(f"{number} does not wait for an approval")
    return gate is not None and posting and await approval_required(session, gate.document_type)


async def open_posting(
    session: AsyncSession,
    gate: Gate[Any],
    model: type[Row],
    draft_id: int | None,
    data: Request,
    *,
    expected: dict[str, Any] | None,
    approved_by: str | None,
) -> tuple[Row | None, bool, Request]:
    """Begin posting (or saving as a draft) a document of `gate`'s type: lock the draft it
    replaces or posts (`draft_id`, `drafts.draft_for_update` with `expected`), if any, and
    ask `must_wait`. Returns that draft, whether the posting waits for approval, and the
    request (`data` with `draft` set when it waits)."""
    existing = (
        await drafts.draft_for_update(session, model, draft_id, gate.noun, expected=expected)
        if draft_id is not None
        else None
    )
    request: Any = data  # a document's create request: it has `draft`
    held = await must_wait(
        session, gate, existing, posting=not request.draft, approved_by=approved_by
    )
    if held:
        data = data.model_copy(update={"draft": True})
    return existing, held, data


def hold(row: GatedHeader) -> None:
    """Mark a document saved as a draft instead of posting as waiting for approval."""
    row.approval, row.approval_ref = ApprovalState.PENDING.value, ""


async def request_approval(
    uow: UnitOfWork, gate: Gate[Any], out: Shown, requested: Requested
) -> None:
    """Audit a document held for approval, announce `ApprovalRequested`, commit."""
    await uow.audit("request_approval", gate.entity, str(out.id), after=out.model_dump(mode="json"))
    uow.emit(
        "ApprovalRequested",
        gate.entity,
        str(out.id),
        {
            "document_type": gate.document_type.value,
            "document_id": out.id,
            "number": out.number,
            "requested_by": uow.actor,
            "lines": [
                {
                    "line_no": line.line_no,
                    "item_code": line.item_code,
                    "quantity": plain(line.quantity),
                    "uom": line.uom,
                    "lot_number": line.lot_number,
                    "unit_price": plain(line.unit_price) if line.unit_price is not None else None,
                    **(
                        {"location_code": line.location_code}
                        if line.location_code is not None
                        else {}
                    ),
                }
                for line in requested.lines
            ],
            "location_code": requested.location_code,
            "supplier": requested.supplier,
            "purchase_order": requested.purchase_order,
            "reason": requested.reason,
            "note": requested.note,
        },
    )
    await uow.commit()


def announce_cancel(gate: Gate[Any] | None) -> Callable[[UnitOfWork, GatedHeader], None]:
    """`drafts.cancel_document`'s `announce`: a cancelled draft that waited for approval
    ends it (`ApprovalCancelled`)."""

    def announce(uow: UnitOfWork, row: GatedHeader) -> None:
        if gate is not None and row.approval == ApprovalState.PENDING.value:
            uow.emit(
                "ApprovalCancelled",
                gate.entity,
                str(row.id),
                {
                    "document_type": gate.document_type.value,
                    "document_id": row.id,
                    "number": row.number,
                },
            )

    return announce


async def _document(
    session: AsyncSession, gate: Gate[Any], document_id: int, *, lock: bool
) -> GatedHeader:
    row: GatedHeader | None = (
        await session.get(gate.model, document_id, with_for_update=True, populate_existing=True)
        if lock
        else await session.get(gate.model, document_id)
    )
    if row is None or (gate.kind is not None and getattr(row, "kind", None) != gate.kind):
        raise NotFound(f"{gate.noun} {document_id} does not exist")
    return row


async def _settled(
    session: AsyncSession, gate: Gate[Out], row: GatedHeader, decision: ApprovalDecision
) -> Out | None:
    """None while `row` waits for a decision; once decided, the document as it is for
    the decision it records (`reference`), 409 for any other."""
    if gate.holds(row):
        return None
    if row.approval_ref == decision.reference:
        (out,) = await gate.load(session, [row])
        return out
    raise DocumentStatusConflict(
        f"{gate.noun} {row.number} does not wait for an approval (it is {row.status}, "
        f"approval {row.approval})"
    )


async def decided(
    session: AsyncSession, gate: Gate[Out], document_id: int, decision: ApprovalDecision
) -> Out | None:
    """Before taking workflow's decision: None if the document waits for it, else the
    document as it is (a repeated decision) or 409; 404 for an unknown id or another
    kind's."""
    row = await _document(session, gate, document_id, lock=False)
    return await _settled(session, gate, row, decision)


async def return_to_draft(
    uow: UnitOfWork, gate: Gate[Out], document_id: int, decision: ApprovalDecision
) -> Out:
    """Workflow's decision other than approval (rejected, withdrawn, returned): the
    document stays a draft (a stock count counting), no longer waiting (`approval:
    not_required`), nothing moved; it may be changed (recounted) and posted again.
    Announced as `ApprovalReturned`."""
    async with uow:
        session = uow.session
        row = await _document(session, gate, document_id, lock=True)
        settled = await _settled(session, gate, row, decision)
        if settled is not None:
            return settled
        (before,) = await gate.load(session, [row])
        row.approval = ApprovalState.NOT_REQUIRED.value
        row.approval_ref = decision.reference
        await session.flush()
        (out,) = await gate.load(session, [row])
        await uow.audit(
            decision.decision.value,
            gate.entity,
            str(row.id),
            before=before.model_dump(mode="json"),
            after=out.model_dump(mode="json"),
        )
        uow.emit(
            "ApprovalReturned",
            gate.entity,
            str(row.id),
            {
                "document_type": gate.document_type.value,
                "document_id": row.id,
                "number": row.number,
                "decision": decision.decision.value,
                "reason": decision.reason,
                "reference": decision.reference,
            },
        )
        await uow.commit()
        return out
