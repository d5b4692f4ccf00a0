"""Notification routes: channels (robots, SMS, e-mail, webhooks) and the outbox."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from services.workflow import notification_examples as ex
from services.workflow.api.params import ChannelCode, MessageId
from services.workflow.runtime import runner_of
from services.workflow.schemas import (
    ChannelIn,
    ChannelOut,
    ChannelPage,
    MessageDetail,
    MessagePage,
    MessageStatus,
)
from services.workflow.usecases import notify as usecases
from shared.auth.principal import ADMIN
from shared.http.commands import render, run_command
from shared.http.context import RequestContext, request_context
from shared.http.etags import IfMatch, etag_header, expected_version
from shared.http.examples import body_example, example_response
from shared.http.pagination import PageParams, page_params
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])
Admin = Annotated[RequestContext, Depends(request_context((ADMIN,)))]
Paging = Annotated[PageParams, Depends(page_params)]
#: A replacement of the demo's own (the model's example is a new one).
ChannelUpdate = Annotated[
    ChannelIn, body_example("The buyers' robot sends action cards", ex.CHANNEL_UPDATE)
]


@router.post(
    "/channels",
    status_code=201,
    response_model=ChannelOut,
    operation_id="create_channel",
    responses={
        **example_response(ex.CHANNEL_CREATED, 201),
        **problem_responses(401, 403, 409, 422),
    },
)
async def create_channel(ctx: Admin, body: ChannelIn) -> Response:
    """Add a channel (admin): a DingTalk or WeCom group robot, an SMS provider, an SMTP
    server or a webhook receiver. Secrets are stored, never answered back."""
    return await run_command(
        ctx,
        lambda uow: usecases.save_channel(uow, body),
        body=body,
        status_code=201,
        headers=etag_header,
    )


@router.get(
    "/channels",
    response_model=ChannelPage,
    operation_id="list_channels",
    responses=problem_responses(401, 403, 422),
)
async def list_channels(ctx: Admin, page: Paging) -> Response:
    """Channels (admin), secrets masked."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_channels(session, page)
    return render(ctx, ChannelPage(items=items, next_cursor=cursor))


@router.get(
    "/channels/{code}",
    response_model=ChannelOut,
    operation_id="get_channel",
    responses=problem_responses(401, 403, 404),
)
async def get_channel(ctx: Admin, code: ChannelCode) -> Response:
    """One channel (admin), secrets masked."""
    async with ctx.db.read() as session:
        out = await usecases.get_channel(session, code)
    return render(ctx, out, headers=etag_header(out))


@router.put(
    "/channels/{code}",
    response_model=ChannelOut,
    operation_id="update_channel",
    responses={
        **example_response(ex.CHANNEL_UPDATED),
        **problem_responses(401, 403, 404, 409, 412, 422, 428),
    },
)
async def update_channel(
    ctx: Admin, code: ChannelCode, body: ChannelUpdate, if_match: IfMatch = None
) -> Response:
    """Replace a channel (admin; If-Match: its ETag); a secret sent as "***" is kept."""
    expected = expected_version(if_match, "channel")
    return await run_command(
        ctx,
        lambda uow: usecases.save_channel(uow, body, code=code, expected=expected),
        body=body,
        headers=etag_header,
    )


@router.get(
    "/messages",
    response_model=MessagePage,
    operation_id="list_messages",
    responses=problem_responses(401, 403, 422),
)
async def list_messages(
    ctx: Admin,
    page: Paging,
    status: MessageStatus | None = None,
    channel_code: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The outbox (admin): `status=dead` lists what could not be delivered."""
    async with ctx.db.read() as session:
        items, cursor = await usecases.list_messages(
            session, page, status=status, channel_code=channel_code
        )
    return render(ctx, MessagePage(items=items, next_cursor=cursor))


@router.get(
    "/messages/{message_id}",
    response_model=MessageDetail,
    operation_id="get_message",
    responses=problem_responses(401, 403, 404),
)
async def get_message(ctx: Admin, message_id: MessageId) -> Response:
    """One message with every delivery attempt and what the far side answered (admin)."""
    async with ctx.db.read() as session:
        return render(ctx, await usecases.get_message(session, message_id))


@router.post(
    "/messages/{message_id}/resend",
    response_model=MessageDetail,
    operation_id="resend_message",
    responses={**example_response(ex.RESENT), **problem_responses(401, 403, 404, 409)},
)
async def resend_message(ctx: Admin, message_id: MessageId) -> Response:
    """Send a dead message again (admin)."""
    response = await run_command(ctx, lambda uow: usecases.resend(uow, message_id))
    runner_of(ctx.request.app).wake()
    return response
