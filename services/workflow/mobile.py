"""Mobile approval (移动审批): DingTalk and WeCom approval clients and their callbacks.

An approval step is mirrored into DingTalk (a process instance of the classic OAPI) or
WeCom (an approval application, `oa/applyevent`). The decision comes back through the
encrypted callbacks (`parse_dingtalk_callback`, `parse_wecom_callback`) and, since
callbacks get lost, through `get()` polling. Both give the same `MobileDecision`.

* Access tokens are cached per client and fetched again shortly before they expire, or
  when a call answers errcode 40014 (invalid token) / 42001 (expired token): that call is
  then sent once more with the new token.
* Any other non-zero errcode, and an answer without the expected fields (errcode -1),
  raise `MobileApiError`; transport failures and non-2xx statuses propagate as httpx
  exceptions (`httpx.TransportError`, `httpx.HTTPStatusError`): the caller retries.
* A DingTalk instance carries the business key in a form field named "业务编号" (and the
  title in "标题", unless `DingTalkApp.title_field` is None): the process template must
  define both text fields. WeCom puts the title and the business key in the summary, and
  the key also in the Text control `WeComApp.business_key_control` when given.
* Callback XML is parsed with `defusedxml` when installed, else with ElementTree after
  refusing any DOCTYPE or ENTITY declaration.

The app secrets travel in the gettoken query string, as both services require: keep the
httpx request log (logger "httpx", INFO) out of shared logs.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final, Literal

import httpx

from services.workflow.domain.callback_crypto import CallbackCrypto, CallbackError

try:  # pragma: no cover - depends on what is installed
    from defusedxml.ElementTree import fromstring as _xml_fromstring
except ImportError:  # pragma: no cover
    _xml_fromstring = ET.fromstring

__all__ = [
    "BUSINESS_KEY_FIELD",
    "DINGTALK_OAPI_URL",
    "TITLE_FIELD",
    "TOKEN_ERRCODES",
    "WECOM_ALL_APPROVE",
    "WECOM_ANY_ONE_APPROVES",
    "WECOM_API_URL",
    "CallbackError",
    "DecisionState",
    "DingTalkApp",
    "DingTalkApproval",
    "MobileApiError",
    "MobileDecision",
    "WeComApp",
    "WeComApproval",
    "decision_from_dingtalk_event",
    "decision_from_wecom_event",
    "parse_dingtalk_callback",
    "parse_wecom_callback",
    "parse_xml",
    "wecom_verify_url",
]

DINGTALK_OAPI_URL: Final = "https://oapi.dingtalk.com"
WECOM_API_URL: Final = "https://qyapi.weixin.qq.com"
TOKEN_ERRCODES: Final = frozenset({40014, 42001})
BUSINESS_KEY_FIELD: Final = "业务编号"
TITLE_FIELD: Final = "标题"
# WeCom's approver node `attr`: 1 = 或签 (any one approver decides), 2 = 会签 (all must).
WECOM_ANY_ONE_APPROVES: Final = 1
WECOM_ALL_APPROVE: Final = 2
WECOM_SUMMARY_CHARS: Final = 20
MAX_XML_BYTES: Final = 1 << 20
# DingTalk's dates ("2024-05-01 10:00:00") are Beijing time, which has no daylight saving.
CHINA_TIME: Final = timezone(timedelta(hours=8), "Asia/Shanghai")
_TOKEN_MARGIN_SECONDS: Final = 300.0
_DTD = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)

DecisionState = Literal["pending", "approved", "rejected", "cancelled"]


@dataclass(frozen=True, slots=True)
class MobileDecision:
    """Where an approval instance stands, and who decided it when it is decided."""

    instance_id: str
    state: DecisionState
    decided_by: str | None
    comment: str
    decided_at: datetime | None


class MobileApiError(Exception):
    """DingTalk or WeCom answered a non-zero errcode (-1: an answer of the wrong shape)."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"errcode {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


@dataclass(frozen=True, slots=True)
class DingTalkApp:
    """A DingTalk internal app and the approval process it starts instances of."""

    base_url: str
    app_key: str
    app_secret: str = field(repr=False)
    agent_id: int
    process_code: str
    title_field: str | None = TITLE_FIELD


@dataclass(frozen=True, slots=True)
class WeComApp:
    """A WeCom app (or the approval app's secret) and the approval template it uses."""

    base_url: str
    corp_id: str
    corp_secret: str = field(repr=False)
    agent_id: int
    template_id: str
    business_key_control: str | None = None


# --- token cache and calls ------------------------------------------------------------


def _errcode(answer: Mapping[str, Any]) -> int:
    code = answer.get("errcode", 0)
    if isinstance(code, bool) or not isinstance(code, int):
        raise MobileApiError(-1, f"errcode is not a number: {code!r}")
    return code


def _check(answer: Mapping[str, Any]) -> None:
    code = _errcode(answer)
    if code != 0:
        raise MobileApiError(code, str(answer.get("errmsg", "")))


class _OpenApi:
    """Token cache and errcode handling shared by both clients: `token_path` with
    `token_params` (the app's key and secret) answers the access token."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        clock: Callable[[], float],
        *,
        token_path: str,
        token_params: Mapping[str, str],
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._clock = clock
        self._token_path = token_path
        self._token_params = dict(token_params)
        self._token: str | None = None
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()

    async def _send(
        self, method: str, path: str, params: Mapping[str, str], body: Any = None
    ) -> dict[str, Any]:
        response = await self._http.request(
            method, self._base + path, params=dict(params), json=body
        )
        response.raise_for_status()
        try:
            answer = response.json()
        except ValueError as exc:
            raise MobileApiError(-1, f"the answer of {path} is not JSON") from exc
        if not isinstance(answer, dict):
            raise MobileApiError(-1, f"the answer of {path} is not an object")
        return answer

    def _fresh(self) -> str | None:
        if self._token is not None and self._clock() < self._refresh_at:
            return self._token
        return None

    async def access_token(self) -> str:
        """The cached access token, fetched first when missing or about to expire."""
        token = self._fresh()
        if token is not None:
            return token
        async with self._lock:
            token = self._fresh()
            if token is not None:
                return token
            started = self._clock()
            answer = await self._send("GET", self._token_path, self._token_params)
            _check(answer)
            token = answer.get("access_token")
            expires_in = answer.get("expires_in", 7200)
            if not isinstance(token, str) or not token or not isinstance(expires_in, int):
                raise MobileApiError(-1, "gettoken answered no access_token")
            margin = min(_TOKEN_MARGIN_SECONDS, expires_in / 10)
            self._token, self._refresh_at = token, started + expires_in - margin
            return token

    def _forget(self, token: str) -> None:
        if self._token == token:
            self._token = None

    async def call(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST `body` with the access token; once more with a new token on 40014/42001."""
        token = await self.access_token()
        answer = await self._send("POST", path, {"access_token": token}, body)
        if _errcode(answer) in TOKEN_ERRCODES:
            self._forget(token)
            token = await self.access_token()
            answer = await self._send("POST", path, {"access_token": token}, body)
        _check(answer)
        return answer


def _text_values(values: Sequence[str], what: str) -> list[str]:
    cleaned = [value for value in values if value]
    if not cleaned or len(cleaned) != len(values):
        raise ValueError(f"{what} must be a non-empty list of non-empty ids")
    return cleaned


# --- DingTalk -------------------------------------------------------------------------


def _china_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=CHINA_TIME)
    return parsed.astimezone(UTC)


def _epoch(value: object, *, millis: bool) -> datetime | None:
    try:
        number = int(str(value))
    except ValueError:
        return None
    if number <= 0:
        return None
    try:
        return datetime.fromtimestamp(number / 1000 if millis else number, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _decides(record: Mapping[str, Any], state: DecisionState) -> bool:
    """Whether an operation record is the one that gave the instance its `state`."""
    if state == "cancelled":
        return str(record.get("operation_type", "")).upper() == "TERMINATE_PROCESS_INSTANCE"
    wanted = "AGREE" if state == "approved" else "REFUSE"
    return str(record.get("operation_result", "")).upper() == wanted


def _dingtalk_decision(instance_id: str, process: Mapping[str, Any]) -> MobileDecision:
    status = str(process.get("status", "")).upper()
    result = str(process.get("result", "")).lower()
    state: DecisionState
    if status in ("NEW", "RUNNING"):
        return MobileDecision(instance_id, "pending", None, "", None)
    if status == "COMPLETED" and result in ("agree", "refuse"):
        state = "approved" if result == "agree" else "rejected"
    elif status in ("TERMINATED", "CANCELED"):
        state = "cancelled"
    else:
        raise MobileApiError(-1, f"unknown DingTalk instance status {status}/{result}")
    records = process.get("operation_records")
    last = next(
        (
            record
            for record in reversed(records if isinstance(records, list) else [])
            if isinstance(record, Mapping) and _decides(record, state)
        ),
        None,
    )
    finished = _china_time(process.get("finish_time"))
    if last is None:
        return MobileDecision(instance_id, state, None, "", finished)
    userid = last.get("userid")
    return MobileDecision(
        instance_id,
        state,
        userid if isinstance(userid, str) and userid else None,
        str(last.get("remark") or ""),
        _china_time(last.get("date")) or finished,
    )


class DingTalkApproval:
    """DingTalk approval (classic OAPI): start a process instance, read its state."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        app: DingTalkApp,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self._api = _DingTalkApi(http, app, clock)

    async def access_token(self) -> str:
        """The cached access token (fetched when missing or about to expire)."""
        return await self._api.access_token()

    async def start(
        self,
        *,
        originator_user_id: str,
        dept_id: int | None,
        approvers: Sequence[str],
        title: str,
        form: Sequence[tuple[str, str]],
        business_key: str,
    ) -> str:
        """Start an instance; answers its `process_instance_id`.

        The classic `approvers` list is sequential: DingTalk asks them in the order given,
        each must agree, and any refusal ends the instance. `form` is (field name, text)
        pairs; the business key goes in the field "业务编号" and the title in
        `app.title_field`, so neither may appear in `form`. Not idempotent: a retry after
        a lost answer starts a second instance.
        """
        if not business_key:
            raise ValueError("business_key must not be empty")
        people = _text_values(approvers, "approvers")
        if any("," in person for person in people):
            raise ValueError("a DingTalk user id cannot contain a comma")
        reserved = {BUSINESS_KEY_FIELD}
        if self.app.title_field is not None:
            reserved.add(self.app.title_field)
        clashes = sorted(reserved & {name for name, _ in form})
        if clashes:
            raise ValueError(f"form fields {clashes} are filled in by start()")
        values = [{"name": name, "value": value} for name, value in form]
        if self.app.title_field is not None:
            values.insert(0, {"name": self.app.title_field, "value": title})
        values.append({"name": BUSINESS_KEY_FIELD, "value": business_key})
        body = {
            "agent_id": self.app.agent_id,
            "process_code": self.app.process_code,
            "originator_user_id": originator_user_id,
            "dept_id": -1 if dept_id is None else dept_id,
            "approvers": ",".join(people),
            "form_component_values": values,
        }
        answer = await self._api.call("/topapi/processinstance/create", body)
        instance_id = answer.get("process_instance_id")
        if not isinstance(instance_id, str) or not instance_id:
            raise MobileApiError(-1, "processinstance/create answered no process_instance_id")
        return instance_id

    async def get(self, process_instance_id: str) -> MobileDecision:
        """The instance's state; the decider, remark and date of its deciding operation."""
        answer = await self._api.call(
            "/topapi/processinstance/get", {"process_instance_id": process_instance_id}
        )
        process = answer.get("process_instance")
        if not isinstance(process, Mapping):
            raise MobileApiError(-1, "processinstance/get answered no process_instance")
        return _dingtalk_decision(process_instance_id, process)

    async def terminate(self, process_instance_id: str, *, remark: str) -> None:
        """Withdraw a running instance as the system (`is_system`), e.g. once its task
        was decided elsewhere. An instance that already finished there cannot be
        withdrawn (an error), which the caller settles by asking for its state."""
        await self._api.call(
            "/topapi/process/instance/terminate",
            {
                "request": {
                    "process_instance_id": process_instance_id,
                    "is_system": True,
                    "remark": remark[:200],
                }
            },
        )


class _DingTalkApi(_OpenApi):
    def __init__(
        self, http: httpx.AsyncClient, app: DingTalkApp, clock: Callable[[], float]
    ) -> None:
        super().__init__(
            http,
            app.base_url,
            clock,
            token_path="/gettoken",
            token_params={"appkey": app.app_key, "appsecret": app.app_secret},
        )
        self._app = app


# --- WeCom ----------------------------------------------------------------------------

_WECOM_STATES: Final[Mapping[int, DecisionState]] = {
    1: "pending",
    2: "approved",
    3: "rejected",
    4: "cancelled",
    6: "cancelled",
    7: "cancelled",
    10: "approved",
}
_WECOM_AGREED: Final = frozenset({2, 13})
_WECOM_REFUSED: Final = frozenset({3})


@dataclass(frozen=True, slots=True)
class _WeComDetail:
    userid: str | None
    status: int
    speech: str
    sptime: int


def _wecom_decision(
    sp_no: str, state: DecisionState, details: Sequence[_WeComDetail], applyer: str | None
) -> MobileDecision:
    if state == "pending":
        return MobileDecision(sp_no, "pending", None, "", None)
    if state == "cancelled":
        return MobileDecision(sp_no, "cancelled", applyer, "", None)
    wanted = _WECOM_AGREED if state == "approved" else _WECOM_REFUSED
    deciding = [detail for detail in details if detail.status in wanted]
    if not deciding:
        return MobileDecision(sp_no, state, None, "", None)
    last = max(deciding, key=lambda detail: detail.sptime)
    return MobileDecision(sp_no, state, last.userid, last.speech, _epoch(last.sptime, millis=False))


def _as_int(value: object, what: str) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise MobileApiError(-1, f"{what} is not a number: {value!r}") from None


class WeComApproval:
    """WeCom approval (审批应用): submit an application, read its state."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        app: WeComApp,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self._api = _WeComApi(http, app, clock)

    async def access_token(self) -> str:
        """The cached access token (fetched when missing or about to expire)."""
        return await self._api.access_token()

    async def start(
        self,
        *,
        creator_userid: str,
        approvers: Sequence[str],
        title: str,
        form: Sequence[tuple[str, str]],
        business_key: str,
    ) -> str:
        """Submit an application (any one of `approvers` decides: 或签); answers `sp_no`.

        `form` is (Text control id, text) pairs of the template. The summary shows the
        title and the business key (each line cut to 20 characters); the key also fills
        `app.business_key_control` when set. Not idempotent.
        """
        if not business_key:
            raise ValueError("business_key must not be empty")
        people = _text_values(approvers, "approvers")
        control = self.app.business_key_control
        if control is not None and any(cid == control for cid, _ in form):
            raise ValueError(f"form control {control} is filled in by start()")
        contents = [{"control": "Text", "id": cid, "value": {"text": text}} for cid, text in form]
        if control is not None:
            contents.append({"control": "Text", "id": control, "value": {"text": business_key}})
        lines = [title, f"{BUSINESS_KEY_FIELD}：{business_key}"]
        body = {
            "creator_userid": creator_userid,
            "template_id": self.app.template_id,
            "use_template_approver": 0,
            "approver": [{"attr": WECOM_ANY_ONE_APPROVES, "userid": people}],
            "apply_data": {"contents": contents},
            "summary_list": [
                {"summary_info": [{"text": line[:WECOM_SUMMARY_CHARS], "lang": "zh_CN"}]}
                for line in lines
            ],
        }
        answer = await self._api.call("/cgi-bin/oa/applyevent", body)
        sp_no = answer.get("sp_no")
        if not isinstance(sp_no, str) or not sp_no:
            raise MobileApiError(-1, "oa/applyevent answered no sp_no")
        return sp_no

    async def get(self, sp_no: str) -> MobileDecision:
        """The application's state; the decider, speech and time of the deciding step."""
        answer = await self._api.call("/cgi-bin/oa/getapprovaldetail", {"sp_no": sp_no})
        info = answer.get("info")
        if not isinstance(info, Mapping):
            raise MobileApiError(-1, "oa/getapprovaldetail answered no info")
        status = _as_int(info.get("sp_status"), "sp_status")
        state = _WECOM_STATES.get(status)
        if state is None:
            raise MobileApiError(-1, f"unknown WeCom sp_status {status}")
        details: list[_WeComDetail] = []
        for record in _as_list(info.get("sp_record")):
            for detail in _as_list(record.get("details") if isinstance(record, Mapping) else None):
                if not isinstance(detail, Mapping):
                    continue
                approver = detail.get("approver")
                userid = approver.get("userid") if isinstance(approver, Mapping) else None
                details.append(
                    _WeComDetail(
                        userid if isinstance(userid, str) and userid else None,
                        _as_int(detail.get("sp_status", 0), "sp_status"),
                        str(detail.get("speech") or ""),
                        _as_int(detail.get("sptime", 0), "sptime"),
                    )
                )
        applyer = info.get("applyer")
        applyer_id = applyer.get("userid") if isinstance(applyer, Mapping) else None
        return _wecom_decision(
            sp_no, state, details, applyer_id if isinstance(applyer_id, str) else None
        )


class _WeComApi(_OpenApi):
    def __init__(self, http: httpx.AsyncClient, app: WeComApp, clock: Callable[[], float]) -> None:
        super().__init__(
            http,
            app.base_url,
            clock,
            token_path="/cgi-bin/gettoken",
            token_params={"corpid": app.corp_id, "corpsecret": app.corp_secret},
        )
        self._app = app


# --- callbacks ------------------------------------------------------------------------


def parse_dingtalk_callback(
    crypto: CallbackCrypto,
    *,
    signature: str,
    timestamp: str,
    nonce: str,
    body: Mapping[str, Any],
) -> dict[str, Any]:
    """The event of a DingTalk callback (`{"encrypt": ...}`): verified, then decrypted.

    Answer the callback with `dingtalk_reply(crypto, timestamp=..., nonce=...)`, also for
    `{"EventType": "check_url"}`. `CallbackError` on a bad signature or ciphertext.
    """
    encrypted = body.get("encrypt")
    if not isinstance(encrypted, str) or not encrypted:
        raise CallbackError("the callback has no encrypt field")
    if not crypto.verify(signature, timestamp, nonce, encrypted):
        raise CallbackError("bad callback signature")
    try:
        event = json.loads(crypto.decrypt(encrypted))
    except ValueError as exc:
        if isinstance(exc, CallbackError):
            raise
        raise CallbackError("the callback event is not JSON") from exc
    if not isinstance(event, dict):
        raise CallbackError("the callback event is not an object")
    return event


def decision_from_dingtalk_event(event: Mapping[str, Any]) -> MobileDecision | None:
    """The decision a `bpms_instance_change` event reports; None when it decides nothing.

    `type` "finish" with `result` agree/refuse is approved/rejected, "terminate" is
    cancelled; "start", other event types (check_url, bpms_task_change) and unknown
    results answer None (poll `get()` to be sure).
    """
    if event.get("EventType") != "bpms_instance_change":
        return None
    instance_id = event.get("processInstanceId")
    if not isinstance(instance_id, str) or not instance_id:
        raise CallbackError("bpms_instance_change without processInstanceId")
    kind = event.get("type")
    state: DecisionState
    if kind == "finish" and event.get("result") in ("agree", "refuse"):
        state = "approved" if event.get("result") == "agree" else "rejected"
    elif kind == "terminate":
        state = "cancelled"
    else:
        return None
    staff = event.get("staffId")
    return MobileDecision(
        instance_id,
        state,
        staff if isinstance(staff, str) and staff else None,
        str(event.get("remark") or ""),
        _epoch(event.get("finishTime"), millis=True),
    )


def _as_list(value: object) -> list[Any]:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


_XML_LISTS: Final = frozenset({"SpRecord", "Details", "Notifyer", "Comments"})


def _element(element: ET.Element) -> Any:
    children = list(element)
    if not children:
        return element.text or ""
    value: dict[str, Any] = {}
    for child in children:
        item = _element(child)
        if child.tag in value:
            known = value[child.tag]
            if child.tag in _XML_LISTS or isinstance(known, list):
                known.append(item)
            else:
                value[child.tag] = [known, item]
        else:
            value[child.tag] = [item] if child.tag in _XML_LISTS else item
    return value


def parse_xml(data: bytes | str) -> dict[str, Any]:
    """A WeCom `<xml>` document as a dict (leaves are text; SpRecord, Details, Notifyer,
    Comments and any repeated tag are lists). Refuses DOCTYPE and ENTITY declarations.
    """
    if len(data) > MAX_XML_BYTES:
        raise CallbackError("the XML document is too large")
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CallbackError("the XML document is not UTF-8") from exc
    else:
        text = data
    if _DTD.search(text):
        raise CallbackError("XML with a DOCTYPE or ENTITY declaration is refused")
    try:
        root = _xml_fromstring(text)
    except (ET.ParseError, ValueError) as exc:
        raise CallbackError("the XML document is not well formed") from exc
    except Exception as exc:  # pragma: no cover - defusedxml's refusals
        raise CallbackError(f"the XML document is refused: {exc}") from exc
    if root.tag != "xml":
        raise CallbackError("the XML document's root is not <xml>")
    parsed = _element(root)
    return parsed if isinstance(parsed, dict) else {}


def _verified_decrypt(
    crypto: CallbackCrypto, signature: str, timestamp: str, nonce: str, encrypted: str
) -> str:
    if not crypto.verify(signature, timestamp, nonce, encrypted):
        raise CallbackError("bad callback signature")
    return crypto.decrypt(encrypted)


def parse_wecom_callback(
    crypto: CallbackCrypto,
    *,
    msg_signature: str,
    timestamp: str,
    nonce: str,
    xml_body: bytes,
) -> dict[str, Any]:
    """The event of a WeCom callback (`<xml><Encrypt>...</Encrypt></xml>`) as a dict.

    The signature is checked before decrypting; the decrypted `<xml>` is answered by
    `parse_xml` (e.g. `{"Event": "sys_approval_change", "ApprovalInfo": {...}}`). Reply
    with an empty 200 or the text "success". `CallbackError` on anything wrong.
    """
    envelope = parse_xml(xml_body)
    encrypted = envelope.get("Encrypt")
    if not isinstance(encrypted, str) or not encrypted:
        raise CallbackError("the callback has no Encrypt element")
    return parse_xml(_verified_decrypt(crypto, msg_signature, timestamp, nonce, encrypted))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def decision_from_wecom_event(event: Mapping[str, Any]) -> MobileDecision | None:
    """The decision a `sys_approval_change` event reports; None when it decides nothing.

    SpStatus 2 (and 10) is approved, 3 rejected, 4/6/7 cancelled (decided by the
    applicant); 1 (still running), other events and unknown statuses answer None.
    """
    if event.get("Event") != "sys_approval_change":
        return None
    info = event.get("ApprovalInfo")
    if not isinstance(info, Mapping) or not _text(info.get("SpNo")):
        raise CallbackError("sys_approval_change without ApprovalInfo/SpNo")
    try:
        status = int(str(info.get("SpStatus")))
        details = [
            _WeComDetail(
                _text(detail["Approver"].get("UserId"))
                if isinstance(detail.get("Approver"), Mapping)
                else None,
                int(str(detail.get("SpStatus") or 0)),
                str(detail.get("Speech") or ""),
                int(str(detail.get("SpTime") or 0)),
            )
            for record in _as_list(info.get("SpRecord"))
            if isinstance(record, Mapping)
            for detail in _as_list(record.get("Details"))
            if isinstance(detail, Mapping)
        ]
    except ValueError as exc:
        raise CallbackError("sys_approval_change with a non-numeric status or time") from exc
    state = _WECOM_STATES.get(status)
    if state is None or state == "pending":
        return None
    applyer = info.get("Applyer")
    applyer_id = _text(applyer.get("UserId")) if isinstance(applyer, Mapping) else None
    return _wecom_decision(str(info["SpNo"]), state, details, applyer_id)


def wecom_verify_url(
    crypto: CallbackCrypto, *, msg_signature: str, timestamp: str, nonce: str, echostr: str
) -> str:
    """WeCom's URL check (GET): verify the signature of `echostr`, answer its plaintext."""
    return _verified_decrypt(crypto, msg_signature, timestamp, nonce, echostr)
