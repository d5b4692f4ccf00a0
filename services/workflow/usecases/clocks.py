"""Scheduled rules' clocks: when each runs next, in its calendar's time zone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.workflow.db.models import Calendar, Rule, RuleSchedule
from services.workflow.domain.calendar import WorkingCalendar, next_daily
from services.workflow.schemas import TriggerIn, TriggerKind
from services.workflow.usecases.org import working_calendar


def trigger_of(rule: Rule) -> TriggerIn:
    return TriggerIn.model_validate(rule.definition.get("trigger") or {})


def is_scheduled(rule: Rule) -> bool:
    return (rule.definition.get("trigger") or {}).get("kind") == TriggerKind.SCHEDULE.value


def retry_after(failures: int) -> timedelta:
    return timedelta(seconds=min(60 * 2 ** min(failures, 6), 3600))


async def calendar_exists(session: AsyncSession, code: str) -> bool:
    return (await session.scalar(select(Calendar.id).where(Calendar.code == code))) is not None


async def calendar_named(session: AsyncSession, code: str) -> WorkingCalendar:
    row = (await session.scalars(select(Calendar).where(Calendar.code == code))).first()
    return working_calendar(row)


def next_run(trigger: TriggerIn, calendar: WorkingCalendar, after: datetime) -> datetime:
    assert trigger.at is not None
    return next_daily(
        calendar,
        time.fromisoformat(trigger.at),
        after,
        working_days_only=trigger.working_days_only,
    )


async def set_clock_rows(
    session: AsyncSession, rules: Sequence[Rule], now: datetime, *, replace: bool
) -> None:
    """Set each scheduled rule's next time after `now` (`replace`: also where it has one);
    a rule that is not scheduled loses its clock."""
    for rule in rules:
        clock = await session.get(RuleSchedule, rule.id, with_for_update=True)
        if not is_scheduled(rule):
            if clock is not None:
                await session.delete(clock)
            continue
        if clock is not None and not replace:
            continue
        trigger = trigger_of(rule)
        next_at = next_run(trigger, await calendar_named(session, trigger.calendar), now)
        if clock is None:
            session.add(RuleSchedule(rule_id=rule.id, next_run_at=next_at, failures=0))
        else:
            clock.next_run_at = next_at
    await session.flush()
