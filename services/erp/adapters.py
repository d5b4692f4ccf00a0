"""Push adapters: Kingdee 云星空 WebAPI and Yonyou U8 OpenAPI.

Each adapter does two things, and says clearly what happened:

* `find(number)`: the ERP's number of the voucher we sent as `number`, or None when the
  ERP does not have it. Asked before every save and to settle an unknown outcome.
* `void(number, reason)`: cancel (作废) the voucher saved as `number` (U8's `voucher/
  cancel`; voiding one already voided is no error, so asking again is safe). Kingdee's
  vouchers are corrected by red ink instead: it refuses.
* `save(document)`: the ERP's number of the voucher it saved. It raises
  - `NotSent`: the request never reached the ERP (no connection): sending later is safe;
  - `Lost`: the request may have reached the ERP but no answer came back (a timeout, a
    dropped connection, a server error): the outcome is unknown, only `find` settles it;
  - `Duplicate`: the ERP already has a voucher with our number;
  - `Refused`: the ERP answered that it will not save it (an unknown account, a closed
    period): finance must act.

An expired session or token is renewed and the call repeated once: the ERP said it did
not do it, so repeating is not a blind retry.

The request and answer shapes follow the vendors' public API descriptions (Kingdee
WebAPI: `AuthService.ValidateUser`, `DynamicFormService.Save` and `ExecuteBillQuery` on
form GL_VOUCHER; U8 OpenAPI: `system/token`, `api/voucher/add` and `api/voucher/batch_get`
with our number as `external_code`); the tests run them against local fakes of both
(tests/fakes/erp.py), not a live ERP.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Protocol

import httpx

from services.erp.domain.erp_payloads import Document, kingdee_model, u8_voucher
from services.erp.settings import KingdeeTarget, PushTarget, U8Target


class PushProblem(Exception):
    """Base of what a push can run into."""


class NotSent(PushProblem):
    pass


class Lost(PushProblem):
    pass


class Duplicate(PushProblem):
    pass


class Refused(PushProblem):
    pass


class SessionExpired(PushProblem):
    pass


class Adapter(Protocol):
    async def find(self, number: str) -> str | None: ...

    async def save(self, document: Document) -> str: ...

    async def void(self, number: str, reason: str) -> None: ...


async def _send(client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> Any:
    """The JSON answer; transport failures become `NotSent` or `Lost`."""
    try:
        response = await client.request(method, url, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise NotSent(f"{type(exc).__name__}: {exc}") from exc
    except httpx.HTTPError as exc:
        raise Lost(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code >= 500:
        raise Lost(f"HTTP {response.status_code}: {response.text[:300]}")
    if response.status_code >= 400:
        raise Refused(f"HTTP {response.status_code}: {response.text[:300]}")
    try:
        return response.json()
    except ValueError as exc:
        raise Lost(f"not JSON: {response.text[:300]}") from exc


# --- Kingdee 云星空 -----------------------------------------------------------------------

_STUB = "Kingdee.BOS.WebApi.ServicesStub"
LOGIN = f"{_STUB}.AuthService.ValidateUser.common.kdsvc"
SAVE = f"{_STUB}.DynamicFormService.Save.common.kdsvc"
QUERY = f"{_STUB}.DynamicFormService.ExecuteBillQuery.common.kdsvc"
SESSION_LOST = 1  # MsgCode of "会话信息已丢失，请重新登录"
DUPLICATE_MARKS = ("已存在", "重复", "duplicate")


class KingdeeAdapter:
    def __init__(self, target: KingdeeTarget, client: httpx.AsyncClient) -> None:
        self.target = target
        self.client = client
        self.session: str | None = None
        self.base = target.base_url.rstrip("/") + "/"

    async def _login(self) -> None:
        answer = await _send(
            self.client,
            "POST",
            self.base + LOGIN,
            json={
                "acctID": self.target.acct_id,
                "username": self.target.username,
                "password": self.target.password.get_secret_value(),
                "lcid": self.target.lcid,
            },
        )
        if not isinstance(answer, dict) or answer.get("LoginResultType") != 1:
            message = answer.get("Message") if isinstance(answer, dict) else answer
            raise NotSent(f"Kingdee login refused: {message}")
        self.session = str(answer["KDSVCSessionId"])

    async def _call(self, service: str, body: dict[str, Any]) -> Any:
        for attempt in (1, 2):
            if self.session is None:
                await self._login()
            answer = await _send(
                self.client,
                "POST",
                self.base + service,
                json=body,
                headers={"Cookie": f"kdservice-sessionid={self.session}"},
            )
            status = _status(answer)
            if status is not None and status.get("MsgCode") == SESSION_LOST:
                self.session = None
                if attempt == 1:
                    continue
                raise NotSent("Kingdee session expired again after logging in")
            return answer
        raise AssertionError("unreachable")

    async def find(self, number: str) -> str | None:
        answer = await self._call(
            QUERY,
            {
                "data": {
                    "FormId": "GL_VOUCHER",
                    "FieldKeys": "FVOUCHERID,FVOUCHERGROUPID.FName,FVOUCHERGROUPNO",
                    "FilterString": f"FBillNo = '{_quoted(number)}' AND "
                    f"FAccountBookID.FNumber = '{_quoted(self.target.account_book)}'",
                    "Limit": 1,
                }
            },
        )
        if isinstance(answer, list):
            if not answer:
                return None
            _, word, no = answer[0]
            return f"{word}-{no}"
        raise Lost(f"Kingdee query answered {json.dumps(answer, ensure_ascii=False)[:300]}")

    async def save(self, document: Document) -> str:
        model = kingdee_model(
            document,
            account_book=self.target.account_book,
            voucher_group=self.target.voucher_group,
            currency=self.target.currency,
            dimension_fields=self.target.dimension_fields,
        )
        answer = await self._call(
            SAVE, {"formid": "GL_VOUCHER", "data": {"IsAutoSubmitAndAudit": False, "Model": model}}
        )
        status = _status(answer)
        if status is None:
            raise Lost(f"Kingdee save answered {json.dumps(answer, ensure_ascii=False)[:300]}")
        if status.get("IsSuccess"):
            saved = (status.get("SuccessEntitys") or [{}])[0]
            return str(saved.get("Number") or saved.get("Id"))
        messages = "; ".join(str(e.get("Message", "")) for e in status.get("Errors") or [])
        if any(mark in messages for mark in DUPLICATE_MARKS):
            raise Duplicate(messages)
        raise Refused(messages or "Kingdee refused the voucher")

    async def void(self, number: str, reason: str) -> None:
        raise Refused(
            "a Kingdee voucher is corrected by red ink, not voided: reverse the document in stock"
        )


def _status(answer: Any) -> dict[str, Any] | None:
    if isinstance(answer, dict):
        result = answer.get("Result")
        if isinstance(result, dict) and isinstance(result.get("ResponseStatus"), dict):
            return dict(result["ResponseStatus"])
    return None


def _quoted(text: str) -> str:
    return text.replace("'", "''")


# --- Yonyou U8 --------------------------------------------------------------------------

TOKEN_INVALID = ("20001", "20002")  # the token is unknown or expired
DUPLICATE_CODE = "40009"  # a voucher with this external code exists
ALREADY_VOIDED = "40011"  # the voucher is cancelled already


class U8Adapter:
    def __init__(self, target: U8Target, client: httpx.AsyncClient) -> None:
        self.target = target
        self.client = client
        self.token: str | None = None
        self.base = target.base_url.rstrip("/")

    async def _token(self) -> str:
        if self.token is None:
            answer = await _send(
                self.client,
                "GET",
                f"{self.base}/system/token",
                params={
                    "from_account": self.target.from_account,
                    "app_key": self.target.app_key,
                    "app_secret": self.target.app_secret.get_secret_value(),
                },
            )
            if not isinstance(answer, dict) or str(answer.get("errcode")) != "0":
                raise NotSent(f"U8 token refused: {answer}")
            self.token = str(answer["token"]["id"])
        return self.token

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        extra = kwargs.pop("params", {})
        for attempt in (1, 2):
            params = {
                "from_account": self.target.from_account,
                "to_account": self.target.to_account,
                "app_key": self.target.app_key,
                "token": await self._token(),
                "ds_sequence": self.target.ds_sequence,
                **extra,
            }
            answer = await _send(self.client, method, f"{self.base}{path}", params=params, **kwargs)
            if not isinstance(answer, dict):
                raise Lost(f"U8 answered {answer!r:.300}")
            if str(answer.get("errcode")) in TOKEN_INVALID:
                self.token = None
                if attempt == 1:
                    continue
                raise NotSent("U8 token invalid again after renewing it")
            return answer
        raise AssertionError("unreachable")

    async def find(self, number: str) -> str | None:
        answer = await self._call("GET", "/api/voucher/batch_get", params={"external_code": number})
        if str(answer.get("errcode")) != "0":
            raise Lost(f"U8 query answered {answer.get('errcode')}: {answer.get('errmsg')}")
        found = answer.get("vouchers") or []
        return str(found[0]["voucher_no"]) if found else None

    async def save(self, document: Document) -> str:
        answer = await self._call(
            "POST",
            "/api/voucher/add",
            params={"tradeid": uuid.uuid4().hex},
            json=u8_voucher(document, dimension_fields=self.target.dimension_fields),
        )
        code = str(answer.get("errcode"))
        if code == "0":
            return str(answer["id"])
        if code == DUPLICATE_CODE:
            raise Duplicate(str(answer.get("errmsg")))
        raise Refused(f"U8 {code}: {answer.get('errmsg')}")

    async def void(self, number: str, reason: str) -> None:
        answer = await self._call(
            "POST",
            "/api/voucher/cancel",
            params={"tradeid": uuid.uuid4().hex},
            json={"voucher": {"external_code": number, "reason": reason}},
        )
        code = str(answer.get("errcode"))
        if code in ("0", ALREADY_VOIDED):
            return
        raise Refused(f"U8 {code}: {answer.get('errmsg')}")


def adapter_for(target: PushTarget, client: httpx.AsyncClient) -> Adapter:
    if isinstance(target, KingdeeTarget):
        return KingdeeAdapter(target, client)
    return U8Adapter(target, client)
