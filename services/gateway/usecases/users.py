"""User use-cases: create, list, check a password, create the first admin."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.db.models import User, join_roles, split_roles
from services.gateway.domain.passwords import password_problems
from services.gateway.hashing import hash_password, verify_password
from services.gateway.schemas import UserCreate, UserOut
from shared.auth.principal import ADMIN, Principal
from shared.db.database import Database
from shared.db.paging import page_by_id
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import AlreadyExists, FieldError, InvalidInput
from shared.http.pagination import PageParams


def to_out(user: User) -> UserOut:
    return UserOut(id=user.id, username=user.username, roles=split_roles(user.roles),
                   active=user.active, created_at=user.created_at)


def user_principal(user: User) -> Principal:
    return Principal(subject=f"user:{user.username}", roles=frozenset(split_roles(user.roles)),
                     name=user.username)


def check_password_policy(password: str, username: str) -> None:
    problems = password_problems(password, username)
    if problems:
        raise InvalidInput(
            "the password does not meet the policy",
            errors=[FieldError("body.password", f"password {problem}", "password_policy")
                    for problem in problems],
        )


async def create_user(uow: UnitOfWork, data: UserCreate, password_hash: str) -> UserOut:
    """Create a user; the username must be new. Hash the password before (it is slow)."""
    async with uow:
        if await _by_username(uow.session, data.username) is not None:
            raise _duplicate(data.username)
        now = utcnow()
        user = User(username=data.username, password_hash=password_hash,
                    roles=join_roles(list(data.roles)), active=True, created_at=now, updated_at=now)
        uow.session.add(user)
        try:
            await uow.session.flush()
        except IntegrityError as exc:
            raise _duplicate(data.username) from exc
        out = to_out(user)
        await uow.audit("create", "user", str(user.id), after=out.model_dump(mode="json"))
        await uow.commit()
        return out


async def list_users(session: AsyncSession, page: PageParams) -> tuple[list[UserOut], str | None]:
    users, cursor = await page_by_id(session, select(User), User.id, page)
    return [to_out(user) for user in users], cursor


async def authenticate_user(db: Database, username: str, password: str) -> Principal | None:
    """The user's principal if the password matches an active account (timing-safe)."""
    async with db.read() as session:
        user = await _by_username(session, username)
    stored = user.password_hash if user is not None else None
    if not await verify_password(stored, password) or user is None or not user.active:
        return None
    return user_principal(user)


async def create_first_admin(db: Database, username: str, password: str, *, actor: str) -> bool:
    """Create an admin if there is no user yet; False when users already exist."""
    async with db.read() as session:
        if await session.scalar(select(func.count()).select_from(User)):
            return False
    await create_admin(db, username, password, actor=actor)
    return True


async def create_admin(db: Database, username: str, password: str, *, actor: str) -> UserOut:
    """Create an admin account (409 if the username is taken)."""
    check_password_policy(password, username)
    data = UserCreate(username=username, password=password, roles=[ADMIN])
    return await create_user(db.uow(actor=actor), data, await hash_password(password))


async def _by_username(session: AsyncSession, username: str) -> User | None:
    return (await session.scalars(select(User).where(User.username == username))).one_or_none()


def _duplicate(username: str) -> AlreadyExists:
    return AlreadyExists(
        f"a user named {username!r} already exists",
        errors=[FieldError("body.username", "already used by another user", "unique")],
    )
