"""API key format: `ik_<id>_<secret>`, shown once; only a hash of the secret is stored.

The id lets the gateway find the row without scanning; the secret part carries the
entropy (32 random bytes), so a fast hash (SHA-256) is safe and cheap per request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

PREFIX = "ik"
_FORMAT = re.compile(r"^ik_([1-9][0-9]{0,18})_([A-Za-z0-9_-]{20,200})$")


@dataclass(frozen=True, slots=True)
class ParsedKey:
    key_id: int
    secret: str


def format_key(key_id: int, secret: str) -> str:
    return f"{PREFIX}_{key_id}_{secret}"


def parse_key(value: str) -> ParsedKey | None:
    """The id and secret of a well-formed key, else None."""
    match = _FORMAT.match(value)
    if match is None:
        return None
    return ParsedKey(int(match.group(1)), match.group(2))


def looks_like_key(value: str) -> bool:
    return value.startswith(f"{PREFIX}_")


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def display_prefix(key_id: int) -> str:
    """What lists show instead of the secret."""
    return f"{PREFIX}_{key_id}_"
