"""Running a use-case from a route: field policy, idempotency, one transaction, one response."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import orjson
from fastapi.responses import Response
from pydantic import BaseModel

from shared.db.uow import UnitOfWork
from shared.http.context import RequestContext
from shared.http.idempotency import Claim, IdempotencyStore, StoredResponse, idempotency_key
from shared.policy import check_writable, filter_readable

ResultT = TypeVar("ResultT", bound=BaseModel)
Command = Callable[[UnitOfWork], Awaitable[ResultT | None]]


def json_bytes(payload: Any) -> bytes:
    """`payload` as compact JSON: orjson (a few times faster than the standard library on
    large pages, same JSON), or the standard library for what orjson refuses but JSON
    allows: integers beyond 64 bits, which a client may put in free-form JSON such as a
    category's attribute schema."""
    try:
        return orjson.dumps(payload)
    except TypeError:
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def render(
    ctx: RequestContext,
    result: BaseModel | None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Serialize `result` for this caller: fields it may not read are left out."""
    if result is None:
        return Response(status_code=204 if status_code == 200 else status_code, headers=headers)
    payload = filter_readable(result.model_dump(mode="json"), type(result), ctx.principal)
    return Response(
        json_bytes(payload),
        status_code=status_code,
        headers=dict(headers or {}),
        media_type="application/json",
    )


def render_payload(
    ctx: RequestContext, payload: dict[str, Any], model: type[BaseModel], *, status_code: int = 200
) -> Response:
    """Like `render`, for a large answer a use-case built as JSON types itself (the shape
    of `model`, whose field policy still applies)."""
    return Response(
        json_bytes(filter_readable(payload, model, ctx.principal)),
        status_code=status_code,
        media_type="application/json",
    )


async def run_command(
    ctx: RequestContext,
    command: Command[Any],
    *,
    body: BaseModel | None = None,
    status_code: int | Callable[[Any], int] = 200,
    headers: Callable[[Any], Mapping[str, str]] | None = None,
) -> Response:
    """Run `command` in a unit of work; with an Idempotency-Key, exactly once per caller and key.

    The command opens the unit of work with `async with uow:` and calls
    `await uow.commit()`; if it never commits, nothing is kept. `status_code` may depend
    on the result (a function of it): a replay answers the status the first answer had.
    """
    if body is not None:
        check_writable(body, ctx.principal)
    key = idempotency_key(ctx.request) if ctx.request.method == "POST" else None
    if key is None:
        uow = ctx.uow()
        result = await command(uow)
        return render(
            ctx,
            result,
            status_code=_status(status_code, result),
            headers=headers(result) if headers and result is not None else None,
        )
    store: IdempotencyStore = ctx.request.app.state.idempotency
    claimed = await store.claim(ctx.principal.subject, key, ctx.request)
    if isinstance(claimed, StoredResponse):
        return claimed.to_response()
    return await _run_claimed(ctx, store, claimed, command, status_code, headers)


async def _run_claimed(
    ctx: RequestContext,
    store: IdempotencyStore,
    claim: Claim,
    command: Command[Any],
    status_code: int | Callable[[Any], int],
    headers: Callable[[Any], Mapping[str, str]] | None,
) -> Response:
    uow = ctx.uow(hold_commit=True)
    try:
        result = await command(uow)
        response = render(
            ctx,
            result,
            status_code=_status(status_code, result),
            headers=headers(result) if headers and result is not None else None,
        )
        if not uow.commit_requested:
            await uow.close()
            await store.release(claim)
            return response

        async def store_response(session: Any) -> None:
            await store.complete(session, claim, response)

        await uow.finish(store_response)
        return response
    except BaseException:
        await uow.close()
        await store.release(claim)
        raise


def _status(status_code: int | Callable[[Any], int], result: Any) -> int:
    return status_code(result) if callable(status_code) else status_code
