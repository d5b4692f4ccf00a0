"""Fake notification servers: DingTalk and WeCom robots, an SMS gateway, a webhook receiver, SMTP.

The HTTP fakes are ASGI apps (`fake.app`) answering the way the real services do (HTTP 200
with an `errcode` for the robots); reach them with
`httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app), base_url="http://dingtalk")`.
Each records what it accepted in `received` and what it refused in `rejected`, and
answers HTTP 500 (or `fail_status`) to the next `fail_next` calls. The robots' rate
limits use the injectable clock `now` (seconds since the epoch, `time.time` by default),
which also checks DingTalk's timestamps.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable, Sequence
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServerProtocol
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from standardwebhooks.webhooks import Webhook

from services.workflow.channels import (
    DingTalkRobot,
    SmsProvider,
    SmtpServer,
    WebhookEndpoint,
    WeComRobot,
)
from services.workflow.domain.signing import dingtalk_robot_verify

Clock = Callable[[], float]
WINDOW_SECONDS = 60.0


class _RateLimit:
    """At most `limit` accepted calls in any `WINDOW_SECONDS` of the clock."""

    def __init__(self, limit: int, now: Clock) -> None:
        self.limit = limit
        self.now = now
        self._accepted: deque[float] = deque()

    def allow(self) -> bool:
        """Count one call if the window has room; return whether it had."""
        now = self.now()
        while self._accepted and self._accepted[0] <= now - WINDOW_SECONDS:
            self._accepted.popleft()
        if len(self._accepted) >= self.limit:
            return False
        self._accepted.append(now)
        return True


async def _json_body(request: Request) -> Any:
    """Return the request's JSON body, or None when it is not JSON."""
    try:
        return json.loads(await request.body())
    except ValueError:
        return None


class FakeDingTalkRobot:
    """A DingTalk custom robot: `POST /robot/send?access_token=...[&timestamp=&sign=]`."""

    def __init__(
        self,
        *,
        access_token: str = "dingtalk-token",
        secret: str | None = "SEC0123456789abcdef0123456789abcdef",
        keywords: Sequence[str] = (),
        limit_per_minute: int = 20,
        now: Clock = time.time,
    ) -> None:
        self.access_token = access_token
        self.secret = secret
        self.keywords = tuple(keywords)
        self.now = now
        self.fail_next = 0
        self.received: list[dict[str, Any]] = []
        self.rejected: list[dict[str, Any]] = []
        self._limit = _RateLimit(limit_per_minute, now)
        self.app = FastAPI()
        self.app.add_api_route("/robot/send", self._send, methods=["POST"])

    def webhook_url(self, base_url: str = "http://dingtalk") -> str:
        """Return the robot's webhook URL under `base_url`."""
        return f"{base_url}/robot/send?access_token={self.access_token}"

    def robot(self, *, kind: str = "markdown", base_url: str = "http://dingtalk") -> DingTalkRobot:
        """Return the sender's configuration for this robot."""
        return DingTalkRobot(webhook_url=self.webhook_url(base_url), secret=self.secret, kind=kind)

    async def _send(self, request: Request) -> Response:
        """Check token, signature, rate and content like DingTalk; record the message."""
        query = dict(request.query_params)
        payload = await _json_body(request)
        if self.fail_next > 0:
            self.fail_next -= 1
            return self._refuse(query, payload, -1, "system busy", status=500)
        if query.get("access_token") != self.access_token:
            return self._refuse(query, payload, 300001, "token is not exist")
        if self.secret is not None:
            refusal = self._check_sign(query)
            if refusal is not None:
                return self._refuse(query, payload, 310000, refusal)
        if not isinstance(payload, dict):
            return self._refuse(query, payload, 40035, "invalid json")
        problem = _dingtalk_content_problem(payload)
        if problem is not None:
            return self._refuse(query, payload, 40035, problem)
        if self.keywords and not any(
            k in json.dumps(payload, ensure_ascii=False) for k in self.keywords
        ):
            return self._refuse(query, payload, 310000, "keywords not in content")
        if not self._limit.allow():
            errmsg = "send too fast, exceed 20 times per minute"
            return self._refuse(query, payload, 130101, errmsg)
        self.received.append(payload)
        return JSONResponse({"errcode": 0, "errmsg": "ok"})

    def _check_sign(self, query: dict[str, str]) -> str | None:
        """Return why timestamp and sign are refused, or None when they are right."""
        assert self.secret is not None
        try:
            timestamp = int(query.get("timestamp", ""))
        except ValueError:
            return "invalid timestamp"
        now_ms = int(self.now() * 1000)
        if abs(now_ms - timestamp) > 3_600_000:
            return "invalid timestamp"
        # The server URL-decodes the query once: the value must then be plain base64. A
        # "%" left over means the client encoded the sign twice, which DingTalk refuses.
        sign = query.get("sign", "")
        if "%" in sign or not dingtalk_robot_verify(self.secret, timestamp, sign, now_ms):
            return "sign not match"
        return None

    def _refuse(
        self, query: dict[str, str], payload: Any, errcode: int, errmsg: str, status: int = 200
    ) -> Response:
        """Record and answer a refusal."""
        self.rejected.append(
            {
                "errcode": errcode,
                "errmsg": errmsg,
                "status": status,
                "query": query,
                "payload": payload,
            }
        )
        return JSONResponse({"errcode": errcode, "errmsg": errmsg}, status_code=status)


def _dingtalk_content_problem(payload: dict[str, Any]) -> str | None:
    """Return what is missing from a DingTalk message, or None."""
    required = {
        "text": ("text", ("content",)),
        "markdown": ("markdown", ("title", "text")),
        "actionCard": ("actionCard", ("title", "text", "singleTitle", "singleURL")),
        "link": ("link", ("title", "text", "messageUrl")),
    }
    msgtype = payload.get("msgtype")
    if msgtype not in required:
        return f"invalid msgtype {msgtype!r}"
    key, fields = required[msgtype]
    body = payload.get(key)
    if not isinstance(body, dict):
        return f"missing {key}"
    for field in fields:
        if not isinstance(body.get(field), str) or not body[field]:
            return f"missing {key}.{field}"
    return None


class FakeWeComRobot:
    """A WeCom group robot: `POST /cgi-bin/webhook/send?key=...`."""

    MARKDOWN_LIMIT_BYTES = 4096
    TEXT_LIMIT_BYTES = 2048

    def __init__(
        self, *, key: str = "wecom-key", limit_per_minute: int = 20, now: Clock = time.time
    ) -> None:
        self.key = key
        self.now = now
        self.fail_next = 0
        self.received: list[dict[str, Any]] = []
        self.rejected: list[dict[str, Any]] = []
        self._limit = _RateLimit(limit_per_minute, now)
        self.app = FastAPI()
        self.app.add_api_route("/cgi-bin/webhook/send", self._send, methods=["POST"])

    def webhook_url(self, base_url: str = "http://wecom") -> str:
        """Return the robot's webhook URL under `base_url`."""
        return f"{base_url}/cgi-bin/webhook/send?key={self.key}"

    def robot(self, *, base_url: str = "http://wecom") -> WeComRobot:
        """Return the sender's configuration for this robot."""
        return WeComRobot(webhook_url=self.webhook_url(base_url))

    async def _send(self, request: Request) -> Response:
        """Check key, content length and rate like WeCom; record the message."""
        payload = await _json_body(request)
        if self.fail_next > 0:
            self.fail_next -= 1
            return self._refuse(payload, -1, "system busy", status=500)
        if request.query_params.get("key") != self.key:
            return self._refuse(payload, 93000, "invalid webhook url")
        if not isinstance(payload, dict):
            return self._refuse(payload, 40003, "invalid json")
        msgtype = payload.get("msgtype")
        limits = {"text": self.TEXT_LIMIT_BYTES, "markdown": self.MARKDOWN_LIMIT_BYTES}
        if msgtype not in limits:
            return self._refuse(payload, 40008, "invalid message type")
        body = payload.get(msgtype)
        content = body.get("content") if isinstance(body, dict) else None
        if not isinstance(content, str) or not content:
            return self._refuse(payload, 44004, "empty content")
        if len(content.encode("utf-8")) > limits[msgtype]:
            return self._refuse(payload, 40058, "content exceed max length")
        if not self._limit.allow():
            return self._refuse(payload, 45009, "api freq out of limit")
        self.received.append(payload)
        return JSONResponse({"errcode": 0, "errmsg": "ok"})

    def _refuse(self, payload: Any, errcode: int, errmsg: str, status: int = 200) -> Response:
        """Record and answer a refusal."""
        self.rejected.append(
            {"errcode": errcode, "errmsg": errmsg, "status": status, "payload": payload}
        )
        return JSONResponse({"errcode": errcode, "errmsg": errmsg}, status_code=status)


class FakeSmsProvider:
    """An HTTP SMS gateway: `POST /sms` with JSON `{"to", "text", "sender"}`.

    The key is expected as `Bearer <key>` when `header` is Authorization, else bare.
    """

    def __init__(self, *, api_key: str | None = "sms-key", header: str = "Authorization") -> None:
        self.api_key = api_key
        self.header = header
        self.fail_next = 0
        self.fail_status = 500
        self.fail_headers: dict[str, str] = {}
        self.received: list[dict[str, Any]] = []
        self.rejected: list[dict[str, Any]] = []
        self.app = FastAPI()
        self.app.add_api_route("/sms", self._send, methods=["POST"])

    def provider(self, *, sender: str = "", base_url: str = "http://sms") -> SmsProvider:
        """Return the sender's configuration for this gateway."""
        return SmsProvider(
            url=f"{base_url}/sms", api_key=self.api_key, header=self.header, sender=sender
        )

    async def _send(self, request: Request) -> Response:
        """Check the key and the body; record the message."""
        payload = await _json_body(request)
        if self.fail_next > 0:
            self.fail_next -= 1
            return self._refuse(payload, self.fail_status, "unavailable", self.fail_headers)
        if self.api_key is not None:
            bearer = self.header.lower() == "authorization"
            expected = f"Bearer {self.api_key}" if bearer else self.api_key
            given = request.headers.get(self.header, "")
            if not secrets.compare_digest(given.encode(), expected.encode()):
                return self._refuse(payload, 401, "bad api key")
        if not (
            isinstance(payload, dict)
            and isinstance(payload.get("to"), str)
            and payload["to"]
            and isinstance(payload.get("text"), str)
            and payload["text"]
        ):
            return self._refuse(payload, 422, "to and text are required")
        self.received.append(payload)
        return JSONResponse({"id": f"sms-{len(self.received)}", "status": "queued"})

    def _refuse(
        self, payload: Any, status: int, error: str, headers: dict[str, str] | None = None
    ) -> Response:
        """Record and answer a refusal."""
        self.rejected.append({"status": status, "error": error, "payload": payload})
        return JSONResponse({"error": error}, status_code=status, headers=headers)


class FakeWebhookReceiver:
    """A Standard Webhooks receiver: `POST /hook`, 401 when the signature does not verify.

    Verification uses the library's real clock (five minutes of tolerance). Each entry of
    `received` holds `id`, `timestamp`, `signature`, `headers`, `body` (parsed) and
    `duplicate` (the id was delivered before).
    """

    def __init__(self, *, secret: str | None = None) -> None:
        self.secret = secret or "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        self.fail_next = 0
        self.received: list[dict[str, Any]] = []
        self.rejected: list[dict[str, Any]] = []
        self._webhook = Webhook(self.secret)
        self.app = FastAPI()
        self.app.add_api_route("/hook", self._receive, methods=["POST"])

    def endpoint(self, *, base_url: str = "http://hooks") -> WebhookEndpoint:
        """Return the sender's configuration for this receiver."""
        return WebhookEndpoint(url=f"{base_url}/hook", secret=self.secret)

    @property
    def delivered_ids(self) -> list[str]:
        """Return the ids of the accepted messages, in arrival order."""
        return [entry["id"] for entry in self.received]

    async def _receive(self, request: Request) -> Response:
        """Verify the signature; record the event."""
        raw = await request.body()
        headers = dict(request.headers)
        if self.fail_next > 0:
            self.fail_next -= 1
            self.rejected.append({"status": 500, "error": "unavailable", "headers": headers})
            return JSONResponse({"error": "unavailable"}, status_code=500)
        try:
            body = self._webhook.verify(raw, headers)
        except Exception as exc:  # the library raises ValueError etc. on malformed headers
            error = f"{type(exc).__name__}: {exc}"
            self.rejected.append({"status": 401, "error": error, "headers": headers, "raw": raw})
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        message_id = headers["webhook-id"]
        self.received.append(
            {
                "id": message_id,
                "timestamp": int(headers["webhook-timestamp"]),
                "signature": headers["webhook-signature"],
                "headers": headers,
                "body": body,
                "duplicate": message_id in self.delivered_ids,
            }
        )
        return Response(status_code=204)


class _QuietLoginData(logging.Filter):
    """Drops aiosmtpd's deprecation notice that it logs itself on every successful AUTH."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


_AIOSMTPD_LOG = logging.getLogger("mail.log")
_QUIET = _QuietLoginData()


class _EphemeralController(Controller):
    """aiosmtpd's threaded controller on a port the system picks (port 0)."""

    def _trigger_server(self) -> None:
        server = self.server
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()


class FakeSmtpServer:
    """An SMTP server on 127.0.0.1 and a free port, as an async context manager.

    `received` holds each message parsed as an `EmailMessage` (`msg["Subject"]` is decoded,
    `msg.get_content()` is the body text), `envelopes` the (MAIL FROM, RCPT TO) pairs.
    With `username` and `password` it requires AUTH (over plain text: a test server). The
    next `fail_next` messages are answered with `fail_reply`.
    """

    def __init__(
        self,
        *,
        hostname: str = "127.0.0.1",
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.host = hostname
        self.port = 0
        self.username = username
        self.password = password
        self.fail_next = 0
        self.fail_reply = "451 4.3.0 Try again later"
        self.received: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._controller: _EphemeralController | None = None

    def server(self, *, sender: str = "Inventory <noreply@example.com>") -> SmtpServer:
        """Return the sender's configuration for this server (with its credentials)."""
        return SmtpServer(
            host=self.host,
            port=self.port,
            sender=sender,
            username=self.username,
            password=self.password,
            timeout=10.0,
        )

    async def __aenter__(self) -> FakeSmtpServer:
        auth: dict[str, Any] = {}
        if self.username is not None:
            auth = {"authenticator": self._authenticate, "auth_require_tls": False}
        controller = _EphemeralController(
            _SmtpHandler(self), hostname=self.host, port=0, ready_timeout=10.0, **auth
        )
        _AIOSMTPD_LOG.addFilter(_QUIET)
        await asyncio.to_thread(controller.start)
        self._controller = controller
        self.port = controller.port
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._controller is not None:
            await asyncio.to_thread(self._controller.stop)
            self._controller = None
            _AIOSMTPD_LOG.removeFilter(_QUIET)

    def _authenticate(
        self,
        server: SMTPServerProtocol,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        """Accept exactly the configured login and password."""
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.username
            and auth_data.password.decode() == self.password
        )
        # handled=False: the server itself answers 535 to a failed login.
        return AuthResult(success=ok, handled=False, auth_data=auth_data)


class _SmtpHandler:
    """aiosmtpd hooks recording into a FakeSmtpServer (they run in the server's thread)."""

    def __init__(self, fake: FakeSmtpServer) -> None:
        self.fake = fake

    async def handle_MAIL(
        self,
        server: SMTPServerProtocol,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        if self.fake.username is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(
        self, server: SMTPServerProtocol, session: Session, envelope: Envelope
    ) -> str:
        if self.fake.fail_next > 0:
            self.fake.fail_next -= 1
            return self.fake.fail_reply
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        # SMTP carries CRLF line ends; parse with LF so the body reads as it was written.
        message = BytesParser(policy=policy.default).parsebytes(raw.replace(b"\r\n", b"\n"))
        assert isinstance(message, EmailMessage)
        self.fake.received.append(message)
        self.fake.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"
