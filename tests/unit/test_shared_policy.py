"""Field-level policy: filter_readable and forbidden_writes on nested models and lists."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import BaseModel, Field

from shared.auth.principal import Principal
from shared.errors import FieldWriteForbidden
from shared.http.pagination import Page
from shared.policy import (
    READ_KEY,
    WRITE_KEY,
    check_writable,
    filter_readable,
    forbidden_writes,
    restricted,
)


def who(*roles: str) -> Principal:
    return Principal(subject="user:x", roles=frozenset(roles))


PLANNER, FINANCE, ADMIN, SERVICE, NOBODY = (
    who("planner"), who("finance"), who("admin"), who("service"), who())


class Price(BaseModel):
    supplier: str
    amount: Decimal = restricted(read=["finance"], write=["finance"])


class Line(BaseModel):
    item: str
    qty: Decimal
    unit_cost: Decimal | None = restricted(read=["finance", "qc"], write=["finance"], default=None)
    prices: list[Price] = Field(default_factory=list)


class Doc(BaseModel):
    code: str
    total_cost: Decimal | None = restricted(read=["finance"], default=None)
    approver: str | None = restricted(write=["admin"], default=None)
    main: Line | None = None
    lines: list[Line] = Field(default_factory=list)


def sample() -> Doc:
    price = Price(supplier="s", amount=Decimal("0.5"))
    return Doc(code="D1", total_cost=Decimal(3), approver="a",
               main=Line(item="m", qty=Decimal(1), unit_cost=Decimal(2), prices=[price]),
               lines=[Line(item="a", qty=Decimal(1), unit_cost=Decimal(1), prices=[price, price]),
                      Line(item="b", qty=Decimal(2))])


def dumped(principal: Principal) -> dict:
    doc = sample()
    return filter_readable(doc.model_dump(mode="json"), Doc, principal)


def test_planner_sees_no_restricted_field_at_any_depth() -> None:
    data = dumped(PLANNER)
    assert "total_cost" not in data and data["approver"] == "a"
    assert data["main"] == {"item": "m", "qty": "1", "prices": [{"supplier": "s"}]}
    assert data["lines"] == [
        {"item": "a", "qty": "1", "prices": [{"supplier": "s"}, {"supplier": "s"}]},
        {"item": "b", "qty": "2", "prices": []},
    ]


def test_roles_read_what_they_are_allowed() -> None:
    full = sample().model_dump(mode="json")
    for principal in (FINANCE, ADMIN, SERVICE):
        assert dumped(principal) == full
    qc = dumped(who("qc"))
    assert "total_cost" not in qc and qc["lines"][0]["unit_cost"] == "1"
    assert "amount" not in qc["lines"][0]["prices"][0]
    assert dumped(NOBODY) == dumped(PLANNER)


def test_none_nested_values_and_lists_of_documents() -> None:
    data = Doc(code="x").model_dump(mode="json")
    assert filter_readable(data, Doc, PLANNER) == {"code": "x", "approver": None, "main": None,
                                                  "lines": []}
    many = [sample().model_dump(mode="json"), Doc(code="y").model_dump(mode="json")]
    assert all("total_cost" not in d for d in filter_readable(many, Doc, PLANNER))


def test_generic_pages_are_filtered() -> None:
    page = Page[Doc](items=[sample()], next_cursor=None)
    data = filter_readable(page.model_dump(mode="json"), Page[Doc], PLANNER)
    assert "total_cost" not in data["items"][0]
    assert "unit_cost" not in data["items"][0]["lines"][0]


class Aliased(BaseModel):
    code: str
    cost: Decimal = restricted(read=["finance"], alias="unitCost", default=Decimal(1))


def test_aliased_fields_are_filtered_whichever_key_is_used() -> None:
    by_name = Aliased(code="a").model_dump(mode="json")
    by_alias = Aliased(code="a").model_dump(mode="json", by_alias=True)
    assert filter_readable(by_name, Aliased, PLANNER) == {"code": "a"}
    assert filter_readable(by_alias, Aliased, PLANNER) == {"code": "a"}


def test_forbidden_writes_name_every_field() -> None:
    body = Doc.model_validate({
        "code": "D", "total_cost": "1", "approver": "me",
        "main": {"item": "m", "qty": "1", "unit_cost": "2",
                 "prices": [{"supplier": "s", "amount": "1"}]},
        "lines": [{"item": "a", "qty": "1"}, {"item": "b", "qty": "1", "unit_cost": None,
                                               "prices": [{"supplier": "s", "amount": "1"}]}],
    })
    paths = [e.field for e in forbidden_writes(body, PLANNER)]
    assert paths == ["body.approver", "body.lines.1.prices.0.amount", "body.lines.1.unit_cost",
                     "body.main.prices.0.amount", "body.main.unit_cost"]
    assert [e.field for e in forbidden_writes(body, FINANCE)] == ["body.approver"]
    assert forbidden_writes(body, ADMIN) == [] and forbidden_writes(body, SERVICE) == []
    with pytest.raises(FieldWriteForbidden) as raised:
        check_writable(body, PLANNER)
    assert raised.value.status == 403 and raised.value.code == "field_write_forbidden"
    assert len(raised.value.errors) == 5 and raised.value.errors[0].type == "forbidden"


def test_unset_fields_are_not_writes() -> None:
    body = Doc.model_validate({"code": "D", "lines": [{"item": "a", "qty": "1"}]})
    assert forbidden_writes(body, PLANNER) == []
    check_writable(body, PLANNER)  # no error


def test_restricted_publishes_sorted_unique_roles() -> None:
    info = Line.model_fields["unit_cost"]
    assert info.json_schema_extra == {READ_KEY: ["finance", "qc"], WRITE_KEY: ["finance"]}
    schema = Doc.model_json_schema()
    assert schema["properties"]["total_cost"][READ_KEY] == ["finance"]
    assert WRITE_KEY not in schema["properties"]["total_cost"]
    field = restricted(read=["b", "a", "b"])
    assert field.json_schema_extra == {READ_KEY: ["a", "b"]}


class PriceBook(BaseModel):
    name: str
    by_supplier: dict[str, Price] = Field(default_factory=dict)
    tiers: dict[str, list[Price]] = Field(default_factory=dict)


def test_models_inside_dicts_are_filtered_and_checked() -> None:
    book = PriceBook(
        name="2026",
        by_supplier={"yageo": Price(supplier="Yageo", amount=Decimal("0.01"))},
        tiers={"reel": [Price(supplier="Murata", amount=Decimal("0.02"))]},
    )
    seen = filter_readable(book.model_dump(mode="json"), PriceBook, PLANNER)
    assert seen["by_supplier"] == {"yageo": {"supplier": "Yageo"}}
    assert seen["tiers"] == {"reel": [{"supplier": "Murata"}]}
    assert filter_readable(book.model_dump(mode="json"), PriceBook, FINANCE)["by_supplier"][
        "yageo"]["amount"] == "0.01"
    fields = [e.field for e in forbidden_writes(book, PLANNER)]
    assert fields == ["body.by_supplier.yageo.amount", "body.tiers.reel.0.amount"]
