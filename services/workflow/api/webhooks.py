"""Event webhooks for integrators: subscriptions, their delivery log, retries, replays."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from services.workflow import webhook_examples as ex
from services.workflow.api.params import WebhookDeliveryId, WebhookId
from services.workflow.runtime import dispatcher_of
from services.workflow.usecases import webhooks as usecases
from services.workflow.webhook_schemas import (
    DeliveryState,
    EventSource,
    ReplayIn,
    ReplayOut,
    WebhookDeliveryOut,
    WebhookDeliveryPage,
    WebhookIn,
    WebhookOut,
    WebhookPage,
    WebhookWithSecret,
)
from shared.auth.principal import ADMIN, INTEGRATION
from shared.http.commands import render, run_command
from shared.http.context import RequestContext, request_context
from shared.http.etags import IfMatch, etag_header, expected_version
from shared.http.examples import body_example, example_response
from shared.http.pagination import PageParams, page_params
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
Admin = Annotated[RequestContext, Depends(request_context((ADMIN,)))]
Reader = Annotated[RequestContext, Depends(request_context((ADMIN, INTEGRATION)))]
Paging = Annotated[PageParams, Depends(page_params)]
#: A replacement of the subscription the model's example makes.
WebhookUpdate = Annotated[WebhookIn, body_example("Reversals too", ex.WEBHOOK_UPDATE)]


@router.post(
    "",
    status_code=201,
    response_model=WebhookWithSecret,
    operation_id="create_webhook",
    responses=problem_responses(401, 403, 422),
)
async def create_webhook(ctx: Admin, body: WebhookIn) -> Response:
    """Subscribe a URL to feed events (admin); the answer shows the signing secret, once."""
    return await run_command(
        ctx,
        lambda uow: usecases.create_webhook(uow, body),
        body=body,
        status_code=201,
        headers=etag_header,
    )


@router.get(
    "",
    response_model=WebhookPage,
    operation_id="list_webhooks",
    responses=problem_responses(401, 403, 422),
)
async def list_webhooks(ctx: Reader, page: Paging, active: bool | None = None) -> Response:
    """Webhook subscriptions (admin, integration), secrets shown by their last characters."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_webhooks(session, page, active=active)
    return render(ctx, WebhookPage(items=items, next_cursor=cursor))


@router.get(
    "/{webhook_id}",
    response_model=WebhookOut,
    operation_id="get_webhook",
    responses=problem_responses(401, 403, 404, 422),
)
async def get_webhook(ctx: Reader, webhook_id: WebhookId) -> Response:
    """One webhook subscription (admin, integration), with its ETag."""
    async with ctx.db.read() as session:
        out = await usecases.get_webhook(session, webhook_id)
    return render(ctx, out, headers=etag_header(out))


@router.put(
    "/{webhook_id}",
    response_model=WebhookOut,
    operation_id="update_webhook",
    responses={
        **example_response(ex.WEBHOOK_UPDATED),
        **problem_responses(401, 403, 404, 412, 422, 428),
    },
)
async def update_webhook(
    ctx: Admin, webhook_id: WebhookId, body: WebhookUpdate, if_match: IfMatch = None
) -> Response:
    """Replace a subscription (admin; If-Match: its ETag); its secret stays."""
    expected = expected_version(if_match, "webhook")
    response = await run_command(
        ctx,
        lambda uow: usecases.update_webhook(uow, webhook_id, body, expected),
        body=body,
        headers=etag_header,
    )
    dispatcher_of(ctx.request.app).wake()
    return response


@router.delete(
    "/{webhook_id}",
    response_model=WebhookOut,
    operation_id="deactivate_webhook",
    responses={**example_response(ex.WEBHOOK_DEACTIVATED), **problem_responses(401, 403, 404, 422)},
)
async def deactivate_webhook(ctx: Admin, webhook_id: WebhookId) -> Response:
    """Deactivate a subscription (admin): nothing more is queued or sent; its log stays."""
    return await run_command(
        ctx, lambda uow: usecases.deactivate_webhook(uow, webhook_id), headers=etag_header
    )


@router.post(
    "/{webhook_id}/rotate-secret",
    response_model=WebhookWithSecret,
    operation_id="rotate_webhook_secret",
    responses={**example_response(ex.WEBHOOK_ROTATED), **problem_responses(401, 403, 404, 422)},
)
async def rotate_webhook_secret(ctx: Admin, webhook_id: WebhookId) -> Response:
    """A new signing secret (admin), shown once; the old one stops being used at once."""
    return await run_command(
        ctx, lambda uow: usecases.rotate_secret(uow, webhook_id), headers=etag_header
    )


@router.get(
    "/{webhook_id}/deliveries",
    response_model=WebhookDeliveryPage,
    operation_id="list_webhook_deliveries",
    responses=problem_responses(401, 403, 404, 422),
)
async def list_webhook_deliveries(
    ctx: Reader,
    webhook_id: WebhookId,
    page: Paging,
    state: DeliveryState | None = None,
    source: EventSource | None = None,
    after: Annotated[
        int | None, Query(ge=0, le=2**62, description="Only deliveries with a greater id")
    ] = None,
) -> Response:
    """The delivery log (admin, integration), oldest first: attempts, the receiver's last
    status and error, when delivered; `state=dead` is the dead-letter list."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_deliveries(
            session, webhook_id, page, state=state, source=source, after=after
        )
    return render(ctx, WebhookDeliveryPage(items=items, next_cursor=cursor))


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/retry",
    response_model=WebhookDeliveryOut,
    operation_id="retry_webhook_delivery",
    responses={
        **example_response(ex.DELIVERY_RETRIED),
        **problem_responses(401, 403, 404, 409, 422),
    },
)
async def retry_webhook_delivery(
    ctx: Admin, webhook_id: WebhookId, delivery_id: WebhookDeliveryId
) -> Response:
    """Send a dead delivery again (admin), under its own webhook-id, before anything newer."""
    response = await run_command(
        ctx, lambda uow: usecases.retry_delivery(uow, webhook_id, delivery_id)
    )
    dispatcher_of(ctx.request.app).wake()
    return response


@router.post(
    "/{webhook_id}/replay",
    status_code=202,
    response_model=ReplayOut,
    operation_id="replay_webhook",
    responses=problem_responses(401, 403, 404, 409, 422, 502, 503, 504),
)
async def replay_webhook(ctx: Admin, webhook_id: WebhookId, body: ReplayIn) -> Response:
    """Queue again (admin) every event of a feed from `from_seq` on that the subscription
    matches, as a new generation with new webhook-ids; answers how many were queued."""
    app = ctx.request.app
    response = await run_command(
        ctx,
        lambda uow: usecases.replay(uow, ctx.db, app.state.client, webhook_id, body),
        body=body,
        status_code=202,
    )
    dispatcher_of(app).wake()
    return response
