"""The draft routes every warehouse document shares: replace, post, cancel.

`add_draft_routes` adds to a document's router

* `PUT /{id}`: replace a draft's request (the same body as the create request);
* `POST /{id}/post`: post the draft as it stands, optionally dated (`posted_at`);
* `POST /{id}/cancel`: cancel the draft.

The document's module supplies `save(uow, catalog, request, draft_id, expected)`, the
same code its create route runs (asking the catalog outside the transaction, then saving
or posting), and `cancel(uow, id)`. A `gated` document's post answers 202 when its
approval gate held it instead (`api/document_approvals.py`). No `from __future__ import
annotations` here: the routes' annotations are the document's own models, resolved when
the routes are made.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path
from fastapi.responses import Response
from pydantic import BaseModel

from services.stock.api.deps import Catalog
from services.stock.api.document_approvals import held_or, held_response
from services.stock.clients import CatalogClient
from services.stock.schemas import DraftPosting
from services.stock.usecases import drafts
from shared.auth.principal import WAREHOUSE
from shared.db.uow import UnitOfWork
from shared.http.commands import run_command
from shared.http.context import RequestContext, request_context
from shared.http.problems import problem_responses

#: save(uow, catalog, request, draft_id, expected stored request) -> the document
Save = Callable[
    [UnitOfWork, CatalogClient, Any, int | None, dict[str, Any] | None], Awaitable[BaseModel]
]
Cancel = Callable[[UnitOfWork, int], Awaitable[BaseModel]]


def add_draft_routes(
    router: APIRouter,
    *,
    noun: str,
    operation: str,
    id_name: str,
    model: type[Any],
    create: type[BaseModel],
    out: type[BaseModel],
    save: Save,
    cancel: Cancel,
    example_id: int,
    roles: tuple[str, ...] = (WAREHOUSE,),
    gated: bool = False,
) -> None:
    """Add `PUT /{id_name}`, `POST /{id_name}/post` and `POST /{id_name}/cancel`, open to
    `roles` (and admin); `gated`: an approval gate may hold the posting (202). `example_id`:
    a document of the demo, the OpenAPI example of the path parameter."""
    Poster = Annotated[RequestContext, Depends(request_context(roles))]
    DocumentId = Annotated[
        int,
        Path(alias=id_name, ge=1, le=2**62, description="Numeric id", examples=[example_id]),
    ]

    async def replace_draft(
        ctx: Poster,
        catalog: Catalog,
        document_id: DocumentId,
        body: create,  # type: ignore[valid-type]
    ) -> Response:
        request = body.model_copy(update={"draft": True})  # type: ignore[attr-defined]
        return await run_command(
            ctx, lambda uow: save(uow, catalog, request, document_id, None), body=body
        )

    replace_draft.__doc__ = (
        f"Replace a draft {noun}'s request (checked as when it was saved; nothing moves)."
    ) + (" One that waits for approval is 409 `approval_pending`." if gated else "")

    async def post_draft(
        ctx: Poster,
        catalog: Catalog,
        document_id: DocumentId,
        body: Annotated[DraftPosting | None, Body()] = None,
    ) -> Response:
        async def command(uow: UnitOfWork) -> BaseModel:
            # read inside the command: a retry with the same Idempotency-Key replays the
            # first answer instead of finding the draft posted
            async with ctx.db.read() as session:
                stored = await drafts.stored_request(session, model, document_id, noun)
            request = drafts.as_request(create, stored, body.posted_at if body else None)
            return await save(uow, catalog, request, document_id, stored)

        return await run_command(
            ctx, command, body=body, status_code=held_or(200) if gated else 200
        )

    post_draft.__doc__ = (
        f"Post a draft {noun} as it stands; it keeps its id and number. An optional body "
        "dates the posting (`posted_at`, else the draft's own, else now). Accepts "
        "Idempotency-Key; a draft already posted is 409 `document_not_draft`."
    ) + (
        " Under a closed approval gate it stays a draft that waits for approval (202); "
        "one that waits is 409 `approval_pending`."
        if gated
        else ""
    )

    async def cancel_draft(ctx: Poster, document_id: DocumentId) -> Response:
        return await run_command(ctx, lambda uow: cancel(uow, document_id))

    cancel_draft.__doc__ = f"Cancel a draft {noun}: nothing ever moved."

    problems = problem_responses(401, 403, 404, 409, 422, 502, 503)
    path = "/{" + id_name + "}"
    router.add_api_route(
        path,
        replace_draft,
        methods=["PUT"],
        response_model=out,
        operation_id=f"replace_{operation}_draft",
        responses=problems,
    )
    router.add_api_route(
        f"{path}/post",
        post_draft,
        methods=["POST"],
        response_model=out,
        operation_id=f"post_{operation}_draft",
        responses={**problems, **held_response(out)} if gated else problems,
    )
    router.add_api_route(
        f"{path}/cancel",
        cancel_draft,
        methods=["POST"],
        response_model=out,
        operation_id=f"cancel_{operation}_draft",
        responses=problem_responses(401, 403, 404, 409, 422),
    )
