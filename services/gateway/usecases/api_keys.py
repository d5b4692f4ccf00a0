"""API key use-cases: create (secret shown once), list, revoke, verify."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.db.models import ApiKey, join_roles, split_roles
from services.gateway.domain.api_keys import (
    display_prefix,
    format_key,
    hash_secret,
    parse_key,
    secret_matches,
)
from services.gateway.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from shared.auth.principal import Principal
from shared.db.database import Database
from shared.db.paging import page_by_id
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import NotFound
from shared.http.pagination import PageParams

SECRET_BYTES = 32


def to_out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(id=key.id, name=key.name, roles=split_roles(key.roles),
                     prefix=display_prefix(key.id), created_by=key.created_by,
                     created_at=key.created_at, revoked_at=key.revoked_at)


def key_principal(key: ApiKey) -> Principal:
    return Principal(subject=f"apikey:{key.id}", roles=frozenset(split_roles(key.roles)),
                     name=key.name)


async def create_api_key(uow: UnitOfWork, data: ApiKeyCreate) -> ApiKeyCreated:
    """Create a key; the response is the only place its secret ever appears."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    async with uow:
        key = ApiKey(name=data.name, secret_hash=hash_secret(secret),
                     roles=join_roles(list(data.roles)), created_by=uow.actor,
                     created_at=utcnow())
        uow.session.add(key)
        await uow.session.flush()
        out = to_out(key)
        await uow.audit("create", "api_key", str(key.id), after=out.model_dump(mode="json"))
        await uow.commit()
    return ApiKeyCreated(**out.model_dump(), secret=format_key(key.id, secret))


async def revoke_api_key(uow: UnitOfWork, key_id: int) -> None:
    """Revoke a key for good; revoking a revoked key changes nothing."""
    async with uow:
        key = await uow.session.get(ApiKey, key_id, with_for_update=True)
        if key is None:
            raise NotFound(f"API key {key_id} does not exist")
        if key.revoked_at is not None:
            return
        before = to_out(key).model_dump(mode="json")
        key.revoked_at = utcnow()
        key.revoked_by = uow.actor
        await uow.session.flush()
        await uow.audit("revoke", "api_key", str(key.id), before=before,
                        after=to_out(key).model_dump(mode="json"))
        await uow.commit()


async def list_api_keys(
    session: AsyncSession, page: PageParams, *, include_revoked: bool
) -> tuple[list[ApiKeyOut], str | None]:
    query = select(ApiKey)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    keys, cursor = await page_by_id(session, query, ApiKey.id, page)
    return [to_out(key) for key in keys], cursor


async def verify_api_key(db: Database, value: str) -> Principal | None:
    """The key's principal if `value` is a live key, else None."""
    parsed = parse_key(value)
    if parsed is None:
        return None
    async with db.read() as session:
        key = await session.get(ApiKey, parsed.key_id)
    if key is None or key.revoked_at is not None:
        return None
    if not secret_matches(parsed.secret, key.secret_hash):
        return None
    return key_principal(key)
