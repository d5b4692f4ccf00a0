"""People's (and client-credentials) access tokens: short-lived HS256 JWTs signed with
`jwt_secret`, distinct from the internal token services verify (other audience, other key).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt

from shared.auth.principal import Principal
from shared.auth.tokens import AUDIENCE as INTERNAL_AUDIENCE
from shared.errors import Unauthenticated

ISSUER = "inventory-gateway"
AUDIENCE = "inventory-api"
ALGORITHM = "HS256"


def mint_access_token(secret: str, principal: Principal, ttl_seconds: int) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": principal.subject,
        "name": principal.name,
        "roles": sorted(principal.roles),
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_access_token(secret: str, token: str) -> Principal:
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
            options={"require": ["exp", "sub", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("the access token has expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthenticated("the access token is not valid") from exc
    return Principal(
        subject=str(claims["sub"]),
        roles=frozenset(claims.get("roles", [])),
        name=str(claims.get("name", "")),
    )


def unverified_claims(token: str) -> dict[str, Any]:
    """A JWT's claims WITHOUT checking anything: only to pick the verifier (and its expiry)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise Unauthenticated("the token is not a valid JWT") from exc
    return claims if isinstance(claims, dict) else {}


def is_internal(claims: dict[str, Any]) -> bool:
    """Whether the claims name the internal audience (checked for real by its verifier)."""
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    return INTERNAL_AUDIENCE in audiences
