"""Conditions written in CEL (Common Expression Language), compiled once, evaluated often.

A condition is compiled when its flow or rule is saved; a syntax error is refused with
its line and column, and so is a name the evaluation could never resolve (a variable
other than the ones the caller offers, or a function CEL does not have). Compiled
programs are cached by their source, so evaluating the same condition again costs only
the evaluation.

Values handed to CEL are plain JSON-like data; decimals become floats (CEL has no
decimal type; conditions compare amounts and quantities, never sum money).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

import cel

from services.workflow.domain.cel_fast import Fallback, compile_fast

#: CEL's standard functions and macros the evaluator has (operators are `_x_`, `!_`,
#: `@...` and always fine). The string extensions (`join`, `split`, `trim`, `replace`,
#: `lowerAscii` ...), `bool`, `abs`, `max` and `min` are not among them: refused when
#: saved.
STANDARD_FUNCTIONS = frozenset(
    {
        "size", "contains", "startsWith", "endsWith", "matches", "int", "uint", "double",
        "string", "bytes", "timestamp", "duration", "type", "dyn", "has", "all",
        "exists", "exists_one", "map", "filter", "getFullYear", "getMonth",
        "getDayOfYear", "getDayOfMonth", "getDate", "getDayOfWeek", "getHours",
        "getMinutes", "getSeconds", "getMilliseconds",
    }
)  # fmt: skip

_POSITION = re.compile(r"<input>:(\d+):(\d+):\s*(.*)")
_MACRO_VARIABLE = r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*{name}\s*,"


@dataclass(frozen=True, slots=True)
class ConditionError(ValueError):
    """Why a condition cannot be used, and where (1-based line and column, if known)."""

    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = f" at line {self.line}, column {self.column}" if self.line else ""
        return f"{self.message}{where}"


def _syntax_error(source: str, error: Exception) -> ConditionError:
    text = str(error)
    found = _POSITION.search(text)
    if found is None:
        return ConditionError(text.splitlines()[0] if text else "not a CEL expression")
    message = found.group(3).split("\n")[0].strip()
    return ConditionError(message, int(found.group(1)), int(found.group(2)))


def _locate(source: str, name: str) -> tuple[int | None, int | None]:
    found = re.search(rf"(?<![\w.]){re.escape(name)}\b", source)
    if found is None:
        return None, None
    before = source[: found.start()]
    return before.count("\n") + 1, found.start() - (before.rfind("\n") + 1) + 1


@lru_cache(maxsize=4096)
def _compiled(source: str) -> Any:
    return cel.compile(source)


def compile_condition(source: str, variables: Iterable[str]) -> Any:
    """The compiled program, or `ConditionError` naming what is wrong and where."""
    try:
        program = _compiled(source)
    except (ValueError, RuntimeError) as exc:
        raise _syntax_error(source, exc) from None
    allowed = set(variables)
    for name in program.variables():
        if name in allowed or re.search(_MACRO_VARIABLE.format(name=re.escape(name)), source):
            continue
        line, column = _locate(source, name)
        raise ConditionError(
            f"unknown name {name!r}; a condition may use {', '.join(sorted(allowed))}",
            line,
            column,
        )
    for function in program.functions():
        if function.startswith(("_", "!", "@")) or function in STANDARD_FUNCTIONS:
            continue
        line, column = _locate(source, function)
        raise ConditionError(f"unknown function {function!r}", line, column)
    return program


def celify(value: Any) -> Any:
    """JSON-like data CEL can take: decimals as floats, tuples as lists, keys as strings."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): celify(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [celify(v) for v in value]
    return value


class EvaluationError(ValueError):
    """A condition that compiled but could not be evaluated on this data (a field the
    document lacks, a type mismatch)."""


def prepared(activation: Mapping[str, Any]) -> Any:
    """The activation converted for CEL once: evaluating many conditions on the same data
    (every rule on one item) then costs about a microsecond each instead of fifty."""
    return cel.Context(variables=dict(activation))


def evaluate(source: str, activation: Mapping[str, Any] | Any) -> Any:
    """The value of the expression on `activation` (already `celify`-ed, or `prepared`)."""
    data = activation if isinstance(activation, cel.Context) else dict(activation)
    try:
        return _compiled(source).execute(data)
    except (ValueError, RuntimeError) as exc:  # compile errors were refused when saved
        raise EvaluationError(str(exc).splitlines()[0]) from None
    except (TypeError, KeyError, ZeroDivisionError, OverflowError) as exc:
        raise EvaluationError(f"{type(exc).__name__}: {str(exc).splitlines()[0]}") from None


def is_true(source: str, activation: Mapping[str, Any] | Any) -> bool:
    """Whether a condition holds; anything but a boolean is an `EvaluationError`."""
    value = evaluate(source, activation)
    if not isinstance(value, bool):
        raise EvaluationError(f"the condition gave {type(value).__name__}, not a boolean")
    return value


@lru_cache(maxsize=4096)
def _fast(source: str) -> Callable[[Mapping[str, Any]], Any] | None:
    """The compiled fast path, only for sources the interpreter accepts (so a syntax the
    fast parser would take but CEL refuses still reports CEL's error)."""
    try:
        _compiled(source)
    except (ValueError, RuntimeError):
        return None
    return compile_fast(source)


def evaluate_fast(
    source: str,
    activation: Mapping[str, Any],
    slow: Callable[[], Any] | None = None,
) -> Any:
    """`evaluate` on a plain `celify`-ed activation, computed in Python when the
    expression is in the fast subset (about a microsecond instead of tens), else, or
    whenever the fast path is not sure, by the interpreter (same value, same
    `EvaluationError`). `slow`: gives the activation `prepared` for the interpreter
    (made once for many conditions on the same data, when one falls back)."""
    function = _fast(source)
    if function is not None:
        try:
            return function(activation)
        except Fallback:
            pass
    return evaluate(source, slow() if slow is not None else activation)


def is_true_fast(
    source: str, activation: Mapping[str, Any], slow: Callable[[], Any] | None = None
) -> bool:
    """`is_true` through `evaluate_fast`."""
    value = evaluate_fast(source, activation, slow)
    if not isinstance(value, bool):
        raise EvaluationError(f"the condition gave {type(value).__name__}, not a boolean")
    return value
