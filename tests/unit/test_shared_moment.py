"""`Moment`: an aware timestamp the databases can store (schemathesis found 500s with
moments whose UTC equivalent falls outside the years 1-9999)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter, ValidationError

from shared.schemas import Moment

MOMENT = TypeAdapter(Moment)


def test_an_aware_moment_passes_unchanged() -> None:
    value = MOMENT.validate_python("2026-11-20T17:30:00+08:00")
    assert value.astimezone(UTC) == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00", "2026-11-20T17:30:00"]
)
def test_moments_without_a_utc_equivalent_or_zone_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        MOMENT.validate_python(text)
