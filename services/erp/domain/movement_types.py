"""Which movement type a stock movement is: the rules of the movement-type table, matched
against what stock's feed says of the movement.

A rule names criteria (empty or None: any). A location criterion is a location code, or a
prefix ending in `*` (`WH2/*` is anything under WH2). Of the rules a movement meets, the
most specific wins: the one with the most criteria set; among equally specific ones, the
lowest movement type code, then the rule added first. A reversal of a movement keeps the
type its rule gives (`102` has rules of its own for reversed receipts; a reversed count
gain is still `701`); `reversal` in the match says it is one, so its voucher is red ink.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Facts:
    """What classifying needs of a movement (the fields of stock's `MovementOut`)."""

    document_type: str
    reversal: bool
    from_location: str
    to_location: str
    from_state: str
    to_state: str
    stage: str


@dataclass(frozen=True, slots=True)
class Rule:
    """One way a movement type is recognised; `modifier` is the account modifier it gives."""

    id: int
    movement_type: str
    document_type: str = ""
    reversal: bool | None = None
    from_location: str = ""
    to_location: str = ""
    from_state: str = ""
    to_state: str = ""
    stage: str = ""
    modifier: str = ""

    @property
    def specificity(self) -> int:
        named = (
            self.document_type,
            self.from_location,
            self.to_location,
            self.from_state,
            self.to_state,
            self.stage,
        )
        return sum(1 for value in named if value) + (self.reversal is not None)

    def matches(self, facts: Facts) -> bool:
        return (
            (not self.document_type or self.document_type == facts.document_type)
            and (self.reversal is None or self.reversal == facts.reversal)
            and location_matches(self.from_location, facts.from_location)
            and location_matches(self.to_location, facts.to_location)
            and (not self.from_state or self.from_state == facts.from_state)
            and (not self.to_state or self.to_state == facts.to_state)
            and (not self.stage or self.stage == facts.stage)
        )


def location_matches(pattern: str, code: str) -> bool:
    """Empty: any; `X/*`: X's subtree (X itself included); else the code exactly."""
    if not pattern:
        return True
    if pattern.endswith("*"):
        stem = pattern[:-1]
        return code.startswith(stem) or code == stem.rstrip("/")
    return pattern == code


@dataclass(frozen=True, slots=True)
class Match:
    movement_type: str
    modifier: str
    reversal: bool
    rule: Rule


def classify(rules: Iterable[Rule], facts: Facts) -> Match | None:
    """The movement type of a movement, or None when no rule matches it."""
    best: Rule | None = None
    for rule in rules:
        if not rule.matches(facts):
            continue
        if best is None or _rank(rule) < _rank(best):
            best = rule
    if best is None:
        return None
    return Match(best.movement_type, best.modifier, facts.reversal, best)


def _rank(rule: Rule) -> tuple[int, str, int]:
    return (-rule.specificity, rule.movement_type, rule.id)


def ambiguous_with(rules: Iterable[Rule], new: Rule) -> Rule | None:
    """A rule of another movement type with exactly the criteria of `new` (two types
    claiming the same movements: the lower code would always win, silently)."""
    for rule in rules:
        if rule.movement_type != new.movement_type and same_criteria(rule, new):
            return rule
    return None


def same_criteria(a: Rule, b: Rule) -> bool:
    return _criteria(a) == _criteria(b)


def _criteria(rule: Rule) -> tuple[object, ...]:
    return (
        rule.document_type,
        rule.reversal,
        rule.from_location,
        rule.to_location,
        rule.from_state,
        rule.to_state,
        rule.stage,
    )
