"""Rules: a trigger, facts looked up through the other services' APIs, a CEL condition,
and actions, firing once per episode.

* **Trigger.** `balance_changed`: every movement in stock's feed marks its item
  (`wf_rule_subjects`, one row per item however many movements), and the runner evaluates
  the marked items in batches, on the facts as they are then.
* **Facts**, per batch, one call per service where the API allows: the catalog's items
  (`item`: name, category, safety_stock, lot_sizing ...), stock's availability
  (`availability`: qualified, reserved, available ...), mrp's open purchase quantity
  (`open_purchase`); derived: `shortage` (safety stock - available, never below 0) and
  `suggested_quantity` (the shortage under the item's lot sizing).
* **Episodes.** The condition true for a key (default: the item) with no open episode
  opens one and runs the actions, once; still true: nothing; false: the episode closes,
  so the rule fires again only after the condition cleared and recurred.
* **Actions** write messages to the outbox and to-dos in the same transaction as the
  episode, so a crash between them is impossible and a replay fires nothing twice.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import structlog
from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.workflow.clients import CONCURRENCY, catalog_items
from services.workflow.db.models import Episode, Instance, Rule, RuleSchedule, Subject, Todo
from services.workflow.domain.conditions import (
    ConditionError,
    EvaluationError,
    celify,
    compile_condition,
    evaluate,
    evaluate_fast,
    is_true,
    is_true_fast,
    prepared,
)
from services.workflow.domain.messages import TEMPLATES, template_fields
from services.workflow.domain.rules import EpisodeStep, episode_step, suggested_quantity
from services.workflow.schemas import (
    ActionIn,
    ActionKind,
    DocumentType,
    DryRunIn,
    DryRunOut,
    Fact,
    InstanceStatus,
    PlannedAction,
    RuleIn,
    RuleOut,
    RunOut,
    Source,
    SyncState,
    TodoStatus,
    TriggerKind,
)
from services.workflow.usecases.clocks import calendar_exists, is_scheduled, set_clock_rows
from services.workflow.usecases.flows import flow_for
from services.workflow.usecases.notify import enqueue, people_of_role
from shared.client import ServiceClient
from shared.db.database import Database
from shared.db.dialects import dialect_insert
from shared.db.filters import one_of
from shared.db.paging import page_by_id
from shared.db.types import utcnow
from shared.db.uow import UnitOfWork
from shared.errors import AlreadyExists, FieldError, InvalidInput, NotFound, PreconditionFailed
from shared.http.pagination import PageParams

log = structlog.get_logger(__name__)

RULE_VARIABLES = ("subject", "facts")
#: Items evaluated per pass.
BATCH = 1000
#: Items per stock availability call (stock's limit is 500).
AVAILABILITY_PAGE = 500


# --- definitions ----------------------------------------------------------------------


def _definition(body: RuleIn) -> dict[str, Any]:
    return body.model_dump(mode="json", exclude={"code", "name", "active"})


def rule_out(row: Rule, open_episodes: int = 0, clock: RuleSchedule | None = None) -> RuleOut:
    return RuleOut(
        **row.definition,
        code=row.code,
        name=row.name,
        active=row.active,
        id=row.id,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        open_episodes=open_episodes,
        next_run_at=clock.next_run_at if clock is not None and row.active else None,
        last_run=RunOut.model_validate(clock.last_run) if clock and clock.last_run else None,
    )


def expression_errors(body: RuleIn) -> list[FieldError]:
    errors = []

    def check(path: str, source: str | None) -> None:
        if source is None:
            return
        try:
            compile_condition(source, RULE_VARIABLES)
        except ConditionError as exc:
            errors.append(FieldError(path, str(exc), type="cel_error"))

    for a, action in enumerate(body.actions):
        if action.kind is not ActionKind.NOTIFY or action.template is None:
            continue
        if action.template not in TEMPLATES:
            errors.append(
                FieldError(
                    f"body.actions.{a}.template",
                    f"unknown template; one of {', '.join(sorted(TEMPLATES))}",
                )
            )
            continue
        missing = sorted(template_fields(action.template) - action.values.keys())
        if missing:
            errors.append(
                FieldError(
                    f"body.actions.{a}.values",
                    f"template {action.template} needs values for {', '.join(missing)}",
                )
            )
    check("body.condition", body.condition)
    check("body.key", body.key)
    for a, action in enumerate(body.actions):
        for name, source in action.values.items():
            check(f"body.actions.{a}.values.{name}", source)
        check(f"body.actions.{a}.title", action.title)
        check(f"body.actions.{a}.quantity", action.quantity)
        check(f"body.actions.{a}.amount", action.amount)
        check(f"body.actions.{a}.link", action.link)
    return errors


async def save_rule(
    uow: UnitOfWork, body: RuleIn, *, code: str | None = None, expected: int | None = None
) -> RuleOut:
    """Create a rule, or replace one at version `expected` (its episodes stay)."""
    errors = expression_errors(body)
    if body.trigger.source is Source.OVERDUE_APPROVALS and body.key == DEFAULT_KEY:
        errors.append(
            FieldError("body.key", "overdue approvals have no item: key by subject.step_id")
        )
    if code is not None and body.code != code:
        errors.append(FieldError("body.code", f"must be {code}"))
    if errors:
        raise InvalidInput("the rule cannot be saved", errors=errors)
    async with uow:
        session = uow.session
        now = utcnow()
        if body.trigger.kind is TriggerKind.SCHEDULE and not await calendar_exists(
            session, body.trigger.calendar
        ):
            raise InvalidInput(
                "the rule cannot be saved",
                errors=[FieldError("body.trigger.calendar", "no such calendar")],
            )
        if code is None:
            row = Rule(
                code=body.code,
                name=body.name,
                definition=_definition(body),
                active=body.active,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            try:
                await session.flush()
            except IntegrityError:
                raise AlreadyExists(f"rule {body.code} already exists") from None
        else:
            row = await rule_named(session, code, lock=True)
            if expected is not None and row.version != expected:
                raise PreconditionFailed(f"rule {code} is at version {row.version}, not {expected}")
            row.name = body.name
            row.definition = _definition(body)
            row.active = body.active
            row.updated_at = now
            await session.flush()
        await set_clock_rows(session, [row], now, replace=True)
        out = rule_out(row, await _open_episodes(session, row.id), await _clock(session, row.id))
        await uow.audit("save", "rule", out.code, after=out.model_dump(mode="json"))
        await uow.commit()
        return out


async def rule_named(session: AsyncSession, code: str, *, lock: bool = False) -> Rule:
    query = select(Rule).where(Rule.code == code)
    if lock:
        query = query.with_for_update()
    row = (await session.scalars(query)).first()
    if row is None:
        raise NotFound(f"rule {code} does not exist")
    return row


async def _open_episodes(session: AsyncSession, rule_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Episode)
            .where(Episode.rule_id == rule_id, Episode.open.is_(True))
        )
        or 0
    )


async def _clock(session: AsyncSession, rule_id: int) -> RuleSchedule | None:
    return await session.get(RuleSchedule, rule_id, populate_existing=True)


async def get_rule(session: AsyncSession, code: str) -> RuleOut:
    row = await rule_named(session, code)
    return rule_out(row, await _open_episodes(session, row.id), await _clock(session, row.id))


async def list_rules(session: AsyncSession, page: PageParams) -> tuple[list[RuleOut], str | None]:
    rows, cursor = await page_by_id(session, select(Rule), Rule.id, page)
    return [
        rule_out(r, await _open_episodes(session, r.id), await _clock(session, r.id)) for r in rows
    ], cursor


# --- facts ----------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


async def _availability(client: ServiceClient, codes: list[str]) -> dict[str, dict[str, Any]]:
    """Stock's availability of each item, asked in pages at once."""

    gate = asyncio.Semaphore(CONCURRENCY)

    async def page(part: list[str]) -> list[dict[str, Any]]:
        async with gate:
            response = await client.request(
                "stock", "GET", "/v1/availability", params={"item_code": part, "limit": len(part)}
            )
        if response.status_code != 200:
            raise httpx.HTTPError(f"stock availability answered {response.status_code}")
        return list(response.json()["items"])

    pages = await asyncio.gather(
        *(
            page(codes[start : start + AVAILABILITY_PAGE])
            for start in range(0, len(codes), AVAILABILITY_PAGE)
        )
    )
    return {row["item_code"]: row for rows in pages for row in rows}


async def _open_purchase(client: ServiceClient, codes: list[str]) -> dict[str, Decimal]:
    gate = asyncio.Semaphore(8)

    async def one(code: str) -> tuple[str, Decimal]:
        total = Decimal(0)
        cursor: str | None = None
        async with gate:
            while True:
                params: dict[str, Any] = {"item_code": code, "status": "open", "limit": 200}
                if cursor:
                    params["cursor"] = cursor
                response = await client.request("mrp", "GET", "/v1/purchase-orders", params=params)
                if response.status_code != 200:
                    raise httpx.HTTPError(f"mrp purchase orders answered {response.status_code}")
                body = response.json()
                for order in body["items"]:
                    total += sum(
                        (
                            _decimal(line["open_quantity"])
                            for line in order["lines"]
                            if line["item_code"] == code
                        ),
                        Decimal(0),
                    )
                cursor = body.get("next_cursor")
                if not cursor:
                    return code, total

    return dict(await asyncio.gather(*(one(code) for code in codes)))


ZERO_AVAILABILITY = {
    "qualified": "0",
    "pending_inspection": "0",
    "defective": "0",
    "wip": "0",
    "reserved": "0",
    "available": "0",
}


async def gather_facts(
    client: ServiceClient, codes: Sequence[str], needed: set[Fact]
) -> dict[str, dict[str, Any]]:
    """Per item code: its facts, exact (decimals), for conditions (`celify`) and actions."""
    wanted = sorted(set(codes))

    async def nothing() -> dict[str, Any]:
        return {}

    # the services are asked at once: their answers overlap
    items, available, open_purchase = await asyncio.gather(
        catalog_items(client, wanted) if Fact.ITEM in needed else nothing(),
        _availability(client, wanted) if Fact.AVAILABILITY in needed else nothing(),
        _open_purchase(client, wanted) if Fact.OPEN_PURCHASE in needed else nothing(),
    )
    facts: dict[str, dict[str, Any]] = {}
    for code in wanted:
        entry: dict[str, Any] = {}
        item = items.get(code)
        if item is not None:
            entry["item"] = {**item, "safety_stock": _decimal(item.get("safety_stock"))}
        if Fact.AVAILABILITY in needed:
            row = available.get(code, ZERO_AVAILABILITY)
            entry["availability"] = {k: _decimal(row.get(k)) for k in ZERO_AVAILABILITY}
        if Fact.OPEN_PURCHASE in needed:
            entry["open_purchase"] = open_purchase.get(code, Decimal(0))
        if item is not None and "availability" in entry:
            shortage = max(
                entry["item"]["safety_stock"] - entry["availability"]["available"], Decimal(0)
            )
            entry["shortage"] = shortage
            entry["suggested_quantity"] = suggested_quantity(shortage, item.get("lot_sizing"))
        facts[code] = entry
    return facts


# --- evaluating -----------------------------------------------------------------------

#: The active rules by database (engine), with the stamp they were read at: rules change
#: rarely, and every pass asks only whether they did (a count and the latest change).
_ACTIVE: weakref.WeakKeyDictionary[Any, tuple[tuple[Any, ...], RuleIndex]] = (
    weakref.WeakKeyDictionary()
)


async def active_rules(session: AsyncSession) -> RuleIndex:
    """The active rules, read again only when a rule was added, changed or switched."""
    stamp = tuple(
        (
            await session.execute(
                select(func.count(Rule.id), func.max(Rule.updated_at), func.sum(Rule.version))
            )
        ).one()
    )
    bind = session.get_bind()
    cached = _ACTIVE.get(bind)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    rows = list(await session.scalars(select(Rule).where(Rule.active.is_(True)).order_by(Rule.id)))
    for row in rows:
        session.expunge(row)
    index = RuleIndex(rows)
    _ACTIVE[bind] = (stamp, index)
    return index


DEFAULT_KEY = "subject.item_code"


def scope_of(rule: Rule) -> tuple[frozenset[str], frozenset[str]]:
    """The categories and item types a rule declares it is for (empty: any)."""
    scope = rule.definition.get("scope") or {}
    return frozenset(scope.get("categories") or []), frozenset(scope.get("item_types") or [])


def in_scope(rule: Rule, item: Mapping[str, Any] | None) -> bool:
    """Whether an item (its `category` and `item_type`) is in the rule's declared scope."""
    return _within(scope_of(rule), item)


def _within(scope: tuple[frozenset[str], frozenset[str]], item: Mapping[str, Any] | None) -> bool:
    categories, types = scope
    category = str((item or {}).get("category") or "")
    item_type = str((item or {}).get("item_type") or "")
    return (not categories or category in categories) and (not types or item_type in types)


class RuleIndex:
    """The active rules by the scope they declare: an item meets only the rules of its
    category and type (and the unscoped ones), in rule order."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        #: Every active rule; `rules` are those of the balance trigger.
        self.all = list(rules)
        self.rules = [rule for rule in rules if not is_scheduled(rule)]
        self.scopes = [scope_of(rule) for rule in self.rules]
        self._cache: dict[tuple[str, str], list[Rule]] = {}

    def rules_for(self, item: Mapping[str, Any] | None) -> list[Rule]:
        category = str((item or {}).get("category") or "")
        item_type = str((item or {}).get("item_type") or "")
        found = self._cache.get((category, item_type))
        if found is None:
            probe = {"category": category, "item_type": item_type}
            found = [
                rule
                for rule, scope in zip(self.rules, self.scopes, strict=True)
                if _within(scope, probe)
            ]
            self._cache[category, item_type] = found
        return found


def _needed(rules: Sequence[Rule]) -> set[Fact]:
    return {Fact(f) for rule in rules for f in rule.definition.get("facts", [])}


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, Decimal)):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return None


#: What a to-do's quantity and an approval's amount hold (18 digits, 6 of them decimals).
STORED_LIMIT = Decimal("1e12")
SIX_PLACES = Decimal("0.000001")


def stored_number(value: Any) -> Decimal | None:
    """A rule's number for a to-do's quantity or a review's amount: rounded to 6 places;
    none when it is not a number, negative, or beyond what the column holds."""
    number = _number(value)
    if number is None or not number.is_finite() or not 0 <= number < STORED_LIMIT:
        return None
    return number.quantize(SIX_PLACES)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


async def plan_actions(
    session: AsyncSession, rule: Rule, activation: Mapping[str, Any], item_code: str
) -> list[PlannedAction]:
    """What the rule's actions would do for this subject (messages and to-dos, rendered)."""
    planned = []
    for action in (ActionIn.model_validate(a) for a in rule.definition["actions"]):
        template = action.template
        try:
            values = {name: _text(evaluate(src, activation)) for name, src in action.values.items()}
        except EvaluationError as exc:
            # the message still goes out, saying what could not be filled in
            template = "rule_fired"
            values = {"rule": rule.name, "key": f"{item_code or '-'}: {exc}"[:500]}
        if action.kind is ActionKind.NOTIFY:
            people = await people_of_role(session, action.to_role) if action.to_role else []
            try:
                link = _text(evaluate(action.link, activation))[:1000] if action.link else ""
            except EvaluationError:
                link = ""  # the message still goes out, without its link
            planned.append(
                PlannedAction(
                    kind=action.kind,
                    detail={
                        "channel": action.channel,
                        "template": template,
                        "values": values,
                        "people": people,
                        "link": link,
                    },
                )
            )
        elif action.kind is ActionKind.TODO:
            assert action.title is not None
            try:
                title = _text(evaluate(action.title, activation))
                quantity = (
                    stored_number(evaluate(action.quantity, activation))
                    if action.quantity
                    else None
                )
            except EvaluationError as exc:
                title, quantity = f"{rule.name}: {item_code} ({exc})", None
            planned.append(
                PlannedAction(
                    kind=action.kind,
                    detail={
                        "todo_type": action.todo_type,
                        "title": title[:500],
                        "item_code": item_code,
                        "quantity": str(quantity) if quantity is not None else None,
                        "assignee": action.assignee or "",
                        "assignee_role": action.assignee_role or "",
                    },
                )
            )
        elif action.kind is ActionKind.START_FLOW:
            assert action.title is not None
            try:
                title = _text(evaluate(action.title, activation))
                amount = (
                    stored_number(evaluate(action.amount, activation)) if action.amount else None
                )
            except EvaluationError as exc:
                title, amount = f"{rule.name}: {item_code or '-'} ({exc})", None
            flow = await flow_for(session, DocumentType.RULE_REVIEW.value)
            planned.append(
                PlannedAction(
                    kind=action.kind,
                    detail={
                        "document_type": DocumentType.RULE_REVIEW.value,
                        "flow": flow.name if flow is not None else None,
                        "title": title[:200],
                        "amount": str(amount) if amount is not None else None,
                        "document": {
                            "rule": rule.code,
                            "rule_name": rule.name,
                            "title": title[:200],
                            "item_code": item_code,
                            "subject": dict(activation["subject"]),
                            "facts": dict(activation["facts"]),
                        },
                    },
                )
            )
        else:
            planned.append(
                PlannedAction(
                    kind=action.kind,
                    detail={
                        "channel": action.channel,
                        "event_type": action.event_type,
                        "payload": {
                            "rule": rule.code,
                            "item_code": item_code,
                            "subject": dict(activation["subject"]),
                            "facts": dict(activation["facts"]),
                        },
                    },
                )
            )
    return planned


async def _act(
    session: AsyncSession,
    rule: Rule,
    episode: Episode,
    planned: list[PlannedAction],
    now: datetime,
) -> None:
    tag = f"rule:{rule.id}:{episode.key}:{episode.fired}"
    for index, action in enumerate(planned):
        detail = action.detail
        if action.kind is ActionKind.NOTIFY:
            await enqueue(
                session,
                [detail["channel"]],
                detail["template"],
                detail["values"],
                link=detail.get("link", ""),
                people=detail["people"],
                dedupe=f"{tag}:{index}",
                now=now,
            )
        elif action.kind is ActionKind.TODO:
            session.add(
                Todo(
                    todo_type=detail["todo_type"],
                    title=detail["title"],
                    item_code=detail["item_code"],
                    quantity=Decimal(detail["quantity"]) if detail["quantity"] else None,
                    link="",
                    assignee=detail["assignee"],
                    assignee_role=detail["assignee_role"],
                    status=TodoStatus.OPEN.value,
                    detail={"rule": rule.code, "key": episode.key},
                    source=tag,
                    created_at=now,
                    created_by=f"rule:{rule.code}",
                )
            )
        elif action.kind is ActionKind.START_FLOW:
            await start_review(session, rule, episode, index, detail, now)
        else:
            payload = {**detail["payload"], "event_type": detail["event_type"]}
            await enqueue(
                session,
                [detail["channel"]],
                "rule_fired",
                {"rule": rule.name, "key": episode.key},
                payload=payload,
                dedupe=f"{tag}:{index}",
                now=now,
            )


async def start_review(
    session: AsyncSession,
    rule: Rule,
    episode: Episode,
    index: int,
    detail: Mapping[str, Any],
    now: datetime,
) -> None:
    """Start an approval of the `rule_review` flow for a firing: recorded `starting`, the
    runner routes it (without a flow it ends `returned`, saying so). One per firing and
    action: its source names the episode and the firing."""
    await session.flush()  # the episode's id
    flow = await flow_for(session, DocumentType.RULE_REVIEW.value)
    amount = detail.get("amount")
    document = {**detail["document"], "id": episode.id, "number": detail["title"][:50]}
    if amount is not None:
        document["amount"] = float(Decimal(amount))
        document["exact_amount"] = amount
    await session.execute(
        dialect_insert(session)(Instance)
        .values(
            source=f"rule:{rule.id}:{episode.id}:{episode.fired}"[:40],
            source_seq=index,
            document_type=DocumentType.RULE_REVIEW.value,
            document_id=episode.id,
            document_number=detail["title"][:50],
            flow_id=flow.id if flow else None,
            status=InstanceStatus.STARTING.value,
            requester=f"rule:{rule.code}",
            context={"document": celify(document), "requester": {}},
            stage_index=-1,
            problem="",
            start_attempts=0,
            submitted_at=now,
            reason="",
            sync_state=SyncState.NONE.value,
            sync_attempts=0,
            version=1,
        )
        .on_conflict_do_nothing(index_elements=["source", "source_seq"])
    )


def activation_of(item_code: str, facts: Mapping[str, Any]) -> dict[str, Any]:
    """What conditions see of an item. The facts `gather_facts` makes hold decimals only
    at known places (the item's safety stock, availability, the derived quantities): those
    are converted directly; anything else (facts given to a dry run) goes through
    `celify`."""
    converted: dict[str, Any] = {}
    for name, value in facts.items():
        if isinstance(value, Decimal):
            converted[name] = float(value)
        elif (
            name == "availability"
            and isinstance(value, Mapping)
            and all(isinstance(v, Decimal) for v in value.values())
        ):
            converted[name] = {k: float(v) for k, v in value.items()}
        elif (
            name == "item"
            and isinstance(value, Mapping)
            and isinstance(value.get("safety_stock"), Decimal)
        ):
            converted[name] = {**value, "safety_stock": float(value["safety_stock"])}
        else:
            converted[name] = celify(value)
    return {"subject": {"item_code": item_code}, "facts": converted}


async def carry(
    session: AsyncSession,
    rule: Rule,
    episode: Episode | None,
    key: str,
    holds: bool,
    item_code: str,
    activation: Mapping[str, Any],
    now: datetime,
) -> Episode | None:
    """Carry one evaluation through its episode: open it and act, or close it; the
    episode as it is now. `activation` is what the condition saw (`activation_of`)."""
    step = episode_step(holds, episode is not None and episode.open)
    if step is EpisodeStep.FIRE:
        if episode is None:
            episode = Episode(rule_id=rule.id, key=key, open=True, opened_at=now, fired=0)
            session.add(episode)
        episode.open = True
        episode.opened_at = now
        episode.closed_at = None
        episode.fired += 1
        episode.facts = {
            **{k: v for k, v in activation["facts"].items() if k != "item"},
            "subject": activation["subject"],
        }
        planned = await plan_actions(session, rule, activation, item_code)
        await _act(session, rule, episode, planned, now)
    elif step is EpisodeStep.CLOSE:
        assert episode is not None
        episode.open = False
        episode.closed_at = now
    return episode


async def evaluate_subjects(
    db: Database, client: ServiceClient, now: datetime | None = None, index: RuleIndex | None = None
) -> int:
    """Evaluate the active balance rules on the items whose stock changed; the number
    of items handled. `index`: the active rules, when the caller has read them."""
    moment = now or utcnow()
    async with db.read() as session:
        marked = list(
            await session.execute(
                select(Subject.item_code, Subject.source_seq)
                .order_by(Subject.changed_at)
                .limit(BATCH)
            )
        )
        if not marked:
            return 0
        if index is None:
            index = await active_rules(session)
    rules = index.rules
    codes = [code for code, _ in marked]
    facts: dict[str, dict[str, Any]] = {}
    if rules:
        try:
            facts = await gather_facts(client, codes, _needed(rules) | {Fact.ITEM})
        except Exception as exc:  # a service down or answering oddly: the items stay
            log.warning("rule_facts_unavailable", items=len(codes), problem=str(exc))
            return 0
    evaluations: list[tuple[Rule, str, str, bool]] = []
    activations: dict[str, dict[str, Any]] = {}
    for code in codes:
        known = facts.get(code, {})
        applicable = index.rules_for(known.get("item"))
        if not applicable:
            continue
        activation = activations[code] = activation_of(code, known)
        # conditions run in Python where they can (about a microsecond each); the
        # interpreter's context is built once per item, only if one of them needs it
        slow = functools.cache(functools.partial(prepared, activation))
        for rule in applicable:
            definition = rule.definition
            source = definition.get("key", DEFAULT_KEY)
            try:
                holds = is_true_fast(definition["condition"], activation, slow)
                key = (
                    code
                    if source == DEFAULT_KEY
                    else _text(evaluate_fast(source, activation, slow))[:200]
                )
            except EvaluationError as exc:
                log.warning("rule_not_evaluated", rule=rule.code, item=code, problem=str(exc))
                continue
            evaluations.append((rule, code, key, holds))
    uow = db.uow(actor="system")
    async with uow:
        session = uow.session
        keys = sorted({key for _, _, key, _ in evaluations})
        # (rule, key) -> (episode id, open): read as columns, locked; rows are loaded
        # only for the few evaluations that change an episode
        states: dict[tuple[int, str], tuple[int | Episode, bool]] = {}
        if keys:
            for episode_id, rule_id, key, is_open in await session.execute(
                select(Episode.id, Episode.rule_id, Episode.key, Episode.open)
                .where(
                    one_of(session, Episode.rule_id, [r.id for r in rules]),
                    one_of(session, Episode.key, keys),
                )
                .order_by(Episode.id)
                .with_for_update()
            ):
                states[rule_id, key] = (episode_id, is_open)
        for rule, code, key, holds in evaluations:
            state = states.get((rule.id, key))
            is_open = state is not None and state[1]
            if holds == is_open:
                continue  # nothing changes: false and closed, or true and still open
            episode: Episode | None = None
            if state is not None:
                held = state[0]
                episode = held if isinstance(held, Episode) else await session.get(Episode, held)
            carried = await carry(
                session, rule, episode, key, holds, code, activations[code], moment
            )
            if carried is not None:
                states[rule.id, key] = (carried, carried.open)
        # an item changed again since the read stays marked
        await session.execute(
            delete(Subject).where(
                tuple_(Subject.item_code, Subject.source_seq).in_(
                    [(code, seq) for code, seq in marked]
                )
            )
        )
        await uow.commit()
    return len(codes)


async def mark_items(session: AsyncSession, codes: Sequence[str], at: datetime, seq: int) -> None:
    """Mark items whose stock changed (one row per item, the latest change wins)."""
    await mark_many(session, {code: (at, seq) for code in codes})


async def mark_many(session: AsyncSession, changes: Mapping[str, tuple[datetime, int]]) -> None:
    """Mark items, each with when and by which event it last changed, in one statement
    (executed for many rows: compiled once, whatever the page holds)."""
    if not changes:
        return
    insert = dialect_insert(session)(Subject)
    statement = insert.on_conflict_do_update(
        index_elements=["item_code"],
        set_={"changed_at": insert.excluded.changed_at, "source_seq": insert.excluded.source_seq},
    )
    await session.execute(
        statement,
        [
            {"item_code": code, "changed_at": at, "source_seq": seq}
            for code, (at, seq) in sorted(changes.items())
        ],
    )


async def dry_run(
    session: AsyncSession, client: ServiceClient, code: str, body: DryRunIn
) -> DryRunOut:
    """What the rule would do for an item now: no episode changes, nothing sent."""
    rule = await rule_named(session, code)
    if body.item_code is None:
        raise InvalidInput(
            "a balance rule is dry-run on an item",
            errors=[FieldError("body.item_code", "required for a balance rule")],
        )
    if body.facts is not None:
        facts = body.facts
    else:
        gathered = await gather_facts(client, [body.item_code], _needed([rule]) | {Fact.ITEM})
        facts = gathered.get(body.item_code, {})
    activation = activation_of(body.item_code, facts)
    if not in_scope(rule, facts.get("item")):
        return DryRunOut(
            rule=code,
            key=body.item_code,
            facts=celify(facts),
            condition=False,
            episode_open=False,
            would_fire=False,
            actions=[],
            problem="the item is outside the rule's scope",
        )
    try:
        holds = is_true(rule.definition["condition"], activation)
        key = _text(evaluate(rule.definition.get("key", "subject.item_code"), activation))
    except EvaluationError as exc:
        return DryRunOut(
            rule=code,
            key="",
            facts=celify(facts),
            condition=False,
            episode_open=False,
            would_fire=False,
            actions=[],
            problem=str(exc),
        )
    episode = (
        await session.scalars(select(Episode).where(Episode.rule_id == rule.id, Episode.key == key))
    ).first()
    open_now = episode is not None and episode.open
    fires = episode_step(holds, open_now) is EpisodeStep.FIRE
    actions = await plan_actions(session, rule, activation, body.item_code) if fires else []
    return DryRunOut(
        rule=code,
        key=key,
        facts=celify(facts),
        condition=holds,
        episode_open=open_now,
        would_fire=fires,
        actions=actions,
    )


async def switch_on(db: Database, codes: Sequence[str]) -> list[str]:
    """Activate the named rules (the shipped ones, by configuration); the codes that do
    not exist are answered back."""
    if not codes:
        return []
    uow = db.uow(actor="system:config")
    async with uow:
        rows = list(
            await uow.session.scalars(
                select(Rule).where(Rule.code.in_(list(codes))).with_for_update()
            )
        )
        switched = [row for row in rows if not row.active]
        for row in switched:
            row.active = True
            row.updated_at = utcnow()
            await uow.audit("switch_on", "rule", row.code)
        # a rule switched on now starts from its next time, not a stale one from before
        await set_clock_rows(uow.session, switched, utcnow(), replace=True)
        await uow.commit()
    found = {row.code for row in rows}
    return [code for code in codes if code not in found]
