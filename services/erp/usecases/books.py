"""Company books, their accounts and their account maps (account determination).

A book is created from a template (企业会计准则 or 小企业会计准则), which fills its
accounts and its map; after that, finance edits both. A rule may only name the book's
active accounts, and only the dimensions those accounts carry. Every change to a book's
accounts or map rebuilds its held vouchers in the same transaction (`release_held`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.erp.db.models import Account, AccountRule, Book, MovementType
from services.erp.domain import accounts as domain
from services.erp.schemas import (
    AccountIn,
    AccountOut,
    AccountRuleIn,
    AccountRuleOut,
    BookIn,
    BookOut,
    DeterminationOut,
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


class Unmapped(NotFound):
    """No row of the book's account map applies to a movement."""

    code = "unmapped"
    title = "The account map has no rule for this"


async def _book_row(session: AsyncSession, code: str, *, lock: bool = False) -> Book:
    query = select(Book).where(Book.code == code)
    if lock:
        query = query.with_for_update()
    row = (await session.scalars(query)).first()
    if row is None:
        raise NotFound(f"book {code} does not exist")
    return row


async def _book_out(session: AsyncSession, row: Book) -> BookOut:
    accounts = await session.scalar(
        select(func.count()).select_from(Account).where(Account.book_code == row.code)
    )
    rules = await session.scalar(
        select(func.count()).select_from(AccountRule).where(AccountRule.book_code == row.code)
    )
    return BookOut(
        code=row.code,
        name=row.name,
        template=row.template,
        template_name=domain.TEMPLATE_NAMES[row.template],
        currency=row.currency,
        voucher_mode=row.voucher_mode,
        voucher_word=row.voucher_word,
        preparer=row.preparer,
        timezone=row.timezone,
        warehouses=list(row.warehouses),
        push_target=row.push_target,
        account_count=accounts or 0,
        rule_count=rules or 0,
        version=row.version,
        created_at=row.created_at,
    )


def account_out(row: Account) -> AccountOut:
    return AccountOut(
        code=row.code,
        name=row.name,
        tracks_quantity=row.tracks_quantity,
        dimensions=list(row.dimensions),
        active=row.active,
    )


def rule_out(row: AccountRule) -> AccountRuleOut:
    return AccountRuleOut(
        id=row.id,
        movement_type=row.movement_type,
        valuation_class=row.valuation_class,
        modifier=row.modifier,
        debit_account=row.debit_account,
        credit_account=row.credit_account,
        debit_dimensions=list(row.debit_dimensions),
        credit_dimensions=list(row.credit_dimensions),
        updated_at=row.updated_at,
    )


# --- books ------------------------------------------------------------------------------


def _target_errors(body: BookIn, targets: Collection[str]) -> list[FieldError]:
    if body.push_target is None or body.push_target in targets:
        return []
    return [
        FieldError(
            "body.push_target",
            f"no push target {body.push_target} is configured (ERP_PUSH_TARGETS: "
            f"{', '.join(sorted(targets)) or 'none'})",
        )
    ]


async def create_book(uow: UnitOfWork, body: BookIn, targets: Collection[str] = ()) -> BookOut:
    """A book with its template's accounts and account map."""
    async with uow:
        session = uow.session
        errors = _target_errors(body, targets)
        if errors:
            raise InvalidInput(f"book {body.code} cannot be saved", errors=errors)
        template = domain.BUILT_IN_TEMPLATES[body.template]
        row = Book(**body.model_dump(), created_at=utcnow())
        session.add(row)
        try:
            await session.flush()
        except IntegrityError:
            raise AlreadyExists(f"book {body.code} already exists") from None
        for account in template.accounts:
            session.add(
                Account(
                    book_code=body.code,
                    code=account.code,
                    name=account.name,
                    tracks_quantity=account.tracks_quantity,
                    dimensions=list(account.dimensions),
                    active=True,
                )
            )
        now = utcnow()
        for rule in template.rules:
            session.add(
                AccountRule(
                    book_code=body.code,
                    movement_type=rule.movement_type,
                    valuation_class=rule.valuation_class,
                    modifier=rule.modifier,
                    debit_account=rule.debit_account,
                    credit_account=rule.credit_account,
                    debit_dimensions=list(rule.debit_dimensions),
                    credit_dimensions=list(rule.credit_dimensions),
                    updated_at=now,
                )
            )
        await session.flush()
        out = await _book_out(session, row)
        await uow.audit("create", "book", body.code, after=out.model_dump(mode="json"))
        await uow.commit()
        return out


async def list_books(session: AsyncSession, page: PageParams) -> tuple[list[BookOut], str | None]:
    rows, cursor = await page_by_id(session, select(Book), Book.id, page)
    return [await _book_out(session, row) for row in rows], cursor


async def get_book(session: AsyncSession, code: str) -> BookOut:
    return await _book_out(session, await _book_row(session, code))


async def replace_book(
    uow: UnitOfWork, code: str, body: BookIn, expected: int, targets: Collection[str] = ()
) -> BookOut:
    """Change a book's name, currency and voucher settings at version `expected`."""
    async with uow:
        session = uow.session
        row = await _book_row(session, code, lock=True)
        errors = [] if body.code == code else [FieldError("body.code", f"must be {code}")]
        if body.template != row.template:
            errors.append(
                FieldError(
                    "body.template",
                    f"the book was made from {row.template}: edit its accounts and map instead",
                )
            )
        errors += _target_errors(body, targets)
        if errors:
            raise InvalidInput(f"book {code} cannot be saved", errors=errors)
        if row.version != expected:
            raise PreconditionFailed(f"book {code} is at version {row.version}, not {expected}")
        before = (await _book_out(session, row)).model_dump(mode="json")
        row.name, row.currency = body.name, body.currency
        row.voucher_mode, row.voucher_word, row.preparer = (
            body.voucher_mode,
            body.voucher_word,
            body.preparer,
        )
        row.timezone, row.warehouses = body.timezone, list(body.warehouses)
        row.push_target = body.push_target
        await session.flush()
        out = await _book_out(session, row)
        await uow.audit("update", "book", code, before=before, after=out.model_dump(mode="json"))
        await uow.commit()
        return out


# --- accounts -----------------------------------------------------------------------------


async def list_accounts(
    session: AsyncSession, book: str, page: PageParams
) -> tuple[list[AccountOut], str | None]:
    await _book_row(session, book)
    rows, cursor = await page_by_id(
        session, select(Account).where(Account.book_code == book), Account.id, page
    )
    return [account_out(row) for row in rows], cursor


async def put_account(
    uow: UnitOfWork, book: str, code: str, body: AccountIn
) -> tuple[AccountOut, bool]:
    """Add an account to the book or replace it; True when it was added. An account the map
    uses can neither be switched off nor lose a dimension a rule fills on it."""
    async with uow:
        session = uow.session
        await _book_row(session, book, lock=True)
        row = (
            await session.scalars(
                select(Account).where(Account.book_code == book, Account.code == code)
            )
        ).first()
        if row is not None:
            users = await _rules_naming(session, book, code)
            problems = []
            if users and not body.active:
                problems.append("it cannot be switched off")
            for rule in users:
                dims = rule.debit_dimensions if rule.debit_account == code else []
                dims = dims + (rule.credit_dimensions if rule.credit_account == code else [])
                lost = sorted(set(dims) - set(body.dimensions))
                if lost:
                    problems.append(f"rule {rule.id} fills {', '.join(lost)} on it")
            if problems:
                raise Conflict(
                    f"account {code} is in the account map: {'; '.join(dict.fromkeys(problems))}"
                )
        before = account_out(row).model_dump(mode="json") if row is not None else None
        created = row is None
        if row is None:
            row = Account(book_code=book, code=code)
            session.add(row)
        row.name, row.tracks_quantity = body.name, body.tracks_quantity
        row.dimensions, row.active = list(body.dimensions), body.active
        await session.flush()
        await vouchers.release_held(session, book=book)
        out = account_out(row)
        await uow.audit(
            "create" if created else "update",
            "account",
            f"{book}/{code}",
            before=before,
            after=out.model_dump(mode="json"),
        )
        await uow.commit()
        return out, created


async def _rules_naming(session: AsyncSession, book: str, account: str) -> Sequence[AccountRule]:
    return (
        await session.scalars(
            select(AccountRule)
            .where(
                AccountRule.book_code == book,
                (AccountRule.debit_account == account) | (AccountRule.credit_account == account),
            )
            .order_by(AccountRule.id)
        )
    ).all()


# --- the account map ------------------------------------------------------------------------


async def list_rules(
    session: AsyncSession, book: str, page: PageParams, *, movement_type: str | None = None
) -> tuple[list[AccountRuleOut], str | None]:
    await _book_row(session, book)
    query = select(AccountRule).where(AccountRule.book_code == book)
    if movement_type:
        query = query.where(AccountRule.movement_type == movement_type)
    rows, cursor = await page_by_id(session, query, AccountRule.id, page)
    return [rule_out(row) for row in rows], cursor


async def _rule_errors(session: AsyncSession, book: str, body: AccountRuleIn) -> list[FieldError]:
    errors: list[FieldError] = []
    known = await session.scalar(
        select(MovementType.id).where(MovementType.code == body.movement_type)
    )
    if known is None:
        errors.append(
            FieldError("body.movement_type", f"movement type {body.movement_type} does not exist")
        )
    if (body.debit_account is None) != (body.credit_account is None):
        side = "credit_account" if body.credit_account is None else "debit_account"
        errors.append(
            FieldError(
                f"body.{side}", "give both accounts, or neither (the movement gives no voucher)"
            )
        )
    accounts = {
        row.code: row
        for row in await session.scalars(
            select(Account).where(
                Account.book_code == book,
                Account.code.in_([a for a in (body.debit_account, body.credit_account) if a]),
            )
        )
    }
    for side in ("debit", "credit"):
        code = getattr(body, f"{side}_account")
        dims = getattr(body, f"{side}_dimensions")
        for field, message in domain.dimension_errors(dims, f"body.{side}_dimensions"):
            errors.append(FieldError(field, message))
        if code is None:
            if dims:
                errors.append(
                    FieldError(f"body.{side}_dimensions", "no account on this side to fill them on")
                )
            continue
        account = accounts.get(code)
        if account is None:
            errors.append(FieldError(f"body.{side}_account", f"book {book} has no account {code}"))
            continue
        if not account.active:
            errors.append(FieldError(f"body.{side}_account", f"account {code} is switched off"))
        carried = set(account.dimensions)
        for index, dim in enumerate(dims):
            if dim in domain.DIMENSIONS and dim not in carried:
                errors.append(
                    FieldError(
                        f"body.{side}_dimensions.{index}",
                        f"account {code} carries no {dim} dimension",
                    )
                )
    return errors


async def put_rule(uow: UnitOfWork, book: str, body: AccountRuleIn) -> tuple[AccountRuleOut, bool]:
    """Set the map's row for (movement type, valuation class, modifier); True when added."""
    async with uow:
        session = uow.session
        await _book_row(session, book, lock=True)
        errors = await _rule_errors(session, book, body)
        if errors:
            raise InvalidInput("the account rule cannot be saved", errors=errors)
        row = (
            await session.scalars(
                select(AccountRule).where(
                    AccountRule.book_code == book,
                    AccountRule.movement_type == body.movement_type,
                    AccountRule.valuation_class == body.valuation_class,
                    AccountRule.modifier == body.modifier,
                )
            )
        ).first()
        before = rule_out(row).model_dump(mode="json") if row is not None else None
        created = row is None
        if row is None:
            row = AccountRule(
                book_code=book,
                movement_type=body.movement_type,
                valuation_class=body.valuation_class,
                modifier=body.modifier,
            )
            session.add(row)
        row.debit_account, row.credit_account = body.debit_account, body.credit_account
        row.debit_dimensions = list(body.debit_dimensions)
        row.credit_dimensions = list(body.credit_dimensions)
        row.updated_at = utcnow()
        await session.flush()
        await vouchers.release_held(session, book=book)
        out = rule_out(row)
        await uow.audit(
            "create" if created else "update",
            "account_rule",
            f"{book}/{out.id}",
            before=before,
            after=out.model_dump(mode="json"),
        )
        await uow.commit()
        return out, created


async def delete_rule(uow: UnitOfWork, book: str, rule_id: int) -> None:
    async with uow:
        session = uow.session
        await _book_row(session, book, lock=True)
        row = (
            await session.scalars(
                select(AccountRule).where(AccountRule.book_code == book, AccountRule.id == rule_id)
            )
        ).first()
        if row is None:
            raise NotFound(f"book {book} has no account rule {rule_id}")
        before = rule_out(row).model_dump(mode="json")
        await session.execute(delete(AccountRule).where(AccountRule.id == rule_id))
        await uow.audit("delete", "account_rule", f"{book}/{rule_id}", before=before)
        await uow.commit()


async def determine(
    session: AsyncSession,
    book: str,
    movement_type: str,
    valuation_class: str,
    modifier: str,
    *,
    reversal: bool = False,
) -> DeterminationOut:
    """The row of `book`'s map a movement of this type, class and modifier is posted by."""
    await _book_row(session, book)
    kind = (
        await session.scalars(select(MovementType).where(MovementType.code == movement_type))
    ).first()
    if kind is None:
        raise NotFound(f"movement type {movement_type} does not exist")
    codes = [movement_type] + ([kind.reverses] if kind.reverses else [])
    rows = {
        (row.movement_type, row.valuation_class, row.modifier): row
        for row in await session.scalars(
            select(AccountRule).where(
                AccountRule.book_code == book, AccountRule.movement_type.in_(codes)
            )
        )
    }
    specs = {
        key: domain.RuleSpec(
            row.movement_type,
            row.valuation_class,
            row.modifier,
            row.debit_account,
            row.credit_account,
            tuple(row.debit_dimensions),
            tuple(row.credit_dimensions),
        )
        for key, row in rows.items()
    }
    found = domain.determine(
        specs,
        movement_type,
        valuation_class,
        modifier,
        reverses=kind.reverses,
        reversal=reversal,
    )
    if found is None:
        tried = [
            "/".join(part or "*" for part in key)
            for code in codes
            for key in domain.lookup_keys(code, valuation_class, modifier)
        ]
        raise Unmapped(
            f"book {book} has no account rule for movement type {movement_type}, valuation "
            f"class {valuation_class or '(any)'}, modifier {modifier or '(none)'}; "
            f"tried {', '.join(tried)}"
        )
    return DeterminationOut(
        book_code=book,
        movement_type=movement_type,
        valuation_class=valuation_class,
        modifier=modifier,
        rule=rule_out(rows[found.found_under]),
        found_under=list(found.found_under),
        red_ink=found.red_ink,
        posts=found.rule.posts,
    )
