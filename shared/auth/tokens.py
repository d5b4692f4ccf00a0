"""The internal token: a short-lived HS256 JWT the gateway (or a service) signs.

Services verify it on every request and never trust bare identity headers.
"""

from __future__ import annotations

import time
from typing import Any

import jwt

from shared.auth.principal import SERVICE, Principal
from shared.errors import Unauthenticated

ISSUER = "inventory-gateway"
AUDIENCE = "inventory-internal"
ALGORITHM = "HS256"


def mint_internal_token(secret: str, principal: Principal, ttl_seconds: int = 300) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": principal.subject,
        "name": principal.name,
        "roles": sorted(principal.roles),
        "scopes": sorted(principal.scopes),
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_internal_token(secret: str, token: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "sub", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("the internal token has expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthenticated("the internal token is not valid") from exc
    return Principal(
        subject=str(claims["sub"]),
        roles=frozenset(claims.get("roles", [])),
        scopes=frozenset(claims.get("scopes", [])),
        name=str(claims.get("name", "")),
    )


def service_principal(service_name: str) -> Principal:
    return Principal(
        subject=f"service:{service_name}", roles=frozenset({SERVICE}), name=service_name
    )
