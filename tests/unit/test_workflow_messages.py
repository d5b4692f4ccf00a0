"""Workflow notification messages: robot payloads, truncation, digests, templates, signing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.workflow.domain.messages import (
    TEMPLATES,
    Message,
    char_truncate,
    digest,
    dingtalk_robot_payload,
    email_text,
    markdown_link,
    plain_text,
    render,
    sms_text,
    template_fields,
    utf8_truncate,
    wecom_robot_payload,
)
from services.workflow.domain.signing import (
    dingtalk_robot_sign,
    dingtalk_robot_signature,
    dingtalk_robot_verify,
)

LINK = "https://erp.example.com/approvals/42"
ALERT = Message(title="待审批：采购订单 PO-1", body="申请人：张三\n步骤：部门经理", link=LINK)

# Chinese, emoji (including joined sequences and flags), accents, ASCII and line breaks.
EMOJI = ["😀", "👍🏽", "👨\u200d👩\u200d👧", "🇨🇳", "❤️", "é", "e\u0301"]
texts = st.lists(
    st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF),
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        st.sampled_from([*EMOJI, "\n", "，", "。", "\u200d"]),
    ),
    max_size=400,
).map("".join)


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


# -- DingTalk payloads ---------------------------------------------------------------------


def test_dingtalk_text_appends_the_link() -> None:
    payload = dingtalk_robot_payload(ALERT, kind="text")
    assert payload == {
        "msgtype": "text",
        "text": {"content": f"{ALERT.title}\n{ALERT.body}\n查看: {LINK}"},
    }


def test_dingtalk_text_without_link_is_title_and_body() -> None:
    payload = dingtalk_robot_payload(Message(title="标题", body="正文"), kind="text")
    assert payload == {"msgtype": "text", "text": {"content": "标题\n正文"}}


def test_dingtalk_markdown_has_title_heading_and_link() -> None:
    payload = dingtalk_robot_payload(ALERT, kind="markdown")
    assert payload["msgtype"] == "markdown"
    assert payload["markdown"]["title"] == ALERT.title
    text = payload["markdown"]["text"]
    assert text.startswith(f"### {ALERT.title}\n\n{ALERT.body}")
    assert text.endswith(f"[查看]({LINK})")


def test_dingtalk_action_card_carries_the_button() -> None:
    message = Message(title="审批", body="请处理", link=LINK, link_title="去审批")
    assert dingtalk_robot_payload(message, kind="action_card") == {
        "msgtype": "actionCard",
        "actionCard": {
            "title": "审批",
            "text": "### 审批\n\n请处理",
            "singleTitle": "去审批",
            "singleURL": LINK,
        },
    }


def test_dingtalk_action_card_without_link_falls_back_to_markdown() -> None:
    message = Message(title="审批", body="请处理")
    assert dingtalk_robot_payload(message, kind="action_card") == dingtalk_robot_payload(
        message, kind="markdown"
    )
    assert dingtalk_robot_payload(message, kind="markdown") == {
        "msgtype": "markdown",
        "markdown": {"title": "审批", "text": "### 审批\n\n请处理"},
    }


def test_dingtalk_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown"):
        dingtalk_robot_payload(ALERT, kind="news")  # type: ignore[arg-type]


def test_markdown_link_cannot_break_out_of_its_brackets() -> None:
    assert markdown_link("a]b", "https://x/y (1)") == "[a\\]b](https://x/y%20%281%29)"


# -- WeCom payloads ------------------------------------------------------------------------


def test_wecom_markdown_is_bold_title_body_and_link() -> None:
    assert wecom_robot_payload(ALERT) == {
        "msgtype": "markdown",
        "markdown": {"content": f"**{ALERT.title}**\n{ALERT.body}\n[查看]({LINK})"},
    }


def test_wecom_long_content_is_cut_to_2048_bytes_keeping_the_link() -> None:
    message = Message(title="呆滞库存", body="物料说明" * 400, link=LINK)
    content = wecom_robot_payload(message)["markdown"]["content"]
    assert utf8_size(content) <= 2048
    assert utf8_size(content) > 2048 - 4  # cut at the limit, not far before it
    head, link_line = content.rsplit("\n", 1)
    assert link_line == f"[查看]({LINK})"
    assert head.endswith("…")
    assert head.startswith("**呆滞库存**\n物料说明")


def test_wecom_long_content_without_link_ends_with_ellipsis() -> None:
    content = wecom_robot_payload(Message(title="t", body="库" * 3000))["markdown"]["content"]
    assert utf8_size(content) <= 2048
    assert content.endswith("库…")


def test_wecom_content_at_the_limit_is_not_cut() -> None:
    body = "a" * (2048 - len("**t**\n"))
    content = wecom_robot_payload(Message(title="t", body=body))["markdown"]["content"]
    assert utf8_size(content) == 2048
    assert not content.endswith("…")


@settings(max_examples=200, deadline=None)
@given(title=texts, body=texts, repeat=st.integers(1, 12))
def test_wecom_content_always_fits_and_keeps_the_link(title: str, body: str, repeat: int) -> None:
    message = Message(title=title, body=body * repeat, link=LINK)
    content = wecom_robot_payload(message)["markdown"]["content"]
    assert utf8_size(content) <= 2048
    assert content.endswith(f"\n[查看]({LINK})")


# -- truncation ----------------------------------------------------------------------------


def test_utf8_truncate_examples() -> None:
    assert utf8_truncate("库存预警", 12) == "库存预警"
    assert utf8_truncate("库存预警", 11) == "库存…"  # 6 bytes + 3 bytes of ellipsis
    assert utf8_truncate("库存预警", 10) == "库存…"
    assert utf8_truncate("库存预警", 8) == "库…"
    assert utf8_truncate("库存预警", 3) == "…"
    assert utf8_truncate("库存预警", 2) == ""
    assert utf8_truncate("abcdef", 5, ellipsis="..") == "abc.."
    assert utf8_truncate("ab   cdef", 7) == "ab…"  # no blanks before the ellipsis
    with pytest.raises(ValueError):
        utf8_truncate("x", -1)


def test_utf8_truncate_never_leaves_a_dangling_joiner() -> None:
    family = "👨\u200d👩\u200d👧"
    cut = utf8_truncate("ab" + family, 2 + 4 + 3 + 3)  # room for the man and the joiner
    assert cut == "ab👨…"


@settings(max_examples=300, deadline=None)
@given(text=texts, limit=st.integers(0, 600))
def test_utf8_truncate_respects_the_limit_and_characters(text: str, limit: int) -> None:
    cut = utf8_truncate(text, limit)
    assert utf8_size(cut) <= limit
    cut.encode("utf-8")  # a valid string: no half characters, no lone surrogates
    if utf8_size(text) <= limit:
        assert cut == text
    elif limit >= 3:
        assert cut.endswith("…")
        assert text.startswith(cut[:-1])
        assert not cut[:-1].endswith("\u200d")
    else:
        assert cut == ""


def test_char_truncate_and_sms_text() -> None:
    assert char_truncate("abcdef", 4) == "abc…"
    assert char_truncate("abc", 3) == "abc"
    message = Message(title="库存预警", body="**A001** 低于 [安全库存](https://x/y)\n" * 100)
    text = sms_text(message)
    assert len(text) == 500
    assert text.startswith("库存预警\nA001 低于 安全库存 https://x/y\n")
    assert text.endswith("…")
    assert sms_text(Message(title="标题", body="")) == "标题"


def test_plain_text_drops_markdown() -> None:
    text = "### 标题\n> 引用\n**粗体** 与 __强调__，[链接](https://x/y)"
    assert plain_text(text) == "标题\n引用\n粗体 与 强调，链接 https://x/y"


def test_email_text_puts_the_link_on_its_own_line() -> None:
    assert email_text(ALERT) == f"{ALERT.body}\n\n查看: {LINK}\n"
    assert email_text(Message(title="t", body="b")) == "b\n"


# -- digest --------------------------------------------------------------------------------

ALERTS = [
    Message(title=f"低于安全库存：A00{n}", body=f"可用量：{n}\n安全库存：10") for n in range(1, 6)
]


def test_digest_lists_titles_and_first_body_lines() -> None:
    merged = digest(ALERTS[:3], title="库存预警（3）", link=LINK)
    assert merged == Message(
        title="库存预警（3）",
        body="1. 低于安全库存：A001 — 可用量：1\n"
        "2. 低于安全库存：A002 — 可用量：2\n"
        "3. 低于安全库存：A003 — 可用量：3",
        link=LINK,
    )


def test_digest_of_messages_without_body_lists_titles_only() -> None:
    merged = digest([Message(title="a", body=""), Message(title="b", body="\n\nx")], title="t")
    assert merged.body == "1. a\n2. b — x"


def test_digest_counts_what_does_not_fit() -> None:
    line = "1. 低于安全库存：A001 — 可用量：1"
    limit = utf8_size(line) * 2 + 1 + 10
    merged = digest(ALERTS, title="库存预警", limit_bytes=limit)
    assert merged.body.splitlines() == [
        "1. 低于安全库存：A001 — 可用量：1",
        "… and 4 more",
    ]
    assert utf8_size(merged.body) <= limit
    chinese = digest(ALERTS, title="库存预警", limit_bytes=limit, more="… 另有 {count} 条")
    assert chinese.body.splitlines()[-1] == "… 另有 4 条"


def test_digest_within_the_limit_keeps_everything() -> None:
    whole = digest(ALERTS, title="t")
    assert digest(ALERTS, title="t", limit_bytes=utf8_size(whole.body)) == whole
    assert digest([], title="t") == Message(title="t", body="")


@settings(max_examples=200, deadline=None)
@given(
    titles=st.lists(texts.filter(lambda t: t.strip() != ""), min_size=1, max_size=30),
    limit=st.integers(0, 2000),
)
def test_digest_body_fits_and_keeps_whole_entries(titles: list[str], limit: int) -> None:
    messages = [Message(title=title.replace("\n", " "), body="") for title in titles]
    merged = digest(messages, title="t", limit_bytes=limit)
    assert utf8_size(merged.body) <= limit
    lines = merged.body.split("\n") if merged.body else []
    entries = [line for line in lines if not line.startswith("…")]
    for number, line in enumerate(entries, 1):
        assert line == f"{number}. {messages[number - 1].title}"
    if len(entries) < len(messages) and limit >= 3:
        assert merged.body.split("\n")[-1].startswith("…")


# -- templates -----------------------------------------------------------------------------

SAMPLE_VALUES: dict[str, object] = {
    "document_type": "采购订单",
    "document_number": "PO-2024-0001",
    "requester": "张三",
    "approver": "李四",
    "step": "部门经理审批",
    "due_at": datetime(2024, 5, 1, 18, 0, tzinfo=timezone(timedelta(hours=8))),
    "result": "rejected",
    "reason": "预算不足",
    "item_code": "R-0603-10K",
    "item_name": "贴片电阻 10K",
    "available": Decimal("120.000"),
    "safety_stock": Decimal("5E+2"),
    "shortage": Decimal("380"),
    "suggested_quantity": Decimal("1000"),
    "lot_number": "L240501",
    "quantity": Decimal("0.250"),
    "expires_on": date(2024, 6, 1),
    "days_left": 7,
    "received_at": "2024-05-01 09:30",
    "idle_days": 180,
    "last_movement_at": "2023-11-01",
    "error": "insufficient_stock",
}

REQUIRED = [
    "approval_pending",
    "approval_overdue",
    "approval_result",
    "safety_stock",
    "lot_expiring",
    "inspection_waiting",
    "dead_stock",
    "posting_failed",
]


def test_every_template_has_chinese_and_english_with_the_same_fields() -> None:
    assert set(REQUIRED) <= set(TEMPLATES)
    for name, translations in TEMPLATES.items():
        assert set(translations) == {"zh", "en"}, name
        zh_fields = render_fields(translations["zh"])
        assert zh_fields == render_fields(translations["en"]), name
        assert zh_fields == template_fields(name)


def render_fields(pair: tuple[str, str]) -> set[str]:
    import string

    return {f for text in pair for _, f, _, _ in string.Formatter().parse(text) if f}


@pytest.mark.parametrize("name", REQUIRED)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_template_renders(name: str, language: str) -> None:
    message = render(name, language, SAMPLE_VALUES, link=LINK)
    assert message.title and message.body
    assert "{" not in message.title + message.body
    assert message.link == LINK


def test_approval_pending_in_chinese_and_english() -> None:
    zh = render("approval_pending", "zh", SAMPLE_VALUES, link=LINK)
    assert zh == Message(
        title="待审批：采购订单 PO-2024-0001",
        body="申请人：张三\n当前步骤：部门经理审批\n请于 2024-05-01 18:00+08:00 前处理。",
        link=LINK,
        link_title="查看",
    )
    en = render("approval_pending", "en-US", SAMPLE_VALUES)
    assert en.title == "Approval needed: 采购订单 PO-2024-0001"
    assert en.body.splitlines()[0] == "Requested by: 张三"
    assert en.link is None
    assert en.link_title == "Open"


def test_approval_result_translates_the_decision() -> None:
    rejected = render("approval_result", "zh", SAMPLE_VALUES)
    assert rejected.title == "审批已驳回：采购订单 PO-2024-0001"
    assert "意见：预算不足" in rejected.body
    approved = render("approval_result", "en", {**SAMPLE_VALUES, "result": "approved"})
    assert approved.title == "Approval approved: 采购订单 PO-2024-0001"
    assert "Result: approved" in approved.body


def test_quantities_show_without_exponent_or_trailing_zeros() -> None:
    message = render("safety_stock", "en", SAMPLE_VALUES)
    assert message.body.splitlines() == [
        "Available: 120",
        "Safety stock: 500",
        "Shortage: 380",
        "Suggested quantity: 1000",
    ]
    lot = render("lot_expiring", "zh", SAMPLE_VALUES)
    assert "数量：0.25" in lot.body
    assert "有效期至：2024-06-01（剩余 7 天）" in lot.body


def test_unknown_language_falls_back_to_chinese() -> None:
    assert render("posting_failed", "fr", SAMPLE_VALUES) == render(
        "posting_failed", "zh", SAMPLE_VALUES
    )


def test_missing_value_raises_key_error_naming_it() -> None:
    values = {k: v for k, v in SAMPLE_VALUES.items() if k not in ("due_at", "step")}
    with pytest.raises(KeyError) as caught:
        render("approval_pending", "en", values)
    assert caught.value.args == ("due_at",)
    assert "step" in "".join(caught.value.__notes__)
    with pytest.raises(KeyError):
        render("no_such_template", "zh", SAMPLE_VALUES)


def test_values_are_not_formatted_again() -> None:
    message = render("posting_failed", "en", {**SAMPLE_VALUES, "error": "{oops} 100%"})
    assert message.body == "Error: {oops} 100%"


# -- DingTalk signing ----------------------------------------------------------------------

SECRET = "SECb1a5d2ab0f1a6e0c4f0e9d2f5d4c3b2a1908172635445362718"
TIMESTAMP_MS = 1_714_550_400_000


def expected_signature(secret: str, timestamp_ms: int) -> str:
    """DingTalk's documented recipe, computed independently of the code under test."""
    mac = hmac.new(
        secret.encode("utf-8"),
        f"{timestamp_ms}\n{secret}".encode(),
        digestmod=hashlib.sha256,
    )
    return base64.b64encode(mac.digest()).decode()


def test_dingtalk_sign_matches_the_documented_recipe() -> None:
    raw = expected_signature(SECRET, TIMESTAMP_MS)
    assert dingtalk_robot_signature(SECRET, TIMESTAMP_MS) == raw
    assert dingtalk_robot_sign(SECRET, TIMESTAMP_MS) == urllib.parse.quote_plus(raw)
    assert raw.endswith("=")  # 32 bytes of base64 always carry padding...
    assert dingtalk_robot_sign(SECRET, TIMESTAMP_MS).endswith("%3D")  # ...which is encoded


def test_dingtalk_verify_accepts_the_sign_encoded_or_not() -> None:
    encoded = dingtalk_robot_sign(SECRET, TIMESTAMP_MS)
    raw = expected_signature(SECRET, TIMESTAMP_MS)
    assert dingtalk_robot_verify(SECRET, TIMESTAMP_MS, encoded, TIMESTAMP_MS + 1_000)
    assert dingtalk_robot_verify(SECRET, TIMESTAMP_MS, raw, TIMESTAMP_MS - 1_000)


def test_dingtalk_verify_rejects_a_wrong_secret_or_timestamp() -> None:
    sign = dingtalk_robot_sign(SECRET, TIMESTAMP_MS)
    assert not dingtalk_robot_verify("SECwrong", TIMESTAMP_MS, sign, TIMESTAMP_MS)
    assert not dingtalk_robot_verify(SECRET, TIMESTAMP_MS + 1, sign, TIMESTAMP_MS)
    assert not dingtalk_robot_verify(SECRET, TIMESTAMP_MS, "", TIMESTAMP_MS)


def test_dingtalk_verify_rejects_a_stale_or_future_timestamp() -> None:
    sign = dingtalk_robot_sign(SECRET, TIMESTAMP_MS)
    hour = 3_600_000
    assert dingtalk_robot_verify(SECRET, TIMESTAMP_MS, sign, TIMESTAMP_MS + hour)
    assert not dingtalk_robot_verify(SECRET, TIMESTAMP_MS, sign, TIMESTAMP_MS + hour + 1)
    assert not dingtalk_robot_verify(SECRET, TIMESTAMP_MS, sign, TIMESTAMP_MS - hour - 1)
    assert dingtalk_robot_verify(SECRET, TIMESTAMP_MS, sign, TIMESTAMP_MS + 90_000, 100_000)
    assert not dingtalk_robot_verify(SECRET, TIMESTAMP_MS, sign, TIMESTAMP_MS + 90_000, 60_000)
