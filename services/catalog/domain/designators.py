"""Reference designators: "R1, R3-R5" names four places on the board."""

from __future__ import annotations

import re

_RANGE = re.compile(r"^([A-Za-z_][A-Za-z_.]*?)(\d+)-(?:([A-Za-z_][A-Za-z_.]*?))?(\d+)$")
_SINGLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.+\-]*$")
#: A range longer than this is almost certainly a typo (R1-R100000).
MAX_RANGE = 10_000


class DesignatorError(ValueError):
    """The text is not a list of designators and ranges."""


def expand(text: str) -> list[str]:
    """The designators `text` names, in order: "R1, R3-R5" -> R1, R3, R4, R5.

    Separators are commas, semicolons, Chinese commas and whitespace; a range is
    `R3-R5` or `R3-5` with one prefix. Duplicates are refused.
    """
    result: list[str] = []
    seen: set[str] = set()
    normalized = re.sub(r"\s*[-~～]\s*", "-", text.strip())
    for token in re.split(r"[,;，；、\s]+", normalized):
        token = token.strip()
        if not token:
            continue
        names = _expand_token(token)
        for name in names:
            if name in seen:
                raise DesignatorError(f"{name} is named twice")
            seen.add(name)
            result.append(name)
    return result


def _expand_token(token: str) -> list[str]:
    match = _RANGE.match(token)
    if match:
        prefix, start, second_prefix, end = match.groups()
        if second_prefix is not None and second_prefix != prefix:
            raise DesignatorError(f"{token}: a range must keep one prefix")
        first, last = int(start), int(end)
        if last < first:
            raise DesignatorError(f"{token}: the range runs backwards")
        if last - first >= MAX_RANGE:
            raise DesignatorError(f"{token}: the range is longer than {MAX_RANGE}")
        return [f"{prefix}{n}" for n in range(first, last + 1)]
    if _SINGLE.match(token):
        return [token]
    raise DesignatorError(f"{token!r} is not a designator")
