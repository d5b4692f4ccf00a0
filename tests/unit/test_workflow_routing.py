"""Workflow's pure parts: CEL conditions (compiled once, refused with where), how tasks
decide a step, and who a person's managers are."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.workflow.domain.conditions import (
    STANDARD_FUNCTIONS,
    ConditionError,
    EvaluationError,
    celify,
    compile_condition,
    evaluate,
    is_true,
)
from services.workflow.domain.routing import (
    OrgDepartment,
    OrgPerson,
    StepStatus,
    TaskState,
    TaskStatus,
    direct_manager,
    manager_at,
    step_outcome,
)
from services.workflow.domain.rules import EpisodeStep, episode_step, suggested_quantity

VARS = ("document", "requester")
DOC = celify(
    {
        "document": {
            "amount": Decimal("12000.50"),
            "lines": [{"item": {"category": "IC"}, "quantity": Decimal("5")}],
        },
        "requester": {"username": "ann"},
    }
)


def test_conditions_over_the_document_and_its_lines() -> None:
    compile_condition("document.amount > 10000", VARS)
    assert is_true("document.amount > 10000", DOC)
    assert not is_true("document.amount > 20000", DOC)
    assert is_true('document.lines.exists(l, l.item.category == "IC")', DOC)
    assert is_true("document.lines.all(x, x.quantity >= 5)", DOC)
    assert evaluate("requester.username", DOC) == "ann"


@pytest.mark.parametrize(
    ("source", "line", "column", "words"),
    [
        ("document.amount >", 1, 18, "mismatched input"),
        ("document.amount > 1 &&\n  supplier.rating > 3", 2, 3, "unknown name 'supplier'"),
        ("lookup(document) > 1", 1, 1, "unknown function 'lookup'"),
    ],
)
def test_bad_conditions_are_refused_with_their_position(
    source: str, line: int, column: int, words: str
) -> None:
    with pytest.raises(ConditionError) as caught:
        compile_condition(source, VARS)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert words in caught.value.message
    assert f"line {line}, column {column}" in str(caught.value)


@pytest.mark.parametrize(
    "source",
    [
        'document.lines.map(l, l.item_code).join(", ") != ""',
        'document.note.lowerAscii().contains("urgent")',
        "max(document.amount, 1.0) > 2.0",
    ],
)
def test_functions_the_evaluator_lacks_are_refused_when_saved(source: str) -> None:
    with pytest.raises(ConditionError, match="unknown function"):
        compile_condition(source, VARS)


def test_every_function_allowed_is_one_the_evaluator_has() -> None:
    samples = {
        "size": "size([1])", "contains": '"ab".contains("a")',
        "startsWith": '"ab".startsWith("a")', "endsWith": '"ab".endsWith("b")',
        "matches": '"ab".matches("a.*")', "int": "int(1.5)", "uint": "uint(1)",
        "double": "double(1)", "string": "string(1)", "bytes": 'bytes("a")',
        "timestamp": 'timestamp("2026-01-01T00:00:00Z")',
        "duration": 'duration("1h")', "type": "type(1)", "dyn": "dyn(1)",
        "has": "has(document.amount)", "all": "[1].all(x, x > 0)",
        "exists": "[1].exists(x, x > 0)", "exists_one": "[1].exists_one(x, x > 0)",
        "map": "[1].map(x, x * 2)", "filter": "[1].filter(x, x > 0)",
    } | {
        getter: f'timestamp("2026-01-01T00:00:00Z").{getter}()'
        for getter in (
            "getFullYear", "getMonth", "getDayOfYear", "getDayOfMonth", "getDate",
            "getDayOfWeek", "getHours", "getMinutes", "getSeconds", "getMilliseconds",
        )
    }  # fmt: skip
    assert set(samples) == STANDARD_FUNCTIONS
    for source in samples.values():
        evaluate(source, DOC)  # raises EvaluationError if the evaluator lacks it


def test_macro_variables_are_not_unknown_names() -> None:
    compile_condition("document.lines.map(q, q.quantity).exists(v, v > 1)", VARS)


def test_evaluation_problems_are_evaluation_errors() -> None:
    with pytest.raises(EvaluationError):
        is_true("document.missing > 1", DOC)
    with pytest.raises(EvaluationError):
        is_true("document.amount", DOC)  # not a boolean
    with pytest.raises(EvaluationError):
        is_true('document.amount > "x"', DOC)


@given(st.decimals(min_value=-10**9, max_value=10**9, allow_nan=False, places=2))
def test_amounts_compare_as_numbers(amount: Decimal) -> None:
    facts = celify({"document": {"amount": amount}})
    assert is_true("document.amount > 10000", facts) == (amount > 10000)


def tasks(*pairs: tuple[TaskStatus, str]) -> list[TaskState]:
    return [TaskState(status, origin) for status, origin in pairs]


P, A, R, D, C = (
    TaskStatus.PENDING,
    TaskStatus.APPROVED,
    TaskStatus.REJECTED,
    TaskStatus.DELEGATED,
    TaskStatus.CANCELLED,
)


@pytest.mark.parametrize(
    ("mode", "states", "outcome"),
    [
        ("any", [(P, "flow"), (P, "flow")], StepStatus.PENDING),
        ("any", [(A, "flow"), (P, "flow")], StepStatus.APPROVED),
        ("all", [(A, "flow"), (P, "flow")], StepStatus.PENDING),
        ("all", [(A, "flow"), (A, "added")], StepStatus.APPROVED),
        ("all", [(A, "flow"), (R, "flow")], StepStatus.REJECTED),
        ("any", [(A, "flow"), (R, "flow")], StepStatus.REJECTED),
        ("all", [(D, "flow"), (A, "delegated"), (A, "flow")], StepStatus.APPROVED),
        ("all", [(P, "flow"), (A, "escalated")], StepStatus.APPROVED),
        ("all", [(C, "flow")], StepStatus.PENDING),
        ("all", [], StepStatus.PENDING),
        ("any", [(TaskStatus.RETURNED, "flow"), (P, "flow")], StepStatus.RETURNED),
    ],
)
def test_how_tasks_decide_a_step(mode: str, states: list, outcome: StepStatus) -> None:
    assert step_outcome(mode, tasks(*states)) is outcome


ORG_PEOPLE = {
    "worker": OrgPerson("worker", "LINE", None),
    "lead": OrgPerson("lead", "LINE", None),
    "plant": OrgPerson("plant", "PLANT", None),
    "ceo": OrgPerson("ceo", "HQ", None),
    "temp": OrgPerson("temp", "LINE", "plant"),
    "loner": OrgPerson("loner", None, None),
}
ORG_DEPTS = {
    "LINE": OrgDepartment("LINE", "PLANT", "lead"),
    "PLANT": OrgDepartment("PLANT", "HQ", "plant"),
    "HQ": OrgDepartment("HQ", None, "ceo"),
}


def test_managers_follow_people_then_departments_upwards() -> None:
    assert direct_manager("worker", ORG_PEOPLE, ORG_DEPTS) == "lead"
    assert direct_manager("lead", ORG_PEOPLE, ORG_DEPTS) == "plant"  # heads their own
    assert direct_manager("temp", ORG_PEOPLE, ORG_DEPTS) == "plant"  # named manager wins
    assert manager_at("worker", 2, ORG_PEOPLE, ORG_DEPTS) == "plant"
    assert manager_at("worker", 3, ORG_PEOPLE, ORG_DEPTS) == "ceo"
    assert manager_at("worker", 4, ORG_PEOPLE, ORG_DEPTS) is None
    assert direct_manager("loner", ORG_PEOPLE, ORG_DEPTS) is None
    assert direct_manager("stranger", ORG_PEOPLE, ORG_DEPTS) is None


def test_a_manager_loop_ends_the_chain() -> None:
    people = {"a": OrgPerson("a", None, "b"), "b": OrgPerson("b", None, "a")}
    assert manager_at("a", 1, people, {}) == "b"
    assert manager_at("a", 2, people, {}) is None


# --- rules ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("shortage", "sizing", "expected"),
    [
        ("0", {"policy": "fixed", "fixed_quantity": "500"}, "0"),
        ("30", None, "30"),
        ("30", {"policy": "lot_for_lot"}, "30"),
        ("30", {"policy": "fixed", "fixed_quantity": "500"}, "500"),
        ("501", {"policy": "fixed", "fixed_quantity": "500"}, "1000"),
        ("30", {"policy": "minimum", "minimum_quantity": "100"}, "100"),
        ("130", {"policy": "minimum", "minimum_quantity": "100", "multiple": "5000"}, "5000"),
        ("5001", {"policy": "minimum", "minimum_quantity": "100", "multiple": "5000"}, "10000"),
        ("2.5", {"policy": "lot_for_lot", "multiple": "0.5"}, "2.5"),
    ],
)
def test_suggested_quantity_follows_lot_sizing(shortage: str, sizing: dict | None,
                                               expected: str) -> None:
    assert suggested_quantity(Decimal(shortage), sizing) == Decimal(expected)


@given(
    st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10**6), places=3),
    st.decimals(min_value=Decimal(1), max_value=Decimal(10**4), places=0),
)
def test_suggested_quantity_covers_the_shortage_in_whole_lots(
    shortage: Decimal, lot: Decimal
) -> None:
    quantity = suggested_quantity(shortage, {"policy": "fixed", "fixed_quantity": str(lot)})
    assert quantity >= shortage and quantity % lot == 0 and quantity - shortage < lot


def test_a_rule_fires_once_per_episode() -> None:
    seen = [True, True, False, False, True, True]
    steps, open_now = [], False
    for holds in seen:
        step = episode_step(holds, open_now)
        steps.append(step)
        open_now = step in (EpisodeStep.FIRE, EpisodeStep.HOLD)
    assert steps == [
        EpisodeStep.FIRE, EpisodeStep.HOLD, EpisodeStep.CLOSE, EpisodeStep.IDLE,
        EpisodeStep.FIRE, EpisodeStep.HOLD,
    ]


def test_rules_meet_only_the_items_in_their_scope() -> None:
    from services.workflow.db.models import Rule
    from services.workflow.usecases.rules import RuleIndex

    def rule(code: str, **scope: list[str]) -> Rule:
        return Rule(code=code, name=code, definition={"scope": scope, "condition": "true"})

    everywhere = rule("all")
    ics = rule("ics", categories=["IC", "MCU"])
    raw_ics = rule("raw-ics", categories=["IC"], item_types=["raw_material"])
    finished = rule("finished", item_types=["finished_good"])
    index = RuleIndex([everywhere, ics, raw_ics, finished])

    def codes(item: dict | None) -> list[str]:
        return [r.code for r in index.rules_for(item)]

    assert codes({"category": "IC", "item_type": "raw_material"}) == ["all", "ics", "raw-ics"]
    assert codes({"category": "MCU", "item_type": "raw_material"}) == ["all", "ics"]
    assert codes({"category": None, "item_type": "finished_good"}) == ["all", "finished"]
    assert codes(None) == ["all"]  # an item the catalog does not know


def test_a_rule_quantity_fits_the_todo_or_is_left_out() -> None:
    from services.workflow.usecases.rules import stored_number

    assert stored_number(0.1 + 0.2) == Decimal("0.300000")
    assert stored_number(500) == Decimal(500)
    assert stored_number(9223372036855.0) is None  # beyond the column
    assert stored_number(1e300) is None
    assert stored_number(-1.0) is None and stored_number("12") is None
    assert stored_number(float("inf")) is None and stored_number(float("nan")) is None
