"""Fake DingTalk and WeCom approval services, with encrypted callbacks and test controls.

Each fake is an ASGI app (`fake.app`) answering like the real service: HTTP 200 with an
`errcode` (0 on success), access tokens that expire (`expire_tokens()` makes the next call
answer 42001, an unknown token answers 40014). Reach it with
`httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app))` and a base URL such as
"http://dingtalk.test".

Test controls (`decide`, `terminate`/`revoke`, `check_url`/`verify_url`) change an
instance and POST the encrypted callback to `callback_url` through an httpx client built
on `deliver` (e.g. `httpx.ASGITransport(app=receiver).handle_async_request`, or the
network when None), then check the reply and record it in `callback_replies`.
`lose_callback=True` changes the instance without calling back; `lose_create_response`
makes creation commit and then answer 502, as when the answer is lost on the way back.
The clock `now` (seconds since the epoch, `time.time` by default) drives token expiry and
the times the fakes report; reported times are whole seconds.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import Response

from services.workflow.domain.callback_crypto import CallbackCrypto, CallbackError

Clock = Callable[[], float]
Deliver = Callable[[httpx.Request], Awaitable[httpx.Response]]

CHINA_TIME = timezone(timedelta(hours=8))
BUSINESS_KEY_FIELD = "业务编号"
# Error codes the fakes answer (the token ones are the real services'; the others are
# plausible stand-ins: clients must only treat them as "not zero").
INVALID_TOKEN = 40014
EXPIRED_TOKEN = 42001
BAD_CREDENTIALS = 40089
BAD_PARAMETER = 40058
NOT_FOUND = 400001


@dataclass
class CallbackDelivery:
    """One callback the fake sent, the reply it got and whether that reply was right."""

    url: str
    event: Any
    status_code: int | None
    body: bytes
    valid: bool
    error: str | None = None


class _Transport(httpx.AsyncBaseTransport):
    def __init__(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._deliver(request)


def _ok(**values: Any) -> dict[str, Any]:
    return {"errcode": 0, "errmsg": "ok", **values}


def _error(code: int, message: str) -> dict[str, Any]:
    return {"errcode": code, "errmsg": message}


class _FakeOpenApi:
    """Tokens, the clock and callback delivery shared by both fakes."""

    def __init__(
        self,
        *,
        crypto: CallbackCrypto,
        callback_url: str | None,
        deliver: Deliver | None,
        token_ttl: int,
        now: Clock,
        lose_create_response: bool,
    ) -> None:
        self.crypto = crypto
        self.callback_url = callback_url
        self.deliver = deliver
        self.token_ttl = token_ttl
        self.now = now
        self.lose_create_response = lose_create_response
        self.callback_replies: list[CallbackDelivery] = []
        self.token_requests = 0
        self.token_errors = 0
        self._tokens: dict[str, float] = {}
        self.app = FastAPI()

    # tokens ------------------------------------------------------------------------------

    def _issue_token(self) -> dict[str, Any]:
        self.token_requests += 1
        token = secrets.token_hex(16)
        self._tokens[token] = self.now() + self.token_ttl
        return _ok(access_token=token, expires_in=self.token_ttl)

    def expire_tokens(self) -> None:
        """Every token issued so far is expired: the next call with one answers 42001."""
        for token in self._tokens:
            self._tokens[token] = float("-inf")

    def _token_problem(self, request: Request) -> dict[str, Any] | None:
        expiry = self._tokens.get(request.query_params.get("access_token", ""))
        if expiry is None:
            self.token_errors += 1
            return _error(INVALID_TOKEN, "invalid access_token")
        if self.now() >= expiry:
            self.token_errors += 1
            return _error(EXPIRED_TOKEN, "access_token expired")
        return None

    # callbacks ---------------------------------------------------------------------------

    def _instant(self) -> datetime:
        return datetime.fromtimestamp(int(self.now()), UTC)

    def _client(self) -> httpx.AsyncClient:
        if self.deliver is None:
            return httpx.AsyncClient(timeout=10)
        return httpx.AsyncClient(transport=_Transport(self.deliver), timeout=10)

    async def _send(
        self,
        event: Any,
        method: Literal["GET", "POST"],
        params: Mapping[str, str],
        content: bytes | None,
        headers: Mapping[str, str],
        check: Callable[[httpx.Response], str | None],
    ) -> CallbackDelivery | None:
        """Send one callback; record and answer the delivery (None without a callback URL)."""
        if self.callback_url is None:
            return None
        try:
            async with self._client() as client:
                response = await client.request(
                    method,
                    self.callback_url,
                    params=dict(params),
                    content=content,
                    headers=dict(headers),
                )
        except httpx.HTTPError as exc:
            delivery = CallbackDelivery(self.callback_url, event, None, b"", False, repr(exc))
        else:
            problem = check(response)
            delivery = CallbackDelivery(
                self.callback_url,
                event,
                response.status_code,
                response.content,
                problem is None,
                problem,
            )
        self.callback_replies.append(delivery)
        return delivery


async def _json_body(request: Request) -> dict[str, Any] | None:
    try:
        body = json.loads(await request.body())
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


# --- DingTalk -----------------------------------------------------------------------------


@dataclass
class FakeDingTalkInstance:
    """A process instance as the fake keeps it."""

    instance_id: str
    business_id: str
    process_code: str
    agent_id: int | None
    originator_user_id: str
    dept_id: int
    approvers: list[str]
    form: list[tuple[str, str]]
    created_at: datetime
    status: str = "RUNNING"
    result: str = ""
    finished_at: datetime | None = None
    operation_records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def form_values(self) -> dict[str, str]:
        """The form as name -> value."""
        return dict(self.form)

    @property
    def business_key(self) -> str | None:
        """The value of the form field "业务编号", if any."""
        return self.form_values.get(BUSINESS_KEY_FIELD)

    @property
    def current_approver(self) -> str | None:
        """The approver whose turn it is (None once the instance is not RUNNING)."""
        if self.status != "RUNNING":
            return None
        acted = {
            r["userid"]
            for r in self.operation_records
            if r["operation_type"] == "EXECUTE_TASK_NORMAL"
        }
        return next((u for u in self.approvers if u not in acted), None)


def _china(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M:%S")


def _millis(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


class FakeDingTalkApprovalApp(_FakeOpenApi):
    """DingTalk's classic OAPI approval: gettoken, processinstance/create and /get, and
    process/instance/terminate (the system withdraws a running instance).

    Callbacks are encrypted with `CallbackCrypto(token, aes_key, app_key)`, POSTed with
    query `signature`, `timestamp` (ms), `nonce` and body `{"encrypt": ...}`; the reply
    must be `dingtalk_reply`'s signed, encrypted "success".
    """

    def __init__(
        self,
        app_key: str,
        app_secret: str,
        aes_key: str,
        token: str,
        callback_url: str | None,
        deliver: Deliver | None,
        *,
        token_ttl: int = 7200,
        now: Clock = time.time,
        lose_create_response: bool = False,
    ) -> None:
        super().__init__(
            crypto=CallbackCrypto(token, aes_key, app_key),
            callback_url=callback_url,
            deliver=deliver,
            token_ttl=token_ttl,
            now=now,
            lose_create_response=lose_create_response,
        )
        self.app_key = app_key
        self.app_secret = app_secret
        self.instances: dict[str, FakeDingTalkInstance] = {}
        self.duplicate_business_keys: list[str] = []
        self._business_ids = itertools.count(202400010001)
        self._routes()

    def find_by_business_key(self, business_key: str) -> list[FakeDingTalkInstance]:
        """Every instance created with this business key, oldest first."""
        return [i for i in self.instances.values() if i.business_key == business_key]

    def _routes(self) -> None:
        app = self.app

        @app.get("/gettoken")
        async def gettoken(request: Request) -> dict[str, Any]:
            query = request.query_params
            if (query.get("appkey"), query.get("appsecret")) != (self.app_key, self.app_secret):
                return _error(BAD_CREDENTIALS, "invalid appkey or appsecret")
            return self._issue_token()

        @app.post("/topapi/processinstance/create", response_model=None)
        async def create(request: Request) -> dict[str, Any] | Response:
            problem = self._token_problem(request)
            if problem is not None:
                return problem
            body = await _json_body(request)
            instance = None if body is None else self._create(body)
            if instance is None:
                return _error(BAD_PARAMETER, "invalid parameters")
            if self.lose_create_response:
                return Response("Bad Gateway", status_code=502)
            return _ok(process_instance_id=instance.instance_id, request_id=secrets.token_hex(8))

        @app.post("/topapi/processinstance/get")
        async def get(request: Request) -> dict[str, Any]:
            problem = self._token_problem(request)
            if problem is not None:
                return problem
            body = await _json_body(request) or {}
            instance = self.instances.get(str(body.get("process_instance_id", "")))
            if instance is None:
                return _error(NOT_FOUND, "process instance not found")
            return _ok(process_instance=self._describe(instance), request_id=secrets.token_hex(8))

        @app.post("/topapi/process/instance/terminate")
        async def terminate(request: Request) -> dict[str, Any]:
            problem = self._token_problem(request)
            if problem is not None:
                return problem
            answer, instance = self._terminate_by_api(await _json_body(request) or {})
            if instance is not None:  # DingTalk tells the callback URL, as for any end
                await self._callback(
                    self._event(
                        instance,
                        "terminate",
                        staffId="",
                        remark=instance.operation_records[-1]["remark"],
                        finishTime=_millis(instance.finished_at),
                    )
                )
            return answer

    def _terminate_by_api(
        self, body: Mapping[str, Any]
    ) -> tuple[dict[str, Any], FakeDingTalkInstance | None]:
        request = body.get("request")
        if not isinstance(request, dict) or request.get("is_system") is not True:
            return _error(BAD_PARAMETER, "invalid parameters"), None
        instance = self.instances.get(str(request.get("process_instance_id", "")))
        if instance is None:
            return _error(NOT_FOUND, "process instance not found"), None
        if instance.status != "RUNNING":
            return _error(BAD_PARAMETER, "process instance is not running"), None
        now = self._instant()
        instance.status, instance.finished_at = "TERMINATED", now
        instance.operation_records.append(
            {
                "userid": "",
                "date": _china(now),
                "operation_type": "TERMINATE_PROCESS_INSTANCE",
                "operation_result": "NONE",
                "remark": str(request.get("remark", "")),
            }
        )
        return _ok(result=True, success=True, request_id=secrets.token_hex(8)), instance

    def _create(self, body: Mapping[str, Any]) -> FakeDingTalkInstance | None:
        values = body.get("form_component_values")
        approvers = body.get("approvers")
        originator = body.get("originator_user_id")
        code = body.get("process_code")
        dept_id = body.get("dept_id", -1)
        if not (
            isinstance(values, list)
            and all(
                isinstance(v, dict)
                and isinstance(v.get("name"), str)
                and isinstance(v.get("value"), str)
                for v in values
            )
            and isinstance(approvers, str)
            and approvers
            and isinstance(originator, str)
            and originator
            and isinstance(code, str)
            and code
            and isinstance(dept_id, int)
        ):
            return None
        now = self._instant()
        agent_id = body.get("agent_id")
        instance = FakeDingTalkInstance(
            instance_id=secrets.token_hex(12),
            business_id=str(next(self._business_ids)),
            process_code=code,
            agent_id=agent_id if isinstance(agent_id, int) else None,
            originator_user_id=originator,
            dept_id=dept_id,
            approvers=approvers.split(","),
            form=[(v["name"], v["value"]) for v in values],
            created_at=now,
        )
        instance.operation_records.append(
            {
                "userid": originator,
                "date": _china(now),
                "operation_type": "START_PROCESS_INSTANCE",
                "operation_result": "NONE",
                "remark": "",
            }
        )
        key = instance.business_key
        if key is not None and self.find_by_business_key(key):
            self.duplicate_business_keys.append(key)
        self.instances[instance.instance_id] = instance
        return instance

    def _describe(self, instance: FakeDingTalkInstance) -> dict[str, Any]:
        tasks = []
        for userid in instance.approvers:  # the tasks reached so far, in order
            acted = [
                r
                for r in instance.operation_records
                if r["userid"] == userid and r["operation_type"] == "EXECUTE_TASK_NORMAL"
            ]
            if not acted and userid != instance.current_approver:
                continue
            tasks.append(
                {
                    "userid": userid,
                    "task_status": "COMPLETED" if acted else "RUNNING",
                    "task_result": acted[-1]["operation_result"] if acted else "NONE",
                    "create_time": _china(instance.created_at),
                    "finish_time": acted[-1]["date"] if acted else "",
                }
            )
        return {
            "title": instance.form_values.get("标题", f"{instance.originator_user_id}提交的审批"),
            "create_time": _china(instance.created_at),
            "finish_time": _china(instance.finished_at),
            "originator_userid": instance.originator_user_id,
            "originator_dept_id": str(instance.dept_id),
            "status": instance.status,
            "result": instance.result,
            "business_id": instance.business_id,
            "cc_userid_list": [],
            "form_component_values": [
                {"name": name, "value": value, "component_type": "TextField"}
                for name, value in instance.form
            ],
            "operation_records": [dict(r) for r in instance.operation_records],
            "tasks": tasks,
            "biz_action": "NONE",
        }

    def _running(self, instance_id: str) -> FakeDingTalkInstance:
        instance = self.instances.get(instance_id)
        if instance is None:
            raise KeyError(instance_id)
        if instance.status != "RUNNING":
            raise ValueError(f"instance {instance_id} is {instance.status}")
        return instance

    def _event(self, instance: FakeDingTalkInstance, kind: str, **extra: Any) -> dict[str, Any]:
        return {
            "EventType": "bpms_instance_change",
            "processInstanceId": instance.instance_id,
            "corpId": self.app_key,
            "createTime": _millis(instance.created_at),
            "title": instance.form_values.get("标题", ""),
            "type": kind,
            "processCode": instance.process_code,
            "businessId": instance.business_id,
            "url": f"https://aflow.dingtalk.com/mobile/{instance.instance_id}",
            **extra,
        }

    async def decide(
        self,
        instance_id: str,
        *,
        approver: str,
        result: Literal["agree", "refuse"],
        remark: str = "",
        lose_callback: bool = False,
    ) -> CallbackDelivery | None:
        """The current approver agrees or refuses; then the callback.

        As with the classic `approvers` list, the approvers decide in order: a refusal, or
        the last approver's agreement, completes the instance (`bpms_instance_change`);
        an earlier agreement only finishes that approver's task (`bpms_task_change`, the
        instance stays RUNNING). Answers the delivery (None without one).
        """
        instance = self._running(instance_id)
        if approver != instance.current_approver:
            raise ValueError(
                f"{approver} is not the current approver of {instance_id}"
                f" ({instance.current_approver})"
            )
        if result not in ("agree", "refuse"):
            raise ValueError(f"result must be agree or refuse, not {result!r}")
        now = self._instant()
        instance.operation_records.append(
            {
                "userid": approver,
                "date": _china(now),
                "operation_type": "EXECUTE_TASK_NORMAL",
                "operation_result": result.upper(),
                "remark": remark,
            }
        )
        if result == "agree" and instance.current_approver is not None:
            event = {
                **self._event(instance, "finish", staffId=approver, result=result),
                "EventType": "bpms_task_change",
                "remark": remark,
            }
        else:
            instance.status, instance.result, instance.finished_at = "COMPLETED", result, now
            event = self._event(
                instance,
                "finish",
                staffId=approver,
                result=result,
                remark=remark,
                finishTime=_millis(now),
            )
        return None if lose_callback else await self._callback(event)

    async def terminate(
        self, instance_id: str, *, remark: str = "", lose_callback: bool = False
    ) -> CallbackDelivery | None:
        """The originator withdraws (撤销) the instance: TERMINATED; then the callback."""
        instance = self._running(instance_id)
        now = self._instant()
        instance.status, instance.finished_at = "TERMINATED", now
        instance.operation_records.append(
            {
                "userid": instance.originator_user_id,
                "date": _china(now),
                "operation_type": "TERMINATE_PROCESS_INSTANCE",
                "operation_result": "NONE",
                "remark": remark,
            }
        )
        event = self._event(
            instance,
            "terminate",
            staffId=instance.originator_user_id,
            remark=remark,
            finishTime=_millis(now),
        )
        return None if lose_callback else await self._callback(event)

    async def check_url(self) -> CallbackDelivery | None:
        """Send the `check_url` event DingTalk sends when the callback URL is registered."""
        return await self._callback({"EventType": "check_url"})

    async def _callback(self, event: dict[str, Any]) -> CallbackDelivery | None:
        encrypted = self.crypto.encrypt(json.dumps(event, ensure_ascii=False))
        timestamp = str(int(self.now() * 1000))
        nonce = secrets.token_urlsafe(6)
        params = {
            "signature": self.crypto.signature(timestamp, nonce, encrypted),
            "timestamp": timestamp,
            "nonce": nonce,
        }
        content = json.dumps({"encrypt": encrypted}).encode()
        return await self._send(
            event, "POST", params, content, {"content-type": "application/json"}, self._check
        )

    def _check(self, response: httpx.Response) -> str | None:
        if response.status_code != 200:
            return f"status {response.status_code}"
        try:
            reply = response.json()
            signature, timestamp = reply["msg_signature"], reply["timeStamp"]
            nonce, encrypted = reply["nonce"], reply["encrypt"]
        except (ValueError, KeyError, TypeError):
            return "the reply is not DingTalk's encrypted JSON"
        if not self.crypto.verify(signature, timestamp, nonce, encrypted):
            return "the reply's signature is wrong"
        try:
            plaintext = self.crypto.decrypt(encrypted)
        except CallbackError as exc:
            return f"the reply does not decrypt: {exc}"
        return None if plaintext == "success" else f"the reply says {plaintext!r}"


# --- WeCom --------------------------------------------------------------------------------


@dataclass
class FakeWeComNode:
    """One approver node: attr 1 = 或签 (one agreement completes it), 2 = 会签 (all)."""

    attr: int
    approvers: list[str]
    # userid -> {"sp_status": 1 审批中 / 2 已同意 / 3 已驳回, "speech": str, "sptime": int}
    details: dict[str, dict[str, Any]] = field(default_factory=dict)

    def status(self) -> int:
        states = [self.details[u]["sp_status"] for u in self.approvers]
        if 3 in states:
            return 3
        agreed = states.count(2)
        done = agreed >= 1 if self.attr == 1 else agreed == len(states)
        return 2 if done else 1


@dataclass
class FakeWeComApplication:
    """An approval application (审批单) as the fake keeps it."""

    sp_no: str
    template_id: str
    creator_userid: str
    nodes: list[FakeWeComNode]
    contents: list[tuple[str, str]]
    summary: list[str]
    apply_time: int
    business_key: str | None
    revoked: bool = False

    @property
    def approvers(self) -> list[str]:
        """Every approver of every node, in order."""
        return [u for node in self.nodes for u in node.approvers]

    @property
    def form_values(self) -> dict[str, str]:
        """The Text controls as control id -> text."""
        return dict(self.contents)

    @property
    def sp_status(self) -> int:
        """1 审批中, 2 已通过, 3 已驳回, 4 已撤销."""
        if self.revoked:
            return 4
        states = [node.status() for node in self.nodes]
        if 3 in states:
            return 3
        return 2 if all(s == 2 for s in states) else 1

    def current_node(self) -> FakeWeComNode | None:
        """The first node still waiting for its approvers."""
        return next((n for n in self.nodes if n.status() == 1), None)


class FakeWeComApprovalApp(_FakeOpenApi):
    """WeCom's approval API: cgi-bin/gettoken, oa/applyevent, oa/getapprovaldetail.

    Callbacks are XML `<xml><ToUserName/><Encrypt/><AgentID/></xml>` POSTed with query
    `msg_signature`, `timestamp` (s), `nonce`; the inner XML is a `sys_approval_change`
    event. A reply is right when it is a 200 with an empty body or "success". The
    business key of an application is the text of `business_key_control` when given,
    else the summary line starting with "业务编号：".
    """

    def __init__(
        self,
        corp_id: str,
        corp_secret: str,
        aes_key: str,
        token: str,
        callback_url: str | None,
        deliver: Deliver | None,
        *,
        agent_id: int = 3010040,
        business_key_control: str | None = None,
        token_ttl: int = 7200,
        now: Clock = time.time,
        lose_create_response: bool = False,
    ) -> None:
        super().__init__(
            crypto=CallbackCrypto(token, aes_key, corp_id),
            callback_url=callback_url,
            deliver=deliver,
            token_ttl=token_ttl,
            now=now,
            lose_create_response=lose_create_response,
        )
        self.corp_id = corp_id
        self.corp_secret = corp_secret
        self.agent_id = agent_id
        self.business_key_control = business_key_control
        self.applications: dict[str, FakeWeComApplication] = {}
        self.duplicate_business_keys: list[str] = []
        self._numbers = itertools.count(1)
        self._routes()

    def find_by_business_key(self, business_key: str) -> list[FakeWeComApplication]:
        """Every application submitted with this business key, oldest first."""
        return [a for a in self.applications.values() if a.business_key == business_key]

    def _routes(self) -> None:
        app = self.app

        @app.get("/cgi-bin/gettoken")
        async def gettoken(request: Request) -> dict[str, Any]:
            query = request.query_params
            if (query.get("corpid"), query.get("corpsecret")) != (self.corp_id, self.corp_secret):
                return _error(BAD_CREDENTIALS, "invalid corpid or corpsecret")
            return self._issue_token()

        @app.post("/cgi-bin/oa/applyevent", response_model=None)
        async def applyevent(request: Request) -> dict[str, Any] | Response:
            problem = self._token_problem(request)
            if problem is not None:
                return problem
            body = await _json_body(request)
            application = None if body is None else self._apply(body)
            if application is None:
                return _error(BAD_PARAMETER, "invalid parameters")
            if self.lose_create_response:
                return Response("Bad Gateway", status_code=502)
            return _ok(sp_no=application.sp_no)

        @app.post("/cgi-bin/oa/getapprovaldetail")
        async def detail(request: Request) -> dict[str, Any]:
            problem = self._token_problem(request)
            if problem is not None:
                return problem
            body = await _json_body(request) or {}
            application = self.applications.get(str(body.get("sp_no", "")))
            if application is None:
                return _error(NOT_FOUND, "sp_no not found")
            return _ok(info=self._describe(application))

    def _apply(self, body: Mapping[str, Any]) -> FakeWeComApplication | None:
        creator, template = body.get("creator_userid"), body.get("template_id")
        nodes_in, contents_in = body.get("approver"), (body.get("apply_data") or {})
        contents = contents_in.get("contents") if isinstance(contents_in, dict) else None
        if not (
            isinstance(creator, str)
            and creator
            and isinstance(template, str)
            and template
            and body.get("use_template_approver") == 0
            and isinstance(nodes_in, list)
            and nodes_in
            and all(
                isinstance(n, dict)
                and n.get("attr") in (1, 2)
                and isinstance(n.get("userid"), list)
                and n["userid"]
                and all(isinstance(u, str) and u for u in n["userid"])
                for n in nodes_in
            )
            and isinstance(contents, list)
            and all(
                isinstance(c, dict)
                and c.get("control") == "Text"
                and isinstance(c.get("id"), str)
                and isinstance(c.get("value"), dict)
                and isinstance(c["value"].get("text"), str)
                for c in contents
            )
        ):
            return None
        summary = [
            str(info.get("text", ""))
            for line in body.get("summary_list") or []
            for info in (line.get("summary_info") or [])
            if isinstance(info, dict)
        ]
        values = [(c["id"], c["value"]["text"]) for c in contents]
        if self.business_key_control is not None:
            key = dict(values).get(self.business_key_control)
        else:
            prefix = f"{BUSINESS_KEY_FIELD}："
            key = next((s[len(prefix) :] for s in summary if s.startswith(prefix)), None)
        now = self._instant()
        sp_no = f"{now.astimezone(CHINA_TIME):%Y%m%d}{next(self._numbers):04d}"
        nodes = [
            FakeWeComNode(
                n["attr"],
                list(n["userid"]),
                {u: {"sp_status": 1, "speech": "", "sptime": 0} for u in n["userid"]},
            )
            for n in nodes_in
        ]
        application = FakeWeComApplication(
            sp_no, template, creator, nodes, values, summary, int(now.timestamp()), key
        )
        if key is not None and self.find_by_business_key(key):
            self.duplicate_business_keys.append(key)
        self.applications[sp_no] = application
        return application

    def _describe(self, application: FakeWeComApplication) -> dict[str, Any]:
        return {
            "sp_no": application.sp_no,
            "sp_name": "Fake approval",
            "sp_status": application.sp_status,
            "template_id": application.template_id,
            "apply_time": application.apply_time,
            "applyer": {"userid": application.creator_userid, "partyid": "1"},
            "sp_record": [
                {
                    "sp_status": node.status(),
                    "approverattr": node.attr,
                    "details": [
                        {
                            "approver": {"userid": u},
                            "speech": node.details[u]["speech"],
                            "sp_status": node.details[u]["sp_status"],
                            "sptime": node.details[u]["sptime"],
                            "media_id": [],
                        }
                        for u in node.approvers
                    ],
                }
                for node in application.nodes
            ],
            "notifyer": [],
            "apply_data": {
                "contents": [
                    {
                        "control": "Text",
                        "id": cid,
                        "title": [{"text": cid, "lang": "zh_CN"}],
                        "value": {"text": text},
                    }
                    for cid, text in application.contents
                ]
            },
            "comments": [],
        }

    def _pending(self, sp_no: str) -> FakeWeComApplication:
        application = self.applications.get(sp_no)
        if application is None:
            raise KeyError(sp_no)
        if application.sp_status != 1:
            raise ValueError(f"application {sp_no} has sp_status {application.sp_status}")
        return application

    async def decide(
        self,
        sp_no: str,
        *,
        approver: str,
        approve: bool,
        speech: str = "",
        lose_callback: bool = False,
    ) -> CallbackDelivery | None:
        """`approver` (of the current node) agrees or refuses; then the callback."""
        application = self._pending(sp_no)
        node = application.current_node()
        if node is None or approver not in node.approvers:
            raise ValueError(f"{approver} is not a current approver of {sp_no}")
        if node.details[approver]["sp_status"] != 1:
            raise ValueError(f"{approver} has already decided {sp_no}")
        node.details[approver] = {
            "sp_status": 2 if approve else 3,
            "speech": speech,
            "sptime": int(self.now()),
        }
        return None if lose_callback else await self._callback(application, 2 if approve else 3)

    async def revoke(self, sp_no: str, *, lose_callback: bool = False) -> CallbackDelivery | None:
        """The applicant withdraws (撤销) the application: sp_status 4; then the callback."""
        application = self._pending(sp_no)
        application.revoked = True
        return None if lose_callback else await self._callback(application, 6)

    async def verify_url(self) -> CallbackDelivery | None:
        """The GET WeCom sends to check a callback URL: the reply must be the echostr text."""
        echo = secrets.token_hex(8)
        encrypted = self.crypto.encrypt(echo)
        timestamp, nonce = str(int(self.now())), secrets.token_hex(5)
        params = {
            "msg_signature": self.crypto.signature(timestamp, nonce, encrypted),
            "timestamp": timestamp,
            "nonce": nonce,
            "echostr": encrypted,
        }

        def check(response: httpx.Response) -> str | None:
            if response.status_code != 200:
                return f"status {response.status_code}"
            return None if response.text == echo else f"the reply is {response.text!r}"

        return await self._send({"echostr": echo}, "GET", params, None, {}, check)

    def event_xml(self, application: FakeWeComApplication, change: int) -> str:
        """The plaintext `sys_approval_change` XML WeCom sends for `application`."""
        root = ET.Element("xml")

        def add(parent: ET.Element, tag: str, text: object = None) -> ET.Element:
            child = ET.SubElement(parent, tag)
            if text is not None:
                child.text = str(text)
            return child

        add(root, "ToUserName", self.corp_id)
        add(root, "FromUserName", "sys")
        add(root, "CreateTime", int(self.now()))
        add(root, "MsgType", "event")
        add(root, "Event", "sys_approval_change")
        add(root, "AgentID", self.agent_id)
        info = add(root, "ApprovalInfo")
        add(info, "SpNo", application.sp_no)
        add(info, "SpName", "Fake approval")
        add(info, "SpStatus", application.sp_status)
        add(info, "TemplateId", application.template_id)
        add(info, "ApplyTime", application.apply_time)
        applyer = add(info, "Applyer")
        add(applyer, "UserId", application.creator_userid)
        add(applyer, "Party", "1")
        for node in application.nodes:
            record = add(info, "SpRecord")
            add(record, "SpStatus", node.status())
            add(record, "ApproverAttr", node.attr)
            for userid in node.approvers:
                detail = add(record, "Details")
                add(add(detail, "Approver"), "UserId", userid)
                add(detail, "Speech", node.details[userid]["speech"])
                add(detail, "SpStatus", node.details[userid]["sp_status"])
                add(detail, "SpTime", node.details[userid]["sptime"])
        add(info, "StatuChangeEvent", change)
        return ET.tostring(root, encoding="unicode")

    async def _callback(
        self, application: FakeWeComApplication, change: int
    ) -> CallbackDelivery | None:
        plaintext = self.event_xml(application, change)
        encrypted = self.crypto.encrypt(plaintext)
        timestamp, nonce = str(int(self.now())), secrets.token_hex(5)
        params = {
            "msg_signature": self.crypto.signature(timestamp, nonce, encrypted),
            "timestamp": timestamp,
            "nonce": nonce,
        }
        envelope = (
            f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypted}]]></Encrypt>"
            f"<AgentID><![CDATA[{self.agent_id}]]></AgentID></xml>"
        )

        def check(response: httpx.Response) -> str | None:
            if response.status_code != 200:
                return f"status {response.status_code}"
            body = response.content.strip()
            return None if body in (b"", b"success") else f"the reply is {body!r}"

        return await self._send(
            plaintext, "POST", params, envelope.encode(), {"content-type": "text/xml"}, check
        )
