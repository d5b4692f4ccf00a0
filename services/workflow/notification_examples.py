"""OpenAPI examples of the notification models (`schemas.py`): answers copied from the
demo company (`make demo`, Lumen Audio), requests that succeed on its data.

The demo's DingTalk group robots `buyers` and `warehouse`; the `quality` group the shipped
`pending_inspection` rule writes to is the channel added. The demo has sent nothing yet:
the message is what the safety-stock rule sends the buyers for IC-ESP32S3.
"""

from __future__ import annotations

from typing import Any

_ROBOT = "https://oapi.dingtalk.com/robot/send?access_token="

#: The QC group's robot, signed (加签).
CHANNEL_CONFIG: dict[str, Any] = {
    "webhook_url": _ROBOT + "5f3a9c1e7b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a",
    "secret": "SEC8e1f4b7a2c5d9e3f6a0b4c8d2e5f9a3b7c1d4e8f2a6b0c3d7e1f5a9b2c6d0e4f",
    "message_kind": "markdown",
}

#: A new channel (POST): the QC group, which the shipped `pending_inspection` rule tells.
CHANNEL_IN: dict[str, Any] = {
    "code": "quality",
    "name": "QC group",
    "kind": "dingtalk_robot",
    "config": CHANNEL_CONFIG,
    "per_minute": 20,
    "language": "zh",
    "active": True,
}

#: The buyers' robot replaced (PUT /v1/notifications/channels/buyers): its secret sent as
#: "***" is kept; messages now as action cards.
CHANNEL_UPDATE: dict[str, Any] = {
    "code": "buyers",
    "name": "Buyers group",
    "kind": "dingtalk_robot",
    "config": {
        "webhook_url": _ROBOT + "DEMO",
        "secret": "***",
        "message_kind": "action_card",
    },
    "per_minute": 20,
    "language": "zh",
    "active": True,
}

CHANNEL: dict[str, Any] = {
    "id": 1,
    "code": "buyers",
    "name": "Buyers group",
    "kind": "dingtalk_robot",
    "config": {
        "webhook_url": _ROBOT + "DEMO",
        "secret": "***",
        "message_kind": "markdown",
        "header": "Authorization",
        "sender": "",
        "starttls": False,
        "use_tls": False,
    },
    "per_minute": 20,
    "language": "zh",
    "active": True,
    "version": 1,
    "created_at": "2026-11-28T05:10:06.770164Z",
}

#: Answers of POST and PUT with the bodies above: secrets masked.
CHANNEL_CREATED: dict[str, Any] = {
    "id": 3,
    "code": "quality",
    "name": "QC group",
    "kind": "dingtalk_robot",
    "config": {**CHANNEL["config"], "webhook_url": CHANNEL_CONFIG["webhook_url"]},
    "per_minute": 20,
    "language": "zh",
    "active": True,
    "version": 1,
    "created_at": "2026-11-30T01:28:54.377120Z",
}
CHANNEL_UPDATED: dict[str, Any] = {
    **CHANNEL,
    "config": {**CHANNEL["config"], "message_kind": "action_card"},
    "version": 2,
}

_QUEUED = "2026-11-30T01:42:17.503214Z"
_SENT = "2026-11-30T01:42:18.106538Z"

MESSAGE: dict[str, Any] = {
    "id": 1,
    "channel_code": "buyers",
    "recipient": "",
    "template": "safety_stock",
    "title": "低于安全库存：IC-ESP32S3 SoC ESP32-S3 dual-core Wi-Fi/BLE",
    "body": "可用量：469\n安全库存：800\n缺口：331\n建议补货：500",
    "link": "",
    "status": "sent",
    "attempts": 1,
    "next_attempt_at": _QUEUED,
    "last_error": "",
    "merged_into": None,
    "created_at": _QUEUED,
    "sent_at": _SENT,
}

DELIVERY: dict[str, Any] = {
    "attempt": 1,
    "at": _SENT,
    "ok": True,
    "status": 200,
    "detail": "ok",
}

MESSAGE_DETAIL: dict[str, Any] = {**MESSAGE, "deliveries": [DELIVERY]}

#: A message the robot refused (its signing secret had changed), sent again: pending from
#: its first try, the refused attempt kept.
_REFUSED = "dingtalk errcode 310000: sign not match"
RESENT: dict[str, Any] = {
    **MESSAGE,
    "status": "pending",
    "attempts": 0,
    "next_attempt_at": "2026-11-30T02:15:40.881920Z",
    "last_error": _REFUSED,
    "sent_at": None,
    "deliveries": [{**DELIVERY, "ok": False, "detail": _REFUSED}],
}
