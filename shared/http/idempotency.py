"""Idempotency-Key for POSTs, per caller (see ARCHITECTURE.md, HTTP conventions).

1. *Claim*, in its own short transaction: insert `(principal, key)` as in progress
   with a lock deadline. An existing row decides instead: another request hash is
   422, a completed row is replayed, a row still in progress is 409.
2. The command runs in its unit of work; its response is written onto the claim row
   *in the same transaction as the change*, so a committed change always has its
   stored response and a rolled-back one never does.
3. If the command fails, the claim is released and the key may be retried. A claim
   whose process died is taken over once its lock deadline passes.
Rows are kept `idempotency_ttl_hours` (24 by default) and purged after that.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.database import Database
from shared.db.tables import idempotency_keys
from shared.db.types import utcnow
from shared.errors import FieldError, IdempotencyInProgress, IdempotencyKeyReused, InvalidInput

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
_REPLAYED_HEADERS = ("etag", "location", "content-type")


@dataclass(slots=True)
class Claim:
    principal: str
    key: str
    request_hash: str
    #: The claim's lock deadline doubles as its owner token: a takeover sets a new one.
    locked_until: datetime


@dataclass(slots=True)
class StoredResponse:
    status: int
    body: bytes
    headers: dict[str, str]

    def to_response(self) -> Response:
        headers = dict(self.headers)
        headers[REPLAY_HEADER] = "true"
        media_type = headers.pop("content-type", "application/json")
        return Response(self.body, status_code=self.status, headers=headers, media_type=media_type)


_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)


def _multipart_parts(body: bytes, content_type: str) -> bytes | None:
    """A multipart body without its boundary (each client picks a new one per request,
    so a retried upload must not look like another request): its parts, length-prefixed,
    each with its own headers and content. None if `content_type` names no boundary."""
    if not content_type.lower().startswith("multipart/"):
        return None
    found = _BOUNDARY.search(content_type)
    if found is None:
        return None
    canonical = bytearray(b"multipart")
    for part in body.split(b"--" + found.group(1).encode()):
        canonical += len(part).to_bytes(8, "big") + part
    return bytes(canonical)


def request_fingerprint(
    method: str, path: str, query: str, body: bytes, content_type: str = ""
) -> str:
    """A hash of the request; JSON bodies are canonicalised so key order does not matter,
    multipart bodies hashed without their boundary.

    Numbers with a fraction are read as `Decimal`, never float, so two quantities that
    differ only past float precision are two different requests.
    """
    encoded = _multipart_parts(body, content_type)
    if encoded is None:
        try:
            document = json.loads(body, parse_float=Decimal)
            canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
            encoded = canonical.encode()
        except (ValueError, UnicodeDecodeError, RecursionError):
            encoded = body
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), query.encode(), encoded):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(
            "Idempotency-Key must be 1 to 255 printable characters",
            errors=[FieldError("header.Idempotency-Key", "1 to 255 printable characters")],
        )
    return key


class IdempotencyStore:
    def __init__(self, db: Database, *, ttl_hours: int, lock_seconds: int) -> None:
        self.db = db
        self.ttl = timedelta(hours=ttl_hours)
        self.lock = timedelta(seconds=lock_seconds)

    async def claim(self, principal: str, key: str, request: Request) -> Claim | StoredResponse:
        """Claim `key` for this request, or return the stored response to replay."""
        body = await request.body()
        fingerprint = request_fingerprint(
            request.method,
            request.url.path,
            request.url.query,
            body,
            request.headers.get("content-type", ""),
        )
        # A read first: on SQLite it does not queue behind a running command's write lock,
        # so a duplicate of a command still running gets its 409 at once.
        async with self.db.read() as session:
            existing = await self._load(session, principal, key)
        decided = self._decide(existing, fingerprint)
        if decided is not None:
            return decided
        async with self.db.sessionmaker() as session, session.begin():
            existing = await self._load(session, principal, key, for_update=True)
            decided = self._decide(existing, fingerprint)
            if decided is not None:
                return decided
            now = utcnow()
            locked_until = now + self.lock
            values = {
                "request_hash": fingerprint,
                "method": request.method,
                "path": request.url.path,
                "state": IN_PROGRESS,
                "locked_until": locked_until,
                "response_status": None,
                "response_body": None,
                "response_headers": None,
                "created_at": now,
                "expires_at": now + self.ttl,
            }
            try:
                if existing is None:
                    await session.execute(
                        insert(idempotency_keys).values(principal=principal, key=key, **values)
                    )
                else:  # expired, or an abandoned claim past its lock deadline
                    await session.execute(
                        update(idempotency_keys)
                        .where(self._row(principal, key))
                        .values(**values)
                    )
                await session.flush()
            except IntegrityError as exc:
                raise IdempotencyInProgress(
                    "another request with this Idempotency-Key has just started"
                ) from exc
        return Claim(principal, key, fingerprint, locked_until)

    def _decide(self, row: Any, fingerprint: str) -> StoredResponse | None:
        if row is None:
            return None
        now = utcnow()
        if row.expires_at <= now:
            return None
        if row.request_hash != fingerprint:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was first used with a different method, path or body"
            )
        if row.state == COMPLETED:
            return StoredResponse(
                status=int(row.response_status),
                body=(row.response_body or "").encode(),
                headers=dict(row.response_headers or {}),
            )
        if row.locked_until > now:
            raise IdempotencyInProgress(
                "the first request with this Idempotency-Key is still running; retry later",
                headers={"Retry-After": "1"},
            )
        return None

    @staticmethod
    def _row(principal: str, key: str) -> Any:
        return and_(idempotency_keys.c.principal == principal, idempotency_keys.c.key == key)

    async def _load(
        self, session: AsyncSession, principal: str, key: str, *, for_update: bool = False
    ) -> Any:
        query = select(idempotency_keys).where(self._row(principal, key))
        if for_update:
            query = query.with_for_update()
        return (await session.execute(query)).one_or_none()

    async def complete(self, session: AsyncSession, claim: Claim, response: Response) -> None:
        """Store the response on the claim row, inside the command's transaction."""
        headers = {
            name: value
            for name, value in response.headers.items()
            if name.lower() in _REPLAYED_HEADERS
        }
        result = await session.execute(
            update(idempotency_keys)
            .where(
                self._row(claim.principal, claim.key),
                idempotency_keys.c.state == IN_PROGRESS,
                idempotency_keys.c.locked_until == claim.locked_until,
            )
            .values(
                state=COMPLETED,
                response_status=response.status_code,
                response_body=bytes(response.body).decode(),
                response_headers=headers,
            )
        )
        if getattr(result, "rowcount", 1) != 1:
            # another request took the key over after our lock ran out: it owns the
            # outcome, so this transaction must not commit its change as well
            raise IdempotencyInProgress(
                "this request outlived its Idempotency-Key lock and another took the key over"
            )

    async def release(self, claim: Claim) -> None:
        """Forget a claim whose command failed, so the same key can be tried again."""
        async with self.db.sessionmaker() as session, session.begin():
            await session.execute(
                delete(idempotency_keys).where(
                    self._row(claim.principal, claim.key),
                    idempotency_keys.c.state == IN_PROGRESS,
                    idempotency_keys.c.locked_until == claim.locked_until,
                )
            )

    async def purge_expired(self) -> int:
        async with self.db.sessionmaker() as session, session.begin():
            result = await session.execute(
                delete(idempotency_keys).where(idempotency_keys.c.expires_at <= utcnow())
            )
        return int(getattr(result, "rowcount", 0) or 0)
