"""Robot signatures: DingTalk custom robot "加签" (pure)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse

DINGTALK_TOLERANCE_MS = 3_600_000


def dingtalk_robot_signature(secret: str, timestamp_ms: int) -> str:
    """Return DingTalk's signature as plain base64 (what the server sees after URL-decoding)."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), string_to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def dingtalk_robot_sign(secret: str, timestamp_ms: int) -> str:
    """Return DingTalk's `sign` query value: HMAC-SHA256, base64, then URL-encoded."""
    return urllib.parse.quote_plus(dingtalk_robot_signature(secret, timestamp_ms))


def dingtalk_robot_verify(
    secret: str,
    timestamp_ms: int,
    sign: str,
    now_ms: int,
    tolerance_ms: int = DINGTALK_TOLERANCE_MS,
) -> bool:
    """Return whether `sign` (URL-decoded or not) signs `timestamp_ms`, within the tolerance."""
    if abs(now_ms - timestamp_ms) > tolerance_ms:
        return False
    expected = dingtalk_robot_signature(secret, timestamp_ms).encode("ascii")
    candidates = {sign, urllib.parse.unquote_plus(sign)}
    # Compare every candidate (no early exit), in constant time per candidate.
    matches = [hmac.compare_digest(expected, c.encode("utf-8")) for c in candidates]
    return any(matches)
