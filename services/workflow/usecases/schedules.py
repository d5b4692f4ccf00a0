"""Scheduled rules: every day at a local time, each subject the rule's source gives now is
evaluated, with the same episodes as balance rules (fire once while the condition holds,
again only after it cleared).

* **Sources** (`Source`): lots expiring, stock waiting for inspection and dead stock come
  from stock's API (items named from the catalog's, so a rule's scope applies); overdue
  approval steps from this service's own tables. Subjects are plain data (`subject.*`).
* **Exactly once.** A rule's clock (`wf_rule_schedules.next_run_at`) is read, the
  subjects fetched outside any transaction, and the run acts in one transaction that
  first locks the clock and checks it still shows the time read: a second runner, or a
  restart after the time passed, finds it moved on and does nothing. A missed time (the
  service was down) runs once when it comes back, then the clock moves to the next
  occurrence after now.
* **Closing.** An open episode whose key the source no longer gives closes (the lot was
  used up, the step decided), unless the source said it gave only part of its subjects
  (dead stock beyond the report's limit).
* **Failures.** A source that cannot answer leaves the occurrence due: retried with
  back-off, the problem shown on the rule (`last_run.problem`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.workflow.clients import catalog_items
from services.workflow.db.models import Episode, Instance, Rule, RuleSchedule, Step, Task
from services.workflow.domain.calendar import WorkingCalendar
from services.workflow.domain.conditions import EvaluationError, celify, evaluate, is_true
from services.workflow.domain.routing import StepStatus, TaskStatus
from services.workflow.domain.rules import EpisodeStep, episode_step
from services.workflow.schemas import (
    DryRunIn,
    DryRunOut,
    InstanceStatus,
    PreviewOut,
    RunOut,
    Source,
    TriggerIn,
)
from services.workflow.usecases import rules
from services.workflow.usecases.clocks import (
    calendar_named,
    is_scheduled,
    next_run,
    retry_after,
    set_clock_rows,
    trigger_of,
)
from services.workflow.usecases.rules import carry, in_scope, plan_actions, rule_named
from shared.client import ServiceClient
from shared.db.database import Database
from shared.db.types import utcnow
from shared.errors import Conflict, FieldError, InvalidInput, ProblemError

log = structlog.get_logger(__name__)

#: Rows per page asked of stock.
PAGE = 500
#: Dead-stock items looked at per run (the most valuable first; stock's report limit).
DEAD_STOCK_LIMIT = 1000
#: Pages of balances read per run at most (500 x 200 = 100,000 balances).
MAX_PAGES = 200


# --- sources --------------------------------------------------------------------------


@dataclass
class Subjects:
    """What a source gave: subjects (JSON-like, decimals exact) and whether that is all."""

    items: list[dict[str, Any]] = field(default_factory=list)
    complete: bool = True


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def _local(moment: datetime | str | None, calendar: WorkingCalendar) -> str:
    """A moment as the calendar's wall time, "2026-11-27 08:00"; "" for none."""
    if moment in (None, ""):
        return ""
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    assert isinstance(value, datetime)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(calendar.zone).strftime("%Y-%m-%d %H:%M")


def _hours(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds() / 3600, 1)


async def _pages(client: ServiceClient, path: str, params: Mapping[str, Any]) -> Subjects:
    """Every page of a stock list (`complete` False past `MAX_PAGES`)."""
    found = Subjects()
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        query = {**params, "limit": PAGE, **({"cursor": cursor} if cursor else {})}
        response = await client.request("stock", "GET", path, params=query)
        if response.status_code != 200:
            raise httpx.HTTPError(f"stock {path} answered {response.status_code}")
        body = response.json()
        found.items.extend(body["items"])
        cursor = body.get("next_cursor")
        if not cursor:
            return found
    found.complete = False
    return found


async def _expiring_lots(
    client: ServiceClient, trigger: TriggerIn, calendar: WorkingCalendar, now: datetime
) -> Subjects:
    today = now.astimezone(calendar.zone).date()
    horizon = today + timedelta(days=trigger.days)
    rows = await _pages(client, "/v1/balances", {"expiring_before": horizon.isoformat()})
    lots: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows.items:
        if not row.get("lot_number") or not row.get("expiry_date"):
            continue
        lot = lots.setdefault(
            (row["item_code"], row["lot_number"]),
            {
                "item_code": row["item_code"],
                "lot_number": row["lot_number"],
                "expiry_date": row["expiry_date"],
                "days_left": (date.fromisoformat(row["expiry_date"]) - today).days,
                "quantity": Decimal(0),
                "locations": set(),
                "quality_states": set(),
            },
        )
        lot["quantity"] += _decimal(row["quantity"])
        lot["locations"].add(row["location_code"])
        lot["quality_states"].add(row["quality_state"])
    items = [
        {
            **lot,
            "locations": sorted(lot["locations"]),
            "quality_states": sorted(lot["quality_states"]),
        }
        for _, lot in sorted(lots.items())
    ]
    return Subjects(items, rows.complete)


async def _pending_inspection(
    client: ServiceClient, calendar: WorkingCalendar, now: datetime
) -> Subjects:
    rows = await _pages(client, "/v1/balances", {"quality_state": "pending_inspection"})
    items = []
    for row in rows.items:
        raw = row.get("since") or row.get("updated_at")
        since = datetime.fromisoformat(raw) if raw else now
        items.append(
            {
                "item_code": row["item_code"],
                "lot_number": row.get("lot_number") or "",
                "location_code": row["location_code"],
                "quantity": _decimal(row["quantity"]),
                "since": _local(since, calendar),
                "hours_waiting": _hours(since, now),
            }
        )
    return Subjects(items, rows.complete)


async def _dead_stock(
    client: ServiceClient, trigger: TriggerIn, calendar: WorkingCalendar
) -> Subjects:
    response = await client.request(
        "stock",
        "GET",
        "/v1/reports/dead-stock",
        params={"idle_days": trigger.days, "limit": DEAD_STOCK_LIMIT},
    )
    if response.status_code != 200:
        raise httpx.HTTPError(f"stock dead-stock report answered {response.status_code}")
    body = response.json()
    items = [
        {
            "item_code": row["item_code"],
            "quantity": _decimal(row["quantity"]),
            "value": _decimal(row.get("value")),
            "idle_days": int(row["idle_days"]),
            "last_issue_at": _local(row.get("last_issue_at"), calendar),
            "last_movement_at": _local(row.get("last_movement_at"), calendar),
            "locations": list(row.get("locations") or []),
        }
        for row in body["items"]
    ]
    return Subjects(items, int(body.get("total_items", len(items))) <= len(items))


async def _overdue_approvals(
    session: AsyncSession, calendar: WorkingCalendar, now: datetime
) -> Subjects:
    steps = list(
        await session.execute(
            select(
                Step.id,
                Step.name,
                Step.due_at,
                Instance.id,
                Instance.document_type,
                Instance.document_number,
                Instance.requester,
            )
            .join(Instance, Instance.id == Step.instance_id)
            .where(
                Step.status == StepStatus.PENDING.value,
                Step.due_at.is_not(None),
                Step.due_at < now,
                Instance.status == InstanceStatus.PENDING.value,
            )
            .order_by(Step.due_at, Step.id)
        )
    )
    waiting: dict[int, list[str]] = {}
    if steps:
        for step_id, assignee in await session.execute(
            select(Task.step_id, Task.assignee)
            .where(
                Task.step_id.in_([s[0] for s in steps]),
                Task.status == TaskStatus.PENDING.value,
            )
            .order_by(Task.id)
        ):
            waiting.setdefault(step_id, []).append(assignee)
    items = [
        {
            "instance_id": instance_id,
            "step_id": step_id,
            "document_type": document_type,
            "document_number": number,
            "step": name,
            "approvers": waiting.get(step_id, []),
            "waiting_for": ", ".join(waiting.get(step_id, [])),
            "requester": requester.removeprefix("user:"),
            "due_at": _local(due_at, calendar),
            "hours_overdue": _hours(due_at or now, now),
        }
        for step_id, name, due_at, instance_id, document_type, number, requester in steps
    ]
    return Subjects(items)


#: Lines of the dead-stock top and of the items below safety stock in the digest.
HEALTH_TOP = 10
#: The digest's aged stock: older than this many days since receipt.
AGED_DAYS = 180


async def _inventory_health(
    client: ServiceClient,
    trigger: TriggerIn,
    calendar: WorkingCalendar,
    now: datetime,
    *,
    keep_file: bool,
) -> Subjects:
    """One subject: stock's health check now. A run has stock keep its workbook (once per
    local day and limit: a retry gets the same file); a preview only reads the figures."""
    today = now.astimezone(calendar.zone).date().isoformat()
    params = {"idle_days": trigger.days, "aged_days": AGED_DAYS, "top": HEALTH_TOP}
    if keep_file:
        key = f"inventory-health-{today}-{trigger.days}"
        response = await client.request(
            "stock",
            "POST",
            "/v1/reports/inventory-health/files",
            params=params,
            idempotency_key=key,
        )
    else:
        response = await client.request(
            "stock", "GET", "/v1/reports/inventory-health", params=params
        )
    if response.status_code not in (200, 201):
        raise httpx.HTTPError(f"stock inventory-health answered {response.status_code}")
    body = response.json()
    dead, below, aged = body["dead_stock"], body["below_safety_stock"], body["aged"]
    names = await catalog_items(client, [row["item_code"] for row in dead["top"]])
    dead_lines = [
        f"{n}. {row['item_code']} {names.get(row['item_code'], {}).get('name', '')}: "
        f"{_decimal(row.get('value')):,.2f} ({row['idle_days']} d)"
        for n, row in enumerate(dead["top"], 1)
    ]
    below_lines = [
        f"{n}. {row['item_code']} {row['item_name']}: {row['available']} / "
        f"{row['safety_stock']} {row['uom']}"
        for n, row in enumerate(below["items"], 1)
    ]
    kept = body.get("file") or {}
    subject = {
        "date": today,
        "stock_value": _decimal(body["stock_value"].get("total_value")),
        "below_safety_stock": int(below["count"]),
        "below_safety_items": "\n".join(below_lines) or "-",
        "idle_days": int(dead["idle_days"]),
        "dead_stock_items": int(dead["total_items"]),
        "dead_stock_value": _decimal(dead.get("total_value")),
        "dead_stock_top": "\n".join(dead_lines) or "-",
        "aged_days": int(aged["older_than_days"]),
        "aged_value": _decimal(aged.get("value")),
        "aged_share": _decimal(aged.get("share_percent")),
        "file_url": kept.get("url", ""),
        "file_expires_at": _local(kept.get("expires_at"), calendar) if kept else "",
    }
    return Subjects([subject])


async def gather_subjects(
    db: Database,
    client: ServiceClient,
    trigger: TriggerIn,
    calendar: WorkingCalendar,
    now: datetime,
    *,
    keep_file: bool = False,
) -> Subjects:
    """The subjects of the trigger's source now; items named from the catalog. Only a run
    (`keep_file`) has stock keep an inventory health workbook."""
    if trigger.source is Source.OVERDUE_APPROVALS:
        async with db.read() as session:
            return await _overdue_approvals(session, calendar, now)
    if trigger.source is Source.INVENTORY_HEALTH:
        return await _inventory_health(client, trigger, calendar, now, keep_file=keep_file)
    if trigger.source is Source.EXPIRING_LOTS:
        found = await _expiring_lots(client, trigger, calendar, now)
    elif trigger.source is Source.PENDING_INSPECTION:
        found = await _pending_inspection(client, calendar, now)
    else:
        found = await _dead_stock(client, trigger, calendar)
    codes = sorted({s["item_code"] for s in found.items})
    items = await catalog_items(client, codes) if codes else {}
    for subject in found.items:
        item = items.get(subject["item_code"], {})
        subject["item_name"] = item.get("name", "")
        subject["category"] = item.get("category") or ""
        subject["item_type"] = item.get("item_type") or ""
    return found


# --- evaluating -----------------------------------------------------------------------


@dataclass
class Evaluation:
    subject: dict[str, Any]
    activation: dict[str, Any]
    key: str
    holds: bool


def _in_scope(rule: Rule, subject: Mapping[str, Any]) -> bool:
    """A subject that names an item is held to the rule's scope; others are always in."""
    return "item_code" not in subject or in_scope(rule, subject)


def evaluate_one(rule: Rule, subject: Mapping[str, Any]) -> Evaluation:
    """The rule's condition and key on one subject (raises `EvaluationError`)."""
    activation = {"subject": celify(dict(subject)), "facts": {}}
    holds = is_true(rule.definition["condition"], activation)
    key = str(evaluate(rule.definition["key"], activation))[:200]
    return Evaluation(dict(subject), activation, key, holds)


def evaluate_all(rule: Rule, subjects: Sequence[Mapping[str, Any]]) -> list[Evaluation]:
    """Every subject in the rule's scope; one evaluation per key (true if any subject of
    the key holds). A subject the condition cannot be evaluated on is logged and skipped."""
    by_key: dict[str, Evaluation] = {}
    for subject in subjects:
        if not _in_scope(rule, subject):
            continue
        try:
            found = evaluate_one(rule, subject)
        except EvaluationError as exc:
            log.warning("scheduled_rule_not_evaluated", rule=rule.code, problem=str(exc))
            continue
        seen = by_key.get(found.key)
        if seen is None or (found.holds and not seen.holds):
            by_key[found.key] = found
    return list(by_key.values())


def run_out(value: Mapping[str, Any] | None) -> RunOut | None:
    return RunOut.model_validate(value) if value else None


async def apply_run(
    session: AsyncSession,
    rule: Rule,
    evaluations: Sequence[Evaluation],
    complete: bool,
    now: datetime,
) -> tuple[int, int]:
    """Open and close the rule's episodes for this run, acting on the opened ones; the
    numbers fired and closed."""
    episodes = {
        e.key: e
        for e in await session.scalars(
            select(Episode)
            .where(Episode.rule_id == rule.id)
            .where(
                Episode.open.is_(True)
                | Episode.key.in_([e.key for e in evaluations if e.holds] or [""])
            )
            .order_by(Episode.id)
            .with_for_update()
        )
    }
    fired = closed = 0
    seen = set()
    for evaluation in evaluations:
        seen.add(evaluation.key)
        episode = episodes.get(evaluation.key)
        step = episode_step(evaluation.holds, episode is not None and episode.open)
        if step in (EpisodeStep.HOLD, EpisodeStep.IDLE):
            continue
        await carry(
            session,
            rule,
            episode,
            evaluation.key,
            evaluation.holds,
            str(evaluation.subject.get("item_code", "")),
            evaluation.activation,
            now,
        )
        fired += step is EpisodeStep.FIRE
        closed += step is EpisodeStep.CLOSE
    if complete:
        for key, episode in episodes.items():
            if episode.open and key not in seen:
                episode.open = False
                episode.closed_at = now
                closed += 1
    return fired, closed


async def run_rule(
    db: Database,
    client: ServiceClient,
    rule: Rule,
    now: datetime,
    *,
    due: datetime | None,
) -> RunOut | None:
    """Run a scheduled rule now. With `due` (the clock's time read), only if the clock
    still shows it, and the clock moves on; without (run by hand), the clock stays. The
    run's outcome, or None when another run had it."""
    trigger = trigger_of(rule)
    async with db.read() as session:
        calendar = await calendar_named(session, trigger.calendar)
    try:
        found = await gather_subjects(db, client, trigger, calendar, now, keep_file=True)
    except (ProblemError, httpx.HTTPError, KeyError, ValueError, TypeError) as exc:
        problem = f"cannot read the {trigger.source} subjects: {exc}"
        log.warning("scheduled_rule_source_failed", rule=rule.code, problem=problem)
        return await _failed(db, rule, trigger, calendar, now, due, problem)
    evaluations = evaluate_all(rule, found.items)
    uow = db.uow(actor="system")
    async with uow:
        session = uow.session
        clock = await session.get(
            RuleSchedule, rule.id, with_for_update=True, populate_existing=True
        )
        if due is not None and (clock is None or clock.next_run_at != due):
            return None
        fired, closed = await apply_run(session, rule, evaluations, found.complete, now)
        outcome = RunOut(at=now, subjects=len(found.items), fired=fired, closed=closed)
        _record(session, clock, rule, outcome, next_run(trigger, calendar, now) if due else None)
        await uow.commit()
    return outcome


def _record(
    session: AsyncSession,
    clock: RuleSchedule | None,
    rule: Rule,
    outcome: RunOut,
    next_at: datetime | None,
    failures: int = 0,
) -> None:
    if clock is None:
        if next_at is None:
            return
        clock = RuleSchedule(rule_id=rule.id, next_run_at=next_at)
        session.add(clock)
    if next_at is not None:
        clock.next_run_at = next_at
    clock.failures = failures
    clock.last_run = outcome.model_dump(mode="json")


async def _failed(
    db: Database,
    rule: Rule,
    trigger: TriggerIn,
    calendar: WorkingCalendar,
    now: datetime,
    due: datetime | None,
    problem: str,
) -> RunOut | None:
    outcome = RunOut(at=now, subjects=0, fired=0, closed=0, problem=problem[:1000])
    uow = db.uow(actor="system")
    async with uow:
        clock = await uow.session.get(
            RuleSchedule, rule.id, with_for_update=True, populate_existing=True
        )
        if due is not None and (clock is None or clock.next_run_at != due):
            return None
        failures = (clock.failures if clock else 0) + 1
        # still due: the same occurrence is tried again after a while
        retry = now + retry_after(failures) if due is not None else None
        _record(uow.session, clock, rule, outcome, retry, failures)
        await uow.commit()
    return outcome


async def run_due(
    db: Database, client: ServiceClient, rules: Sequence[Rule], now: datetime | None = None
) -> int:
    """Run the active scheduled `rules` whose time has come (a rule without a clock gets
    one, at its next time); the number run."""
    scheduled = {rule.id: rule for rule in rules if is_scheduled(rule)}
    if not scheduled:
        return 0
    moment = now or utcnow()
    async with db.read() as session:
        clocks = {
            rule_id: due
            for rule_id, due in await session.execute(
                select(RuleSchedule.rule_id, RuleSchedule.next_run_at).where(
                    RuleSchedule.rule_id.in_(list(scheduled))
                )
            )
        }
    missing = [rule for rule_id, rule in scheduled.items() if rule_id not in clocks]
    if missing:
        await set_clocks(db, missing, moment)
    done = 0
    for rule_id, due in sorted(clocks.items(), key=lambda c: c[1]):
        if due <= moment and await run_rule(db, client, scheduled[rule_id], moment, due=due):
            done += 1
    return done


async def set_clocks(db: Database, rules: Sequence[Rule], now: datetime) -> None:
    """Give scheduled rules without a clock one, at their next time after `now`."""
    uow = db.uow(actor="system")
    async with uow:
        await set_clock_rows(uow.session, rules, now, replace=False)
        await uow.commit()


# --- looking without acting -----------------------------------------------------------


async def preview(
    db: Database, client: ServiceClient, rule: Rule, now: datetime | None = None
) -> PreviewOut:
    """What running the scheduled rule now would do: nothing changes."""
    moment = now or utcnow()
    trigger = trigger_of(rule)
    async with db.read() as session:
        calendar = await calendar_named(session, trigger.calendar)
    try:
        found = await gather_subjects(db, client, trigger, calendar, moment)
    except (ProblemError, httpx.HTTPError, KeyError, ValueError, TypeError) as exc:
        return PreviewOut(
            rule=rule.code,
            subjects=0,
            would_fire=[],
            would_close=[],
            problem=f"cannot read the {trigger.source} subjects: {exc}",
        )
    evaluations = evaluate_all(rule, found.items)
    async with db.read() as session:
        open_keys = set(
            await session.scalars(
                select(Episode.key).where(Episode.rule_id == rule.id, Episode.open.is_(True))
            )
        )
        fire = [e for e in evaluations if e.holds and e.key not in open_keys]
        would_fire = [await dry_run_out(session, rule, e, False) for e in fire]
    held = {e.key for e in evaluations if e.holds}
    seen = {e.key for e in evaluations}
    would_close = sorted(
        key for key in open_keys if key not in held and (key in seen or found.complete)
    )
    return PreviewOut(
        rule=rule.code, subjects=len(found.items), would_fire=would_fire, would_close=would_close
    )


async def dry_run_out(
    session: AsyncSession, rule: Rule, evaluation: Evaluation, episode_open: bool
) -> DryRunOut:
    fires = episode_step(evaluation.holds, episode_open) is EpisodeStep.FIRE
    actions = (
        await plan_actions(
            session,
            rule,
            evaluation.activation,
            str(evaluation.subject.get("item_code", "")),
        )
        if fires
        else []
    )
    return DryRunOut(
        rule=rule.code,
        key=evaluation.key,
        subject=celify(evaluation.subject),
        facts={},
        condition=evaluation.holds,
        episode_open=episode_open,
        would_fire=fires,
        actions=actions,
    )


async def dry_run(
    session: AsyncSession, client: ServiceClient, code: str, body: DryRunIn
) -> DryRunOut:
    """A balance rule on an item (`rules.dry_run`), or a scheduled rule on a subject:
    what it would do now; nothing changes."""
    rule = await rule_named(session, code)
    if not is_scheduled(rule):
        return await rules.dry_run(session, client, code, body)
    if body.subject is None:
        raise InvalidInput(
            "a scheduled rule is dry-run on a subject",
            errors=[
                FieldError(
                    "body.subject",
                    f"required for a scheduled rule; POST /v1/rules/{code}/preview runs its source",
                )
            ],
        )
    try:
        evaluation = evaluate_one(rule, body.subject)
    except EvaluationError as exc:
        return DryRunOut(
            rule=code,
            key="",
            subject=celify(body.subject),
            facts={},
            condition=False,
            episode_open=False,
            would_fire=False,
            actions=[],
            problem=str(exc),
        )
    episode = (
        await session.scalars(
            select(Episode).where(Episode.rule_id == rule.id, Episode.key == evaluation.key)
        )
    ).first()
    out = await dry_run_out(session, rule, evaluation, episode is not None and episode.open)
    if not _in_scope(rule, body.subject):
        out.would_fire, out.actions = False, []
        out.problem = "the subject's item is outside the rule's scope"
    return out


async def run_now(db: Database, client: ServiceClient, code: str) -> RunOut:
    """Run an active scheduled rule now, by hand (its clock stays as it is)."""
    async with db.read() as session:
        rule = await rule_named(session, code)
        session.expunge(rule)
    if not is_scheduled(rule):
        raise Conflict(f"rule {code} is not scheduled: it runs on every stock change")
    if not rule.active:
        raise Conflict(f"rule {code} is switched off: switch it on, or see /preview")
    outcome = await run_rule(db, client, rule, utcnow(), due=None)
    assert outcome is not None
    return outcome
