"""DingTalk and WeCom approval clients against the fakes, with callbacks to a receiver app.

Everything runs in process: the clients reach the fakes through `httpx.ASGITransport`,
and the fakes call back a tiny FastAPI receiver that uses the library's parsing and reply
functions, the way the workflow service's callback routes will.
"""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from services.workflow.domain.callback_crypto import CallbackCrypto, CallbackError, dingtalk_reply
from services.workflow.mobile import (
    BUSINESS_KEY_FIELD,
    TITLE_FIELD,
    WECOM_ANY_ONE_APPROVES,
    DingTalkApp,
    DingTalkApproval,
    MobileApiError,
    MobileDecision,
    WeComApp,
    WeComApproval,
    decision_from_dingtalk_event,
    decision_from_wecom_event,
    parse_dingtalk_callback,
    parse_wecom_callback,
    parse_xml,
    wecom_verify_url,
)
from tests.fakes.mobile import NOT_FOUND, FakeDingTalkApprovalApp, FakeWeComApprovalApp

APP_KEY, APP_SECRET = "dingappkey01", "dingtalk-app-secret"
CORP_ID, CORP_SECRET = "ww0123456789abcdef", "wecom-corp-secret"
CALLBACK_TOKEN = "callback-token-1"
START = 1_700_000_000.0
BK_CONTROL = "Text-1700000000001"


def aes_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()[:43]


class ManualClock:
    """Seconds since the epoch, moved by hand; shared by the fake and the client."""

    def __init__(self, start: float = START) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(int(seconds), UTC)


# --- receivers ----------------------------------------------------------------------------


class DingTalkReceiver:
    """Parses DingTalk callbacks and answers with `dingtalk_reply` (or `reply`, to misbehave)."""

    def __init__(self, crypto: CallbackCrypto) -> None:
        self.events: list[dict[str, Any]] = []
        self.refused: list[str] = []
        self.reply: Response | None = None
        self.app = FastAPI()

        @self.app.post("/callbacks/dingtalk")
        async def receive(request: Request) -> Response:
            query = request.query_params
            try:
                event = parse_dingtalk_callback(
                    crypto,
                    signature=query.get("signature", ""),
                    timestamp=query.get("timestamp", ""),
                    nonce=query.get("nonce", ""),
                    body=await request.json(),
                )
            except CallbackError as exc:
                self.refused.append(str(exc))
                return Response(status_code=403)
            self.events.append(event)
            if self.reply is not None:
                return self.reply
            reply = dingtalk_reply(crypto, timestamp=query["timestamp"], nonce=query["nonce"])
            return JSONResponse(reply)


class WeComReceiver:
    """Parses WeCom callbacks (POST) and URL checks (GET); answers "success"."""

    def __init__(self, crypto: CallbackCrypto) -> None:
        self.events: list[dict[str, Any]] = []
        self.refused: list[str] = []
        self.app = FastAPI()

        @self.app.get("/callbacks/wecom")
        async def verify(request: Request) -> Response:
            query = request.query_params
            try:
                echo = wecom_verify_url(
                    crypto,
                    msg_signature=query.get("msg_signature", ""),
                    timestamp=query.get("timestamp", ""),
                    nonce=query.get("nonce", ""),
                    echostr=query.get("echostr", ""),
                )
            except CallbackError as exc:
                self.refused.append(str(exc))
                return Response(status_code=403)
            return PlainTextResponse(echo)

        @self.app.post("/callbacks/wecom")
        async def receive(request: Request) -> Response:
            query = request.query_params
            try:
                event = parse_wecom_callback(
                    crypto,
                    msg_signature=query.get("msg_signature", ""),
                    timestamp=query.get("timestamp", ""),
                    nonce=query.get("nonce", ""),
                    xml_body=await request.body(),
                )
            except CallbackError as exc:
                self.refused.append(str(exc))
                return Response(status_code=403)
            self.events.append(event)
            return PlainTextResponse("success")


# --- fixtures -----------------------------------------------------------------------------


@dataclass
class DingTalkWorld:
    fake: FakeDingTalkApprovalApp
    receiver: DingTalkReceiver
    client: DingTalkApproval
    crypto: CallbackCrypto
    clock: ManualClock


@dataclass
class WeComWorld:
    fake: FakeWeComApprovalApp
    receiver: WeComReceiver
    client: WeComApproval
    crypto: CallbackCrypto
    clock: ManualClock


@pytest.fixture
async def dingtalk() -> AsyncIterator[DingTalkWorld]:
    key, clock = aes_key(), ManualClock()
    crypto = CallbackCrypto(CALLBACK_TOKEN, key, APP_KEY)
    receiver = DingTalkReceiver(crypto)
    fake = FakeDingTalkApprovalApp(
        APP_KEY,
        APP_SECRET,
        key,
        CALLBACK_TOKEN,
        "http://workflow.test/callbacks/dingtalk",
        httpx.ASGITransport(app=receiver.app).handle_async_request,
        now=clock,
    )
    app = DingTalkApp("http://dingtalk.test", APP_KEY, APP_SECRET, 3001, "PROC-PURCHASE")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app)) as http:
        yield DingTalkWorld(fake, receiver, DingTalkApproval(http, app, clock=clock), crypto, clock)


@pytest.fixture
async def wecom() -> AsyncIterator[WeComWorld]:
    key, clock = aes_key(), ManualClock()
    crypto = CallbackCrypto(CALLBACK_TOKEN, key, CORP_ID)
    receiver = WeComReceiver(crypto)
    fake = FakeWeComApprovalApp(
        CORP_ID,
        CORP_SECRET,
        key,
        CALLBACK_TOKEN,
        "http://workflow.test/callbacks/wecom",
        httpx.ASGITransport(app=receiver.app).handle_async_request,
        business_key_control=BK_CONTROL,
        now=clock,
    )
    app = WeComApp(
        "http://wecom.test",
        CORP_ID,
        CORP_SECRET,
        1000002,
        "TPL-PURCHASE",
        business_key_control=BK_CONTROL,
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app)) as http:
        yield WeComWorld(fake, receiver, WeComApproval(http, app, clock=clock), crypto, clock)


async def start_dingtalk(world: DingTalkWorld, business_key: str = "PR-0001") -> str:
    return await world.client.start(
        originator_user_id="u-zhang",
        dept_id=None,
        approvers=["u-li", "u-wang"],
        title="采购申请 PR-0001",
        form=[("物料", "M-100 螺栓"), ("数量", "5000")],
        business_key=business_key,
    )


async def start_wecom(world: WeComWorld, business_key: str = "PR-0001") -> str:
    return await world.client.start(
        creator_userid="zhangsan",
        approvers=["lisi", "wangwu"],
        title="采购申请",
        form=[("Text-1700000000002", "M-100 螺栓 x 5000")],
        business_key=business_key,
    )


# --- DingTalk -----------------------------------------------------------------------------


async def test_dingtalk_start_creates_the_instance_with_form_and_business_key(
    dingtalk: DingTalkWorld,
) -> None:
    instance_id = await start_dingtalk(dingtalk)

    instance = dingtalk.fake.instances[instance_id]
    assert instance.form == [
        (TITLE_FIELD, "采购申请 PR-0001"),
        ("物料", "M-100 螺栓"),
        ("数量", "5000"),
        (BUSINESS_KEY_FIELD, "PR-0001"),
    ]
    assert instance.business_key == "PR-0001"
    assert instance.approvers == ["u-li", "u-wang"]
    assert instance.originator_user_id == "u-zhang"
    assert (instance.dept_id, instance.process_code, instance.agent_id) == (
        -1,
        "PROC-PURCHASE",
        3001,
    )
    assert await dingtalk.client.get(instance_id) == MobileDecision(
        instance_id, "pending", None, "", None
    )


async def test_dingtalk_approvers_decide_in_order_and_get_reads_it(
    dingtalk: DingTalkWorld,
) -> None:
    instance_id = await start_dingtalk(dingtalk)
    with pytest.raises(ValueError, match="current approver"):
        await dingtalk.fake.decide(instance_id, approver="u-wang", result="agree")

    await dingtalk.fake.decide(instance_id, approver="u-li", result="agree", lose_callback=True)
    assert (await dingtalk.client.get(instance_id)).state == "pending"
    dingtalk.clock.now += 90.7
    await dingtalk.fake.decide(
        instance_id, approver="u-wang", result="agree", remark="同意，尽快采购", lose_callback=True
    )

    assert await dingtalk.client.get(instance_id) == MobileDecision(
        instance_id, "approved", "u-wang", "同意，尽快采购", at(START + 90.7)
    )
    assert dingtalk.fake.callback_replies == []


async def test_dingtalk_refusal_and_termination(dingtalk: DingTalkWorld) -> None:
    refused, withdrawn = await start_dingtalk(dingtalk), await start_dingtalk(dingtalk, "PR-2")
    await dingtalk.fake.decide(refused, approver="u-li", result="refuse", remark="预算不足")
    await dingtalk.fake.terminate(withdrawn, remark="不买了")

    decision = await dingtalk.client.get(refused)
    assert (decision.state, decision.decided_by, decision.comment) == (
        "rejected",
        "u-li",
        "预算不足",
    )
    cancelled = await dingtalk.client.get(withdrawn)
    assert (cancelled.state, cancelled.decided_by, cancelled.comment) == (
        "cancelled",
        "u-zhang",
        "不买了",
    )
    assert [decision_from_dingtalk_event(e) for e in dingtalk.receiver.events] == [
        decision,
        cancelled,
    ]


async def test_dingtalk_callback_is_parsed_into_the_same_decision(
    dingtalk: DingTalkWorld,
) -> None:
    instance_id = await start_dingtalk(dingtalk)
    first = await dingtalk.fake.decide(instance_id, approver="u-li", result="agree")
    dingtalk.clock.now += 30

    last = await dingtalk.fake.decide(instance_id, approver="u-wang", result="agree", remark="OK")

    assert first is not None and first.valid, first
    assert last is not None and last.valid, last
    task_event, event = dingtalk.receiver.events
    assert task_event["EventType"] == "bpms_task_change"
    assert decision_from_dingtalk_event(task_event) is None
    assert event["EventType"] == "bpms_instance_change"
    assert (event["processInstanceId"], event["type"], event["result"]) == (
        instance_id,
        "finish",
        "agree",
    )
    from_callback = decision_from_dingtalk_event(event)
    assert from_callback == MobileDecision(instance_id, "approved", "u-wang", "OK", at(START + 30))
    assert from_callback == await dingtalk.client.get(instance_id)


async def test_dingtalk_check_url_is_answered(dingtalk: DingTalkWorld) -> None:
    delivery = await dingtalk.fake.check_url()

    assert delivery is not None and delivery.valid
    assert dingtalk.receiver.events == [{"EventType": "check_url"}]
    assert decision_from_dingtalk_event(dingtalk.receiver.events[0]) is None


async def test_dingtalk_fake_refuses_a_reply_that_is_not_encrypted(
    dingtalk: DingTalkWorld,
) -> None:
    dingtalk.receiver.reply = PlainTextResponse("success")
    instance_id = await start_dingtalk(dingtalk)

    delivery = await dingtalk.fake.decide(instance_id, approver="u-li", result="agree")

    assert delivery is not None and not delivery.valid
    assert dingtalk.fake.callback_replies == [delivery]


async def test_dingtalk_callback_with_another_token_is_refused(dingtalk: DingTalkWorld) -> None:
    instance_id = await start_dingtalk(dingtalk)
    impostor = FakeDingTalkApprovalApp(
        APP_KEY,
        APP_SECRET,
        aes_key(),
        "another-token",
        dingtalk.fake.callback_url,
        dingtalk.fake.deliver,
    )
    impostor.instances = dingtalk.fake.instances

    delivery = await impostor.decide(instance_id, approver="u-li", result="agree")

    assert delivery is not None and delivery.status_code == 403 and not delivery.valid
    assert dingtalk.receiver.events == []
    assert dingtalk.receiver.refused == ["bad callback signature"]


async def test_dingtalk_bad_signature_and_bad_ciphertext_raise(dingtalk: DingTalkWorld) -> None:
    crypto = dingtalk.crypto
    encrypted = crypto.encrypt('{"EventType": "check_url"}')
    good = crypto.signature("1700000000000", "nonce1", encrypted)
    with pytest.raises(CallbackError, match="signature"):
        parse_dingtalk_callback(
            crypto,
            signature=good,
            timestamp="1700000000001",
            nonce="nonce1",
            body={"encrypt": encrypted},
        )
    with pytest.raises(CallbackError):
        parse_dingtalk_callback(crypto, signature=good, timestamp="1", nonce="n", body={})
    # Signed, but not a ciphertext of this app (another receive id).
    foreign = CallbackCrypto(CALLBACK_TOKEN, aes_key(), APP_KEY).encrypt("{}")
    with pytest.raises(CallbackError):
        parse_dingtalk_callback(
            crypto,
            signature=crypto.signature("1", "n", foreign),
            timestamp="1",
            nonce="n",
            body={"encrypt": foreign},
        )
    not_json = crypto.encrypt("not json")
    with pytest.raises(CallbackError, match="JSON"):
        parse_dingtalk_callback(
            crypto,
            signature=crypto.signature("1", "n", not_json),
            timestamp="1",
            nonce="n",
            body={"encrypt": not_json},
        )


async def test_dingtalk_expired_token_is_refreshed_transparently(
    dingtalk: DingTalkWorld,
) -> None:
    instance_id = await start_dingtalk(dingtalk)
    assert dingtalk.fake.token_requests == 1

    dingtalk.fake.expire_tokens()
    decision = await dingtalk.client.get(instance_id)

    assert decision.state == "pending"
    assert (dingtalk.fake.token_requests, dingtalk.fake.token_errors) == (2, 1)


async def test_dingtalk_token_is_renewed_before_it_expires(dingtalk: DingTalkWorld) -> None:
    instance_id = await start_dingtalk(dingtalk)
    dingtalk.clock.now += 7200 - 301
    await dingtalk.client.get(instance_id)
    assert dingtalk.fake.token_requests == 1

    dingtalk.clock.now += 2
    await dingtalk.client.get(instance_id)

    assert (dingtalk.fake.token_requests, dingtalk.fake.token_errors) == (2, 0)


async def test_dingtalk_lost_create_response_leaves_the_instance_to_find(
    dingtalk: DingTalkWorld,
) -> None:
    dingtalk.fake.lose_create_response = True
    with pytest.raises(httpx.HTTPStatusError) as lost:
        await start_dingtalk(dingtalk, "PR-LOST")
    assert lost.value.response.status_code == 502
    [created] = dingtalk.fake.find_by_business_key("PR-LOST")
    assert dingtalk.fake.duplicate_business_keys == []

    dingtalk.fake.lose_create_response = False
    retried = await start_dingtalk(dingtalk, "PR-LOST")

    assert retried != created.instance_id
    assert len(dingtalk.fake.find_by_business_key("PR-LOST")) == 2
    assert dingtalk.fake.duplicate_business_keys == ["PR-LOST"]


async def test_dingtalk_errors(dingtalk: DingTalkWorld) -> None:
    with pytest.raises(MobileApiError) as missing:
        await dingtalk.client.get("no-such-instance")
    assert missing.value.errcode == NOT_FOUND

    with pytest.raises(ValueError, match="filled in"):
        await dingtalk.client.start(
            originator_user_id="u-zhang",
            dept_id=7,
            approvers=["u-li"],
            title="t",
            form=[(BUSINESS_KEY_FIELD, "sneaky")],
            business_key="PR-9",
        )
    with pytest.raises(ValueError, match="approvers"):
        await dingtalk.client.start(
            originator_user_id="u-zhang",
            dept_id=7,
            approvers=[],
            title="t",
            form=[],
            business_key="PR-9",
        )
    assert dingtalk.fake.instances == {}


async def test_dingtalk_bad_app_secret_raises() -> None:
    fake = FakeDingTalkApprovalApp(APP_KEY, APP_SECRET, aes_key(), CALLBACK_TOKEN, None, None)
    app = DingTalkApp("http://dingtalk.test", APP_KEY, "wrong", 1, "PROC")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app)) as http:
        with pytest.raises(MobileApiError) as refused:
            await DingTalkApproval(http, app).get("x")
    assert refused.value.errcode == 40089
    assert "wrong" not in repr(app)


async def test_a_second_token_error_is_not_retried_again() -> None:
    seen: list[str] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path == "/gettoken":
            return httpx.Response(200, json={"errcode": 0, "access_token": "t", "expires_in": 7200})
        return httpx.Response(200, json={"errcode": 42001, "errmsg": "access_token expired"})

    app = DingTalkApp("http://dingtalk.test", APP_KEY, APP_SECRET, 1, "PROC")
    async with httpx.AsyncClient(transport=httpx.MockTransport(upstream)) as http:
        with pytest.raises(MobileApiError) as expired:
            await DingTalkApproval(http, app).get("x")

    assert expired.value.errcode == 42001
    assert seen == ["/gettoken", "/topapi/processinstance/get"] * 2


async def test_transport_errors_propagate() -> None:
    def upstream(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("down", request=request)

    app = WeComApp("http://wecom.test", CORP_ID, CORP_SECRET, 1, "TPL")
    async with httpx.AsyncClient(transport=httpx.MockTransport(upstream)) as http:
        with pytest.raises(httpx.ConnectError):
            await WeComApproval(http, app).get("202401010001")


def test_dingtalk_events_that_decide_nothing() -> None:
    base = {"EventType": "bpms_instance_change", "processInstanceId": "p1"}
    assert decision_from_dingtalk_event({**base, "type": "start"}) is None
    assert decision_from_dingtalk_event({**base, "type": "finish", "result": "redirect"}) is None
    assert decision_from_dingtalk_event({"EventType": "bpms_task_change", "type": "finish"}) is None
    with pytest.raises(CallbackError):
        decision_from_dingtalk_event({"EventType": "bpms_instance_change", "type": "finish"})


# --- WeCom --------------------------------------------------------------------------------


async def test_wecom_start_submits_the_application(wecom: WeComWorld) -> None:
    sp_no = await start_wecom(wecom)

    application = wecom.fake.applications[sp_no]
    assert application.creator_userid == "zhangsan"
    assert application.template_id == "TPL-PURCHASE"
    assert [(n.attr, n.approvers) for n in application.nodes] == [
        (WECOM_ANY_ONE_APPROVES, ["lisi", "wangwu"])
    ]
    assert application.form_values == {
        "Text-1700000000002": "M-100 螺栓 x 5000",
        BK_CONTROL: "PR-0001",
    }
    assert application.business_key == "PR-0001"
    assert application.summary == ["采购申请", f"{BUSINESS_KEY_FIELD}：PR-0001"]
    assert await wecom.client.get(sp_no) == MobileDecision(sp_no, "pending", None, "", None)


async def test_wecom_one_approval_decides_and_get_reads_it(wecom: WeComWorld) -> None:
    sp_no = await start_wecom(wecom)
    wecom.clock.now += 600

    await wecom.fake.decide(
        sp_no, approver="wangwu", approve=True, speech="同意", lose_callback=True
    )

    assert await wecom.client.get(sp_no) == MobileDecision(
        sp_no, "approved", "wangwu", "同意", at(START + 600)
    )
    with pytest.raises(ValueError):
        await wecom.fake.decide(sp_no, approver="lisi", approve=False)


async def test_wecom_rejection_and_revocation(wecom: WeComWorld) -> None:
    rejected, revoked = await start_wecom(wecom), await start_wecom(wecom, "PR-2")
    await wecom.fake.decide(rejected, approver="lisi", approve=False, speech="数量不对")
    await wecom.fake.revoke(revoked)

    decision = await wecom.client.get(rejected)
    assert (decision.state, decision.decided_by, decision.comment) == (
        "rejected",
        "lisi",
        "数量不对",
    )
    cancelled = await wecom.client.get(revoked)
    assert (cancelled.state, cancelled.decided_by) == ("cancelled", "zhangsan")
    assert [decision_from_wecom_event(e) for e in wecom.receiver.events] == [decision, cancelled]


async def test_wecom_callback_is_parsed_into_the_same_decision(wecom: WeComWorld) -> None:
    sp_no = await start_wecom(wecom)
    wecom.clock.now += 45

    delivery = await wecom.fake.decide(sp_no, approver="lisi", approve=True, speech="<ok> & 好")

    assert delivery is not None and delivery.valid, delivery
    [event] = wecom.receiver.events
    assert event["Event"] == "sys_approval_change"
    info = event["ApprovalInfo"]
    assert (info["SpNo"], info["SpStatus"]) == (sp_no, "2")
    assert [d["Approver"]["UserId"] for d in info["SpRecord"][0]["Details"]] == ["lisi", "wangwu"]
    from_callback = decision_from_wecom_event(event)
    assert from_callback == MobileDecision(sp_no, "approved", "lisi", "<ok> & 好", at(START + 45))
    assert from_callback == await wecom.client.get(sp_no)


async def test_wecom_events_still_running_decide_nothing(wecom: WeComWorld) -> None:
    sp_no = await start_wecom(wecom)
    event = parse_xml(wecom.fake.event_xml(wecom.fake.applications[sp_no], 1))

    assert event["ApprovalInfo"]["SpStatus"] == "1"
    assert decision_from_wecom_event(event) is None
    assert decision_from_wecom_event({"Event": "change_contact"}) is None


async def test_wecom_url_verification(wecom: WeComWorld) -> None:
    delivery = await wecom.fake.verify_url()

    assert delivery is not None and delivery.valid, delivery


async def test_wecom_bad_signature_raises(wecom: WeComWorld) -> None:
    crypto = wecom.crypto
    encrypted = crypto.encrypt("<xml><Event>sys_approval_change</Event></xml>")
    envelope = f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode()
    signature = crypto.signature("1700000000", "n1", encrypted)
    assert parse_wecom_callback(
        crypto, msg_signature=signature, timestamp="1700000000", nonce="n1", xml_body=envelope
    ) == {"Event": "sys_approval_change"}
    with pytest.raises(CallbackError, match="signature"):
        parse_wecom_callback(
            crypto,
            msg_signature=signature,
            timestamp="1700000000",
            nonce="n2",
            xml_body=envelope,
        )
    with pytest.raises(CallbackError, match="signature"):
        wecom_verify_url(
            crypto, msg_signature="0" * 40, timestamp="1", nonce="n", echostr=encrypted
        )
    with pytest.raises(CallbackError):
        parse_wecom_callback(
            crypto, msg_signature=signature, timestamp="1", nonce="n", xml_body=b"<xml></xml>"
        )


XXE = (
    b'<?xml version="1.0"?>\n<!DOCTYPE xml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    b"<xml><Encrypt>&secret;</Encrypt></xml>"
)
LAUGHS = (
    b'<!doctype xml [<!entity a "aaaaaaaaaa"><!entity b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    b"<xml><Encrypt>&b;</Encrypt></xml>"
)


@pytest.mark.parametrize("document", [XXE, LAUGHS])
async def test_wecom_xml_with_a_doctype_is_refused(wecom: WeComWorld, document: bytes) -> None:
    with pytest.raises(CallbackError, match="DOCTYPE"):
        parse_wecom_callback(
            wecom.crypto, msg_signature="x", timestamp="1", nonce="n", xml_body=document
        )
    # Also inside a correctly signed and encrypted envelope.
    encrypted = wecom.crypto.encrypt(document.decode())
    envelope = f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode()
    with pytest.raises(CallbackError, match="DOCTYPE"):
        parse_wecom_callback(
            wecom.crypto,
            msg_signature=wecom.crypto.signature("1", "n", encrypted),
            timestamp="1",
            nonce="n",
            xml_body=envelope,
        )
    # And through the receiver, which answers 403 and records nothing.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=wecom.receiver.app)) as http:
        response = await http.post(
            "http://workflow.test/callbacks/wecom",
            params={"msg_signature": "x", "timestamp": "1", "nonce": "n"},
            content=document,
        )
    assert response.status_code == 403 and wecom.receiver.events == []


def test_malformed_xml_is_refused() -> None:
    for document in (b"<xml><a></xml>", b"\xff\xfe<xml/>", b"<root><a>1</a></root>", b""):
        with pytest.raises(CallbackError):
            parse_xml(document)
    with pytest.raises(CallbackError, match="too large"):
        parse_xml(b"<xml>" + b" " * (1 << 20) + b"</xml>")


async def test_wecom_expired_token_is_refreshed_transparently(wecom: WeComWorld) -> None:
    sp_no = await start_wecom(wecom)
    wecom.fake.expire_tokens()

    assert (await wecom.client.get(sp_no)).state == "pending"
    assert (wecom.fake.token_requests, wecom.fake.token_errors) == (2, 1)


async def test_wecom_lost_create_response_leaves_the_application_to_find(
    wecom: WeComWorld,
) -> None:
    wecom.fake.lose_create_response = True
    with pytest.raises(httpx.HTTPStatusError):
        await start_wecom(wecom, "PR-LOST")
    wecom.fake.lose_create_response = False
    await start_wecom(wecom, "PR-LOST")

    assert len(wecom.fake.find_by_business_key("PR-LOST")) == 2
    assert wecom.fake.duplicate_business_keys == ["PR-LOST"]


async def test_wecom_lost_callback_is_left_to_polling(wecom: WeComWorld) -> None:
    sp_no = await start_wecom(wecom)

    assert await wecom.fake.decide(sp_no, approver="lisi", approve=True, lose_callback=True) is None

    assert wecom.receiver.events == [] and wecom.fake.callback_replies == []
    assert (await wecom.client.get(sp_no)).state == "approved"


async def test_wecom_unknown_application_raises(wecom: WeComWorld) -> None:
    with pytest.raises(MobileApiError) as missing:
        await wecom.client.get("209901010001")
    assert missing.value.errcode == NOT_FOUND
