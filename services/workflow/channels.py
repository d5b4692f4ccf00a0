"""Outbound notification channels: one delivery attempt each, answered as a `Delivery`.

Senders never raise for a failed delivery: they classify it as retryable (throttled,
HTTP 429/5xx, timeouts, connection errors, SMTP 4xx) or final (bad signature, unknown
robot, other 4xx, SMTP 5xx) and leave retrying to the caller.
"""

from __future__ import annotations

import email.utils
import json
import math
import ssl
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from email.message import EmailMessage
from typing import Any, Literal, cast
from uuid import UUID

import aiosmtplib
import httpx
from standardwebhooks.webhooks import Webhook

from services.workflow.domain.messages import (
    Message,
    dingtalk_robot_payload,
    email_text,
    sms_text,
    wecom_robot_payload,
)
from services.workflow.domain.signing import dingtalk_robot_sign

DINGTALK_KINDS = ("text", "markdown", "action_card")
DINGTALK_THROTTLED = 130101  # "send too fast, exceed 20 times per minute"
WECOM_THROTTLED = 45009  # "api freq out of limit"
SYSTEM_BUSY = -1  # both robots: "system busy, try again"
THROTTLE_RETRY_AFTER = 60.0
_DETAIL_CHARS = 300


# -- configuration ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DingTalkRobot:
    """A DingTalk custom robot: its webhook URL (with access_token) and optional sign secret."""

    webhook_url: str
    secret: str | None
    kind: str = "markdown"

    def __post_init__(self) -> None:
        if self.kind not in DINGTALK_KINDS:
            raise ValueError(f"kind must be one of {', '.join(DINGTALK_KINDS)}")


@dataclass(frozen=True, slots=True)
class WeComRobot:
    """A WeCom group robot: its webhook URL (with key)."""

    webhook_url: str


@dataclass(frozen=True, slots=True)
class SmsProvider:
    """An HTTP SMS gateway taking JSON `{"to", "text", "sender"}`.

    The API key goes in `header`: as `Bearer <key>` when that is Authorization, else bare.
    """

    url: str
    api_key: str | None = None
    header: str = "Authorization"
    sender: str = ""


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """An SMTP relay; `starttls` upgrades a plain connection, `use_tls` connects over TLS."""

    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    use_tls: bool = False
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.starttls and self.use_tls:
            raise ValueError("starttls and use_tls are mutually exclusive")


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    """A receiver of Standard Webhooks; `secret` is `whsec_<base64>`."""

    url: str
    secret: str

    def __post_init__(self) -> None:
        Webhook(self.secret)  # refuses an empty secret now rather than at the first send


@dataclass(frozen=True, slots=True)
class Delivery:
    """The outcome of one delivery attempt."""

    ok: bool
    retryable: bool
    detail: str
    status: int | None = None
    retry_after: float | None = None


# -- senders ------------------------------------------------------------------------------


async def send_dingtalk(
    http: httpx.AsyncClient,
    robot: DingTalkRobot,
    message: Message,
    *,
    now_ms: int | None = None,
) -> Delivery:
    """Send `message` through a DingTalk custom robot, signed when the robot has a secret."""
    url = robot.webhook_url
    if robot.secret is not None:
        timestamp = now_ms if now_ms is not None else math.floor(time.time() * 1000)
        # Appended to the URL as DingTalk documents it, URL-encoded once. Not via httpx
        # `params`: that would encode it twice, and httpx 0.28 `params` also replaces the
        # URL's own query (the access_token).
        sign = dingtalk_robot_sign(robot.secret, timestamp)
        url = _append_query(url, f"timestamp={timestamp}&sign={sign}")
    kind = cast(Literal["text", "markdown", "action_card"], robot.kind)
    payload = dingtalk_robot_payload(message, kind=kind)
    answer = await _post(http, url, body=payload)
    if isinstance(answer, Delivery):
        return answer
    return _robot_outcome(answer, "dingtalk", throttled=DINGTALK_THROTTLED)


async def send_wecom(http: httpx.AsyncClient, robot: WeComRobot, message: Message) -> Delivery:
    """Send `message` as markdown through a WeCom group robot."""
    answer = await _post(http, robot.webhook_url, body=wecom_robot_payload(message))
    if isinstance(answer, Delivery):
        return answer
    return _robot_outcome(answer, "wecom", throttled=WECOM_THROTTLED)


async def send_sms(
    http: httpx.AsyncClient, provider: SmsProvider, phone: str, message: Message
) -> Delivery:
    """Send `message` as plain text (at most 500 characters) to `phone`."""
    headers: dict[str, str] = {}
    if provider.api_key is not None:
        bearer = provider.header.lower() == "authorization"
        headers[provider.header] = f"Bearer {provider.api_key}" if bearer else provider.api_key
    body = {"to": phone, "text": sms_text(message), "sender": provider.sender}
    answer = await _post(http, provider.url, body=body, headers=headers)
    if isinstance(answer, Delivery):
        return answer
    if answer.is_success:
        return Delivery(ok=True, retryable=False, detail="accepted", status=answer.status_code)
    return _http_failure(answer)


async def send_email(server: SmtpServer, to: Sequence[str], message: Message) -> Delivery:
    """Send `message` as a plain-text UTF-8 e-mail (subject = title, link below the body)."""
    recipients = [address for address in to if address.strip()]
    if not recipients:
        return Delivery(ok=False, retryable=False, detail="no recipients")
    mail = EmailMessage()
    mail["Subject"] = " ".join(message.title.split())  # no line breaks in a header
    mail["From"] = server.sender
    mail["To"] = ", ".join(recipients)
    mail["Date"] = email.utils.formatdate(usegmt=True)
    domain = email.utils.parseaddr(server.sender)[1].rpartition("@")[2] or "localhost"
    mail["Message-ID"] = email.utils.make_msgid(domain=domain)
    mail.set_content(email_text(message), charset="utf-8")
    try:
        refused, reply = await aiosmtplib.send(
            mail,
            recipients=recipients,
            hostname=server.host,
            port=server.port,
            username=server.username,
            password=server.password,
            use_tls=server.use_tls,
            start_tls=server.starttls,
            timeout=server.timeout,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [refusal.code for refusal in exc.recipients]
        detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
        transient = all(400 <= code < 500 for code in codes)
        return Delivery(ok=False, retryable=transient, detail=f"recipients refused: {detail}")
    except aiosmtplib.SMTPResponseException as exc:
        transient = 400 <= exc.code < 500
        detail = f"SMTP {exc.code}: {exc.message}"
        return Delivery(ok=False, retryable=transient, detail=detail, status=exc.code)
    except (aiosmtplib.SMTPTimeoutError, TimeoutError) as exc:
        return Delivery(ok=False, retryable=True, detail=f"timeout: {_describe(exc)}")
    except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected) as exc:
        return Delivery(ok=False, retryable=True, detail=f"connection failed: {_describe(exc)}")
    except aiosmtplib.SMTPException as exc:  # STARTTLS or AUTH not offered: configuration
        return Delivery(ok=False, retryable=False, detail=f"SMTP: {_describe(exc)}")
    except ssl.SSLCertVerificationError as exc:
        return Delivery(ok=False, retryable=False, detail=f"TLS: {_describe(exc)}")
    except OSError as exc:
        return Delivery(ok=False, retryable=True, detail=f"connection failed: {_describe(exc)}")
    if refused:
        some = "; ".join(f"{address}: {r.code} {r.message}" for address, r in refused.items())
        return Delivery(ok=True, retryable=False, detail=f"{reply}; refused {some}")
    return Delivery(ok=True, retryable=False, detail=reply)


async def send_webhook(
    http: httpx.AsyncClient,
    endpoint: WebhookEndpoint,
    *,
    event_type: str,
    payload: Mapping[str, Any],
    message_id: str,
    now: datetime | None = None,
) -> Delivery:
    """POST a Standard Webhooks event; resend with the same `message_id` so receivers dedupe."""
    when = datetime.now(UTC) if now is None else now
    if when.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    when = when.astimezone(UTC)  # the library signs the wall time as if it were UTC
    stamp = when.isoformat(timespec="microseconds").replace("+00:00", "Z")
    event = {"type": event_type, "timestamp": stamp, "data": payload}
    body = json.dumps(event, ensure_ascii=False, separators=(",", ":"), default=_json_default)
    headers = {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(math.floor(when.timestamp())),
        "webhook-signature": Webhook(endpoint.secret).sign(message_id, when, body),
    }
    answer = await _post(http, endpoint.url, content=body.encode("utf-8"), headers=headers)
    if isinstance(answer, Delivery):
        return answer
    if answer.is_success:
        return Delivery(ok=True, retryable=False, detail="accepted", status=answer.status_code)
    return _http_failure(answer)


# -- helpers ------------------------------------------------------------------------------


async def _post(
    http: httpx.AsyncClient,
    url: str,
    *,
    body: Any = None,
    content: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response | Delivery:
    """POST and return the response, or the failed Delivery when no response came."""
    try:
        return await http.post(url, json=body, content=content, headers=headers)
    except httpx.TimeoutException as exc:
        return Delivery(ok=False, retryable=True, detail=f"timeout: {_describe(exc)}")
    except httpx.UnsupportedProtocol as exc:
        return Delivery(ok=False, retryable=False, detail=f"bad URL: {_describe(exc)}")
    except httpx.TransportError as exc:
        return Delivery(ok=False, retryable=True, detail=f"connection failed: {_describe(exc)}")
    except httpx.TooManyRedirects as exc:
        return Delivery(ok=False, retryable=False, detail=f"redirect loop: {_describe(exc)}")
    except httpx.HTTPError as exc:
        return Delivery(ok=False, retryable=True, detail=f"HTTP error: {_describe(exc)}")
    except httpx.InvalidURL as exc:
        return Delivery(ok=False, retryable=False, detail=f"bad URL: {_describe(exc)}")


def _robot_outcome(response: httpx.Response, robot: str, *, throttled: int) -> Delivery:
    """Classify a robot's answer: HTTP status first, then the JSON `errcode`."""
    if not response.is_success:
        return _http_failure(response)
    status = response.status_code
    try:
        answer = response.json()
    except ValueError:
        detail = f"{robot}: answer is not JSON: {_snippet(response.text)}"
        return Delivery(ok=False, retryable=False, detail=detail, status=status)
    if not isinstance(answer, dict) or "errcode" not in answer:
        detail = f"{robot}: answer has no errcode: {_snippet(response.text)}"
        return Delivery(ok=False, retryable=False, detail=detail, status=status)
    errcode, errmsg = answer["errcode"], str(answer.get("errmsg", ""))
    detail = f"{robot} errcode {errcode}: {errmsg}"
    if errcode == 0:
        return Delivery(ok=True, retryable=False, detail=errmsg or "ok", status=status)
    if errcode == throttled:
        return Delivery(
            ok=False,
            retryable=True,
            detail=detail,
            status=status,
            retry_after=THROTTLE_RETRY_AFTER,
        )
    return Delivery(ok=False, retryable=errcode == SYSTEM_BUSY, detail=detail, status=status)


def _http_failure(response: httpx.Response) -> Delivery:
    """Classify a non-2xx answer: 408, 429 and 5xx are retryable, Retry-After honoured."""
    status = response.status_code
    snippet = _snippet(response.text)
    detail = f"HTTP {status}: {snippet}" if snippet else f"HTTP {status}"
    retryable = status in (408, 429) or status >= 500
    retry_after = _retry_after(response.headers.get("retry-after")) if retryable else None
    return Delivery(
        ok=False, retryable=retryable, detail=detail, status=status, retry_after=retry_after
    )


def _retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Return the seconds a Retry-After header asks for (delta-seconds or an HTTP date)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


def _append_query(url: str, query: str) -> str:
    """Return `url` with `query` (already encoded) appended to its query string."""
    parts = urllib.parse.urlsplit(url)
    joined = f"{parts.query}&{query}" if parts.query else query
    return urllib.parse.urlunsplit(parts._replace(query=joined))


def _json_default(value: object) -> object:
    """Encode what `json` cannot: decimals as plain strings, times in ISO 8601, UUIDs."""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f") if value.is_finite() else str(value)
        return "0" if text == "-0" else text
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _snippet(text: str) -> str:
    """Return the first characters of a response body on one line."""
    return " ".join(text.split())[:_DETAIL_CHARS]


def _describe(exc: BaseException) -> str:
    """Return an exception's class and message."""
    message = str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
