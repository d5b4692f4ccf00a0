"""Which feed events a webhook subscription asks for (pure).

A pattern is `<source>.<EventType>`: the source is a feed workflow reads (`SOURCES`), the
event type a past-tense name as that feed carries it, in which `*` stands for any run of
characters: `stock.MovementPosted`, `stock.*Posted`, `workflow.Approval*`, `mrp.*`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: The feeds a subscription may name: the three workflow consumes and its own.
SOURCES = ("catalog", "stock", "mrp", "workflow")
_SHAPE = re.compile(r"^([^.]*)\.([A-Za-z0-9*]+)$")
EXAMPLE = "stock.MovementPosted, stock.*Posted or mrp.*"


def check_pattern(pattern: str) -> str:
    """`pattern` if it is one; else ValueError saying what is wrong."""
    shape = _SHAPE.match(pattern)
    if shape is None:
        raise ValueError(f"expected <source>.<EventType> (letters, digits and *), e.g. {EXAMPLE}")
    source = shape.group(1)
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}: one of {', '.join(SOURCES)}")
    return pattern


def _compile(event_type: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(part) for part in event_type.split("*")) + "$")


@dataclass(frozen=True, slots=True)
class Patterns:
    """One subscription's patterns, compiled, per source."""

    by_source: dict[str, tuple[re.Pattern[str], ...]]

    @classmethod
    def of(cls, patterns: Iterable[str]) -> Patterns:
        by_source: dict[str, list[re.Pattern[str]]] = {}
        for pattern in patterns:
            source, _, event_type = pattern.partition(".")
            by_source.setdefault(source, []).append(_compile(event_type))
        return cls({source: tuple(found) for source, found in by_source.items()})

    def matches(self, source: str, event_type: str) -> bool:
        return any(p.match(event_type) for p in self.by_source.get(source, ()))


@dataclass(slots=True)
class Matcher:
    """Which of several subscriptions want an event of a source and type (each pair
    decided once: a page of a feed repeats few types many times)."""

    subscriptions: Sequence[tuple[int, Patterns]]
    _seen: dict[tuple[str, str], tuple[int, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, subscriptions: Iterable[tuple[int, Iterable[str]]]) -> Matcher:
        return cls([(key, Patterns.of(patterns)) for key, patterns in subscriptions])

    def __bool__(self) -> bool:
        return bool(self.subscriptions)

    def wanted_by(self, source: str, event_type: str) -> tuple[int, ...]:
        key = (source, event_type)
        found = self._seen.get(key)
        if found is None:
            found = tuple(s for s, p in self.subscriptions if p.matches(source, event_type))
            self._seen[key] = found
        return found
