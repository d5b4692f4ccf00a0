"""Callbacks from DingTalk's and WeCom's approval apps (移动审批).

They carry no user token: the gateway lets these paths through (`OPEN_PATHS`) and each
message proves itself by its signature over the app's token, and by decrypting under
the app's AES key. A bad signature is 403 and changes nothing.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from services.workflow import mobile_examples as ex
from services.workflow.domain.callback_crypto import CallbackError, dingtalk_reply
from services.workflow.mobile import (
    decision_from_dingtalk_event,
    decision_from_wecom_event,
    parse_dingtalk_callback,
    parse_wecom_callback,
    wecom_verify_url,
)
from services.workflow.runtime import runner_of
from services.workflow.schemas import MobileApp
from services.workflow.usecases.mobile_sync import MobileSync
from shared.auth.principal import Principal
from shared.errors import Forbidden, NotFound
from shared.http.context import current_principal
from shared.http.examples import body_example
from shared.http.problems import problem_responses

router = APIRouter(prefix="/v1/mobile", tags=["mobile approval"])
Caller = Annotated[Principal, Depends(current_principal)]


def param(example: str) -> Any:
    """A signature, timestamp or nonce the app sends, with an example."""
    return Query(min_length=1, max_length=200, examples=[example])


DingTalkSignature = Annotated[str, param(ex.DINGTALK_SIGNATURE)]
DingTalkTimestamp = Annotated[str, param(ex.DINGTALK_TIMESTAMP)]
DingTalkNonce = Annotated[str, param(ex.DINGTALK_NONCE)]
WeComSignature = Annotated[str, param(ex.WECOM_SIGNATURE)]
WeComTimestamp = Annotated[str, param(ex.WECOM_TIMESTAMP)]
WeComNonce = Annotated[str, param(ex.WECOM_NONCE)]


def _sync(request: Request, provider: MobileApp) -> MobileSync:
    mobile = runner_of(request.app).mobile
    if mobile is None or mobile.crypto(provider) is None:
        raise NotFound(f"no {provider.value} app is set up")
    return mobile


@router.post(
    "/dingtalk/callback",
    operation_id="dingtalk_callback",
    responses={
        200: {
            "description": 'The encrypted "success" DingTalk expects',
            "content": {"application/json": {"example": ex.DINGTALK_REPLY}},
        },
        **problem_responses(401, 403, 404, 422),
    },
)
async def dingtalk_callback(
    request: Request,
    _caller: Caller,
    signature: DingTalkSignature,
    timestamp: DingTalkTimestamp,
    nonce: DingTalkNonce,
    body: Annotated[
        dict[str, Any],
        body_example("An approval agreed in DingTalk (bpms_instance_change)", ex.DINGTALK_BODY),
    ],
) -> Response:
    """DingTalk's event callback: an approval decided there is applied here once."""
    sync = _sync(request, MobileApp.DINGTALK)
    crypto = sync.crypto(MobileApp.DINGTALK)
    assert crypto is not None
    try:
        event = parse_dingtalk_callback(
            crypto, signature=signature, timestamp=timestamp, nonce=nonce, body=body
        )
        decision = decision_from_dingtalk_event(event)
    except CallbackError as exc:
        raise Forbidden(f"the callback is not DingTalk's: {exc}") from exc
    if decision is not None:
        await sync.apply(MobileApp.DINGTALK, decision, via="dingtalk")
    return JSONResponse(dingtalk_reply(crypto, "success", timestamp=timestamp, nonce=nonce))


@router.get(
    "/wecom/callback",
    operation_id="verify_wecom_callback",
    response_class=PlainTextResponse,
    responses=problem_responses(401, 403, 404, 422),
)
async def verify_wecom_callback(
    request: Request,
    _caller: Caller,
    msg_signature: WeComSignature,
    timestamp: WeComTimestamp,
    nonce: WeComNonce,
    echostr: Annotated[str, Query(min_length=1, max_length=1000, examples=[ex.WECOM_ECHOSTR])],
) -> Response:
    """WeCom's check of the callback address: answers the decrypted echo."""
    sync = _sync(request, MobileApp.WECOM)
    crypto = sync.crypto(MobileApp.WECOM)
    assert crypto is not None
    try:
        plain = wecom_verify_url(
            crypto,
            msg_signature=msg_signature,
            timestamp=timestamp,
            nonce=nonce,
            echostr=echostr,
        )
    except CallbackError as exc:
        raise Forbidden(f"the check is not WeCom's: {exc}") from exc
    return PlainTextResponse(plain)


@router.post(
    "/wecom/callback",
    operation_id="wecom_callback",
    response_class=PlainTextResponse,
    responses=problem_responses(401, 403, 404, 422),
)
async def wecom_callback(
    request: Request,
    _caller: Caller,
    msg_signature: WeComSignature,
    timestamp: WeComTimestamp,
    nonce: WeComNonce,
) -> Response:
    """WeCom's approval event (XML): an approval decided there is applied here once."""
    sync = _sync(request, MobileApp.WECOM)
    crypto = sync.crypto(MobileApp.WECOM)
    assert crypto is not None
    try:
        event = parse_wecom_callback(
            crypto,
            msg_signature=msg_signature,
            timestamp=timestamp,
            nonce=nonce,
            xml_body=await request.body(),
        )
        decision = decision_from_wecom_event(event)
    except CallbackError as exc:
        raise Forbidden(f"the callback is not WeCom's: {exc}") from exc
    if decision is not None:
        await sync.apply(MobileApp.WECOM, decision, via="wecom")
    return PlainTextResponse("success")
