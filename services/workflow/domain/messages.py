"""Notification messages: robot payloads, byte-safe truncation, digests and templates (pure)."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

DingTalkKind = Literal["text", "markdown", "action_card"]

WECOM_MARKDOWN_LIMIT_BYTES = 2048
SMS_LIMIT_CHARS = 500
ELLIPSIS = "…"
_ZERO_WIDTH_JOINER = "\u200d"


@dataclass(frozen=True, slots=True)
class Message:
    """One notification: a title, a markdown-ish body and an optional link."""

    title: str
    body: str
    link: str | None = None
    link_title: str = "查看"


# -- truncation ---------------------------------------------------------------------------


def utf8_truncate(text: str, limit: int, ellipsis: str = ELLIPSIS) -> str:
    """Return `text` cut so its UTF-8 encoding fits `limit` bytes, ending in `ellipsis` if cut."""
    if limit < 0:
        raise ValueError("limit must not be negative")
    if len(text.encode("utf-8")) <= limit:
        return text
    budget = limit - len(ellipsis.encode("utf-8"))
    if budget < 0:
        return _utf8_prefix(ellipsis, limit)
    return _utf8_prefix(text, budget).rstrip() + ellipsis


def _utf8_prefix(text: str, limit: int) -> str:
    """Return the longest prefix of `text` whose UTF-8 encoding fits `limit` bytes."""
    # The prefix of valid UTF-8 is valid except for a possibly incomplete last character,
    # which "ignore" drops; a dangling zero-width joiner would glue onto the ellipsis.
    prefix = text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")
    return prefix.rstrip(_ZERO_WIDTH_JOINER)


def char_truncate(text: str, limit: int, ellipsis: str = ELLIPSIS) -> str:
    """Return `text` cut to `limit` characters, ending in `ellipsis` if cut."""
    if limit < 0:
        raise ValueError("limit must not be negative")
    if len(text) <= limit:
        return text
    if len(ellipsis) > limit:
        return ellipsis[:limit]
    return text[: limit - len(ellipsis)].rstrip() + ellipsis


# -- markdown helpers ---------------------------------------------------------------------


def markdown_link(title: str, url: str) -> str:
    """Return a markdown link whose text and address cannot break out of the brackets."""
    safe_title = title.replace("[", "\\[").replace("]", "\\]")
    safe_url = url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
    return f"[{safe_title}]({safe_url})"


_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.MULTILINE)
_QUOTE = re.compile(r"^\s{0,3}>\s?", re.MULTILINE)
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")


def plain_text(text: str) -> str:
    """Return markdown-ish `text` as plain text (no headings, emphasis or link syntax)."""
    text = _LINK.sub(lambda m: f"{m.group(1)} {m.group(2)}".strip(), text)
    text = _HEADING.sub("", text)
    text = _QUOTE.sub("", text)
    return _EMPHASIS.sub(r"\2", text)


def sms_text(message: Message, limit: int = SMS_LIMIT_CHARS) -> str:
    """Return the message as SMS text: title and body as plain text, cut to `limit` chars."""
    body = plain_text(message.body).strip()
    text = f"{message.title}\n{body}" if body else message.title
    return char_truncate(text, limit)


def email_text(message: Message) -> str:
    """Return the message as a plain-text e-mail body, the link on a line of its own."""
    text = plain_text(message.body).strip()
    if message.link:
        text = f"{text}\n\n{message.link_title}: {message.link}" if text else message.link
    return text + "\n"


# -- robot payloads -----------------------------------------------------------------------


def dingtalk_robot_payload(message: Message, *, kind: DingTalkKind) -> dict[str, Any]:
    """Return the DingTalk custom robot JSON for `message` as a `kind` message."""
    if kind == "text":
        content = f"{message.title}\n{message.body}" if message.body else message.title
        if message.link:
            content = f"{content}\n{message.link_title}: {message.link}"
        return {"msgtype": "text", "text": {"content": content}}
    text = f"### {message.title}\n\n{message.body}" if message.body else f"### {message.title}"
    if kind == "action_card" and message.link:
        return {
            "msgtype": "actionCard",
            "actionCard": {
                "title": message.title,
                "text": text,
                "singleTitle": message.link_title,
                "singleURL": message.link,
            },
        }
    if kind not in ("markdown", "action_card"):
        raise ValueError(f"unknown DingTalk message kind {kind!r}")
    if message.link:
        text = f"{text}\n\n{markdown_link(message.link_title, message.link)}"
    return {"msgtype": "markdown", "markdown": {"title": message.title, "text": text}}


def wecom_robot_payload(
    message: Message, *, limit_bytes: int = WECOM_MARKDOWN_LIMIT_BYTES
) -> dict[str, Any]:
    """Return the WeCom group robot markdown JSON, cut to `limit_bytes` keeping the link."""
    head = f"**{message.title}**\n{message.body}" if message.body else f"**{message.title}**"
    tail = f"\n{markdown_link(message.link_title, message.link)}" if message.link else ""
    content = head + tail
    if len(content.encode("utf-8")) > limit_bytes:
        budget = limit_bytes - len(tail.encode("utf-8"))
        if budget >= len(ELLIPSIS.encode("utf-8")):
            content = utf8_truncate(head, budget) + tail
        else:  # the link alone does not fit: keep what fits of the whole text
            content = utf8_truncate(content, limit_bytes)
    return {"msgtype": "markdown", "markdown": {"content": content}}


# -- digests ------------------------------------------------------------------------------


def digest(
    messages: Sequence[Message],
    *,
    title: str,
    limit_bytes: int | None = None,
    link: str | None = None,
    more: str = "… and {count} more",
) -> Message:
    """Merge alerts into one message: a numbered list of titles and first body lines.

    With `limit_bytes` the body's UTF-8 encoding stays within it: whole entries are kept
    while they fit and the rest are counted on a last line made from `more`.
    """
    lines = [_digest_line(number, message) for number, message in enumerate(messages, 1)]
    if limit_bytes is None:
        return Message(title=title, body="\n".join(lines), link=link)
    if limit_bytes < 0:
        raise ValueError("limit_bytes must not be negative")
    sizes = [len(line.encode("utf-8")) for line in lines]
    kept, used = 0, 0
    for size in sizes:
        if used + size + (1 if kept else 0) > limit_bytes:
            break
        used += size + (1 if kept else 0)
        kept += 1
    while kept < len(lines):
        more_line = more.format(count=len(lines) - kept)
        if kept == 0:
            return Message(title=title, body=utf8_truncate(more_line, limit_bytes), link=link)
        body = "\n".join([*lines[:kept], more_line])
        if len(body.encode("utf-8")) <= limit_bytes:
            return Message(title=title, body=body, link=link)
        kept -= 1  # make room for the "more" line
    return Message(title=title, body="\n".join(lines), link=link)


def _digest_line(number: int, message: Message) -> str:
    """Return one digest entry: its number, title and the first non-blank line of its body."""
    first = next((line.strip() for line in message.body.splitlines() if line.strip()), "")
    first = plain_text(first)
    return f"{number}. {message.title} — {first}" if first else f"{number}. {message.title}"


# -- templates ----------------------------------------------------------------------------

TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "approval_pending": {
        "zh": (
            "待审批：{document_type} {document_number}",
            "申请人：{requester}\n当前步骤：{step}\n请于 {due_at} 前处理。",
        ),
        "en": (
            "Approval needed: {document_type} {document_number}",
            "Requested by: {requester}\nStep: {step}\nPlease decide by {due_at}.",
        ),
    },
    "approval_overdue": {
        "zh": (
            "审批已超时：{document_type} {document_number}",
            "步骤 {step} 已于 {due_at} 到期，仍待 {approver} 处理。",
        ),
        "en": (
            "Approval overdue: {document_type} {document_number}",
            "Step {step} was due at {due_at} and still waits for {approver}.",
        ),
    },
    "approval_result": {
        "zh": (
            "审批{result}：{document_type} {document_number}",
            "审批人：{approver}\n结果：{result}\n意见：{reason}",
        ),
        "en": (
            "Approval {result}: {document_type} {document_number}",
            "Decided by: {approver}\nResult: {result}\nReason: {reason}",
        ),
    },
    "safety_stock": {
        "zh": (
            "低于安全库存：{item_code} {item_name}",
            "可用量：{available}\n安全库存：{safety_stock}\n缺口：{shortage}\n"
            "建议补货：{suggested_quantity}",
        ),
        "en": (
            "Below safety stock: {item_code} {item_name}",
            "Available: {available}\nSafety stock: {safety_stock}\nShortage: {shortage}\n"
            "Suggested quantity: {suggested_quantity}",
        ),
    },
    "lot_expiring": {
        "zh": (
            "批次即将过期：{item_code} 批次 {lot_number}",
            "物料：{item_code} {item_name}\n批次：{lot_number}\n数量：{quantity}\n"
            "有效期至：{expires_on}（剩余 {days_left} 天）",
        ),
        "en": (
            "Lot expiring: {item_code} lot {lot_number}",
            "Item: {item_code} {item_name}\nLot: {lot_number}\nQuantity: {quantity}\n"
            "Expires on: {expires_on} ({days_left} days left)",
        ),
    },
    "inspection_waiting": {
        "zh": (
            "待检验：{document_number}",
            "物料：{item_code} {item_name}\n数量：{quantity}\n到货时间：{received_at}",
        ),
        "en": (
            "Waiting for inspection: {document_number}",
            "Item: {item_code} {item_name}\nQuantity: {quantity}\nReceived at: {received_at}",
        ),
    },
    "dead_stock": {
        "zh": (
            "呆滞库存：{item_code} {item_name}",
            "数量：{quantity}\n已 {idle_days} 天无出入库\n最后变动：{last_movement_at}",
        ),
        "en": (
            "Dead stock: {item_code} {item_name}",
            "Quantity: {quantity}\nNo movement for {idle_days} days\n"
            "Last movement: {last_movement_at}",
        ),
    },
    "inventory_health": {
        "zh": (
            "库存健康日报 {date}",
            "库存金额：{stock_value}\n"
            "低于安全库存：{below_safety_stock} 项\n{below_safety_items}\n"
            "呆滞料（{idle_days} 天无出库）：{dead_stock_items} 项，金额 {dead_stock_value}\n"
            "{dead_stock_top}\n"
            "库龄超过 {aged_days} 天：{aged_value}（占 {aged_share}%）",
        ),
        "en": (
            "Inventory health {date}",
            "Stock value: {stock_value}\n"
            "Below safety stock: {below_safety_stock} items\n{below_safety_items}\n"
            "Dead stock (no issue for {idle_days} days): {dead_stock_items} items worth "
            "{dead_stock_value}\n{dead_stock_top}\n"
            "Aged over {aged_days} days: {aged_value} ({aged_share}% of the value)",
        ),
    },
    "posting_failed": {
        "zh": (
            "过账失败：{document_type} {document_number}",
            "错误：{error}",
        ),
        "en": (
            "Posting failed: {document_type} {document_number}",
            "Error: {error}",
        ),
    },
    "rule_fired": {
        "zh": ("规则触发：{rule}", "对象：{key}"),
        "en": ("Rule fired: {rule}", "For: {key}"),
    },
}

DEFAULT_LANGUAGE = "zh"

# Values of these fields are words the template's language translates.
_VOCABULARY: dict[str, dict[str, dict[str, str]]] = {
    "result": {
        "zh": {"approved": "已通过", "rejected": "已驳回"},
        "en": {"approved": "approved", "rejected": "rejected"},
    },
}


def template_language(language: str) -> str:
    """Return the template language for `language` ("en-US" -> "en"; unknown -> "zh")."""
    base = language.replace("_", "-").split("-", 1)[0].strip().lower()
    return base if base in ("zh", "en") else DEFAULT_LANGUAGE


def template_fields(name: str) -> frozenset[str]:
    """Return the value names template `name` needs (KeyError for an unknown template)."""
    fields: set[str] = set()
    for title, body in TEMPLATES[name].values():
        fields |= _fields_of(title) | _fields_of(body)
    return frozenset(fields)


def render(
    name: str, language: str, values: Mapping[str, object], link: str | None = None
) -> Message:
    """Return template `name` in `language` filled with `values`.

    An unknown language falls back to Chinese; a missing value raises KeyError naming it.
    """
    translations = TEMPLATES[name]
    language = template_language(language)
    title, body = translations.get(language) or translations[DEFAULT_LANGUAGE]
    needed = _fields_of(title) | _fields_of(body)
    missing = sorted(needed - values.keys())
    if missing:
        error = KeyError(missing[0])
        error.add_note(f"template {name!r} needs {', '.join(missing)}")
        raise error
    shown = {field: _show(field, values[field], language) for field in needed}
    link_title = "查看" if language == "zh" else "Open"
    return Message(
        title=title.format_map(shown),
        body=body.format_map(shown),
        link=link,
        link_title=link_title,
    )


def _fields_of(template: str) -> set[str]:
    """Return the field names a `str.format` template refers to."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def _show(field: str, value: object, language: str) -> str:
    """Return `value` as text: plain decimals, minute timestamps, translated words."""
    if isinstance(value, Decimal):
        return _plain_decimal(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return _VOCABULARY.get(field, {}).get(language, {}).get(text, text)


def _plain_decimal(value: Decimal) -> str:
    """Return a decimal without exponent or trailing zeros ("5000", "0.25")."""
    if not value.is_finite():
        return str(value)
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text
