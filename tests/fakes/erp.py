"""Local fakes of Kingdee 云星空's WebAPI and Yonyou U8's OpenAPI, for the push tests.

They take the requests the adapters send (services/erp/adapters.py), keep every voucher
they saved, and can be told to misbehave the ways real ones do:

* `lose_next_save`: save the voucher, then drop the answer (the client sees a timeout);
* `expire_session` (Kingdee) / `expire_token` (U8): the next call finds the session or
  token expired, and nothing is done;
* `hide_next_query`: the next query does not see a voucher that is there (another
  process saved it a moment ago), so the save that follows is refused as a duplicate;
* `refuse_accounts`: accounts the ERP does not know; a voucher naming one is refused;
* `lose_next_cancel` (U8): cancel the voucher, then drop the answer.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import httpx

from services.erp.adapters import LOGIN, QUERY, SAVE

Json = Any


async def _body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _answer(send: Any, payload: Json, status: int = 200) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _cookies(scope: dict[str, Any]) -> dict[str, str]:
    for name, value in scope["headers"]:
        if name == b"cookie":
            return dict(
                part.strip().split("=", 1) for part in value.decode().split(";") if "=" in part
            )
    return {}


@dataclass
class FakeKingdee:
    acct_id: str = "62f49d03"
    username: str = "api"
    password: str = "secret"
    saved: dict[str, dict[str, Any]] = field(default_factory=dict)  # FBillNo -> model
    save_requests: int = 0
    sessions: set[str] = field(default_factory=set)
    lose_next_save: bool = False
    expire_session: bool = False
    hide_next_query: bool = False
    refuse_accounts: set[str] = field(default_factory=set)

    def number_of(self, bill_no: str) -> str:
        return f"记-{list(self.saved).index(bill_no) + 1}"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        path = scope["path"].removeprefix("/k3cloud/")
        body = json.loads(await _body(receive) or b"{}")
        if path == LOGIN:
            ok = (body.get("acctID"), body.get("username"), body.get("password")) == (
                self.acct_id,
                self.username,
                self.password,
            )
            session = uuid.uuid4().hex
            if ok:
                self.sessions.add(session)
            await _answer(
                send,
                {
                    "LoginResultType": 1 if ok else 0,
                    "KDSVCSessionId": session if ok else None,
                    "Message": "" if ok else "用户名或密码错误",
                },
            )
            return
        session = _cookies(scope).get("kdservice-sessionid")
        if self.expire_session or session not in self.sessions:
            self.expire_session = False
            self.sessions.discard(session or "")
            await _answer(
                send,
                {
                    "Result": {
                        "ResponseStatus": {
                            "IsSuccess": False,
                            "MsgCode": 1,
                            "Errors": [{"Message": "会话信息已丢失，请重新登录"}],
                        }
                    }
                },
            )
            return
        if path == QUERY:
            match = re.search(r"FBillNo = '([^']*)'", body["data"]["FilterString"])
            bill_no = match.group(1) if match else ""
            if self.hide_next_query:
                self.hide_next_query = False
                await _answer(send, [])
                return
            found = (
                [[1, "记", self.number_of(bill_no).split("-")[1]]] if bill_no in self.saved else []
            )
            await _answer(send, found)
            return
        if path == SAVE:
            self.save_requests += 1
            assert body["formid"] == "GL_VOUCHER"
            model = body["data"]["Model"]
            bill_no = model["FBillNo"]
            if bill_no in self.saved:
                await _answer(
                    send,
                    {
                        "Result": {
                            "ResponseStatus": {
                                "IsSuccess": False,
                                "MsgCode": 11,
                                "Errors": [{"Message": f"单据编号 {bill_no} 已存在"}],
                            }
                        }
                    },
                )
                return
            unknown = [
                e["FACCOUNTID"]["FNumber"]
                for e in model["FEntity"]
                if e["FACCOUNTID"]["FNumber"] in self.refuse_accounts
            ]
            debit = sum(Decimal(e["FDEBIT"]) for e in model["FEntity"])
            credit = sum(Decimal(e["FCREDIT"]) for e in model["FEntity"])
            if unknown or debit != credit:
                message = f"科目 {unknown[0]} 不存在" if unknown else "借贷不平衡"
                await _answer(
                    send,
                    {
                        "Result": {
                            "ResponseStatus": {
                                "IsSuccess": False,
                                "MsgCode": 11,
                                "Errors": [{"Message": message}],
                            }
                        }
                    },
                )
                return
            self.saved[bill_no] = model
            if self.lose_next_save:
                self.lose_next_save = False
                raise httpx.ReadTimeout("the answer was lost")
            number = self.number_of(bill_no)
            await _answer(
                send,
                {
                    "Result": {
                        "ResponseStatus": {
                            "IsSuccess": True,
                            "Errors": [],
                            "MsgCode": 0,
                            "SuccessEntitys": [{"Id": len(self.saved), "Number": number}],
                        }
                    }
                },
            )
            return
        await _answer(send, {"Message": f"unknown service {path}"}, 404)


@dataclass
class FakeU8:
    app_key: str = "u8-app"
    app_secret: str = "u8-secret"
    saved: dict[str, dict[str, Any]] = field(default_factory=dict)  # external_code -> voucher
    add_requests: int = 0
    tokens: set[str] = field(default_factory=set)
    lose_next_save: bool = False
    expire_token: bool = False
    refuse_accounts: set[str] = field(default_factory=set)
    cancelled: dict[str, str] = field(default_factory=dict)  # external_code -> reason
    lose_next_cancel: bool = False

    def number_of(self, code: str) -> str:
        return f"记-{list(self.saved).index(code) + 1:04d}"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
        raw = await _body(receive)
        if scope["path"] == "/system/token":
            ok = (query.get("app_key"), query.get("app_secret")) == (self.app_key, self.app_secret)
            token = uuid.uuid4().hex
            if ok:
                self.tokens.add(token)
            await _answer(
                send,
                {"errcode": "0", "token": {"id": token, "expiresIn": 7200}}
                if ok
                else {"errcode": "10001", "errmsg": "app_secret wrong"},
            )
            return
        if self.expire_token or query.get("token") not in self.tokens:
            self.expire_token = False
            self.tokens.discard(query.get("token", ""))
            await _answer(send, {"errcode": "20002", "errmsg": "token expired"})
            return
        if scope["path"] == "/api/voucher/batch_get":
            code = query.get("external_code", "")
            found = (
                [{"voucher_no": self.number_of(code), "external_code": code}]
                if code in self.saved
                else []
            )
            await _answer(send, {"errcode": "0", "vouchers": found})
            return
        if scope["path"] == "/api/voucher/cancel":
            voucher = json.loads(raw)["voucher"]
            code = voucher["external_code"]
            if code not in self.saved:
                await _answer(send, {"errcode": "40004", "errmsg": f"no voucher {code}"})
                return
            if code in self.cancelled:
                await _answer(send, {"errcode": "40011", "errmsg": f"{code} is cancelled"})
                return
            self.cancelled[code] = voucher.get("reason", "")
            if self.lose_next_cancel:
                self.lose_next_cancel = False
                raise httpx.ReadTimeout("the answer was lost")
            await _answer(send, {"errcode": "0", "errmsg": ""})
            return
        if scope["path"] == "/api/voucher/add":
            self.add_requests += 1
            voucher = json.loads(raw)["voucher"]
            code = voucher["external_code"]
            if code in self.saved:
                await _answer(send, {"errcode": "40009", "errmsg": f"external_code {code} exists"})
                return
            unknown = [
                e["account_code"]
                for e in voucher["entry"]
                if e["account_code"] in self.refuse_accounts
            ]
            if unknown:
                await _answer(send, {"errcode": "40001", "errmsg": f"科目 {unknown[0]} 不存在"})
                return
            self.saved[code] = voucher
            if self.lose_next_save:
                self.lose_next_save = False
                raise httpx.ReadTimeout("the answer was lost")
            await _answer(
                send, {"errcode": "0", "id": self.number_of(code), "tradeid": query.get("tradeid")}
            )
            return
        await _answer(send, {"errcode": "404", "errmsg": scope["path"]}, 404)
