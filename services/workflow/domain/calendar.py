"""Working calendars: time limits of approval steps counted in working time.

A step "due in 8 working hours" is due when 8 hours of the calendar's working periods
have passed since it started. The calendar works in its own time zone: each local date
has working periods (from the week, or `extra_day_periods` on a make-up working day,
none on a holiday), written as local wall times. A period's start and end are made aware
with the zone on that date and elapsed time is always the real (UTC) difference, so a
day with a daylight-saving change has one hour less or more of round-the-clock work.

Wall times are made aware the way `zoneinfo` reads them (`fold=0`: an ambiguous time at
a fall-back is its first occurrence), except that a wall time skipped at a spring-forward
(which never shows on a clock) is the moment of the jump. That keeps the reading
monotonic, so sorted periods stay sorted and never overlap; a period that lies wholly in
the skipped hour is empty.

Periods are half-open, [start, end): the start is working time, the end is not. All
arithmetic is `timedelta` arithmetic, exact to the microsecond.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: A working period as local wall times; an `end` of 00:00 means 24:00 (the day's end).
Period = tuple[time, time]
#: A working period as timezone-aware UTC moments: [start, end).
Interval = tuple[datetime, datetime]

MIDNIGHT = time(0, 0)
STANDARD_PERIODS: tuple[Period, ...] = ((time(9), time(12)), (time(13), time(18)))
WEEKDAY_NAMES = {
    1: "Monday",
    2: "Tuesday",
    3: "Wednesday",
    4: "Thursday",
    5: "Friday",
    6: "Saturday",
    7: "Sunday",
}
#: How many days without any working time `add_working_time` looks through before it
#: gives up (10 years, leap days included).
SEARCH_LIMIT_DAYS = 3653

_ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)
_MICROSECOND = timedelta(microseconds=1)
_DAY_MICROSECONDS = 24 * 3600 * 1_000_000


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """Working periods per ISO weekday (1 = Monday .. 7 = Sunday; a missing weekday has
    none), in the IANA time zone `timezone`. A holiday has no working time even on a
    working weekday; an extra workday (a make-up day, 调休) works `extra_day_periods` even
    on a weekend; a date that is both is a holiday.

    Each weekday's periods are sorted, non-overlapping (they may touch) and non-empty;
    `end` may be 00:00, meaning 24:00. Invalid input raises `ValueError`. The week is
    copied into a read-only mapping, so changing the caller's dict later changes nothing.
    """

    timezone: str
    week: Mapping[int, tuple[Period, ...]]
    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    extra_day_periods: tuple[Period, ...] = STANDARD_PERIODS

    def __post_init__(self) -> None:
        _zone(self.timezone)
        if not isinstance(self.week, Mapping):
            raise ValueError(f"week must map ISO weekdays to periods, not {self.week!r}")
        week: dict[int, tuple[Period, ...]] = {}
        for weekday, periods in self.week.items():
            if (
                isinstance(weekday, bool)
                or not isinstance(weekday, int)
                or weekday not in WEEKDAY_NAMES
            ):
                raise ValueError(
                    f"week has the key {weekday!r}: weekdays are ISO numbers "
                    "1 (Monday) to 7 (Sunday)"
                )
            where = f"weekday {weekday} ({WEEKDAY_NAMES[weekday]})"
            week[weekday] = _checked_periods(periods, where)
        object.__setattr__(self, "week", MappingProxyType(dict(sorted(week.items()))))
        object.__setattr__(self, "holidays", _checked_dates(self.holidays, "holidays"))
        object.__setattr__(
            self, "extra_workdays", _checked_dates(self.extra_workdays, "extra_workdays")
        )
        object.__setattr__(
            self,
            "extra_day_periods",
            _checked_periods(self.extra_day_periods, "extra_day_periods"),
        )

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone."""
        return ZoneInfo(self.timezone)

    def periods_on(self, day: date) -> tuple[Period, ...]:
        """The working periods of a local date, as wall times."""
        if day in self.holidays:
            return ()
        if day in self.extra_workdays:
            return self.extra_day_periods
        return self.week.get(day.isoweekday(), ())

    def has_working_periods(self) -> bool:
        """Whether any date at all can have working time (some weekday or extra day)."""
        return any(self.week.values()) or bool(self.extra_workdays and self.extra_day_periods)


def standard_calendar(timezone: str = "Asia/Shanghai") -> WorkingCalendar:
    """Mon-Fri 09:00-12:00 and 13:00-18:00 (8 working hours a day)."""
    return WorkingCalendar(timezone=timezone, week=dict.fromkeys(range(1, 6), STANDARD_PERIODS))


def parse_periods(text: str) -> tuple[Period, ...]:
    """'09:00-12:00,13:00-18:00' -> periods; '' -> (); '18:00-24:00' allowed (24:00 = end
    of day). Times are HH:MM; spaces around items are ignored. ValueError with a clear
    message on bad input (bad syntax, unsorted, overlapping or empty periods)."""
    if not isinstance(text, str):
        raise ValueError(f"periods must be text like '09:00-12:00,13:00-18:00', not {text!r}")
    if not text.strip():
        return ()
    periods: list[Period] = []
    for item in text.split(","):
        item = item.strip()
        start_text, dash, end_text = item.partition("-")
        if not dash:
            raise ValueError(f"period {item!r} in {text!r} is not of the form HH:MM-HH:MM")
        start = _parse_clock(start_text, item, text, is_end=False)
        end = _parse_clock(end_text, item, text, is_end=True)
        periods.append((start, end))
    return _checked_periods(periods, f"periods {text!r}")


def format_periods(periods: Iterable[Period]) -> str:
    """The text `parse_periods` reads back: '09:00-12:00,13:00-18:00' ('' for none)."""
    return ",".join(f"{_clock(start)}-{_clock(end, is_end=True)}" for start, end in periods)


def working_periods(calendar: WorkingCalendar, day: date) -> tuple[Interval, ...]:
    """The working periods of a local date as aware UTC [start, end) intervals, sorted;
    periods that a daylight-saving jump makes empty are left out."""
    zone = calendar.zone
    intervals: list[Interval] = []
    for start, end in calendar.periods_on(day):
        begin = _instant(day, start, zone)
        finish = _instant(day + _ONE_DAY if end == MIDNIGHT else day, end, zone)
        if begin < finish:
            intervals.append((begin, finish))
    return tuple(intervals)


def add_working_time(calendar: WorkingCalendar, start: datetime, duration: timedelta) -> datetime:
    """The moment at which `duration` of working time has elapsed after `start`.

    `start` must be timezone-aware (ValueError otherwise); the answer is timezone-aware UTC.
    Time outside working periods does not count: a start in a lunch break, at night, on a
    weekend or holiday begins counting at the next working period's start. duration == 0
    returns `start` (in UTC). When the duration ends exactly at the end of a period, the
    answer is that end (not the next period's start). Negative duration -> ValueError. If
    no working time exists within 10 years (`SEARCH_LIMIT_DAYS`) -> ValueError."""
    origin = _utc(start, "start")
    if duration < _ZERO:
        raise ValueError(f"duration must not be negative, got {duration}")
    if duration == _ZERO:
        return origin
    if not calendar.has_working_periods():
        raise ValueError("the calendar has no working periods: no working time ever")
    remaining = duration
    idle_days = 0
    try:
        for day in _days_from(origin.astimezone(calendar.zone).date()):
            worked = False
            for begin, end in working_periods(calendar, day):
                if end <= origin:
                    continue
                worked = True
                begin = max(begin, origin)
                available = end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            idle_days = 0 if worked else idle_days + 1
            if idle_days > SEARCH_LIMIT_DAYS:
                raise ValueError(f"no working time within 10 years after {start.isoformat()}")
    except OverflowError as exc:
        raise ValueError("the due moment lies beyond the supported date range") from exc
    raise AssertionError("unreachable")  # pragma: no cover


def working_time_between(calendar: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    """Working time elapsed from `start` to `end` (timedelta(0) when end <= start). Both
    must be timezone-aware (ValueError otherwise)."""
    begin = _utc(start, "start")
    finish = _utc(end, "end")
    if finish <= begin:
        return _ZERO
    zone = calendar.zone
    # Periods of a date start no earlier than its midnight; one spare day covers a zone
    # whose clocks fall back across midnight.
    last_day = finish.astimezone(zone).date() + _ONE_DAY
    total = _ZERO
    try:
        for day in _days_from(begin.astimezone(zone).date()):
            if day > last_day:
                break
            for low, high in working_periods(calendar, day):
                low, high = max(low, begin), min(high, finish)
                if low < high:
                    total += high - low
    except OverflowError as exc:
        raise ValueError("the moments lie beyond the supported date range") from exc
    return total


def is_working_time(calendar: WorkingCalendar, moment: datetime) -> bool:
    """Whether `moment` (timezone-aware) lies in a working period: a period's start is
    working time, its end is not."""
    instant = _utc(moment, "moment")
    day = instant.astimezone(calendar.zone).date()
    # Earlier dates' periods end by this date's midnight; the next date is checked for a
    # zone whose clocks fall back across midnight.
    days = (day, day + _ONE_DAY) if day < date.max else (day,)
    return any(
        begin <= instant < end for each in days for begin, end in working_periods(calendar, each)
    )


def next_daily(
    calendar: WorkingCalendar, at: time, after: datetime, *, working_days_only: bool = False
) -> datetime:
    """The first moment strictly after `after` (UTC) at which the calendar's local clock
    shows `at`, on a working day (one with working periods) if `working_days_only`. A wall
    time the clocks skip gives the moment of the jump; one they pass twice, the first."""
    start = _utc(after, "after")
    if working_days_only and not calendar.has_working_periods():
        raise ValueError("the calendar has no working days")
    zone = calendar.zone
    first = start.astimezone(zone).date() - _ONE_DAY
    for day in _days_from(first):
        if (day - first).days > SEARCH_LIMIT_DAYS:
            raise ValueError(f"no working day within {SEARCH_LIMIT_DAYS} days of {first}")
        if working_days_only and not calendar.periods_on(day):
            continue
        moment = _instant(day, at, zone)
        if moment > start:
            return moment
    raise AssertionError("unreachable")  # pragma: no cover


def _days_from(day: date) -> Iterator[date]:
    while True:
        yield day
        day += _ONE_DAY


def _zone(name: str) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise ValueError(f"unknown timezone {name!r}: give an IANA name like 'Asia/Shanghai'")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(
            f"unknown timezone {name!r}: give an IANA name like 'Asia/Shanghai'"
        ) from exc


def _utc(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime):
        raise ValueError(f"{name} must be a timezone-aware datetime, not {moment!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got the naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def _instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The UTC moment of a local wall time: its first occurrence when the clocks fall
    back, the moment of the jump when they spring forward over it."""
    local = datetime.combine(day, wall)
    first = local.replace(tzinfo=zone).astimezone(UTC)
    second = local.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if second >= first:
        return first  # an ordinary or an ambiguous wall time
    # Skipped: moments before the jump show earlier wall times, moments after it later
    # ones. `second` is before the jump and `first` after it; bisect to the microsecond.
    before, after = second, first
    while after - before > _MICROSECOND:
        middle = before + (after - before) // 2
        if middle.astimezone(zone).replace(tzinfo=None) > local:
            after = middle
        else:
            before = middle
    return after


def _of_day(moment: time, *, is_end: bool) -> int:
    """Microseconds since midnight; an end at 00:00 is the day's end (24:00)."""
    if is_end and moment == MIDNIGHT:
        return _DAY_MICROSECONDS
    return (
        (moment.hour * 60 + moment.minute) * 60 + moment.second
    ) * 1_000_000 + moment.microsecond


def _clock(moment: time, *, is_end: bool = False) -> str:
    if is_end and moment == MIDNIGHT:
        return "24:00"
    text = moment.strftime("%H:%M")
    if moment.second or moment.microsecond:
        text += moment.strftime(":%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}"
    return text


def _period_text(period: Period) -> str:
    return f"{_clock(period[0])}-{_clock(period[1], is_end=True)}"


def _checked_periods(periods: object, where: str) -> tuple[Period, ...]:
    if not isinstance(periods, tuple | list):
        raise ValueError(f"{where}: periods must be a tuple of (start, end) times")
    checked: list[Period] = []
    previous: Period | None = None
    for period in periods:
        if not (
            isinstance(period, tuple | list)
            and len(period) == 2
            and all(isinstance(part, time) for part in period)
        ):
            raise ValueError(f"{where}: {period!r} is not a (start, end) pair of times")
        start, end = period
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError(
                f"{where}: period {_period_text((start, end))} must use naive wall times "
                "(the calendar's timezone applies)"
            )
        low, high = _of_day(start, is_end=False), _of_day(end, is_end=True)
        text = _period_text((start, end))
        if low == high:
            raise ValueError(f"{where}: period {text} is empty (its start is its end)")
        if low > high:
            raise ValueError(f"{where}: period {text} ends before it starts")
        if previous is not None:
            if low < _of_day(previous[0], is_end=False):
                raise ValueError(
                    f"{where}: periods are not sorted: {_period_text(previous)} comes before {text}"
                )
            if low < _of_day(previous[1], is_end=True):
                raise ValueError(f"{where}: periods {_period_text(previous)} and {text} overlap")
        previous = (start, end)
        checked.append(previous)
    return tuple(checked)


def _checked_dates(days: Iterable[date], name: str) -> frozenset[date]:
    if isinstance(days, str | bytes):
        raise ValueError(f"{name} must be a set of dates, not {days!r}")
    checked = frozenset(days)
    for day in checked:
        if isinstance(day, datetime) or not isinstance(day, date):
            raise ValueError(f"{name} must hold dates, not {day!r}")
    return checked


def _parse_clock(text: str, item: str, whole: str, *, is_end: bool) -> time:
    """'09:00' -> time(9); '24:00' -> time(0) as an end (the day's end)."""
    text = text.strip()
    hours, colon, minutes = text.partition(":")
    if not (
        colon
        and hours.isascii()
        and hours.isdigit()
        and len(hours) in (1, 2)
        and minutes.isascii()
        and minutes.isdigit()
        and len(minutes) == 2
    ):
        raise ValueError(f"period {item!r} in {whole!r}: {text!r} is not a time of the form HH:MM")
    hour, minute = int(hours), int(minutes)
    if hour == 24 and minute == 0:
        if not is_end:
            raise ValueError(f"period {item!r} in {whole!r} cannot start at 24:00")
        return MIDNIGHT
    if hour > 23 or minute > 59:
        raise ValueError(f"period {item!r} in {whole!r}: {text!r} is not a valid time of day")
    return time(hour, minute)  # 00:00 as an end reads as the day's end, like 24:00
