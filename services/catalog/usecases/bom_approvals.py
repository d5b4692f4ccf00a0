"""Workflow's decision on a BOM version whose release waits for approval.

`approved` releases it with the release request it holds, through the same code as
`POST /v1/boms/{id}/release` (`boms.release_bom_in`), all or nothing: refused now (an
overlap, an obsolete component, a cycle), it stays pending and the refusal is answered.
Anything else (rejected, withdrawn, returned) leaves it a draft that no longer waits
(`approval: not_required`, `ApprovalReturned`), to be changed and released again. A
decision on a version that no longer waits is answered with the version as it is when it
records that decision's `reference`, else 409.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.db.models import BomVersion
from services.catalog.domain.bom import BomStatus
from services.catalog.schemas import ApprovalDecision, ApprovalState, BomOut, BomRelease
from services.catalog.usecases.approvals import BOM_RELEASE
from services.catalog.usecases.boms import (
    BomStatusConflict,
    approval_number,
    bom_out,
    release_bom_in,
)
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import NotFound


def _waits(bom: BomVersion) -> bool:
    return bom.status == BomStatus.DRAFT.value and bom.approval == ApprovalState.PENDING.value


async def _settled(
    session: AsyncSession, bom: BomVersion, decision: ApprovalDecision
) -> BomOut | None:
    """None while `bom` waits for a decision; once decided, the version as it is for the
    decision it records (`reference`), 409 for any other."""
    if _waits(bom):
        return None
    if bom.approval_ref == decision.reference:
        return await bom_out(session, bom)
    raise BomStatusConflict(
        f"BOM version {bom.id} does not wait for an approval (it is {bom.status}, "
        f"approval {bom.approval})"
    )


async def decided(session: AsyncSession, bom_id: int, decision: ApprovalDecision) -> BomOut | None:
    """Before taking workflow's decision: None if the version waits for it, else the
    version as it is (a repeated decision) or 409; 404 for an unknown id."""
    bom = await session.get(BomVersion, bom_id)
    if bom is None:
        raise NotFound(f"BOM version {bom_id} does not exist")
    return await _settled(session, bom, decision)


async def approve(uow: UnitOfWork, bom_id: int, decision: ApprovalDecision) -> BomOut:
    """Release the version with its held request (`approval: approved`), all or nothing."""
    async with uow:
        out = await release_bom_in(
            uow, bom_id, BomRelease(), uow.actor, approved_by=decision.reference
        )
        await uow.commit()
        return out


async def return_to_draft(uow: UnitOfWork, bom_id: int, decision: ApprovalDecision) -> BomOut:
    """A decision other than approval: the version stays a draft that no longer waits
    (`approval: not_required`, the held request dropped); `ApprovalReturned`."""
    async with uow:
        session = uow.session
        bom = await session.get(BomVersion, bom_id, with_for_update=True, populate_existing=True)
        if bom is None:
            raise NotFound(f"BOM version {bom_id} does not exist")
        settled = await _settled(session, bom, decision)
        if settled is not None:
            return settled
        before = await bom_out(session, bom)
        bom.approval = ApprovalState.NOT_REQUIRED.value
        bom.approval_ref = decision.reference
        bom.release_request = None
        bom.updated_at = utcnow()
        await session.flush()
        out = await bom_out(session, bom)
        await uow.audit(
            decision.decision.value,
            "bom",
            str(bom.id),
            before=before.model_dump(mode="json"),
            after=out.model_dump(mode="json"),
        )
        uow.emit(
            "ApprovalReturned",
            "bom",
            str(bom.id),
            {
                "document_type": BOM_RELEASE,
                "document_id": bom.id,
                "number": approval_number(out.item_code, out.revision),
                "decision": decision.decision.value,
                "reason": decision.reason,
                "reference": decision.reference,
            },
        )
        await uow.commit()
        return out
