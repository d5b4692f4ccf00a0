"""Workflow notification senders against fake DingTalk, WeCom, SMS, webhook and SMTP servers."""

from __future__ import annotations

import email.utils
import socket
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI

from services.workflow.channels import (
    Delivery,
    DingTalkRobot,
    SmsProvider,
    SmtpServer,
    WebhookEndpoint,
    WeComRobot,
    send_dingtalk,
    send_email,
    send_sms,
    send_webhook,
    send_wecom,
)
from services.workflow.domain.messages import (
    DingTalkKind,
    Message,
    dingtalk_robot_payload,
    wecom_robot_payload,
)
from services.workflow.domain.signing import dingtalk_robot_signature
from tests.fakes.notify import (
    FakeDingTalkRobot,
    FakeSmsProvider,
    FakeSmtpServer,
    FakeWebhookReceiver,
    FakeWeComRobot,
)

LINK = "https://erp.example.com/approvals/42"
MESSAGE = Message(title="待审批：采购订单 PO-1", body="申请人：张三\n**步骤**：部门经理", link=LINK)
START = 1_714_550_400.0  # 2024-05-01T08:00:00Z


class Clock:
    """A clock the test moves by hand (seconds since the epoch)."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    @property
    def ms(self) -> int:
        return int(self.now * 1000)


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app))


def raising(exc: Exception) -> httpx.AsyncClient:
    """A client whose every request fails with `exc` (an unreachable or slow host)."""

    def fail(request: httpx.Request) -> httpx.Response:
        raise exc

    return httpx.AsyncClient(transport=httpx.MockTransport(fail))


def answering(response: Callable[[httpx.Request], httpx.Response]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(response))


def numbered(n: int) -> Message:
    return Message(title=f"库存预警 {n}", body=f"物料 A{n:03d} 低于安全库存")


# -- DingTalk ------------------------------------------------------------------------------


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def dingtalk(clock: Clock) -> FakeDingTalkRobot:
    return FakeDingTalkRobot(now=clock)


@pytest.fixture
async def dingtalk_http(dingtalk: FakeDingTalkRobot) -> AsyncIterator[httpx.AsyncClient]:
    async with client(dingtalk.app) as http:
        yield http


@pytest.mark.parametrize("kind", ["text", "markdown", "action_card"])
async def test_dingtalk_signed_message_is_delivered(
    dingtalk: FakeDingTalkRobot, dingtalk_http: httpx.AsyncClient, clock: Clock, kind: DingTalkKind
) -> None:
    robot = dingtalk.robot(kind=kind)
    delivery = await send_dingtalk(dingtalk_http, robot, MESSAGE, now_ms=clock.ms)
    assert delivery.ok, delivery
    assert not delivery.retryable
    assert delivery.status == 200
    assert dingtalk.received == [dingtalk_robot_payload(MESSAGE, kind=kind)]
    assert dingtalk.rejected == []


async def test_dingtalk_sign_reaches_the_server_encoded_once(clock: Clock) -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"errcode": 0, "errmsg": "ok"})

    robot = DingTalkRobot("https://oapi.dingtalk.com/robot/send?access_token=abc", "SECx")
    async with answering(record) as http:
        assert (await send_dingtalk(http, robot, MESSAGE, now_ms=clock.ms)).ok
    query = dict(httpx.QueryParams(seen[0].url.query.decode()))
    assert query == {
        "access_token": "abc",
        "timestamp": str(clock.ms),
        "sign": dingtalk_robot_signature("SECx", clock.ms),
    }


async def test_dingtalk_robot_without_secret_sends_unsigned() -> None:
    fake = FakeDingTalkRobot(secret=None)
    async with client(fake.app) as http:
        delivery = await send_dingtalk(http, fake.robot(), MESSAGE)
    assert delivery.ok, delivery
    assert len(fake.received) == 1


async def test_dingtalk_default_timestamp_is_now() -> None:
    fake = FakeDingTalkRobot()  # real clock
    async with client(fake.app) as http:
        assert (await send_dingtalk(http, fake.robot(), MESSAGE)).ok


async def test_dingtalk_bad_secret_is_final_with_errmsg(
    dingtalk: FakeDingTalkRobot, dingtalk_http: httpx.AsyncClient, clock: Clock
) -> None:
    robot = DingTalkRobot(dingtalk.webhook_url(), secret="SECwrong")
    delivery = await send_dingtalk(dingtalk_http, robot, MESSAGE, now_ms=clock.ms)
    assert not delivery.ok
    assert not delivery.retryable
    assert delivery.detail == "dingtalk errcode 310000: sign not match"
    assert dingtalk.received == []
    assert [r["errcode"] for r in dingtalk.rejected] == [310000]


async def test_dingtalk_stale_timestamp_is_refused(
    dingtalk: FakeDingTalkRobot, dingtalk_http: httpx.AsyncClient, clock: Clock
) -> None:
    stale = clock.ms - 3_600_001
    delivery = await send_dingtalk(dingtalk_http, dingtalk.robot(), MESSAGE, now_ms=stale)
    assert (delivery.ok, delivery.retryable) == (False, False)
    assert "310000" in delivery.detail


async def test_fake_dingtalk_refuses_a_sign_encoded_twice(
    dingtalk: FakeDingTalkRobot, dingtalk_http: httpx.AsyncClient, clock: Clock
) -> None:
    from services.workflow.domain.signing import dingtalk_robot_sign

    assert dingtalk.secret is not None
    encoded = dingtalk_robot_sign(dingtalk.secret, clock.ms)
    payload = dingtalk_robot_payload(MESSAGE, kind="text")
    url = "http://dingtalk/robot/send"
    token = dingtalk.access_token
    params = {"access_token": token, "timestamp": str(clock.ms), "sign": encoded}  # encoded twice
    response = await dingtalk_http.post(url, params=params, json=payload)
    assert response.json() == {"errcode": 310000, "errmsg": "sign not match"}
    raw = dingtalk_robot_signature(dingtalk.secret, clock.ms)
    params = {"access_token": token, "timestamp": str(clock.ms), "sign": raw}  # encoded once
    response = await dingtalk_http.post(url, params=params, json=payload)
    assert response.json() == {"errcode": 0, "errmsg": "ok"}


async def test_dingtalk_unknown_token_is_final(
    dingtalk: FakeDingTalkRobot, dingtalk_http: httpx.AsyncClient, clock: Clock
) -> None:
    robot = DingTalkRobot("http://dingtalk/robot/send?access_token=nope", dingtalk.secret)
    delivery = await send_dingtalk(dingtalk_http, robot, MESSAGE, now_ms=clock.ms)
    assert (delivery.ok, delivery.retryable) == (False, False)
    assert delivery.detail == "dingtalk errcode 300001: token is not exist"


async def test_dingtalk_keyword_mismatch_is_final(clock: Clock) -> None:
    fake = FakeDingTalkRobot(keywords=["库存"], now=clock)
    async with client(fake.app) as http:
        refused = await send_dingtalk(http, fake.robot(), MESSAGE, now_ms=clock.ms)
        accepted = await send_dingtalk(http, fake.robot(), numbered(1), now_ms=clock.ms)
    assert (refused.ok, refused.retryable) == (False, False)
    assert refused.detail == "dingtalk errcode 310000: keywords not in content"
    assert accepted.ok


async def test_dingtalk_21st_message_in_a_minute_is_retryable(
    dingtalk: FakeDingTalkRobot, dingtalk_http: httpx.AsyncClient, clock: Clock
) -> None:
    robot = dingtalk.robot()
    for n in range(20):
        clock.now += 1
        assert (await send_dingtalk(dingtalk_http, robot, numbered(n), now_ms=clock.ms)).ok
    throttled = await send_dingtalk(dingtalk_http, robot, numbered(20), now_ms=clock.ms)
    assert not throttled.ok
    assert throttled.retryable
    assert throttled.retry_after == 60
    assert throttled.detail.startswith("dingtalk errcode 130101")
    assert len(dingtalk.received) == 20
    clock.now += 60 - 19  # the first message leaves the window
    assert (await send_dingtalk(dingtalk_http, robot, numbered(20), now_ms=clock.ms)).ok
    assert not (await send_dingtalk(dingtalk_http, robot, numbered(21), now_ms=clock.ms)).ok


async def test_dingtalk_http_500_is_retryable(
    dingtalk: FakeDingTalkRobot, dingtalk_http: httpx.AsyncClient, clock: Clock
) -> None:
    dingtalk.fail_next = 1
    failed = await send_dingtalk(dingtalk_http, dingtalk.robot(), MESSAGE, now_ms=clock.ms)
    assert (failed.ok, failed.retryable, failed.status) == (False, True, 500)
    again = await send_dingtalk(dingtalk_http, dingtalk.robot(), MESSAGE, now_ms=clock.ms)
    assert again.ok
    assert len(dingtalk.received) == 1


async def test_dingtalk_system_busy_errcode_is_retryable() -> None:
    busy = httpx.Response(200, json={"errcode": -1, "errmsg": "系统繁忙"})
    async with answering(lambda request: busy) as http:
        delivery = await send_dingtalk(http, DingTalkRobot("http://dingtalk/x", None), MESSAGE)
    assert (delivery.ok, delivery.retryable) == (False, True)


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("connection refused"),
        httpx.ConnectTimeout("timed out"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("server disconnected"),
    ],
)
async def test_dingtalk_unreachable_host_is_retryable(exc: Exception) -> None:
    robot = DingTalkRobot("http://dingtalk/robot/send?access_token=abc", "SECx")
    async with raising(exc) as http:
        delivery = await send_dingtalk(http, robot, MESSAGE)
    assert (delivery.ok, delivery.retryable, delivery.status) == (False, True, None)
    assert type(exc).__name__ in delivery.detail


async def test_dingtalk_answer_that_is_not_json_is_final() -> None:
    html = httpx.Response(200, text="<html>portal</html>")
    async with answering(lambda request: html) as http:
        delivery = await send_dingtalk(http, DingTalkRobot("http://dingtalk/x", None), MESSAGE)
    assert (delivery.ok, delivery.retryable) == (False, False)
    assert "not JSON" in delivery.detail


async def test_bad_url_is_final() -> None:
    async with httpx.AsyncClient() as http:
        delivery = await send_wecom(http, WeComRobot("ftp://wecom/send"), MESSAGE)
    assert (delivery.ok, delivery.retryable) == (False, False)


def test_dingtalk_robot_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError):
        DingTalkRobot("http://dingtalk/robot/send?access_token=abc", None, kind="news")


# -- WeCom ---------------------------------------------------------------------------------


@pytest.fixture
def wecom(clock: Clock) -> FakeWeComRobot:
    return FakeWeComRobot(now=clock)


@pytest.fixture
async def wecom_http(wecom: FakeWeComRobot) -> AsyncIterator[httpx.AsyncClient]:
    async with client(wecom.app) as http:
        yield http


async def test_wecom_message_is_delivered(
    wecom: FakeWeComRobot, wecom_http: httpx.AsyncClient
) -> None:
    delivery = await send_wecom(wecom_http, wecom.robot(), MESSAGE)
    assert delivery.ok, delivery
    assert wecom.received == [wecom_robot_payload(MESSAGE)]


async def test_wecom_long_message_is_cut_and_accepted(
    wecom: FakeWeComRobot, wecom_http: httpx.AsyncClient
) -> None:
    long = Message(title="呆滞库存", body="贴片电阻 10K，" * 600, link=LINK)
    delivery = await send_wecom(wecom_http, wecom.robot(), long)
    assert delivery.ok, delivery
    content = wecom.received[0]["markdown"]["content"]
    assert len(content.encode()) <= 2048
    assert content.endswith(f"…\n[查看]({LINK})")


async def test_fake_wecom_refuses_oversized_content(
    wecom: FakeWeComRobot, wecom_http: httpx.AsyncClient
) -> None:
    url = wecom.webhook_url()
    text = {"msgtype": "text", "text": {"content": "库" * 683}}  # 2,049 bytes
    markdown = {"msgtype": "markdown", "markdown": {"content": "库" * 1366}}  # 4,098 bytes
    fits = {"msgtype": "markdown", "markdown": {"content": "库" * 1365}}  # 4,095 bytes
    for payload, errcode in [(text, 40058), (markdown, 40058), (fits, 0)]:
        response = await wecom_http.post(url, json=payload)
        assert response.json()["errcode"] == errcode


async def test_wecom_bad_key_is_final(wecom: FakeWeComRobot, wecom_http: httpx.AsyncClient) -> None:
    robot = WeComRobot("http://wecom/cgi-bin/webhook/send?key=wrong")
    delivery = await send_wecom(wecom_http, robot, MESSAGE)
    assert (delivery.ok, delivery.retryable) == (False, False)
    assert delivery.detail == "wecom errcode 93000: invalid webhook url"
    assert wecom.received == []


async def test_wecom_21st_message_in_a_minute_is_retryable(
    wecom: FakeWeComRobot, wecom_http: httpx.AsyncClient, clock: Clock
) -> None:
    for n in range(20):
        assert (await send_wecom(wecom_http, wecom.robot(), numbered(n))).ok
    throttled = await send_wecom(wecom_http, wecom.robot(), numbered(20))
    assert (throttled.ok, throttled.retryable, throttled.retry_after) == (False, True, 60)
    assert throttled.detail == "wecom errcode 45009: api freq out of limit"
    clock.now += 60
    assert (await send_wecom(wecom_http, wecom.robot(), numbered(20))).ok
    assert len(wecom.received) == 21


async def test_wecom_http_500_and_unreachable_are_retryable(
    wecom: FakeWeComRobot, wecom_http: httpx.AsyncClient
) -> None:
    wecom.fail_next = 1
    failed = await send_wecom(wecom_http, wecom.robot(), MESSAGE)
    assert (failed.ok, failed.retryable, failed.status) == (False, True, 500)
    async with raising(httpx.ConnectError("no route to host")) as http:
        unreachable = await send_wecom(http, wecom.robot(), MESSAGE)
    assert (unreachable.ok, unreachable.retryable) == (False, True)


# -- SMS -----------------------------------------------------------------------------------


@pytest.fixture
def sms() -> FakeSmsProvider:
    return FakeSmsProvider()


@pytest.fixture
async def sms_http(sms: FakeSmsProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with client(sms.app) as http:
        yield http


async def test_sms_is_delivered_as_plain_text(
    sms: FakeSmsProvider, sms_http: httpx.AsyncClient
) -> None:
    provider = sms.provider(sender="INVENTORY")
    delivery = await send_sms(sms_http, provider, "+8613800138000", MESSAGE)
    assert delivery.ok, delivery
    assert sms.received == [
        {
            "to": "+8613800138000",
            "text": "待审批：采购订单 PO-1\n申请人：张三\n步骤：部门经理",
            "sender": "INVENTORY",
        }
    ]


async def test_sms_text_is_cut_to_500_characters(
    sms: FakeSmsProvider, sms_http: httpx.AsyncClient
) -> None:
    long = Message(title="库存预警", body="物料低于安全库存。" * 100)
    assert (await send_sms(sms_http, sms.provider(), "13800138000", long)).ok
    text = sms.received[0]["text"]
    assert len(text) == 500
    assert text.endswith("…")


async def test_sms_key_in_a_custom_header() -> None:
    fake = FakeSmsProvider(api_key="k-123", header="X-Api-Key")
    async with client(fake.app) as http:
        assert (await send_sms(http, fake.provider(), "13800138000", MESSAGE)).ok


async def test_sms_bad_key_is_final(sms: FakeSmsProvider, sms_http: httpx.AsyncClient) -> None:
    provider = SmsProvider(url="http://sms/sms", api_key="wrong")
    delivery = await send_sms(sms_http, provider, "13800138000", MESSAGE)
    assert (delivery.ok, delivery.retryable, delivery.status) == (False, False, 401)
    assert "bad api key" in delivery.detail
    assert sms.received == []


async def test_sms_429_honours_retry_after(
    sms: FakeSmsProvider, sms_http: httpx.AsyncClient
) -> None:
    sms.fail_next, sms.fail_status, sms.fail_headers = 1, 429, {"Retry-After": "7"}
    delivery = await send_sms(sms_http, sms.provider(), "13800138000", MESSAGE)
    assert (delivery.ok, delivery.retryable, delivery.status) == (False, True, 429)
    assert delivery.retry_after == 7.0


async def test_sms_retry_after_as_http_date(
    sms: FakeSmsProvider, sms_http: httpx.AsyncClient
) -> None:
    later = datetime.now(UTC) + timedelta(seconds=120)
    sms.fail_next, sms.fail_status = 1, 503
    sms.fail_headers = {"Retry-After": email.utils.format_datetime(later, usegmt=True)}
    delivery = await send_sms(sms_http, sms.provider(), "13800138000", MESSAGE)
    assert (delivery.ok, delivery.retryable, delivery.status) == (False, True, 503)
    assert delivery.retry_after is not None
    assert 100 < delivery.retry_after <= 120


async def test_sms_other_4xx_is_final_and_5xx_retryable(
    sms: FakeSmsProvider, sms_http: httpx.AsyncClient
) -> None:
    refused = await send_sms(sms_http, sms.provider(), "", MESSAGE)
    assert (refused.ok, refused.retryable, refused.status) == (False, False, 422)
    sms.fail_next = 1
    failed = await send_sms(sms_http, sms.provider(), "13800138000", MESSAGE)
    assert (failed.ok, failed.retryable, failed.retry_after) == (False, True, None)


# -- outgoing webhooks ---------------------------------------------------------------------


@pytest.fixture
def hooks() -> FakeWebhookReceiver:
    return FakeWebhookReceiver()


@pytest.fixture
async def hooks_http(hooks: FakeWebhookReceiver) -> AsyncIterator[httpx.AsyncClient]:
    async with client(hooks.app) as http:
        yield http


async def test_webhook_is_signed_and_verified(
    hooks: FakeWebhookReceiver, hooks_http: httpx.AsyncClient
) -> None:
    now = datetime.now(UTC)
    payload = {"document": "PO-1", "quantity": Decimal("12.50"), "approved": True}
    delivery = await send_webhook(
        hooks_http,
        hooks.endpoint(),
        event_type="approval.completed",
        payload=payload,
        message_id="msg_01",
        now=now,
    )
    assert delivery.ok, delivery
    assert delivery.status == 204
    [entry] = hooks.received
    assert entry["id"] == "msg_01"
    assert entry["timestamp"] == int(now.timestamp())
    assert entry["signature"].startswith("v1,")
    assert entry["headers"]["content-type"] == "application/json"
    assert entry["body"] == {
        "type": "approval.completed",
        "timestamp": now.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "data": {"document": "PO-1", "quantity": "12.5", "approved": True},
    }


async def test_webhook_resend_keeps_the_message_id(
    hooks: FakeWebhookReceiver, hooks_http: httpx.AsyncClient
) -> None:
    hooks.fail_next = 1
    endpoint = hooks.endpoint()

    async def send() -> Delivery:
        return await send_webhook(
            hooks_http,
            endpoint,
            event_type="stock.low",
            payload={"item": "A001"},
            message_id="msg_02",
        )

    first = await send()
    assert (first.ok, first.retryable, first.status) == (False, True, 500)
    second, third = await send(), await send()
    assert second.ok and third.ok
    assert hooks.delivered_ids == ["msg_02", "msg_02"]
    assert [entry["duplicate"] for entry in hooks.received] == [False, True]
    assert hooks.rejected[0]["headers"]["webhook-id"] == "msg_02"


async def test_webhook_time_in_another_zone_is_signed_as_utc(
    hooks: FakeWebhookReceiver, hooks_http: httpx.AsyncClient
) -> None:
    beijing = datetime.now(timezone(timedelta(hours=8)))
    delivery = await send_webhook(
        hooks_http,
        hooks.endpoint(),
        event_type="t",
        payload={},
        message_id="msg_03",
        now=beijing,
    )
    assert delivery.ok, delivery
    assert hooks.received[0]["body"]["timestamp"].endswith("Z")


async def test_webhook_naive_time_is_refused(
    hooks: FakeWebhookReceiver, hooks_http: httpx.AsyncClient
) -> None:
    with pytest.raises(ValueError):
        await send_webhook(
            hooks_http,
            hooks.endpoint(),
            event_type="t",
            payload={},
            message_id="m",
            now=datetime(2024, 5, 1),
        )


class Tamper(httpx.AsyncBaseTransport):
    """Changes one byte of each request body on the way (same length), keeping the headers."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = request.content.replace(b'"amount":42', b'"amount":43')
        assert body != request.content
        forged = httpx.Request(request.method, request.url, headers=request.headers, content=body)
        return await self.inner.handle_async_request(forged)


async def test_webhook_tampered_body_is_rejected(hooks: FakeWebhookReceiver) -> None:
    transport = Tamper(httpx.ASGITransport(app=hooks.app))
    async with httpx.AsyncClient(transport=transport) as http:
        delivery = await send_webhook(
            http,
            hooks.endpoint(),
            event_type="payment.made",
            payload={"amount": 42},
            message_id="msg_04",
        )
    assert (delivery.ok, delivery.retryable, delivery.status) == (False, False, 401)
    assert hooks.received == []
    assert "No matching signature" in hooks.rejected[0]["error"]


async def test_webhook_wrong_secret_or_stale_time_is_rejected(
    hooks: FakeWebhookReceiver, hooks_http: httpx.AsyncClient
) -> None:
    other = FakeWebhookReceiver().endpoint()
    wrong = await send_webhook(hooks_http, other, event_type="t", payload={}, message_id="msg_05")
    stale = await send_webhook(
        hooks_http,
        hooks.endpoint(),
        event_type="t",
        payload={},
        message_id="msg_06",
        now=datetime.now(UTC) - timedelta(minutes=10),
    )
    assert (wrong.ok, wrong.retryable, wrong.status) == (False, False, 401)
    assert (stale.ok, stale.retryable, stale.status) == (False, False, 401)
    assert hooks.received == []
    assert "too old" in hooks.rejected[1]["error"]


async def test_webhook_unreachable_is_retryable(hooks: FakeWebhookReceiver) -> None:
    async with raising(httpx.ConnectError("connection refused")) as http:
        delivery = await send_webhook(
            http, hooks.endpoint(), event_type="t", payload={}, message_id="m"
        )
    assert (delivery.ok, delivery.retryable) == (False, True)


def test_webhook_endpoint_refuses_an_empty_secret() -> None:
    with pytest.raises(Exception, match="empty"):
        WebhookEndpoint(url="http://hooks/hook", secret="whsec_")


# -- e-mail --------------------------------------------------------------------------------


async def test_email_with_chinese_subject_arrives() -> None:
    async with FakeSmtpServer() as smtp:
        delivery = await send_email(
            smtp.server(), ["zhangsan@example.com", "lisi@example.com"], MESSAGE
        )
    assert delivery.ok, delivery
    [mail] = smtp.received
    assert mail["Subject"] == "待审批：采购订单 PO-1"
    assert mail["To"] == "zhangsan@example.com, lisi@example.com"
    assert mail["Message-ID"].endswith("@example.com>")
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content_charset() == "utf-8"
    assert mail.get_content() == f"申请人：张三\n步骤：部门经理\n\n查看: {LINK}\n"
    assert smtp.envelopes == [("noreply@example.com", ["zhangsan@example.com", "lisi@example.com"])]


async def test_email_subject_loses_line_breaks() -> None:
    async with FakeSmtpServer() as smtp:
        delivery = await send_email(smtp.server(), ["a@example.com"], Message("第一行\n第二行", ""))
    assert delivery.ok, delivery
    assert smtp.received[0]["Subject"] == "第一行 第二行"


async def test_email_with_login() -> None:
    async with FakeSmtpServer(username="robot", password="s3cret") as smtp:
        delivered = await send_email(smtp.server(), ["a@example.com"], MESSAGE)
        wrong = SmtpServer(smtp.host, smtp.port, "robot@example.com", "robot", "wrong")
        refused = await send_email(wrong, ["a@example.com"], MESSAGE)
        anonymous = SmtpServer(smtp.host, smtp.port, "robot@example.com")
        unauthenticated = await send_email(anonymous, ["a@example.com"], MESSAGE)
    assert delivered.ok, delivered
    assert (refused.ok, refused.retryable, refused.status) == (False, False, 535)
    assert (unauthenticated.ok, unauthenticated.retryable) == (False, False)
    assert unauthenticated.status == 530
    assert len(smtp.received) == 1


async def test_email_transient_reply_is_retryable() -> None:
    async with FakeSmtpServer() as smtp:
        smtp.fail_next = 1
        failed = await send_email(smtp.server(), ["a@example.com"], MESSAGE)
        smtp.fail_reply = "554 5.6.0 Message rejected"
        smtp.fail_next = 1
        rejected = await send_email(smtp.server(), ["a@example.com"], MESSAGE)
        delivered = await send_email(smtp.server(), ["a@example.com"], MESSAGE)
    assert (failed.ok, failed.retryable, failed.status) == (False, True, 451)
    assert (rejected.ok, rejected.retryable, rejected.status) == (False, False, 554)
    assert delivered.ok
    assert len(smtp.received) == 1


async def test_email_unreachable_server_is_retryable() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = SmtpServer("127.0.0.1", port, "noreply@example.com", timeout=5)
    delivery = await send_email(server, ["a@example.com"], MESSAGE)
    assert (delivery.ok, delivery.retryable) == (False, True)


async def test_email_without_recipients_is_final() -> None:
    server = SmtpServer("127.0.0.1", 25, "noreply@example.com")
    delivery = await send_email(server, [" "], MESSAGE)
    assert (delivery.ok, delivery.retryable, delivery.detail) == (False, False, "no recipients")


def test_smtp_server_refuses_both_tls_modes() -> None:
    with pytest.raises(ValueError):
        SmtpServer("smtp.example.com", 465, "a@example.com", starttls=True, use_tls=True)
