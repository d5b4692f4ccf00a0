"""Movement types: the table (built-in SAP codes and a firm's own), their rules, and which
type a stock movement is (`classify`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.erp.db.models import AccountRule, MovementType, MovementTypeRule
from services.erp.domain import movement_types as domain
from services.erp.schemas import (
    ClassificationOut,
    MovementFactsIn,
    MovementTypeIn,
    MovementTypeOut,
    MovementTypeRuleOut,
)
from services.erp.usecases import vouchers
from shared.db.paging import page_by_id
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import (
    AlreadyExists,
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
    PreconditionFailed,
)
from shared.http.pagination import PageParams


def rule_of(row: MovementTypeRule) -> domain.Rule:
    return domain.Rule(
        id=row.id,
        movement_type=row.movement_type,
        document_type=row.document_type,
        reversal=row.reversal,
        from_location=row.from_location,
        to_location=row.to_location,
        from_state=row.from_state,
        to_state=row.to_state,
        stage=row.stage,
        modifier=row.modifier,
    )


def rule_out(rule: domain.Rule) -> MovementTypeRuleOut:
    return MovementTypeRuleOut(
        id=rule.id,
        document_type=rule.document_type,
        reversal=rule.reversal,
        from_location=rule.from_location,
        to_location=rule.to_location,
        from_state=rule.from_state,
        to_state=rule.to_state,
        stage=rule.stage,
        modifier=rule.modifier,
        specificity=rule.specificity,
    )


def type_out(row: MovementType, rules: Sequence[domain.Rule]) -> MovementTypeOut:
    return MovementTypeOut(
        code=row.code,
        name=row.name,
        description=row.description,
        reverses=row.reverses,
        value_change=row.value_change,
        posts_voucher=row.posts_voucher,
        builtin=row.builtin,
        rules=[rule_out(rule) for rule in rules],
        version=row.version,
        updated_at=row.updated_at,
    )


async def all_rules(session: AsyncSession) -> list[domain.Rule]:
    rows = await session.scalars(select(MovementTypeRule).order_by(MovementTypeRule.id))
    return [rule_of(row) for row in rows]


async def _rules_of(session: AsyncSession, codes: Sequence[str]) -> dict[str, list[domain.Rule]]:
    found: dict[str, list[domain.Rule]] = defaultdict(list)
    if codes:
        rows = await session.scalars(
            select(MovementTypeRule)
            .where(MovementTypeRule.movement_type.in_(codes))
            .order_by(MovementTypeRule.id)
        )
        for row in rows:
            found[row.movement_type].append(rule_of(row))
    return found


async def _type_row(session: AsyncSession, code: str, *, lock: bool = False) -> MovementType:
    query = select(MovementType).where(MovementType.code == code)
    if lock:
        query = query.with_for_update()
    row = (await session.scalars(query)).first()
    if row is None:
        raise NotFound(f"movement type {code} does not exist")
    return row


async def list_types(
    session: AsyncSession, page: PageParams, *, builtin: bool | None = None
) -> tuple[list[MovementTypeOut], str | None]:
    query = select(MovementType)
    if builtin is not None:
        query = query.where(MovementType.builtin.is_(builtin))
    rows, cursor = await page_by_id(session, query, MovementType.id, page)
    rules = await _rules_of(session, [row.code for row in rows])
    return [type_out(row, rules.get(row.code, [])) for row in rows], cursor


async def get_type(session: AsyncSession, code: str) -> MovementTypeOut:
    row = await _type_row(session, code)
    return type_out(row, (await _rules_of(session, [code])).get(code, []))


async def _errors(session: AsyncSession, body: MovementTypeIn) -> list[FieldError]:
    errors: list[FieldError] = []
    if body.reverses is not None:
        if body.reverses == body.code:
            errors.append(FieldError("body.reverses", "a movement type cannot reverse itself"))
        elif (
            await session.scalar(select(MovementType.id).where(MovementType.code == body.reverses))
            is None
        ):
            errors.append(
                FieldError("body.reverses", f"movement type {body.reverses} does not exist")
            )
    others = [rule for rule in await all_rules(session) if rule.movement_type != body.code]
    mine: list[domain.Rule] = []
    for index, rule_in in enumerate(body.rules):
        rule = domain.Rule(id=0, movement_type=body.code, **rule_in.model_dump())
        where = f"body.rules.{index}"
        if rule.specificity == 0:
            errors.append(
                FieldError(where, "name at least one criterion: it would match every movement")
            )
            continue
        for pattern, name in (
            (rule.from_location, "from_location"),
            (rule.to_location, "to_location"),
        ):
            if "*" in pattern[:-1]:
                errors.append(FieldError(f"{where}.{name}", "* may only end a location prefix"))
        clash = domain.ambiguous_with(others, rule)
        if clash is not None:
            errors.append(
                FieldError(
                    where,
                    f"movement type {clash.movement_type} has a rule with the same criteria",
                )
            )
        if any(domain.same_criteria(seen, rule) for seen in mine):
            errors.append(FieldError(where, "the same criteria are given twice"))
        mine.append(rule)
    return errors


def _add_rules(uow: UnitOfWork, body: MovementTypeIn) -> None:
    for rule in body.rules:
        uow.session.add(MovementTypeRule(movement_type=body.code, **rule.model_dump()))


async def create_type(uow: UnitOfWork, body: MovementTypeIn) -> MovementTypeOut:
    """Add a firm's own movement type with the rules that recognise its movements."""
    async with uow:
        session = uow.session
        errors = await _errors(session, body)
        if errors:
            raise InvalidInput(f"movement type {body.code} cannot be saved", errors=errors)
        now = utcnow()
        row = MovementType(
            code=body.code,
            name=body.name,
            description=body.description,
            reverses=body.reverses,
            value_change=body.value_change,
            posts_voucher=body.posts_voucher,
            builtin=False,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        try:
            await session.flush()
        except IntegrityError:
            raise AlreadyExists(f"movement type {body.code} already exists") from None
        _add_rules(uow, body)
        await session.flush()
        await vouchers.release_held(session)
        out = await get_type(session, body.code)
        await uow.audit("create", "movement_type", body.code, after=out.model_dump(mode="json"))
        await uow.commit()
        return out


async def replace_type(
    uow: UnitOfWork, code: str, body: MovementTypeIn, expected: int
) -> MovementTypeOut:
    """Replace a type's name, description, flags and rules at version `expected` (built-in
    types too: a firm may, say, have opening balances give vouchers)."""
    async with uow:
        session = uow.session
        row = await _type_row(session, code, lock=True)
        errors = [] if body.code == code else [FieldError("body.code", f"must be {code}")]
        errors += await _errors(session, body)
        if errors:
            raise InvalidInput(f"movement type {code} cannot be saved", errors=errors)
        if row.version != expected:
            raise PreconditionFailed(f"movement type {code} is at version {row.version}")
        before = (await get_type(session, code)).model_dump(mode="json")
        row.name, row.description, row.reverses = body.name, body.description, body.reverses
        row.value_change, row.posts_voucher = body.value_change, body.posts_voucher
        row.updated_at = utcnow()
        await session.execute(
            delete(MovementTypeRule).where(MovementTypeRule.movement_type == code)
        )
        _add_rules(uow, body)
        await session.flush()
        await vouchers.release_held(session)
        out = await get_type(session, code)
        await uow.audit(
            "update", "movement_type", code, before=before, after=out.model_dump(mode="json")
        )
        await uow.commit()
        return out


async def delete_type(uow: UnitOfWork, code: str) -> None:
    """Remove a firm's own type that no account rule and no other type names."""
    async with uow:
        session = uow.session
        row = await _type_row(session, code, lock=True)
        if row.builtin:
            raise Conflict(f"movement type {code} is built in: edit it instead")
        books = sorted(
            set(
                await session.scalars(
                    select(AccountRule.book_code).where(AccountRule.movement_type == code)
                )
            )
        )
        if books:
            raise Conflict(f"movement type {code} is in the account map of {', '.join(books)}")
        reversing = await session.scalar(
            select(MovementType.code).where(MovementType.reverses == code)
        )
        if reversing is not None:
            raise Conflict(f"movement type {reversing} reverses {code}")
        before = (await get_type(session, code)).model_dump(mode="json")
        await session.execute(
            delete(MovementTypeRule).where(MovementTypeRule.movement_type == code)
        )
        await session.delete(row)
        await uow.audit("delete", "movement_type", code, before=before)
        await uow.commit()


async def classify(session: AsyncSession, facts_in: MovementFactsIn) -> ClassificationOut:
    """The movement type a movement of stock's feed is, and the rule that decided."""
    facts = domain.Facts(
        document_type=facts_in.document_type,
        reversal=facts_in.reversal_of_id is not None,
        from_location=facts_in.from_location,
        to_location=facts_in.to_location,
        from_state=facts_in.from_state,
        to_state=facts_in.to_state,
        stage=facts_in.stage,
    )
    match = domain.classify(await all_rules(session), facts)
    if match is None:
        return ClassificationOut(
            matched=False,
            movement_type=None,
            name=None,
            modifier=None,
            reversal=facts.reversal,
            posts_voucher=False,
            rule=None,
        )
    row = await _type_row(session, match.movement_type)
    return ClassificationOut(
        matched=True,
        movement_type=row.code,
        name=row.name,
        modifier=match.modifier,
        reversal=match.reversal,
        posts_voucher=row.posts_voucher,
        rule=rule_out(match.rule),
    )
