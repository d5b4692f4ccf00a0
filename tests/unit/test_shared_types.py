"""ExactDecimal and UTCDateTime at the dialect level: exact round trips, refusals, no rounding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Context, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from shared.db.types import ExactDecimal, UTCDateTime, utcnow

SQLITE = sqlite.dialect()
POSTGRES = postgresql.dialect()
EXACT = ExactDecimal()  # NUMERIC(28, 6)
MAX_COEFFICIENT = 10**28 - 1  # 28 digits in all, 6 of them after the point


def fits(places: int) -> st.SearchStrategy[Decimal]:
    """Decimals with at most `places` fractional digits that fit NUMERIC(28, 6)."""
    return st.builds(
        lambda coefficient, shift: Decimal(f"{coefficient}E-{shift}"),  # exact, unlike scaleb
        st.integers(-MAX_COEFFICIENT, MAX_COEFFICIENT), st.integers(0, places),
    ).filter(lambda d: abs(d) < Decimal(10) ** 22)


def too_precise() -> st.SearchStrategy[Decimal]:
    """Decimals whose digits go past the sixth place (a non-zero seventh or later digit)."""
    return st.builds(
        lambda coefficient, shift: Decimal(f"{coefficient}E-{shift}"),  # exact, unlike scaleb
        st.integers(-(10**40), 10**40).filter(lambda c: c % 10 != 0), st.integers(7, 30),
    )


@given(fits(6))
def test_sqlite_round_trip_is_exact(value: Decimal) -> None:
    stored = EXACT.process_bind_param(value, SQLITE)
    assert isinstance(stored, int) and stored == value * 10**6
    back = EXACT.process_result_value(stored, SQLITE)
    assert back == value and back.as_tuple().exponent == -6


@given(fits(6))
def test_postgres_round_trip_is_exact(value: Decimal) -> None:
    stored = EXACT.process_bind_param(value, POSTGRES)
    assert stored == value
    assert EXACT.process_result_value(stored, POSTGRES) == value


@given(fits(6), fits(6))
def test_sqlite_integers_order_and_add_like_the_decimals(a: Decimal, b: Decimal) -> None:
    ia, ib = (EXACT.process_bind_param(v, SQLITE) for v in (a, b))
    assert (ia < ib) == (a < b)
    assert EXACT.process_result_value(ia + ib, SQLITE) == Context(prec=60).add(a, b)


@pytest.mark.parametrize("dialect", [SQLITE, POSTGRES], ids=["sqlite", "postgresql"])
@given(value=too_precise())
def test_more_than_six_places_are_refused(dialect, value: Decimal) -> None:
    with pytest.raises(ValueError):
        EXACT.process_bind_param(value, dialect)


@pytest.mark.parametrize("dialect", [SQLITE, POSTGRES], ids=["sqlite", "postgresql"])
def test_large_values_with_a_seventh_place_are_refused_not_rounded(dialect) -> None:
    # 22 integer digits + 7 places: 29 significant digits, one more than the default context
    with pytest.raises(ValueError):
        EXACT.process_bind_param(Decimal("1234567890123456789012.1234567"), dialect)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity"),
                                   Decimal("sNaN")])
def test_non_finite_values_are_refused(value: Decimal) -> None:
    for dialect in (SQLITE, POSTGRES):
        with pytest.raises(ValueError):
            EXACT.process_bind_param(value, dialect)


def test_trailing_zeros_and_other_inputs() -> None:
    assert EXACT.process_bind_param(Decimal("1.500000000"), SQLITE) == 1_500_000
    assert EXACT.process_bind_param(Decimal("1E+3"), SQLITE) == 1_000_000_000
    assert EXACT.process_bind_param(3, SQLITE) == 3_000_000
    assert EXACT.process_bind_param("0.25", SQLITE) == 250_000
    assert EXACT.process_bind_param(0.1, SQLITE) == 100_000  # via str(), not the binary float
    assert EXACT.process_bind_param(None, SQLITE) is None
    assert EXACT.process_result_value(None, SQLITE) is None
    assert str(ExactDecimal(18, 2).process_result_value(150, SQLITE)) == "1.50"
    with pytest.raises(ValueError):
        ExactDecimal(18, 2).process_bind_param(Decimal("0.001"), SQLITE)


def test_sqlite_stores_a_bigint_postgres_a_numeric() -> None:
    assert EXACT.load_dialect_impl(SQLITE).__class__.__name__ in {"BigInteger", "BIGINT"}
    impl = EXACT.load_dialect_impl(POSTGRES)
    assert (impl.precision, impl.scale) == (28, 6)


STAMP = UTCDateTime()


@given(st.datetimes(timezones=st.timezones(), min_value=datetime(1970, 1, 2),
                    max_value=datetime(2200, 1, 1), allow_imaginary=False))
def test_utc_datetime_round_trips_to_the_same_instant_in_utc(value: datetime) -> None:
    stored = STAMP.process_bind_param(value, SQLITE)
    assert stored.tzinfo is None
    back = STAMP.process_result_value(stored, SQLITE)
    # compare instants (Python never calls ambiguous wall times equal across zones)
    assert back.timestamp() == value.timestamp() and back.tzinfo is UTC
    assert back == value.astimezone(UTC)
    pg = STAMP.process_bind_param(value, POSTGRES)
    assert pg.timestamp() == value.timestamp() and pg.utcoffset() == timedelta(0)


def test_utc_datetime_refuses_naive_and_non_datetimes() -> None:
    with pytest.raises(ValueError):
        STAMP.process_bind_param(datetime(2025, 1, 1), SQLITE)
    with pytest.raises(TypeError):
        STAMP.process_bind_param("2025-01-01T00:00:00Z", POSTGRES)
    assert STAMP.process_bind_param(None, SQLITE) is None


def test_utc_datetime_results_are_utc() -> None:
    shanghai = datetime(2025, 1, 1, 8, tzinfo=timezone(timedelta(hours=8)))
    assert STAMP.process_result_value(shanghai, POSTGRES).tzinfo is UTC
    assert STAMP.process_result_value(shanghai, POSTGRES).hour == 0
    assert utcnow().tzinfo is UTC
