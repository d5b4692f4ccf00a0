"""Gateway domain rules: route matching, token buckets, passwords, API keys, OpenAPI merging."""

from __future__ import annotations

import copy
from typing import Any, get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.gateway.domain import openapi as merge
from services.gateway.domain.api_keys import format_key, hash_secret, parse_key, secret_matches
from services.gateway.domain.passwords import password_problems
from services.gateway.domain.ratelimit import Bucket, is_idle, retry_after_header, take
from services.gateway.domain.routing import Target, build_table, has_prefix, owner_of, resolve
from services.gateway.routes import GATEWAY_PREFIXES, PUBLIC_PREFIXES, ROUTE_TABLE
from services.gateway.schemas import Role
from shared.auth.principal import ROLES

SERVICES = ("catalog", "stock", "mrp", "trace", "workflow", "erp")


# --- routing -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v1/items", Target("catalog", "/v1/items")),
        ("/v1/items/42", Target("catalog", "/v1/items/42")),
        ("/v1/items/by-code/R-1", Target("catalog", "/v1/items/by-code/R-1")),
        ("/v1/locations/3", Target("stock", "/v1/locations/3")),
        ("/v1/genealogy/lots/7", Target("trace", "/v1/genealogy/lots/7")),
        ("/v1/itemsx", None),
        ("/v1/item", None),
        ("/v1", None),
        ("/", None),
        ("/services/catalog/v1/events", Target("catalog", "/v1/events", mounted=True)),
        ("/services/catalog", Target("catalog", "/", mounted=True)),
        ("/services/catalog/", Target("catalog", "/", mounted=True)),
        ("/services/stock/readyz", Target("stock", "/readyz", mounted=True)),
        ("/services/unknown/v1/x", None),
        ("/servicesx/catalog/v1/x", None),
        ("/v1/items/../../services/stock/v1/x", None),
        ("/services/catalog/../stock/v1", None),
    ],
)
def test_resolve(path: str, expected: Target | None) -> None:
    assert resolve(path, ROUTE_TABLE, SERVICES) == expected


def test_longest_prefix_wins() -> None:
    table = build_table({"a": ("/v1/things",), "b": ("/v1/things/special",)})
    assert resolve("/v1/things/special/1", table, ["a", "b"]) == Target("b", "/v1/things/special/1")
    assert resolve("/v1/things/1", table, ["a", "b"]) == Target("a", "/v1/things/1")
    specialist = resolve("/v1/things/specialist", table, ["a", "b"])
    assert specialist == Target("a", "/v1/things/specialist")


def test_a_prefix_has_one_owner_and_a_clean_shape() -> None:
    with pytest.raises(ValueError, match="owned by"):
        build_table({"a": ("/v1/x",), "b": ("/v1/x",)})
    with pytest.raises(ValueError, match="start and not end"):
        build_table({"a": ("/v1/x/",)})
    with pytest.raises(ValueError, match="start and not end"):
        build_table({"a": ("v1/x",)})


def test_segment_boundaries() -> None:
    assert has_prefix("/v1/items", "/v1/items")
    assert has_prefix("/v1/items/1", "/v1/items")
    assert not has_prefix("/v1/items-archive", "/v1/items")


def test_routing_table_never_claims_gateway_paths() -> None:
    for prefixes in PUBLIC_PREFIXES.values():
        for prefix in prefixes:
            for own in GATEWAY_PREFIXES:
                assert not has_prefix(prefix, own) and not has_prefix(own, prefix), (prefix, own)
    assert owner_of("/v1/users", ROUTE_TABLE) is None
    assert owner_of("/v1/items/1", ROUTE_TABLE) == "catalog"


def test_role_literal_matches_shared_roles() -> None:
    assert set(get_args(Role)) == set(ROLES)


# --- token bucket --------------------------------------------------------------------

def test_bucket_allows_burst_then_refuses_with_wait() -> None:
    bucket = None
    for _ in range(3):
        decision = take(bucket, 100.0, rate=2.0, burst=3)
        assert decision.allowed
        bucket = decision.bucket
    refused = take(bucket, 100.0, rate=2.0, burst=3)
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(0.5)
    later = take(refused.bucket, 100.5, rate=2.0, burst=3)
    assert later.allowed


def test_bucket_refills_only_up_to_burst_and_ignores_clock_going_back() -> None:
    decision = take(Bucket(0.0, 10.0), 1000.0, rate=5.0, burst=4)
    assert decision.allowed and decision.bucket.tokens == pytest.approx(3.0)
    backwards = take(Bucket(0.5, 10.0), 5.0, rate=1.0, burst=4)
    assert not backwards.allowed and backwards.bucket.updated_at == 10.0
    assert is_idle(Bucket(0.0, 0.0), 4.0, 1.0, 4) and not is_idle(Bucket(0.0, 0.0), 3.9, 1.0, 4)


def test_bucket_refuses_nonsense_settings() -> None:
    with pytest.raises(ValueError):
        take(None, 0.0, rate=0, burst=1)


@pytest.mark.parametrize(("seconds", "header"), [(0.0, "1"), (0.01, "1"), (1.0, "1"),
                                                  (1.2, "2"), (59.5, "60")])
def test_retry_after_rounds_up(seconds: float, header: str) -> None:
    assert retry_after_header(seconds) == header


@given(
    rate=st.floats(min_value=0.1, max_value=100),
    burst=st.integers(min_value=1, max_value=50),
    gaps=st.lists(st.floats(min_value=0, max_value=2), min_size=1, max_size=200),
)
def test_bucket_never_allows_more_than_burst_plus_refill(
    rate: float, burst: int, gaps: list[float]
) -> None:
    bucket, now, allowed = None, 0.0, 0
    for gap in gaps:
        now += gap
        decision = take(bucket, now, rate=rate, burst=burst)
        bucket = decision.bucket
        allowed += decision.allowed
        assert decision.allowed or decision.retry_after > 0
    assert allowed <= burst + rate * now + 1e-6


# --- passwords and API keys ----------------------------------------------------------

@pytest.mark.parametrize(
    ("password", "username", "fragment"),
    [
        ("short", "bob", "at least 12"),
        ("aaaaaaaaaaaaaaa", "bob", "4 different"),
        ("bob-the-builder-2024", "Bob", "username"),
        ("password1234", "x", "too common"),
        ("x" * 300 + "abcd", "bob", "at most"),
    ],
)
def test_password_policy_refuses(password: str, username: str, fragment: str) -> None:
    assert any(fragment in problem for problem in password_problems(password, username))


def test_password_policy_accepts_a_decent_password() -> None:
    assert password_problems("Correct-Horse-Battery-9", "admin") == []


def test_api_key_round_trip() -> None:
    key = format_key(42, "A" * 43)
    parsed = parse_key(key)
    assert parsed is not None and parsed.key_id == 42 and parsed.secret == "A" * 43
    assert secret_matches(parsed.secret, hash_secret("A" * 43))
    assert not secret_matches(parsed.secret, hash_secret("B" * 43))


@pytest.mark.parametrize("value", ["", "ik_", "ik_0_" + "a" * 40, "ik_x_" + "a" * 40,
                                   "ik_7_short", "xk_7_" + "a" * 40, "ik_7_" + "a" * 40 + "!"])
def test_malformed_api_keys_are_refused(value: str) -> None:
    assert parse_key(value) is None


def test_secret_with_underscores_parses() -> None:
    parsed = parse_key("ik_12_ab_cd-ef_" + "z" * 30)
    assert parsed is not None and parsed.key_id == 12 and parsed.secret.startswith("ab_cd")


# --- OpenAPI merging -----------------------------------------------------------------

PROBLEM = {"type": "object", "properties": {"errors": {"type": "array", "items": {
    "$ref": "#/components/schemas/ProblemFieldError"}}}}
FIELD_ERROR = {"type": "object", "properties": {"field": {"type": "string"}}}
SCHEMES = {"Bearer": {"type": "http", "scheme": "bearer"},
           "Key": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}


def _op(op_id: str, ref: str, secured: bool = True) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": op_id,
        "responses": {"200": {"content": {"application/json": {"schema": {
            "$ref": f"#/components/schemas/{ref}"}}}},
            "404": {"content": {"application/problem+json": {"schema": {
                "$ref": "#/components/schemas/Problem"}}}}},
    }
    if secured:
        op["security"] = [{"HTTPBearer": []}]
    return op


def _doc(paths: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    return {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": paths,
            "components": {"schemas": schemas,
                           "securitySchemes": {"HTTPBearer": {"type": "http"}}}}


GATEWAY = _doc({"/v1/users": {"get": _op("list_users", "UserOut")},
                "/healthz": {"get": _op("healthz", "Health", secured=False)}},
               {"UserOut": {"type": "object"}, "Health": {"type": "object"},
                "Problem": PROBLEM, "ProblemFieldError": FIELD_ERROR})
CATALOG = _doc({"/v1/items": {"get": _op("list_items", "Page"),
                              "post": _op("create_item", "ItemOut")},
                "/v1/events": {"get": _op("list_events", "Health")},
                "/healthz": {"get": _op("healthz", "Health", secured=False)}},
               {"ItemOut": {"type": "object", "properties": {"code": {"type": "string"}}},
                "Page": {"type": "object", "properties": {"items": {"type": "array", "items": {
                    "$ref": "#/components/schemas/ItemOut"}}}},
                "Health": {"type": "object", "title": "catalog health"},
                "Problem": copy.deepcopy(PROBLEM), "ProblemFieldError": copy.deepcopy(FIELD_ERROR)})
STOCK = _doc({"/v1/locations": {"get": _op("list_items", "ItemOut")}},
             {"ItemOut": {"type": "object", "properties": {"bins": {"type": "integer"}}},
              "Problem": copy.deepcopy(PROBLEM),
              "ProblemFieldError": {"type": "object", "description": "a different one"}})
OWNERS = {"/v1/items": "catalog", "/v1/locations": "stock"}


def _keep(service: str, path: str) -> bool:
    return OWNERS.get(path) == service


def _merged() -> dict[str, Any]:
    return merge.merge_documents(GATEWAY, {"catalog": CATALOG, "stock": STOCK}, keep_path=_keep,
                                 security_schemes=SCHEMES, unavailable=["trace"])


def test_merge_keeps_routed_paths_only() -> None:
    merged = _merged()
    assert set(merged["paths"]) == {"/v1/users", "/healthz", "/v1/items", "/v1/locations"}
    assert merged["paths"]["/healthz"] == GATEWAY["paths"]["/healthz"]
    assert merged[merge.UNAVAILABLE_KEY] == ["trace"]


def test_merge_renames_clashing_schemas_and_rewrites_refs() -> None:
    merged = _merged()
    schemas = merged["components"]["schemas"]
    assert schemas["catalog__ItemOut"]["properties"] == {"code": {"type": "string"}}
    assert schemas["stock__ItemOut"]["properties"] == {"bins": {"type": "integer"}}
    page_items = schemas["catalog__Page"]["properties"]["items"]["items"]["$ref"]
    assert page_items == "#/components/schemas/catalog__ItemOut"
    post = merged["paths"]["/v1/items"]["post"]["responses"]["200"]["content"]
    assert post["application/json"]["schema"]["$ref"] == "#/components/schemas/catalog__ItemOut"
    assert merge.dangling_refs(merged) == set()


def test_identical_shared_schemas_stay_single_and_different_ones_are_renamed() -> None:
    schemas = _merged()["components"]["schemas"]
    assert "Problem" in schemas and "catalog__Problem" not in schemas
    # stock's ProblemFieldError differs, so its Problem (which refers to it) is its own too
    assert "stock__ProblemFieldError" in schemas and "stock__Problem" in schemas
    assert schemas["stock__Problem"]["properties"]["errors"]["items"]["$ref"].endswith(
        "stock__ProblemFieldError")
    assert "catalog__Health" not in schemas  # only /v1/events and /healthz used it: pruned


def test_merge_security_and_operation_ids() -> None:
    merged = _merged()
    assert merged["components"]["securitySchemes"] == SCHEMES
    expected = [{"Bearer": []}, {"Key": []}]
    assert merged["paths"]["/v1/items"]["post"]["security"] == expected
    assert merged["paths"]["/v1/users"]["get"]["security"] == expected
    assert "security" not in merged["paths"]["/healthz"]["get"]
    ids = [op["operationId"] for item in merged["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    assert merged["paths"]["/v1/locations"]["get"]["operationId"] == "stock__list_items"


def test_merge_leaves_its_inputs_alone() -> None:
    before = copy.deepcopy((GATEWAY, CATALOG, STOCK))
    _merged()
    assert before == (GATEWAY, CATALOG, STOCK)


def test_dangling_refs_are_found() -> None:
    doc = _doc({"/x": {"get": _op("x", "Missing")}}, {"Problem": PROBLEM})
    assert merge.dangling_refs(doc) == {"Missing", "ProblemFieldError"}


def test_schemas_identical_in_every_service_stay_single_even_without_the_gateway() -> None:
    validation = {"type": "object", "properties": {"detail": {"type": "array"}}}
    one = _doc({"/v1/items": {"get": _op("a", "HTTPValidationError")}},
               {"HTTPValidationError": validation, "Problem": PROBLEM,
                "ProblemFieldError": FIELD_ERROR})
    two = _doc({"/v1/locations": {"get": _op("b", "HTTPValidationError")}},
               {"HTTPValidationError": copy.deepcopy(validation), "Problem": PROBLEM,
                "ProblemFieldError": FIELD_ERROR})
    merged = merge.merge_documents(GATEWAY, {"catalog": one, "stock": two}, keep_path=_keep,
                                   security_schemes=SCHEMES)
    assert "HTTPValidationError" in merged["components"]["schemas"]
    assert not any("__" in name for name in merged["components"]["schemas"])
    three = _doc({"/v1/locations": {"get": _op("b", "HTTPValidationError")}},
                 {"HTTPValidationError": {"type": "string"}, "Problem": PROBLEM,
                  "ProblemFieldError": FIELD_ERROR})
    clash = merge.merge_documents(GATEWAY, {"catalog": one, "stock": three}, keep_path=_keep,
                                  security_schemes=SCHEMES)
    names = set(clash["components"]["schemas"])
    assert {"catalog__HTTPValidationError", "stock__HTTPValidationError"} <= names
    assert "HTTPValidationError" not in names and merge.dangling_refs(clash) == set()
