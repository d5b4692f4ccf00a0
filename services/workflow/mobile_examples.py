"""OpenAPI examples of the DingTalk and WeCom approval callbacks (`api/mobile.py`).

The demo company (`make demo`, Lumen Audio) sets up no mobile app: these are what the apps
send, made with an example app (callback token, EncodingAESKey and app key or corp id of
Lumen Audio's test tenant), so they are consistent with each other but verify only there.
DingTalk reports its approval instance finished, agreed (`bpms_instance_change`); WeCom
checks the callback address.
"""

from __future__ import annotations

from typing import Any

DINGTALK_SIGNATURE = "747a195108520304435c60425e2376282723e8e9"
#: DingTalk's timestamp is in milliseconds.
DINGTALK_TIMESTAMP = "1796002508431"
DINGTALK_NONCE = "k3Qz8rWp"

#: The encrypted event: {"EventType": "bpms_instance_change", "type": "finish",
#: "result": "agree", ...}.
DINGTALK_BODY: dict[str, Any] = {
    "encrypt": (
        "+9gWIxx70XgdfznSkKoc7H0okj+mVtbr/m6BuUm3qj7Lc7CeLYt5pIwtcu5tnoinkXq39o4wqC6qDzGRNE5B"
        "8I9n56OM3Vlwt2eOZh5fxxRgr0PHePshGybaB85NONqy2wJvaHrmMlQufB2KxKRT71dI203lvW4rtFLk1mcR"
        "e9mRyvPE0Kmp0HGvqnS90U6L5MDP/06aHsdO0sdR4ujIRlM3qnmaUE9DwkrGd7fcVaQQfeLGf59gIvn46CcK"
        "YAlHiv0kDvl0O73/0vmlHjgqW0GZ4oN1vWUSxiaodoY6K8o="
    )
}

#: The answer DingTalk expects: "success", encrypted and signed.
DINGTALK_REPLY: dict[str, Any] = {
    "msg_signature": "ea18a5d56fab69e12c1bde5e6be344b53fe3c02c",
    "timeStamp": DINGTALK_TIMESTAMP,
    "nonce": DINGTALK_NONCE,
    "encrypt": (
        "gWWfZog61moR844+E2k34/Tp52hnHweR+e6K0hAXTFAsIwFp9A/NPrDmcL23I2TabR27TMYbXE8Z9VsReW7Z2A=="
    ),
}

WECOM_SIGNATURE = "3f2cd508a170d060d1b8482941cba0eaa0e90b6d"
#: WeCom's timestamp is in seconds.
WECOM_TIMESTAMP = "1796002512"
WECOM_NONCE = "1372623149"
WECOM_ECHOSTR = (
    "oDu5UExSsJ1OiM8lKp7esGXMkDJzAz4qlJqRs415HNlHhaAkEfndJYrwGWaxVJxwz3osI2gdvX4307sLTakLDA=="
)
