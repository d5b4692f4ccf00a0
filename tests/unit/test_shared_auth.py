"""Internal tokens and principals: only a fresh token signed with our secret for us is accepted."""

from __future__ import annotations

import time

import jwt
import pytest

from shared.auth.principal import ADMIN, SERVICE, Principal
from shared.auth.tokens import (
    ALGORITHM,
    AUDIENCE,
    ISSUER,
    mint_internal_token,
    service_principal,
    verify_internal_token,
)
from shared.errors import Unauthenticated

SECRET = "s" * 64
ALICE = Principal("user:alice", frozenset({"planner", "qc"}), frozenset({"read"}), "Alice")


def claims(**overrides) -> dict:
    now = int(time.time())
    values = {"iss": ISSUER, "aud": AUDIENCE, "sub": "user:alice", "roles": ["planner"],
              "iat": now, "exp": now + 60}
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def test_round_trip_keeps_the_principal() -> None:
    token = mint_internal_token(SECRET, ALICE, 60)
    assert verify_internal_token(SECRET, token) == ALICE


def test_service_principal() -> None:
    principal = service_principal("stock")
    assert principal.subject == "service:stock" and principal.is_service
    assert verify_internal_token(SECRET, mint_internal_token(SECRET, principal)) == principal


def test_expired_token_is_unauthenticated() -> None:
    token = mint_internal_token(SECRET, ALICE, ttl_seconds=-5)
    with pytest.raises(Unauthenticated, match="expired") as raised:
        verify_internal_token(SECRET, token)
    assert raised.value.status == 401


@pytest.mark.parametrize(("token_claims", "secret"), [
    (claims(), "w" * 40),                        # wrong secret
    (claims(aud="someone-else"), SECRET),        # wrong audience
    (claims(aud=None), SECRET),                  # no audience
    (claims(iss="evil"), SECRET),                # wrong issuer
    (claims(exp=None), SECRET),                  # never expires
    (claims(sub=None), SECRET),                  # nobody
    (claims(nbf=int(time.time()) + 600), SECRET),  # not valid yet
])
def test_bad_tokens_are_unauthenticated(token_claims: dict, secret: str) -> None:
    token = jwt.encode(token_claims, secret, algorithm=ALGORITHM)
    with pytest.raises(Unauthenticated):
        verify_internal_token(SECRET, token)


@pytest.mark.parametrize("token", [
    "", "garbage", "a.b.c",
    jwt.encode(claims(), key=None, algorithm="none"),
    jwt.encode(claims(), SECRET, algorithm="HS512"),
])
def test_malformed_or_unsigned_tokens_are_unauthenticated(token: str) -> None:
    with pytest.raises(Unauthenticated):
        verify_internal_token(SECRET, token)


def test_tampered_payload_is_refused() -> None:
    header, _payload, signature = mint_internal_token(SECRET, ALICE).split(".")
    forged = jwt.encode(claims(roles=["admin"]), "x" * 40, algorithm=ALGORITHM).split(".")[1]
    with pytest.raises(Unauthenticated):
        verify_internal_token(SECRET, f"{header}.{forged}.{signature}")


def test_has_any_admin_and_service_pass_everything() -> None:
    assert ALICE.has_any({"qc", "finance"}) and not ALICE.has_any({"finance"})
    assert not ALICE.has_any(())
    for role in (ADMIN, SERVICE):
        assert Principal("x", frozenset({role})).has_any({"finance"})
    assert not Principal("x").has_any({"finance"})
