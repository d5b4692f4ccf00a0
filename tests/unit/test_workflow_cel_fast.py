"""The CEL fast path against the `cel` interpreter: same value (and type) whenever the
fast path answers, `Fallback` whenever the interpreter errs."""

from __future__ import annotations

import math
import time
from typing import Any

import cel
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.workflow.domain.cel_fast import Fallback, compile_fast
from services.workflow.domain.conditions import (
    EvaluationError,
    evaluate,
    evaluate_fast,
    is_true,
    is_true_fast,
)

BIG = 2**63


def same(a: Any, b: Any) -> bool:
    """Equal including types all the way down; NaN equals NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1, a) == math.copysign(1, b)
        )
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def interpret(source: str, activation: dict[str, Any]) -> tuple[bool, Any]:
    """(True, value) or (False, the exception) from the interpreter."""
    try:
        return True, cel.compile(source).execute(dict(activation))
    except Exception as exc:  # any error is an outcome to compare
        return False, exc


def check(source: str, activation: dict[str, Any]) -> str:
    """Compare both paths; the outcome: "fast", "fallback", "unsupported" or "refused"
    (not CEL: `evaluate_fast` never takes the fast path then)."""
    try:
        cel.compile(source)
    except Exception:
        return "refused"
    ok, expected = interpret(source, activation)
    function = compile_fast(source)
    if function is None:
        return "unsupported"
    try:
        got = function(activation)
    except Fallback:
        return "fallback"
    assert ok, f"{source!r} on {activation!r}: fast gave {got!r}, interpreter {expected!r}"
    assert same(got, expected), f"{source!r} on {activation!r}: {got!r} != {expected!r}"
    return "fast"


# --------------------------------------------------------------------------- table

RULE = {
    "subject": {"item_code": "RM-001", "hours_waiting": 30.5, "hours_overdue": 9.0,
                "step_id": 42, "quantity": 5.0, "days_left": 12, "lot_number": "L7",
                "location_code": "WH1", "idle_days": 120},
    "facts": {
        "item": {"safety_stock": 100.0, "item_type": "raw_material", "category": "CAT01",
                 "tags": ["a", "b"], "lot_sizing": {"kind": "fixed", "qty": 50}},
        "availability": {"available": 40.0, "reserved": 20.0, "qualified": 60.0},
        "shortage": 60.0,
        "suggested_quantity": 1000.0,
        "lines": [{"qty": 2, "price": 1.5}, {"qty": 0, "price": 3.0}, {"qty": 7, "price": 0.5}],
    },
    "document": {"amount": 12000.0, "lines": [1, 2, 3], "warehouse_code": "WH1", "flag": True,
                 "note": None, "count": 3},
}  # fmt: skip
PLENTY = {
    **RULE,
    "facts": {**RULE["facts"], "availability": {"available": 1000.0, "reserved": 0.0,
                                                  "qualified": 1000.0},
              "shortage": 0.0, "suggested_quantity": 0.0},
    "subject": {**RULE["subject"], "item_code": "FG-9", "hours_waiting": 2.0, "idle_days": 3},
}  # fmt: skip
ODD = {  # types the conditions do not expect: everything must fall back or agree
    "subject": {"item_code": 7, "hours_waiting": 30, "step_id": BIG, "quantity": None,
                "days_left": 12.5, "lot_number": ["x"], "location_code": {}, "idle_days": True},
    "facts": {"item": {"safety_stock": "100", "item_type": None, "tags": "ab"},
              "availability": {"available": BIG + 1, "reserved": -BIG, "qualified": float("nan")},
              "shortage": 2**64, "suggested_quantity": -(2**63) - 1, "lines": {"qty": 1}},
    "document": {"amount": 10**20, "lines": [1, "2", 3.0], "flag": 1, "count": BIG - 1},
}  # fmt: skip
MISSING: dict[str, Any] = {"subject": {}, "facts": {"item": {}, "availability": {}}, "document": {}}
ACTIVATIONS = [RULE, PLENTY, ODD, MISSING]

CONDITIONS = [
    # the rules, the tests, the README and the shipped scheduled rules
    "facts.availability.available < facts.item.safety_stock",
    "facts.availability.available < facts.item.safety_stock * 1.25",
    "facts.availability.reserved > facts.availability.qualified * 0.30"
    " && facts.item.safety_stock > 0",
    'facts.item.item_type == "raw_material" && facts.availability.qualified < 4000',
    "facts.shortage > 0 && facts.suggested_quantity >= 1000",
    "facts.shortage > 0.0 && facts.suggested_quantity >= 1000.0",
    'facts.availability.available < facts.item.safety_stock && subject.item_code.startsWith("R")',
    "subject.quantity > 0.0 && subject.days_left <= 30",
    'subject.item_code + "/" + subject.lot_number',
    'subject.item_code + "/" + subject.lot_number + "@" + subject.location_code',
    "subject.hours_waiting > 24.0",
    "subject.hours_overdue > 8.0",
    "subject.hours_overdue > 1.0",
    "string(subject.step_id)",
    "subject.idle_days >= 90",
    "subject.item_code",
    "subject.days_left <= 30",
    "document.amount > 100.0",
    "document.amount > 10000",
    "document.amount > 10000.0",
    "document.warehouse_code",
    # literals
    "1",
    "-1",
    "- -1",
    "--1",
    "-9223372036854775808",
    "9223372036854775807",
    "0x1F",
    "007",
    "1.5",
    "-0.0",
    "1e3",
    "1.5e-3",
    ".5",
    "1e400",
    "'a'",
    '"b"',
    "'\\x41\\u0042\\101\\n\\t'",
    "'\\U0001F600'",
    "r'\\n'",
    'R"\\t"',
    "'é'",
    "true",
    "false",
    "null",
    "[]",
    "[1, 'a', null,]",
    "{}",
    "{'a': 1, 'b': [2]}",
    "{'a': 1, 'a': 2}",
    "{1: 'a'}",
    "[1, [2, {'x': 3.0}]]",
    # operators
    "1 + 2 * 3 % 4",
    "2 - 3 - 4",
    "100 / 10 / 5",
    "-7 / 2",
    "-7 % 2",
    "7 % -2",
    "1 / 0",
    "1 % 0",
    "9223372036854775807 + 1",
    "-9223372036854775808 - 1",
    "2 * 4611686018427387904",
    "-9223372036854775808 / -1",
    "-9223372036854775808 % -1",
    "-(-9223372036854775808)",
    "0.1 + 0.2",
    "1.0 / 0.0",
    "1.0 / 3.0",
    "5.5 % 2.0",
    "1e308 * 10.0",
    "5 - 3.0",
    "'a' + 'b'",
    "[1] + [2, 'x']",
    "'a' + 1",
    "true + true",
    "-true",
    "-'a'",
    "!true",
    "!!false",
    "!1",
    "1 < 2",
    "1 < 1.5",
    "1.5 <= 1.5",
    "'a' < 'B'",
    "'é' < 'z'",
    "false < true",
    "null < null",
    "[1] < [2]",
    "1 < 2 < 3",
    "1 == 1",
    "1 == 1.0",
    "1.0 == 1",
    "null == 1",
    "null == null",
    "'a' == 1",
    "[1] == [1.0]",
    "[1, 2] == [1, 2]",
    "[1] == [1, 2]",
    "[true] == [1]",
    "{'a': 1} == {'a': 1}",
    "{'a': 1, 'b': 2} == {'b': 2, 'a': 1}",
    "{'a': 1} == {'b': 1}",
    "{'a': 1} == {'a': 'x'}",
    "1 == 1 == true",
    "1 != 2",
    "'a' != 'a'",
    "null != false",
    "1 in [1, 2]",
    "3 in [1, 2]",
    "1.0 in [1, 2]",
    "'a' in {'a': 1}",
    "'b' in {'a': 1}",
    "1 in {'a': 1}",
    "'a' in ['a', 1]",
    "'b' in ['a', 1]",
    "'a' in 'abc'",
    # logic
    "true && false",
    "true || false",
    "false && 1 / 0 == 1",
    "1 / 0 == 1 && false",
    "true || 1 / 0 == 1",
    "1 / 0 == 1 || true",
    "1 && false",
    "false && 1",
    "true && 1",
    "false || 1",
    "1 || true",
    "true && missing",
    "missing || true",
    "missing && true",
    "true ? 1 : 'a'",
    "false ? 1 / 0 : 2",
    "1 ? 1 : 2",
    "1 + 1 == 2 ? 'y' : 'n'",
    "true ? 1 : 2 + 3",
    "false ? 1 : true ? 2 : 3",
    # access
    "document.lines[1]",
    "document.lines[5]",
    "document.lines[-1]",
    "document['amount']",
    "document['nope']",
    "facts.lines[0].qty",
    "facts.lines.qty",
    "document.amount.x",
    "facts.item.tags[0]",
    "{'a': {'b': 1}}.a.b",
    "{'a': 1}.b",
    "[1, 2][1]",
    "{1: 'a'}[1]",
    "has(document.amount)",
    "has(document.nope)",
    "has(document.note)",
    "has(facts.item.tags.x)",
    "has(facts.item.lot_sizing.kind)",
    "document.note == null",
    "document.nope == null",
    "missing",
    "missing.x",
    "subject.idle_days",
    # functions
    "size('abc')",
    "'abc'.size()",
    "size('é')",
    "size(document.lines)",
    "size(document)",
    "document.lines.size()",
    "size(1)",
    "'abc'.contains('b')",
    "'abc'.contains('')",
    "'abc'.startsWith('a')",
    "'abc'.endsWith('c')",
    "'abc'.endsWith(1)",
    "subject.item_code.contains('M')",
    "contains('abc', 'b')",
    "startsWith('abc', 'a')",
    "int(1.5)",
    "int(-1.5)",
    "int('12')",
    "int('+1')",
    "int(' 1')",
    "int('1.5')",
    "int(1e19)",
    "int(9.2233720368547748e18)",
    "int(true)",
    "int(subject.step_id)",
    "double(1)",
    "double('1.5')",
    "double('1e3')",
    "double('.5')",
    "double('inf')",
    "double(9223372036854775807)",
    "double(subject.days_left)",
    "string(1)",
    "string(1.5)",
    "string(1.0)",
    "string(-0.0)",
    "string(1e20)",
    "string(1e-7)",
    "string(0.1)",
    "string(123456789.0)",
    "string(true)",
    "string(null)",
    "string('a')",
    "string(1e300)",
    "string(5e-324)",
    "string(1.0 / 0.0)",
    "string(-9223372036854775808)",
    "string(document.amount)",
    # macros
    "[1, 2, 3].exists(x, x > 2)",
    "[1, 2, 3].all(x, x > 0)",
    "[1, 2, 3].exists_one(x, x > 2)",
    "[1, 2, 3].map(x, x * 2)",
    "[1, 2, 3].map(x, x > 1, x * 2)",
    "[1, 2, 3].filter(x, x > 1)",
    "{'a': 1, 'b': 2}.map(k, k)",
    "{'a': 1}.exists(k, k == 'a')",
    "{'a': 1}.all(k, k == 'a')",
    "{'a': 1, 'b': 2}.exists_one(k, k == 'b')",
    "{'a': 1}.exists(k, k == 1)",
    "{'a': 1}.filter(k, true)",
    "[0, 2].exists(x, 2 / x == 1)",
    "[2, 0].exists(x, 2 / x == 1)",
    "[0, 2].all(x, 2 / x == 5)",
    "[2, 0].all(x, 2 / x == 5)",
    "[1, 2].exists_one(x, x / 0 == 1)",
    "[1, 2].exists(x, x)",
    "[1, 2].filter(x, 1)",
    "[].exists(x, x)",
    "'ab'.exists(x, true)",
    "facts.lines.exists(l, l.qty == 0)",
    "facts.lines.all(l, l.price > 0.0)",
    "facts.lines.map(l, l.qty)",
    "facts.lines.filter(l, l.qty > 1).map(l, l.price)",
    "facts.lines.map(l, l.qty > 0, double(l.qty) * l.price)",
    "document.lines.exists(document, document == 2)",
    "[[1], [2, 3]].exists(x, x.exists(y, y == 3))",
    "[1, 2].exists(y, [2].exists(y, y == 2))",
    "facts.item.tags.exists(t, t.startsWith('b'))",
    "facts.lines.all(l, has(l.qty))",
]


@pytest.mark.parametrize("source", CONDITIONS)
def test_the_fast_path_agrees_with_the_interpreter(source: str) -> None:
    for activation in ACTIVATIONS:
        check(source, activation)


def test_the_common_constructs_are_compiled_and_answered_fast() -> None:
    fast = [s for s in CONDITIONS[:21] if check(s, RULE) == "fast"]
    assert fast == CONDITIONS[:21]
    assert check("[1, 2, 3].map(x, x > 1, x * 2)", {}) == "fast"
    assert check("1 == 1.0", {}) == "fast"
    assert check("'a' == 1", {}) == "fallback"
    assert check("9007199254740993 == 9007199254740992.0", {}) == "fallback"
    assert check("false && 1 / 0 == 1", {}) == "fast"


@pytest.mark.parametrize(
    "source",
    ["1u", "b'ab'", "'''abc'''", "A{a: 1}", "x.y{}", ".x", "1e400", "matches('a', 'b')",
     "'a'.matches('a')", "dyn(1)", "type(1)", "uint(1)", "1.", "a.in", "if", "x.exists(1, true)",
     "has(x)", "[1].all(x, y, z)", "x.size(1)", "'\\q'", "'a", "1 = 1", "9223372036854775808",
     "0X1f", "int(1, 2)", "contains('abc', 'b')", "endsWith('abc', 'c')"],
)  # fmt: skip
def test_what_is_not_compiled(source: str) -> None:
    assert compile_fast(source) is None


#: The interpreter's own order over a map varies from run to run.
UNORDERED = {"{'a': 1, 'b': 2}.map(k, k)"}


def test_evaluate_fast_and_is_true_fast_behave_like_evaluate_and_is_true() -> None:
    for source in CONDITIONS:
        if source in UNORDERED:
            continue
        for activation in ACTIVATIONS:
            for fast, slow in ((evaluate_fast, evaluate), (is_true_fast, is_true)):
                try:
                    expected: Any = ("ok", slow(source, activation))
                except Exception as exc:  # `evaluate` lets some through
                    expected = (type(exc), str(exc))
                try:
                    got: Any = ("ok", fast(source, activation))
                except Exception as exc:
                    got = (type(exc), str(exc))
                assert got[0] == expected[0], (source, activation, got, expected)
                assert same(got[1], expected[1]), (source, activation, got, expected)


def test_a_syntax_cel_refuses_is_never_answered_by_the_fast_path() -> None:
    with pytest.raises(EvaluationError):
        evaluate_fast("1 +", {})


# --------------------------------------------------------------------------- differential

NAMES = ["a", "b", "c", "d", "e"]
KEYS = ["x", "y", "z"]

ints = st.one_of(
    st.integers(-1000, 1000),
    st.sampled_from([0, 1, -1, 2, 7, -7, BIG - 1, -BIG, BIG - 2, -BIG + 1, BIG, BIG + 5,
                     2**64 - 1, 2**64, -BIG - 1, 4611686018427387904]),
)  # fmt: skip
floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 0.5, 1.0, 2.0, 1e20, 9.2233720368547758e18, 1e-7]),
)
texts = st.text(alphabet="ab1-.é ", max_size=4)
scalars = st.one_of(ints, floats, texts, st.booleans(), st.none())
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
    ),
    max_leaves=8,
)
activations = st.dictionaries(st.sampled_from(NAMES), values, max_size=5)

int_literals = st.sampled_from(
    ["0", "1", "2", "7", "9223372036854775807", "-9223372036854775808", "4611686018427387904",
     "0x10", "100"]
)  # fmt: skip
float_literals = st.sampled_from(["0.0", "0.5", "1.0", "2.5", "1e20", "1e-7", ".5", "1e400"])
string_literals = st.sampled_from(["'a'", '"ab"', "''", "'é'", "'1'", "'-2'", "'1.5'", "'b '"])
variables = st.sampled_from([*NAMES, "zz"])
leaves = st.one_of(
    int_literals, float_literals, string_literals, st.sampled_from(["true", "false", "null"]),
    variables,
    st.builds(lambda v, k: f"{v}.{k}", variables, st.sampled_from(KEYS)),
)  # fmt: skip


def _compose(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.sampled_from(
        ["<", "<=", ">", ">=", "==", "!=", "in", "+", "-", "*", "/", "%", "&&", "||"]
    )
    return st.one_of(
        st.builds(lambda a, op, b: f"({a} {op} {b})", inner, binary, inner),
        st.builds(lambda op, a: f"{op}{a}", st.sampled_from(["!", "-", "!!", "--"]), inner),
        st.builds(lambda c, a, b: f"({c} ? {a} : {b})", inner, inner, inner),
        st.builds(lambda a, b: f"{a}[{b}]", inner, inner),
        st.builds(lambda a, k: f"{a}.{k}", inner, st.sampled_from(KEYS)),
        st.builds(lambda items: f"[{', '.join(items)}]", st.lists(inner, max_size=3)),
        st.builds(
            lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}",
            st.lists(st.tuples(st.one_of(string_literals, int_literals), inner), max_size=2),
        ),
        st.builds(lambda a, k: f"has({a}.{k})", inner, st.sampled_from(KEYS)),
        st.builds(lambda f, a: f"{f}({a})", st.sampled_from(["size", "int", "double", "string"]),
                  inner),
        st.builds(lambda a: f"{a}.size()", inner),
        st.builds(lambda a, f, b: f"{a}.{f}({b})",
                  inner, st.sampled_from(["contains", "startsWith", "endsWith"]), inner),
        st.builds(
            lambda r, m, body: f"{r}.{m}(v, {body})",
            inner, st.sampled_from(["exists", "all", "exists_one", "map", "filter"]),
            st.one_of(inner, st.builds(lambda op, o: f"(v {op} {o})",
                                       st.sampled_from(["<", "==", "+", ">", "in"]), inner)),
        ),
        st.builds(lambda r, p, t: f"{r}.map(v, {p}, {t})", inner, inner, inner),
    )  # fmt: skip


expressions = st.recursive(leaves, _compose, max_leaves=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=expressions, activation=activations)
def test_differential_against_the_interpreter(source: str, activation: dict[str, Any]) -> None:
    try:
        cel.compile(source)
    except Exception:  # not CEL; evaluate_fast never uses the fast path then
        return
    check(source, activation)


# --------------------------------------------------------------------------- measure


def test_measure_fast_against_the_interpreter(capsys: pytest.CaptureFixture[str]) -> None:
    source = (
        "facts.availability.available < facts.item.safety_stock"
        ' && subject.item_code.startsWith("R")'
    )
    function = compile_fast(source)
    assert function is not None and function(RULE) is True
    program = cel.compile(source)
    context = cel.Context(variables=dict(RULE))

    def per_call(call: Any, n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            call()
        return (time.perf_counter() - start) / n * 1e6

    fast = per_call(lambda: function(RULE), 20000)
    through = per_call(lambda: is_true_fast(source, RULE), 20000)
    prepared = per_call(lambda: program.execute(context), 5000)
    with_context = per_call(lambda: program.execute(cel.Context(variables=dict(RULE))), 2000)
    with capsys.disabled():
        print(
            f"\nCEL per evaluation: fast {fast:.2f} µs, is_true_fast {through:.2f} µs, "
            f"interpreter {prepared:.2f} µs on a prepared context, "
            f"{with_context:.2f} µs including building the context"
        )


# Well-typed expressions over a typed activation, so that most answers come from the
# fast path (the untyped ones above mostly fall back).
typed_activations = st.fixed_dictionaries(
    {
        "i": ints, "j": ints, "f": floats, "g": floats, "s": texts, "t": texts,
        "p": st.booleans(), "n": st.none(), "l": st.lists(ints, max_size=4),
        "ls": st.lists(texts, max_size=3),
        "m": st.dictionaries(st.sampled_from(KEYS), st.one_of(ints, floats), max_size=3),
    }
)  # fmt: skip
int_leaves = st.one_of(int_literals, st.sampled_from(["i", "j", "size(s)", "size(l)", "m.x"]))
float_leaves = st.one_of(float_literals, st.sampled_from(["f", "g", "m.y", "double(i)"]))
str_leaves = st.one_of(string_literals, st.sampled_from(["s", "t", "string(i)", "string(f)"]))


def _arith(leaf: st.SearchStrategy[str], ops: list[str]) -> st.SearchStrategy[str]:
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.builds(lambda a, op, b: f"({a} {op} {b})", inner, st.sampled_from(ops), inner),
            st.builds(lambda a: f"-{a}", inner),
        ),
        max_leaves=4,
    )


int_exprs = _arith(int_leaves, ["+", "-", "*", "/", "%"])
float_exprs = _arith(float_leaves, ["+", "-", "*", "/"])
str_exprs = st.recursive(
    str_leaves, lambda inner: st.builds(lambda a, b: f"({a} + {b})", inner, inner), max_leaves=3
)
relations = st.sampled_from(["<", "<=", ">", ">=", "==", "!="])
comparisons = st.one_of(
    *(
        st.builds(lambda a, op, b: f"{a} {op} {b}", x, relations, y)
        for x, y in [(int_exprs, int_exprs), (float_exprs, float_exprs), (str_exprs, str_exprs),
                     (int_exprs, float_exprs)]
    ),
    st.builds(lambda a, f, b: f"{a}.{f}({b})", str_exprs,
              st.sampled_from(["contains", "startsWith", "endsWith"]), str_exprs),
    st.builds(lambda a: f"{a} in l", int_exprs),
    st.builds(lambda a: f"{a} in m", str_exprs),
    st.builds(lambda k: f"has(m.{k})", st.sampled_from(KEYS)),
    st.builds(lambda a: f"{a} == null", st.one_of(int_exprs, str_exprs, st.just("n"))),
    st.just("p"),
)  # fmt: skip
bool_exprs = st.recursive(
    comparisons,
    lambda inner: st.one_of(
        st.builds(lambda a, op, b: f"({a} {op} {b})", inner, st.sampled_from(["&&", "||"]), inner),
        st.builds(lambda a: f"!{a}", inner),
        st.builds(lambda c, a, b: f"({c} ? {a} : {b})", inner, inner, inner),
        st.builds(
            lambda m, op, o: f"l.{m}(v, v {op} {o})",
            st.sampled_from(["exists", "all", "exists_one", "filter"]), relations, int_exprs,
        ),
        st.builds(lambda m, o: f"ls.{m}(v, v.startsWith({o}))",
                  st.sampled_from(["exists", "all", "exists_one"]), str_exprs),
        st.builds(lambda o: f"m.exists(k, m[k] > {o})", int_exprs),
    ),
    max_leaves=4,
)  # fmt: skip
typed_exprs = st.one_of(
    bool_exprs, int_exprs, float_exprs, str_exprs,
    st.builds(lambda o: f"l.map(v, v * {o})", int_exprs),
    st.builds(lambda c, o: f"l.map(v, {c}, v + {o})", bool_exprs, int_exprs),
    st.builds(lambda f, o: f"{f}({o})", st.sampled_from(["int", "double", "string"]),
              st.one_of(int_exprs, float_exprs, str_exprs)),
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=typed_exprs, activation=typed_activations)
def test_differential_on_typed_expressions(source: str, activation: dict[str, Any]) -> None:
    check(source, activation)
