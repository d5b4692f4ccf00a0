"""Working calendars (`services/workflow/domain/calendar.py`): due moments of approval steps.

Worked examples use the standard calendar (Mon-Fri 09:00-12:00, 13:00-18:00) in
Asia/Shanghai during the week of Monday 2 June 2025; daylight-saving examples use
Europe/Berlin around its changes on 30 March and 26 October 2025. Hypothesis checks the
invariants against an independent oracle (fixed-offset zones, computed in naive local
time) and, on random calendars in zones with daylight saving, against each other.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.workflow.domain.calendar import (
    STANDARD_PERIODS,
    WorkingCalendar,
    add_working_time,
    format_periods,
    is_working_time,
    next_daily,
    parse_periods,
    standard_calendar,
    working_periods,
    working_time_between,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)

MONDAY = date(2025, 6, 2)
TUESDAY = date(2025, 6, 3)
FRIDAY = date(2025, 6, 6)
SATURDAY = date(2025, 6, 7)
SUNDAY = date(2025, 6, 8)
NEXT_MONDAY = date(2025, 6, 9)
NEXT_TUESDAY = date(2025, 6, 10)

ROUND_THE_CLOCK = ((time(0), time(0)),)


def local(day: date, hour: int, minute: int = 0, zone: ZoneInfo = SHANGHAI) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def due(calendar: WorkingCalendar, start: datetime, duration: timedelta) -> datetime:
    """The due moment, in the calendar's local time (for readable comparisons)."""
    return add_working_time(calendar, start, duration).astimezone(calendar.zone)


def always(timezone: str) -> WorkingCalendar:
    return WorkingCalendar(timezone, dict.fromkeys(range(1, 8), ROUND_THE_CLOCK))


# --- worked examples: the standard calendar ------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        pytest.param(local(FRIDAY, 17), 2 * H, local(NEXT_MONDAY, 10), id="over-weekend"),
        pytest.param(local(MONDAY, 11), 2 * H, local(MONDAY, 14), id="over-lunch"),
        pytest.param(local(MONDAY, 12, 30), H, local(MONDAY, 14), id="start-in-lunch"),
        pytest.param(local(MONDAY, 7), H, local(MONDAY, 10), id="start-before-work"),
        pytest.param(local(MONDAY, 20), H, local(TUESDAY, 10), id="start-after-work"),
        pytest.param(local(SATURDAY, 10), H, local(NEXT_MONDAY, 10), id="start-saturday"),
        pytest.param(local(SUNDAY, 23, 59), H, local(NEXT_MONDAY, 10), id="start-sunday"),
        pytest.param(local(MONDAY, 12), H, local(MONDAY, 14), id="start-at-period-end"),
        pytest.param(local(MONDAY, 9), 3 * H, local(MONDAY, 12), id="ends-at-lunch"),
        pytest.param(local(MONDAY, 9), 8 * H, local(MONDAY, 18), id="one-day"),
        pytest.param(local(MONDAY, 9), 16 * H, local(TUESDAY, 18), id="two-days"),
        pytest.param(local(MONDAY, 17), H, local(MONDAY, 18), id="ends-at-day-end"),
        pytest.param(local(MONDAY, 9), 40 * H, local(FRIDAY, 18), id="one-week"),
        pytest.param(local(MONDAY, 9), 41 * H, local(NEXT_MONDAY, 10), id="week-and-hour"),
        pytest.param(
            local(MONDAY, 10, 15), timedelta(minutes=90), local(MONDAY, 11, 45), id="minutes"
        ),
    ],
)
def test_add_working_time_on_the_standard_calendar(
    start: datetime, duration: timedelta, expected: datetime
) -> None:
    assert due(standard_calendar(), start, duration) == expected


def test_the_answer_is_utc_whatever_zone_the_start_is_given_in() -> None:
    calendar = standard_calendar()
    from_shanghai = add_working_time(calendar, local(FRIDAY, 17), 2 * H)
    from_utc = add_working_time(calendar, local(FRIDAY, 17).astimezone(UTC), 2 * H)
    from_berlin = add_working_time(calendar, local(FRIDAY, 17).astimezone(BERLIN), 2 * H)
    assert from_shanghai.tzinfo is UTC
    assert from_shanghai == from_utc == from_berlin == datetime(2025, 6, 9, 2, tzinfo=UTC)


def test_zero_duration_is_the_start_even_outside_working_time() -> None:
    calendar = standard_calendar()
    saturday = local(SATURDAY, 10, 17)
    answer = add_working_time(calendar, saturday, timedelta(0))
    assert answer == saturday
    assert answer.tzinfo is UTC


def test_a_microsecond_of_work_starts_at_the_next_period() -> None:
    answer = due(standard_calendar(), local(SUNDAY, 23), timedelta(microseconds=1))
    assert answer == local(NEXT_MONDAY, 9) + timedelta(microseconds=1)


def test_long_durations_count_day_by_day() -> None:
    calendar = standard_calendar()
    start = local(MONDAY, 9)
    answer = add_working_time(calendar, start, 2000 * H)
    # 2,000 hours are 250 working days: 49 weeks and 5 days, ending on a Friday evening.
    assert answer.astimezone(SHANGHAI) == local(MONDAY + timedelta(weeks=49, days=4), 18)
    assert working_time_between(calendar, start, answer) == 2000 * H


# --- holidays and make-up working days -------------------------------------------------


def test_a_holiday_monday_pushes_to_tuesday() -> None:
    calendar = WorkingCalendar(
        "Asia/Shanghai",
        dict.fromkeys(range(1, 6), STANDARD_PERIODS),
        holidays=frozenset({NEXT_MONDAY}),
    )
    assert due(calendar, local(FRIDAY, 17), 2 * H) == local(NEXT_TUESDAY, 10)
    assert due(calendar, local(NEXT_MONDAY, 10), H) == local(NEXT_TUESDAY, 10)
    assert not is_working_time(calendar, local(NEXT_MONDAY, 10))


def test_an_extra_workday_saturday_counts() -> None:
    calendar = WorkingCalendar(
        "Asia/Shanghai",
        dict.fromkeys(range(1, 6), STANDARD_PERIODS),
        extra_workdays=frozenset({SATURDAY}),
    )
    assert due(calendar, local(FRIDAY, 17), 2 * H) == local(SATURDAY, 10)
    assert due(calendar, local(FRIDAY, 17), 10 * H) == local(NEXT_MONDAY, 10)
    assert is_working_time(calendar, local(SATURDAY, 9))
    assert not is_working_time(calendar, local(SUNDAY, 9))


def test_an_extra_workday_uses_the_extra_day_periods_even_on_a_weekday() -> None:
    calendar = WorkingCalendar(
        "Asia/Shanghai",
        dict.fromkeys(range(1, 6), STANDARD_PERIODS),
        extra_workdays=frozenset({SATURDAY, TUESDAY}),
        extra_day_periods=((time(10), time(14)),),
    )
    assert due(calendar, local(FRIDAY, 17), 2 * H) == local(SATURDAY, 11)
    assert due(calendar, local(MONDAY, 17), 2 * H) == local(TUESDAY, 11)
    assert working_time_between(calendar, local(TUESDAY, 0), local(TUESDAY, 23)) == 4 * H


def test_a_date_that_is_holiday_and_extra_workday_is_a_holiday() -> None:
    calendar = WorkingCalendar(
        "Asia/Shanghai",
        dict.fromkeys(range(1, 6), STANDARD_PERIODS),
        holidays=frozenset({SATURDAY}),
        extra_workdays=frozenset({SATURDAY}),
    )
    assert calendar.periods_on(SATURDAY) == ()
    assert due(calendar, local(FRIDAY, 17), 2 * H) == local(NEXT_MONDAY, 10)


# --- working_time_between and is_working_time ------------------------------------------


def test_working_time_between() -> None:
    calendar = standard_calendar()
    assert working_time_between(calendar, local(FRIDAY, 17), local(NEXT_MONDAY, 10)) == 2 * H
    assert working_time_between(calendar, local(MONDAY, 11), local(MONDAY, 14)) == 2 * H
    assert working_time_between(calendar, local(MONDAY, 0), local(SUNDAY, 23)) == 40 * H
    assert working_time_between(calendar, local(MONDAY, 12), local(MONDAY, 13)) == timedelta(0)
    assert working_time_between(calendar, local(SATURDAY, 0), local(SUNDAY, 23)) == timedelta(0)
    assert working_time_between(calendar, local(MONDAY, 14), local(MONDAY, 10)) == timedelta(0)
    assert working_time_between(calendar, local(MONDAY, 14), local(MONDAY, 14)) == timedelta(0)
    holiday = WorkingCalendar(
        "Asia/Shanghai",
        dict.fromkeys(range(1, 6), STANDARD_PERIODS),
        holidays=frozenset({TUESDAY}),
    )
    assert working_time_between(holiday, local(MONDAY, 0), local(SUNDAY, 23)) == 32 * H


def test_working_time_between_accepts_any_aware_zones() -> None:
    calendar = standard_calendar()
    start = local(MONDAY, 11).astimezone(UTC)
    end = local(MONDAY, 14).astimezone(BERLIN)
    assert working_time_between(calendar, start, end) == 2 * H


@pytest.mark.parametrize(
    ("moment", "working"),
    [
        (local(MONDAY, 8, 59), False),
        (local(MONDAY, 9), True),
        (local(MONDAY, 11, 59), True),
        (local(MONDAY, 12), False),
        (local(MONDAY, 12, 30), False),
        (local(MONDAY, 13), True),
        (local(MONDAY, 17, 59), True),
        (local(MONDAY, 18), False),
        (local(SATURDAY, 10), False),
        (local(MONDAY, 10).astimezone(UTC), True),
    ],
)
def test_is_working_time(moment: datetime, working: bool) -> None:
    assert is_working_time(standard_calendar(), moment) is working


def test_a_period_end_is_not_working_time_but_the_microsecond_before_is() -> None:
    end = local(MONDAY, 18)
    assert is_working_time(standard_calendar(), end - timedelta(microseconds=1))
    assert not is_working_time(standard_calendar(), end)


# --- periods ending at midnight and daylight saving ------------------------------------


def test_periods_ending_at_midnight_join_the_next_day() -> None:
    nights = WorkingCalendar(
        "Asia/Shanghai", dict.fromkeys(range(1, 8), ((time(0), time(6)), (time(22), time(0))))
    )
    assert due(nights, local(MONDAY, 23), 2 * H) == local(TUESDAY, 1)
    assert due(nights, local(MONDAY, 22), 2 * H) == local(TUESDAY, 0)
    assert is_working_time(nights, local(TUESDAY, 0))
    assert not is_working_time(nights, local(TUESDAY, 6))
    assert working_time_between(nights, local(MONDAY, 12), local(TUESDAY, 12)) == 8 * H


def test_a_day_with_23_hours_at_the_spring_change() -> None:
    calendar = always("Europe/Berlin")
    saturday, sunday = date(2025, 3, 29), date(2025, 3, 30)
    start = local(saturday, 12, zone=BERLIN)
    assert due(calendar, start, 24 * H) == local(sunday, 13, zone=BERLIN)
    day = working_time_between(
        calendar, local(sunday, 0, zone=BERLIN), local(date(2025, 3, 31), 0, zone=BERLIN)
    )
    assert day == 23 * H


def test_a_day_with_25_hours_at_the_autumn_change() -> None:
    calendar = always("Europe/Berlin")
    saturday, sunday = date(2025, 10, 25), date(2025, 10, 26)
    start = local(saturday, 12, zone=BERLIN)
    assert due(calendar, start, 24 * H) == local(sunday, 11, zone=BERLIN)
    day = working_time_between(
        calendar, local(sunday, 0, zone=BERLIN), local(date(2025, 10, 27), 0, zone=BERLIN)
    )
    assert day == 25 * H


def test_office_hours_are_wall_times_across_the_spring_change() -> None:
    calendar = standard_calendar("Europe/Berlin")
    friday, monday = date(2025, 3, 28), date(2025, 3, 31)
    # Friday 09:00 is 08:00 UTC (CET), Monday 09:00 is 07:00 UTC (CEST).
    assert due(calendar, local(friday, 17, zone=BERLIN), 2 * H) == local(monday, 10, zone=BERLIN)
    assert working_time_between(
        calendar, local(friday, 17, zone=BERLIN), local(monday, 10, zone=BERLIN)
    ) == (2 * H)


def test_a_wall_time_skipped_by_the_spring_change_is_the_moment_of_the_jump() -> None:
    # On 30 March 2025 Berlin's clocks jump from 02:00 CET to 03:00 CEST (01:00 UTC).
    calendar = WorkingCalendar(
        "Europe/Berlin",
        {7: ((time(1), time(2, 30)), (time(2, 45), time(3, 30)), (time(4), time(4, 30)))},
    )
    jump = datetime(2025, 3, 30, 1, tzinfo=UTC)
    assert working_periods(calendar, date(2025, 3, 30)) == (
        (datetime(2025, 3, 30, 0, tzinfo=UTC), jump),
        (jump, datetime(2025, 3, 30, 1, 30, tzinfo=UTC)),
        (datetime(2025, 3, 30, 2, tzinfo=UTC), datetime(2025, 3, 30, 2, 30, tzinfo=UTC)),
    )
    week = working_time_between(
        calendar, datetime(2025, 3, 24, tzinfo=UTC), datetime(2025, 3, 31, tzinfo=UTC)
    )
    assert week == 2 * H
    start = datetime(2025, 3, 29, 12, tzinfo=UTC)
    assert add_working_time(calendar, start, H) == jump
    assert add_working_time(calendar, start, 90 * timedelta(minutes=1)) == jump + H / 2


def test_a_period_wholly_inside_the_skipped_hour_is_empty() -> None:
    calendar = WorkingCalendar("Europe/Berlin", {7: ((time(2, 15), time(2, 45)),)})
    assert working_periods(calendar, date(2025, 3, 30)) == ()
    assert len(working_periods(calendar, date(2025, 4, 6))) == 1
    start = datetime(2025, 3, 29, tzinfo=UTC)
    assert due(calendar, start, H / 2) == local(date(2025, 4, 6), 2, 45, zone=BERLIN)


# --- no working time ------------------------------------------------------------------


def test_a_calendar_without_working_periods_never_reaches_a_due_moment() -> None:
    empty = WorkingCalendar("Asia/Shanghai", {})
    with pytest.raises(ValueError, match="no working"):
        add_working_time(empty, local(MONDAY, 9), H)
    assert add_working_time(empty, local(MONDAY, 9), timedelta(0)) == local(MONDAY, 9)
    assert working_time_between(empty, local(MONDAY, 9), local(MONDAY, 9) + 365 * 24 * H) == (
        timedelta(0)
    )
    assert not is_working_time(empty, local(MONDAY, 9))


def test_working_time_that_has_run_out_is_an_error() -> None:
    only_once = WorkingCalendar("Asia/Shanghai", {}, extra_workdays=frozenset({SATURDAY}))
    assert due(only_once, local(MONDAY, 9), 8 * H) == local(SATURDAY, 18)
    with pytest.raises(ValueError, match="no working time within 10 years"):
        add_working_time(only_once, local(MONDAY, 9), 9 * H)
    with pytest.raises(ValueError, match="no working time within 10 years"):
        add_working_time(only_once, local(SUNDAY, 9), H)


def test_working_time_found_nine_years_on_still_counts() -> None:
    later = date(2034, 6, 3)
    calendar = WorkingCalendar("Asia/Shanghai", {}, extra_workdays=frozenset({later}))
    assert due(calendar, local(MONDAY, 9), H) == local(later, 10)


# --- validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("week", "message"),
    [
        ({1: ((time(9), time(12)), (time(11), time(13)))}, "weekday 1 .*09:00-12:00 and 11:00"),
        ({2: ((time(13), time(18)), (time(9), time(12)))}, "weekday 2 .*not sorted"),
        ({3: ((time(9), time(9)),)}, "weekday 3 .*09:00-09:00 is empty"),
        ({4: ((time(18), time(9)),)}, "weekday 4 .*18:00-09:00 ends before it starts"),
        ({5: ((time(18), time(0)), (time(20), time(22)))}, "18:00-24:00 and 20:00-22:00 overlap"),
        ({0: STANDARD_PERIODS}, "key 0: weekdays are ISO numbers 1 \\(Monday\\) to 7"),
        ({8: STANDARD_PERIODS}, "key 8"),
        ({1: ((time(9),),)}, "not a \\(start, end\\) pair"),
        ({1: ((time(9, tzinfo=UTC), time(12)),)}, "naive wall times"),
    ],
)
def test_invalid_weeks_are_refused(
    week: dict[int, tuple[tuple[time, time], ...]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        WorkingCalendar("Asia/Shanghai", week)


def test_invalid_extra_day_periods_are_refused() -> None:
    with pytest.raises(ValueError, match="extra_day_periods: periods are not sorted"):
        WorkingCalendar(
            "Asia/Shanghai", {}, extra_day_periods=((time(13), time(18)), (time(9), time(12)))
        )


@pytest.mark.parametrize(
    "timezone", ["Mars/Olympus_Mons", "", "Asia", "../etc/passwd", "Asia/Beijing"]
)
def test_unknown_timezones_are_refused(timezone: str) -> None:
    with pytest.raises(ValueError, match="unknown timezone"):
        WorkingCalendar(timezone, {})
    with pytest.raises(ValueError, match="unknown timezone"):
        standard_calendar(timezone)


def test_holidays_must_be_dates_not_datetimes() -> None:
    with pytest.raises(ValueError, match="holidays must hold dates"):
        WorkingCalendar("Asia/Shanghai", {}, holidays=frozenset({local(MONDAY, 0)}))


def test_the_week_is_a_read_only_copy() -> None:
    week = {1: STANDARD_PERIODS}
    calendar = WorkingCalendar("Asia/Shanghai", week)
    week[2] = STANDARD_PERIODS
    assert dict(calendar.week) == {1: STANDARD_PERIODS}
    with pytest.raises(TypeError):
        calendar.week[3] = STANDARD_PERIODS  # type: ignore[index]


def test_naive_datetimes_and_negative_durations_are_refused() -> None:
    calendar = standard_calendar()
    naive = datetime(2025, 6, 2, 9)
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        add_working_time(calendar, naive, H)
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        working_time_between(calendar, naive, local(MONDAY, 10))
    with pytest.raises(ValueError, match="end must be timezone-aware"):
        working_time_between(calendar, local(MONDAY, 10), naive)
    with pytest.raises(ValueError, match="moment must be timezone-aware"):
        is_working_time(calendar, naive)
    with pytest.raises(ValueError, match="must not be negative"):
        add_working_time(calendar, local(MONDAY, 9), -timedelta(microseconds=1))


# --- parse_periods --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "periods"),
    [
        ("09:00-12:00,13:00-18:00", STANDARD_PERIODS),
        (" 09:00-12:00 , 13:00 - 18:00 ", STANDARD_PERIODS),
        ("", ()),
        ("   ", ()),
        ("18:00-24:00", ((time(18), time(0)),)),
        ("00:00-24:00", ROUND_THE_CLOCK),
        ("9:30-12:00", ((time(9, 30), time(12)),)),
        ("08:00-12:00,12:00-13:00", ((time(8), time(12)), (time(12), time(13)))),
    ],
)
def test_parse_periods(text: str, periods: tuple[tuple[time, time], ...]) -> None:
    assert parse_periods(text) == periods


def test_format_periods_is_read_back_by_parse_periods() -> None:
    assert format_periods(STANDARD_PERIODS) == "09:00-12:00,13:00-18:00"
    assert format_periods(ROUND_THE_CLOCK) == "00:00-24:00"
    assert format_periods(()) == ""
    for text in ("09:00-12:00,13:00-18:00", "00:00-06:00,22:00-24:00", ""):
        assert format_periods(parse_periods(text)) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("09:00", "not of the form HH:MM-HH:MM"),
        ("09:00-12:00,", "'' in '09:00-12:00,' is not of the form"),
        ("9-12", "'9' is not a time of the form HH:MM"),
        ("09:00-12:00-13:00", "not a time of the form HH:MM"),
        ("09h00-12:00", "'09h00' is not a time"),
        ("09:0-12:00", "'09:0' is not a time"),
        ("٠٩:٠٠-12:00", "is not a time"),
        ("09:60-12:00", "'09:60' is not a valid time of day"),
        ("25:00-26:00", "'25:00' is not a valid time of day"),
        ("24:00-24:00", "cannot start at 24:00"),
        ("12:00-09:00", "12:00-09:00 ends before it starts"),
        ("09:00-09:00", "09:00-09:00 is empty"),
        ("09:00-12:00,11:00-13:00", "09:00-12:00 and 11:00-13:00 overlap"),
        ("13:00-18:00,09:00-12:00", "not sorted: 13:00-18:00 comes before 09:00-12:00"),
    ],
)
def test_parse_periods_refuses_bad_text(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_periods(text)


# --- properties -----------------------------------------------------------------------

FIXED_ZONES = ["Asia/Shanghai", "UTC"]
DST_ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago"]

seconds = st.integers(min_value=0, max_value=100 * 3600).map(lambda s: timedelta(seconds=s))
microseconds = st.integers(min_value=0, max_value=100 * 3600 * 10**6).map(
    lambda us: timedelta(microseconds=us)
)
aware_starts = st.datetimes(
    min_value=datetime(2024, 1, 1),
    max_value=datetime(2027, 12, 31),
    timezones=st.sampled_from([ZoneInfo(name) for name in FIXED_ZONES + DST_ZONES]),
)


@st.composite
def day_periods(draw: st.DrawFn) -> tuple[tuple[time, time], ...]:
    """Sorted, non-overlapping periods on a half-hour grid, some ending at 24:00."""
    bounds = sorted(draw(st.sets(st.integers(0, 48), max_size=6)))
    bounds = bounds[: len(bounds) // 2 * 2]

    def clock(half_hours: int) -> time:
        return time(0) if half_hours == 48 else time(half_hours // 2, half_hours % 2 * 30)

    return tuple((clock(bounds[i]), clock(bounds[i + 1])) for i in range(0, len(bounds), 2))


@st.composite
def calendars(draw: st.DrawFn, zones: list[str]) -> WorkingCalendar:
    """Random calendars with some working time every week."""
    week = {weekday: draw(day_periods()) for weekday in range(1, 8)}
    if not any(week.values()):
        week[draw(st.integers(1, 7))] = STANDARD_PERIODS
    days = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))
    return WorkingCalendar(
        draw(st.sampled_from(zones)),
        week,
        holidays=draw(st.frozensets(days, max_size=20)),
        extra_workdays=draw(st.frozensets(days, max_size=20)),
        extra_day_periods=draw(day_periods()),
    )


def oracle_between(calendar: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    """Working time in a fixed-offset zone, computed on naive local wall times."""
    zone = calendar.zone
    begin = start.astimezone(zone).replace(tzinfo=None)
    finish = end.astimezone(zone).replace(tzinfo=None)
    total = timedelta(0)
    day = begin.date()
    while day <= finish.date():
        for low, high in calendar.periods_on(day):
            period_start = datetime.combine(day, low)
            period_end = datetime.combine(day + timedelta(days=1) if high == time(0) else day, high)
            overlap = min(period_end, finish) - max(period_start, begin)
            total += max(overlap, timedelta(0))
        day += timedelta(days=1)
    return total


def at_a_period_end(calendar: WorkingCalendar, moment: datetime) -> bool:
    day = moment.astimezone(calendar.zone).date()
    return any(
        end == moment
        for offset in (-1, 0, 1)
        for _, end in working_periods(calendar, day + timedelta(days=offset))
    )


def check_due_moment(
    calendar: WorkingCalendar, start: datetime, duration: timedelta, answer: datetime
) -> None:
    assert answer.tzinfo is UTC
    assert answer >= start
    assert working_time_between(calendar, start, answer) == duration
    if duration > timedelta(0):
        assert is_working_time(calendar, answer) or at_a_period_end(calendar, answer)
        # Nothing is wasted: no working time could have ended it earlier.
        assert working_time_between(calendar, start, answer - timedelta(microseconds=1)) < (
            duration
        )
    else:
        # Compared in UTC: Python calls a wall time in a gap or fold (which hypothesis
        # draws) unequal to every datetime of another zone.
        assert answer == start.astimezone(UTC)


@settings(max_examples=200, deadline=None)
@given(start=aware_starts, duration=seconds, more=seconds)
def test_standard_calendar_properties(
    start: datetime, duration: timedelta, more: timedelta
) -> None:
    calendar = standard_calendar()
    answer = add_working_time(calendar, start, duration)
    check_due_moment(calendar, start, duration, answer)
    assert oracle_between(calendar, start, answer) == duration
    assert add_working_time(calendar, start, duration + more) >= answer


@settings(max_examples=200, deadline=None)
@given(calendar=calendars(FIXED_ZONES), start=aware_starts, duration=microseconds)
def test_fixed_offset_calendars_match_the_oracle(
    calendar: WorkingCalendar, start: datetime, duration: timedelta
) -> None:
    answer = add_working_time(calendar, start, duration)
    check_due_moment(calendar, start, duration, answer)
    assert oracle_between(calendar, start, answer) == duration


@settings(max_examples=200, deadline=None)
@given(calendar=calendars(DST_ZONES), start=aware_starts, duration=microseconds, more=microseconds)
def test_daylight_saving_calendars_keep_the_invariants(
    calendar: WorkingCalendar, start: datetime, duration: timedelta, more: timedelta
) -> None:
    answer = add_working_time(calendar, start, duration)
    check_due_moment(calendar, start, duration, answer)
    later = add_working_time(calendar, start, duration + more)
    assert later >= answer
    # Working time adds up: counting on from the first answer reaches the same moment.
    assert add_working_time(calendar, answer, more) == later


@settings(max_examples=200, deadline=None)
@given(calendar=calendars(DST_ZONES + FIXED_ZONES), a=aware_starts, b=aware_starts)
def test_working_time_between_adds_up(calendar: WorkingCalendar, a: datetime, b: datetime) -> None:
    first, last = sorted((a, b))
    middle = first + (last - first) / 3
    whole = working_time_between(calendar, first, last)
    assert whole == working_time_between(calendar, first, middle) + working_time_between(
        calendar, middle, last
    )
    assert working_time_between(calendar, last, first) == timedelta(0)
    if whole > timedelta(0):
        assert add_working_time(calendar, first, whole) <= last


# --- next_daily: when a scheduled rule runs next -----------------------------------------


def _sh(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), SHANGHAI).astimezone(UTC)


EIGHT = time(8, 0)


def test_next_daily_is_today_before_the_time_and_tomorrow_from_it() -> None:
    calendar = standard_calendar()
    assert next_daily(calendar, EIGHT, _sh(MONDAY, 7, 59)) == _sh(MONDAY, 8)
    assert next_daily(calendar, EIGHT, _sh(MONDAY, 8)) == _sh(TUESDAY, 8)  # strictly after
    assert next_daily(calendar, EIGHT, _sh(FRIDAY, 9)) == _sh(SATURDAY, 8)


def test_next_daily_on_working_days_skips_weekends_and_holidays_but_not_make_up_days() -> None:
    calendar = WorkingCalendar(
        timezone="Asia/Shanghai",
        week=dict.fromkeys(range(1, 6), STANDARD_PERIODS),
        holidays=frozenset({NEXT_MONDAY}),
        extra_workdays=frozenset({SUNDAY}),
    )
    assert next_daily(calendar, EIGHT, _sh(FRIDAY, 9), working_days_only=True) == _sh(SUNDAY, 8)
    after_sunday = next_daily(calendar, EIGHT, _sh(SUNDAY, 8), working_days_only=True)
    assert after_sunday == _sh(NEXT_MONDAY + timedelta(days=1), 8)  # Monday is a holiday


def test_next_daily_across_daylight_saving_changes() -> None:
    berlin = WorkingCalendar(timezone="Europe/Berlin", week={1: STANDARD_PERIODS})
    # 30 March 2025: 02:00 jumps to 03:00, so 02:30 does not exist: the jump is taken
    spring = next_daily(berlin, time(2, 30), datetime(2025, 3, 29, 12, tzinfo=UTC))
    assert spring == datetime(2025, 3, 30, 1, 0, tzinfo=UTC)
    # 26 October 2025: 02:30 happens twice; the first one counts, and only once
    autumn = next_daily(berlin, time(2, 30), datetime(2025, 10, 25, 12, tzinfo=UTC))
    assert autumn == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)
    assert next_daily(berlin, time(2, 30), autumn) == datetime(2025, 10, 27, 1, 30, tzinfo=UTC)
    # 08:00 local stays 08:00 local on both sides of the change
    eight = next_daily(berlin, EIGHT, datetime(2025, 3, 29, 12, tzinfo=UTC))
    assert eight.astimezone(BERLIN).hour == 8 and eight.day == 30


def test_next_daily_refuses_a_calendar_without_working_days() -> None:
    idle = WorkingCalendar(timezone="Asia/Shanghai", week={})
    with pytest.raises(ValueError, match="no working days"):
        next_daily(idle, EIGHT, _sh(MONDAY, 9), working_days_only=True)
    assert next_daily(idle, EIGHT, _sh(MONDAY, 9)) == _sh(TUESDAY, 8)  # every day still


@settings(max_examples=200, deadline=None)
@given(
    after=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1)),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    zone=st.sampled_from(["Asia/Shanghai", "Europe/Berlin", "America/New_York"]),
    working=st.booleans(),
)
def test_next_daily_is_the_first_matching_moment_after(
    after: datetime, hour: int, minute: int, zone: str, working: bool
) -> None:
    calendar = standard_calendar(zone)
    start = after.replace(tzinfo=UTC)
    at = time(hour, minute)
    found = next_daily(calendar, at, start, working_days_only=working)
    assert found > start
    local = found.astimezone(ZoneInfo(zone))
    # the wall time shown, or (skipped by a clock change) the first moment after it
    assert local.time() == at or (local.time() > at and local.minute == 0)
    if working:
        assert calendar.periods_on(local.date())
    # no earlier day qualifies: the day before the found one is before `start` or unfit
    earlier = next_daily(calendar, at, start - timedelta(days=8), working_days_only=working)
    while earlier < found:
        assert earlier <= start
        earlier = next_daily(calendar, at, earlier, working_days_only=working)
    assert earlier == found
