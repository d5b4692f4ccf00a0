"""ERP domain: matching movement-type rules, account determination, the two templates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.erp.domain.accounts import (
    BUILT_IN_TEMPLATES,
    DIMENSIONS,
    VALUATION_CLASSES,
    AccountSpec,
    Determination,
    RuleSpec,
    determine,
    dimension_errors,
    lookup_keys,
)
from services.erp.domain.movement_types import Facts, Rule, classify, location_matches
from services.erp.domain.vouchers import MovementFacts, merge, postings, sides, totals


def facts(**changes: object) -> Facts:
    values: dict[str, object] = {
        "document_type": "scrap",
        "reversal": False,
        "from_location": "WH1/RAW/A",
        "to_location": "VIRTUAL/SCRAPPED",
        "from_state": "defective",
        "to_state": "defective",
        "stage": "raw",
    }
    values.update(changes)
    return Facts(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pattern", "code", "expected"),
    [
        ("", "WH1/A", True),
        ("WH1/A", "WH1/A", True),
        ("WH1/A", "WH1/A-01", False),
        ("WH1/*", "WH1/A/01", True),
        ("WH1/*", "WH1", True),
        ("WH1/*", "WH10/A", False),
        ("WH*", "WH10/A", True),
    ],
)
def test_location_patterns(pattern: str, code: str, expected: bool) -> None:
    assert location_matches(pattern, code) is expected


def test_the_most_specific_rule_wins_then_the_lowest_code_then_the_first_added() -> None:
    rules = [
        Rule(1, "551", document_type="scrap", reversal=False),
        Rule(2, "Z55", document_type="scrap", reversal=False, from_location="LAB/*"),
        Rule(3, "552", document_type="scrap", reversal=True),
        Rule(4, "Z10", document_type="scrap"),
        Rule(5, "A10", document_type="scrap"),
    ]
    assert classify(rules, facts()).movement_type == "551"  # type: ignore[union-attr]
    lab = classify(rules, facts(from_location="LAB/B2"))
    assert lab is not None and (lab.movement_type, lab.rule.id) == ("Z55", 2)
    back = classify(rules, facts(reversal=True))
    assert back is not None and (back.movement_type, back.reversal) == ("552", True)
    # equally specific: the lower code
    assert classify(rules[3:], facts()).movement_type == "A10"  # type: ignore[union-attr]
    assert classify(rules, facts(document_type="transfer")) is None


def test_lookup_tries_the_modifier_before_the_class() -> None:
    assert lookup_keys("101", "raw_material", "work_order") == [
        ("101", "raw_material", "work_order"),
        ("101", "", "work_order"),
        ("101", "raw_material", ""),
        ("101", "", ""),
    ]
    assert lookup_keys("101", "", "") == [("101", "", "")]


def test_determine_falls_back_to_the_reversed_type_in_red_ink() -> None:
    rows = {
        r.key: r
        for r in (
            RuleSpec("101", "", "", "1403", "2202.02"),
            RuleSpec("101", "", "work_order", "1405", "5001"),
            RuleSpec("102", "finished_good", "", "1405", "2202.02"),
        )
    }
    own = determine(rows, "102", "finished_good", "", reverses="101", reversal=True)
    assert own is not None and own.found_under == ("102", "finished_good", "") and own.red_ink
    borrowed = determine(rows, "102", "raw_material", "work_order", reverses="101")
    assert borrowed is not None and borrowed.rule.credit_account == "5001" and borrowed.red_ink
    plain = determine(rows, "101", "raw_material", "")
    assert plain is not None and not plain.red_ink and plain.found_under == ("101", "", "")
    assert determine(rows, "311", "raw_material", "") is None


def test_dimension_errors_name_unknown_and_repeated_ones() -> None:
    assert dimension_errors(["material", "planet", "material"], "body.d") == [
        ("body.d.1", f"must be one of {', '.join(DIMENSIONS)}"),
        ("body.d.2", "material is named twice"),
    ]


@pytest.mark.parametrize("template", sorted(BUILT_IN_TEMPLATES))
def test_every_template_rule_names_its_own_accounts_and_their_dimensions(template: str) -> None:
    book = BUILT_IN_TEMPLATES[template]
    accounts = {a.code: a for a in book.accounts}
    keys = [r.key for r in book.rules]
    assert len(keys) == len(set(keys))
    for rule in book.rules:
        if not rule.posts:
            assert rule.credit_account is None
            continue
        assert rule.debit_account != rule.credit_account
        for account, dims in (
            (rule.debit_account, rule.debit_dimensions),
            (rule.credit_account, rule.credit_dimensions),
        ):
            assert account in accounts, (template, rule)
            assert set(dims) <= set(accounts[account].dimensions), (template, rule)
    # every value-changing original type is mapped for every valuation class
    rows = {r.key: r for r in book.rules}
    for code in ("101", "122", "261", "551", "601", "651", "701", "702"):
        for cls in VALUATION_CLASSES:
            found = determine(rows, code, cls, "")
            assert found is not None and found.rule.posts, (template, code, cls)
    for cls in ("semi_finished", "finished_good"):
        output = determine(rows, "101", cls, "work_order")
        assert output is not None and output.rule.debit_account == "1405"


def test_the_small_enterprise_standard_differs_only_in_production_and_cost_of_sales() -> None:
    cas = {a.code: a.name for a in BUILT_IN_TEMPLATES["cas"].accounts}
    sbas = {a.code: a.name for a in BUILT_IN_TEMPLATES["sbas"].accounts}
    assert set(cas) - set(sbas) == {"5001", "6401", "6402"}
    assert set(sbas) - set(cas) == {"4001", "5401", "5402"}
    assert sbas["4001"] == cas["5001"] == "生产成本"
    assert sbas["5401"] == cas["6401"] == "主营业务成本"


# --- voucher lines -----------------------------------------------------------------------


def movement_facts(**changes: object) -> MovementFacts:
    values: dict[str, object] = {
        "id": 1,
        "item_code": "R",
        "quantity": Decimal("3"),
        "value": Decimal("1.005"),
        "from_location": "VIRTUAL/SUPPLIER",
        "to_location": "WH1/RAW/A",
        "reversal": False,
        "supplier": "Yageo",
    }
    values.update(changes)
    return MovementFacts(**values)  # type: ignore[arg-type]


ACCOUNTS = {
    a.code: a
    for a in (
        AccountSpec("1403", "原材料", True, ("material", "warehouse")),
        AccountSpec("2202.02", "暂估", False, ("supplier",)),
        AccountSpec("1901", "待处理财产损溢", False, ("warehouse", "department")),
    )
}
RECEIPT = RuleSpec("101", "", "", "1403", "2202.02", ("material", "warehouse"), ("supplier",))


def test_a_movement_posts_its_value_to_the_cent_on_both_sides() -> None:
    found, problems = postings(
        movement_facts(), Determination(RECEIPT, RECEIPT.key, False), ACCOUNTS, "收货 RC-1"
    )
    assert problems == []
    assert [(p.side, p.account, p.amount, p.quantity, p.dimensions) for p in found] == [
        ("debit", "1403", Decimal("1.01"), Decimal("3"), (("material", "R"), ("warehouse", "WH1"))),
        ("credit", "2202.02", Decimal("1.01"), None, (("supplier", "Yageo"),)),
    ]


def test_a_reversal_posts_red_ink_and_keeps_each_side_at_its_warehouse() -> None:
    back = movement_facts(from_location="WH1/RAW/A", to_location="VIRTUAL/SUPPLIER", reversal=True)
    found, _ = postings(back, Determination(RECEIPT, RECEIPT.key, True), ACCOUNTS, "冲销")
    assert [(p.amount, p.quantity) for p in found] == [
        (Decimal("-1.01"), Decimal("-3")),
        (Decimal("-1.01"), None),
    ]
    assert found[0].dimensions == (("material", "R"), ("warehouse", "WH1"))
    assert sides(movement_facts(from_location="WH1/A", to_location="LINE-1")) == ("LINE-1", "WH1")
    assert sides(movement_facts(from_location="LINE-1", to_location="WH1/A", reversal=True)) == (
        "LINE-1",
        "WH1",
    )


def test_missing_dimensions_and_zero_values_post_nothing() -> None:
    scrap = RuleSpec("551", "", "", "1901", "1403", ("warehouse", "department"), ("material",))
    found, problems = postings(
        movement_facts(), Determination(scrap, scrap.key, False), ACCOUNTS, "报废"
    )
    assert found == [] and problems == ["department is not known for account 1901"]
    none, why = postings(
        movement_facts(value=Decimal("0.004")),
        Determination(RECEIPT, RECEIPT.key, False),
        ACCOUNTS,
        "x",
    )
    assert none == [] and why == []
    unposted = RuleSpec("261", "", "wip", None, None)
    assert postings(
        movement_facts(), Determination(unposted, unposted.key, False), ACCOUNTS, "x"
    ) == ([], [])


def test_lines_of_the_same_side_account_dimensions_and_summary_add_up() -> None:
    first, _ = postings(movement_facts(), Determination(RECEIPT, RECEIPT.key, False), ACCOUNTS, "S")
    second, _ = postings(
        movement_facts(id=2, value=Decimal("2"), quantity=Decimal("1")),
        Determination(RECEIPT, RECEIPT.key, False),
        ACCOUNTS,
        "S",
    )
    other, _ = postings(
        movement_facts(id=3, supplier="Murata"),
        Determination(RECEIPT, RECEIPT.key, False),
        ACCOUNTS,
        "S",
    )
    lines = merge(merge([], first), [*second, *other])
    assert [(ln.side, ln.account, ln.debit, ln.credit, ln.quantity) for ln in lines] == [
        ("debit", "1403", Decimal("4.02"), 0, Decimal("7")),
        ("credit", "2202.02", 0, Decimal("3.01"), None),
        ("credit", "2202.02", 0, Decimal("1.01"), None),
    ]
    assert lines[0].unit_price == Decimal("0.574286")
    assert totals(lines) == (Decimal("4.02"), Decimal("4.02"))
