"""Workflow benchmarks (a busy approver's inbox, overdue timers at restart), with workflow on
PostgreSQL.

    make bench                      # runs this after the trace benchmark
    .venv/bin/python bench/workflow.py [--scale 1.0] [--samples 200] [--warmup 20]
                                       [--pages 5] [--timers 1000] [--idle-seconds 5]
                                       [--seed 20261128] [--only inbox,timers] [--keep]

Both sections run on one generated approval history in a fresh PostgreSQL database
(`BENCH_POSTGRES_URL`, default postgresql+asyncpg://postgres@127.0.0.1:5432; dropped
afterwards unless `--keep`), migrated with workflow's Alembic migrations and then written
straight into workflow's tables with COPY (foreign key triggers off while loading; the rows
are consistent by construction), then VACUUM ANALYZEd. At scale 1 it holds 200,000
material requisition approvals of 2,000 requesters in 50 departments over the past year,
following the shipped default flow (team leader; director over 10,000; keeper of the
issuing warehouse, each step with its time limit in working hours of the `standard`
calendar): about 1,070,000 tasks, 475,000 steps and as many timers, 1,700,000 history
entries (a 1 GB database). 90 % of the approvals are finished (approved and posted, a few
failed to post; rejected, returned, withdrawn), each decided step with one approver's
decision and the others' tasks cancelled, its timer fired when the decision came after the
time limit (with a `reminded` entry) and cancelled otherwise, as the engine leaves them.
10 % are pending, most of them recent, a tail of old ones stuck.

The measured approver `bench.approver` is a director (with two others) and a keeper of
two of the eight warehouses (with each warehouse's two own keepers and a global one): they
have exactly 10,000 pending tasks (x scale) among about 1,070,000 task rows, nearly all
overdue (the oldest first), about 135,000 decided or cancelled ones, and 20 requests of
their own (3 pending, 1 approved whose posting failed). No due date lies within hours of
the run, so the expected answers do not move while it runs.

inbox: starts the stack the way `make run` does, except that workflow's database is the
generated one and the gateway's rate limit is off; creates the gateway user
`bench.approver` with the admin API (`POST /v1/users`) and logs in (`POST /v1/auth/token`):
every request goes through the gateway with that user's JWT, one at a time. First it walks
the whole inbox by `next_cursor` (every page must hold exactly the next 50 of the user's
pending task ids, oldest first). Then, after `--warmup` (20) requests each, `--samples`
(200) of each of: `GET /v1/inbox/tasks` (first page, default limit), `GET /v1/inbox/counts`,
the page after `--pages` (5) pages, `GET /v1/inbox/tasks?overdue=true` and `overdue=false`
(the filter's worst case here: it skips nearly every pending task); every answer is checked
(task and instance ids, overdue flags; pending, overdue, my requests pending and failed
counts). Target (issue): p99 < 100 ms for the first page and the counts; the later page and
the filters are judged on the same bound. Then the stack idles for `--idle-seconds` (5)
with CPU counted (what the runner's polling costs on this history), and EXPLAIN (ANALYZE,
BUFFERS) of the inbox's and the runner's queries, restated here in SQL, goes into the
results.

timers: with the stack stopped, `--timers` (1,000) more pending approvals are added on top
of the history, each with its pending step, tasks and an overdue `time_limit` timer
(fired_at NULL; due from a minute to four days ago) of a second flow version that
escalates the director step to `duty_manager` (one global holder and one per warehouse)
and approves the keeper step on time-out: 80 % `remind` (team leader steps), 15 %
`escalate` (director), 5 % `approve` (keeper, the last stage: the approval ends approved
and stock is asked to post a requisition it does not have, answers 404, and the runner
records a failed posting). Then the stack starts again (workflow's runner on,
`WORKFLOW_RUNNER_POLL_SECONDS` at its default) while this process polls workflow's
`/readyz` (its port is chosen up front with `tools.run.choose_ports`, as `start_stack`
does) and the timers in the database; the time runs from `/readyz`'s first 200 to the
moment every timer has its fired_at. Target: all fired within 10 s. Checked: every timer
fired, no other timer of the history fired, each approval has exactly one
`reminded`/`escalated`/`auto_approved` entry (the one its timer asks for), each escalated
step got exactly one set of escalation tasks (one per holder), reminded steps still wait
for their approver, auto-approved approvals are approved.

`--scale 0.05` shrinks the history (10,000 approvals, an inbox of 500) for a quick run; the
timers stay 1,000 unless `--timers` says otherwise. Everything runs on this machine: the
load generator, the gateway, the six services and PostgreSQL share its cores; each section
also prints what else ran beside them (any other process above 0.05 cores, from /proc).
Results go to bench/results/workflow-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench.common import (  # noqa: E402
    CpuMeter,
    api_key,
    check_table,
    fmt_cpu,
    pg_dsn,
    pg_execute,
    rank,
    report_verdicts,
)
from tools.machine import machine  # noqa: E402
from tools.run import Stack, choose_ports, ephemeral_port, start_stack  # noqa: E402

TARGETS = {"inbox_p99_ms": 100.0, "timers_s": 10.0}
SECTIONS = ("inbox", "timers")
FULL = {
    "instances": 200_000,
    "pending": 20_000,
    "mine": 10_000,
    "requesters": 2_000,
    "departments": 50,
}
HOST = "127.0.0.1"
USER = "bench.approver"
SYSTEM = "system"
WAREHOUSES = tuple(f"WH{n:02d}" for n in range(1, 9))
MY_WAREHOUSES = WAREHOUSES[:2]
DIRECTORS = (USER, "director-2", "director-3")
GLOBAL_KEEPER = "keeper-all"
DUTY_ROLE = "duty_manager"
SPAN = timedelta(days=365)
#: A pending step's due date is never this close to the run (the expected answers hold).
GUARD_BEFORE, GUARD_AFTER = timedelta(hours=1), timedelta(hours=4)
CHUNK = 5_000
TIMER_ACTIONS = {"remind": "reminded", "escalate": "escalated", "approve": "auto_approved"}
STAGE_OF_ACTION = {"remind": 0, "escalate": 1, "approve": 2}

INSTANCE_COLUMNS = (
    "id",
    "source",
    "source_seq",
    "document_type",
    "document_id",
    "document_number",
    "flow_id",
    "status",
    "requester",
    "amount",
    "context",
    "stage_index",
    "problem",
    "start_attempts",
    "submitted_at",
    "finished_at",
    "reason",
    "sync_state",
    "sync_problem",
    "sync_attempts",
    "next_attempt_at",
    "version",
)
STEP_COLUMNS = (
    "id",
    "instance_id",
    "stage_index",
    "key",
    "name",
    "mode",
    "status",
    "started_at",
    "due_at",
    "finished_at",
    "note",
)
TASK_COLUMNS = (
    "id",
    "instance_id",
    "step_id",
    "assignee",
    "status",
    "origin",
    "created_at",
    "due_at",
    "decided_at",
    "comment",
)
TIMER_COLUMNS = (
    "id", "step_id", "instance_id", "kind", "action", "due_at", "fired_at", "cancelled"
)
HISTORY_COLUMNS = ("id", "instance_id", "at", "actor", "action", "step_key", "comment", "detail")
DEPARTMENT_COLUMNS = ("id", "code", "name", "parent_code", "manager", "version", "created_at")
PERSON_COLUMNS = (
    "id",
    "username",
    "name",
    "department_code",
    "manager",
    "mobile",
    "email",
    "dingtalk_user_id",
    "wecom_user_id",
    "language",
    "active",
    "version",
    "created_at",
)
ROLE_COLUMNS = ("id", "role", "scope", "username", "created_at")
TABLES = {
    "wf_instances": INSTANCE_COLUMNS,
    "wf_steps": STEP_COLUMNS,
    "wf_tasks": TASK_COLUMNS,
    "wf_timers": TIMER_COLUMNS,
    "wf_history": HISTORY_COLUMNS,
}
ORG_TABLES = {
    "wf_departments": DEPARTMENT_COLUMNS,
    "wf_people": PERSON_COLUMNS,
    "wf_role_holders": ROLE_COLUMNS,
}
ITEMS = tuple(
    (f"RM-{n:04d}", f"Part {n}", ("electronics", "metal", "plastic", "packaging")[n % 4])
    for n in range(400)
)
REASONS = ("wrong lot", "quantity too high", "not for this work order", "use the spare stock")


# --------------------------------------------------------------------------- figures


def summary(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(rank(ordered, 95), 1),
        "p99_ms": round(rank(ordered, 99), 1),
        "mean_ms": round(statistics.fmean(ordered), 1),
        "max_ms": round(ordered[-1], 1),
        "min_ms": round(ordered[0], 1),
        "count": len(ordered),
    }


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of process `pid` since it started (Linux /proc; else 0)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Beside:
    """What else ran on the machine during a window: CPU of every process that is not the
    stack, PostgreSQL or this one (Linux /proc; empty elsewhere)."""

    exclude: set[int] = field(default_factory=set)
    _before: dict[int, tuple[float, str]] = field(default_factory=dict)
    _started: float = 0.0

    @staticmethod
    def _snapshot() -> dict[int, tuple[float, str]]:
        out: dict[int, tuple[float, str]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                comm = (entry / "comm").read_text().strip()
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if comm in {"postgres", "postmaster"}:
                continue
            name = " ".join(a.decode(errors="replace") for a in argv[:4] if a)[:120] or comm
            out[int(entry.name)] = (process_cpu_s(int(entry.name)), name)
        return out

    def start(self, exclude: set[int] | None = None) -> None:
        self.exclude = {os.getpid(), *(exclude or set())}
        self._before = self._snapshot()
        self._started = time.monotonic()

    def stop(self, threshold_cores: float = 0.05) -> list[dict[str, Any]]:
        """Processes that used more than `threshold_cores` on average, busiest first."""
        seconds = max(time.monotonic() - self._started, 1e-9)
        busy = []
        for pid, (cpu, name) in self._snapshot().items():
            if pid in self.exclude:
                continue
            used = cpu - self._before.get(pid, (0.0, ""))[0]
            if used / seconds >= threshold_cores:
                busy.append({"pid": pid, "process": name, "cores": round(used / seconds, 2)})
        return sorted(busy, key=lambda row: -row["cores"])


def fmt_beside(busy: list[dict[str, Any]]) -> str:
    if not busy:
        return "  beside: nothing else busy (no other process above 0.05 cores)"
    return "  beside (other processes, cores on average): " + ", ".join(
        f"{row['process']} [{row['pid']}] {row['cores']}" for row in busy[:4]
    )


# --------------------------------------------------------------------------- the history


@dataclass
class StageSpec:
    key: str
    name: str
    step_key: str
    step_name: str
    limit: timedelta
    on_timeout: str


@dataclass
class Rows:
    """One chunk of rows per table."""

    tables: dict[str, list[tuple[Any, ...]]] = field(
        default_factory=lambda: {name: [] for name in TABLES}
    )

    def count(self) -> int:
        return sum(len(rows) for rows in self.tables.values())


@dataclass
class Ids:
    instance: int = 0
    step: int = 0
    task: int = 0
    timer: int = 0
    history: int = 0


@dataclass
class TimerPlan:
    """The overdue timers added for the timers section and what each should do."""

    instance_ids: tuple[int, int] = (0, 0)
    timer_ids: list[int] = field(default_factory=list)  # the overdue ones
    action_of: dict[int, str] = field(default_factory=dict)  # instance id -> timer action
    step_of: dict[int, int] = field(default_factory=dict)  # instance id -> timed step id
    holders: dict[int, list[str]] = field(default_factory=dict)  # escalation holders
    rows: dict[str, int] = field(default_factory=dict)
    due_span_s: tuple[float, float] = (0.0, 0.0)


class History:
    """The generated approval history and what the measured user should see in it."""

    def __init__(
        self,
        scale: float,
        seed: int,
        now: datetime,
        stages: list[StageSpec],
        calendar: Any,
        flow_id: int,
    ) -> None:
        from services.workflow.domain.calendar import add_working_time

        self.add_working_time = add_working_time
        self.rnd = random.Random(seed)
        self.now = now
        self.stages = stages
        self.calendar = calendar
        self.flow_id = flow_id
        self.flow_v2_id = 0
        self.n = max(2_000, round(FULL["instances"] * scale))
        self.pending = max(100, round(FULL["pending"] * scale))
        self.mine = max(50, round(FULL["mine"] * scale))
        self.departments = max(5, round(FULL["departments"] * scale))
        requesters = max(50, round(FULL["requesters"] * scale))
        self.requesters = [f"req-{n:04d}" for n in range(requesters)]
        self.ids = Ids()
        rnd = self.rnd
        # which approvals are pending, and at which stage
        recent = round(self.n * 0.12)
        in_recent = min(recent, round(self.pending * 0.85))
        chosen = rnd.sample(range(self.n - recent, self.n), in_recent)
        chosen += rnd.sample(range(self.n - recent), self.pending - in_recent)
        rnd.shuffle(chosen)
        directors = round(self.pending * 0.15)
        keepers = round(self.pending * 0.60)
        mine_keeping = self.mine - directors
        if not 0 <= mine_keeping <= keepers:
            raise SystemExit("the pending mix cannot give the measured user their inbox")
        self.stage_of: dict[int, int] = {}
        self.mine_keeping: set[int] = set()
        for n, i in enumerate(chosen):
            if n < directors:
                self.stage_of[i] = 1
            elif n < directors + keepers:
                self.stage_of[i] = 2
                if n < directors + mine_keeping:
                    self.mine_keeping.add(i)
            else:
                self.stage_of[i] = 0
        at_leader = [i for i in chosen if self.stage_of[i] == 0]
        finished = rnd.sample([i for i in range(self.n) if i not in self.stage_of], 17)
        self.own_pending = set(at_leader[:3])
        self.own_failed = finished[0]
        self.own = self.own_pending | set(finished)
        # what the user should see
        self.my_pending: list[tuple[int, int, datetime]] = []  # task id, instance id, due
        self.my_decided = 0
        self.rows_written: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()

    # ---- people

    def department(self, requester: str) -> int:
        if requester == USER:
            return 0
        return int(requester.removeprefix("req-")) % self.departments

    def leader(self, requester: str) -> str:
        return f"lead-{self.department(requester):02d}"

    def keepers(self, warehouse: str) -> list[str]:
        mine = [USER] if warehouse in MY_WAREHOUSES else []
        return [f"keeper-{warehouse}", f"keeper-{warehouse}-b", *mine, GLOBAL_KEEPER]

    def approvers(self, stage: int, requester: str, warehouse: str) -> list[str]:
        if stage == 0:
            return [self.leader(requester)]
        if stage == 1:
            return list(DIRECTORS)
        return self.keepers(warehouse)

    def org_rows(self) -> dict[str, list[tuple[Any, ...]]]:
        at = self.now - SPAN - timedelta(days=30)
        departments = [
            (n + 1, f"D{n:02d}", f"Department {n}", None, f"lead-{n:02d}", 1, at)
            for n in range(self.departments)
        ]
        people: list[tuple[Any, ...]] = []

        def person(username: str, department: str | None) -> None:
            people.append(
                (
                    len(people) + 1,
                    username,
                    username.replace("-", " ").title(),
                    department,
                    None,
                    f"138{len(people):08d}",
                    f"{username}@example.com",
                    "",
                    "",
                    "zh",
                    True,
                    1,
                    at,
                )
            )

        for n in range(self.departments):
            person(f"lead-{n:02d}", f"D{n:02d}")
        for name in self.requesters:
            person(name, f"D{self.department(name):02d}")
        person(USER, "D00")
        for name in DIRECTORS[1:]:
            person(name, None)
        for warehouse in WAREHOUSES:
            person(f"keeper-{warehouse}", None)
            person(f"keeper-{warehouse}-b", None)
            person(f"duty-{warehouse}", None)
        person(GLOBAL_KEEPER, None)
        person("duty-all", None)
        roles: list[tuple[Any, ...]] = []

        def hold(role: str, scope: str, username: str) -> None:
            roles.append((len(roles) + 1, role, scope, username, at))

        for name in DIRECTORS:
            hold("director", "", name)
        for warehouse in WAREHOUSES:
            hold("keeper", warehouse, f"keeper-{warehouse}")
            hold("keeper", warehouse, f"keeper-{warehouse}-b")
            if warehouse in MY_WAREHOUSES:
                hold("keeper", warehouse, USER)
        hold("keeper", "", GLOBAL_KEEPER)
        for warehouse in WAREHOUSES:
            hold(DUTY_ROLE, warehouse, f"duty-{warehouse}")
        hold(DUTY_ROLE, "", "duty-all")
        return {"wf_departments": departments, "wf_people": people, "wf_role_holders": roles}

    def duty_holders(self, warehouse: str) -> list[str]:
        """Escalation holders as the engine orders them (role holder id)."""
        return [f"duty-{warehouse}", "duty-all"]

    # ---- one approval

    def due(self, start: datetime, stage: int) -> datetime:
        due: datetime = self.add_working_time(self.calendar, start, self.stages[stage].limit)
        return due

    def context(self, number: int, requester: str, warehouse: str, amount: Decimal) -> str:
        rnd = self.rnd
        lines = []
        left = amount
        count = rnd.randint(1, 4)
        for n in range(count):
            code, name, category = ITEMS[rnd.randrange(len(ITEMS))]
            value = left if n == count - 1 else (left / (count - n)).quantize(Decimal("0.01"))
            left -= value
            quantity = rnd.randint(1, 200)
            lines.append(
                {
                    "line_no": n + 1,
                    "item_code": code,
                    "quantity": float(quantity),
                    "lot_number": None,
                    "unit_cost": float(value / quantity),
                    "value": float(value),
                    "item": {
                        "code": code,
                        "name": name,
                        "category": category,
                        "item_type": "raw_material",
                        "uom": "pcs",
                    },
                }
            )
        document = {
            "type": "material_requisition",
            "id": number,
            "number": f"MR-{number:07d}",
            "work_order": f"WO-{number // 3:06d}",
            "from_location_code": f"{warehouse}-ST{number % 3}",
            "to_location_code": f"LINE-{number % 6}",
            "warehouse_code": warehouse,
            "note": "",
            "created_by": f"user:{requester}",
            "submitted_by": f"user:{requester}",
            "amount": float(amount),
            "exact_amount": str(amount.quantize(Decimal("0.000001"))),
            "lines": lines,
        }
        facts = {
            "username": requester,
            "name": requester.replace("-", " ").title(),
            "department": f"D{self.department(requester):02d}",
            "manager": self.leader(requester),
        }
        return orjson.dumps({"document": document, "requester": facts}).decode()

    def approval(
        self,
        rows: Rows,
        *,
        submitted: datetime,
        requester: str,
        warehouse: str,
        amount: Decimal,
        outcome: str,
        stop_stage: int,
        failed: bool = False,
        flow_id: int | None = None,
        timer_action: str | None = None,
        due_before: datetime | None = None,
    ) -> tuple[int, int]:
        """Rows of one approval: `outcome` pending (waiting at `stop_stage`), approved,
        rejected, returned or withdrawn (at `stop_stage`). With `timer_action`, the
        pending step's timer is that action, due before `due_before`, not fired yet.
        Returns the instance id and the last step's id."""
        rnd = self.rnd
        ids = self.ids
        ids.instance += 1
        instance_id = ids.instance
        t = rows.tables
        big = amount > 10_000
        entered = [s for s in range(3) if s != 1 or big]
        last_stage = stop_stage if outcome != "approved" else 2
        # the timeline: how long each decision took; moved back when it would end too late
        waits = [timedelta(minutes=2)] + [
            timedelta(hours=rnd.expovariate(1 / 12)) + timedelta(minutes=5) for _ in range(3)
        ]
        steps = [s for s in entered if s <= last_stage]
        base = submitted
        while True:
            starts: dict[int, datetime] = {}
            clock = base + waits[0]
            for n, stage in enumerate(steps):
                starts[stage] = clock
                clock = clock + waits[n + 1]
            end = clock if outcome != "pending" else starts[steps[-1]]
            if end > self.now - timedelta(minutes=10):
                base -= end - (self.now - timedelta(minutes=10)) + timedelta(hours=rnd.random())
                continue
            if outcome == "pending":
                due = self.due(starts[steps[-1]], steps[-1])
                if due_before is not None and due >= due_before:
                    base -= timedelta(hours=6)
                    continue
                if due_before is None and self.now - GUARD_BEFORE < due < self.now + GUARD_AFTER:
                    base -= timedelta(days=1)
                    continue
            break
        flow = flow_id or self.flow_id
        history: list[tuple[Any, ...]] = []

        def say(at: datetime, actor: str, action: str, key: str = "", comment: str = "",
                **detail: Any) -> None:
            ids.history += 1
            history.append(
                (ids.history, instance_id, at, actor, action, key, comment,
                 orjson.dumps(detail).decode())
            )

        version_name = "Material requisition (default)" if flow == self.flow_id else "bench v2"
        say(base, f"user:{requester}", "submitted", flow=version_name,
            version=1 if flow == self.flow_id else 2)
        status = "pending"
        finished_at: datetime | None = None
        reason = ""
        step_id = 0
        for stage in range(3):
            spec = self.stages[stage]
            if stage > last_stage:
                break
            if stage == 1 and not big:
                say(starts[2], SYSTEM, "stage_skipped", spec.key,
                    "condition false: document.amount > 10000")
                continue
            start = starts[stage]
            due = self.due(start, stage)
            names = self.approvers(stage, requester, warehouse)
            ids.step += 1
            step_id = ids.step
            say(start, SYSTEM, "step_started", spec.step_key, "", approvers=names,
                due_at=due.isoformat())
            waiting = outcome == "pending" and stage == last_stage
            decided = start + waits[steps.index(stage) + 1]
            ids.timer += 1
            if waiting:
                if timer_action is not None:
                    t["wf_timers"].append(
                        (ids.timer, step_id, instance_id, "time_limit", timer_action, due, None,
                         False)
                    )
                elif due < self.now:
                    fired = due + timedelta(seconds=rnd.randint(1, 50))
                    t["wf_timers"].append(
                        (ids.timer, step_id, instance_id, "time_limit", spec.on_timeout, due,
                         fired, False)
                    )
                    say(fired, SYSTEM, "reminded", spec.step_key, "time limit passed",
                        waiting=names)
                else:
                    t["wf_timers"].append(
                        (ids.timer, step_id, instance_id, "time_limit", spec.on_timeout, due,
                         None, False)
                    )
                t["wf_steps"].append(
                    (step_id, instance_id, stage, spec.step_key, spec.step_name, "any", "pending",
                     start, due, None, "")
                )
                for name in names:
                    ids.task += 1
                    t["wf_tasks"].append(
                        (ids.task, instance_id, step_id, name, "pending", "flow", start, due, None,
                         "")
                    )
                    if name == USER and timer_action is None:
                        self.my_pending.append((ids.task, instance_id, due))
                break
            # decided (or withdrawn) at `decided`
            if decided > due:
                fired = due + timedelta(seconds=rnd.randint(1, 50))
                t["wf_timers"].append(
                    (ids.timer, step_id, instance_id, "time_limit", spec.on_timeout, due, fired,
                     False)
                )
                say(fired, SYSTEM, "reminded", spec.step_key, "time limit passed",
                    waiting=names)
            else:
                t["wf_timers"].append(
                    (ids.timer, step_id, instance_id, "time_limit", spec.on_timeout, due, None,
                     True)
                )
            closing = "approved" if outcome == "approved" or stage < last_stage else outcome
            decider = rnd.randrange(len(names)) if closing != "withdrawn" else -1
            if stage == 2 and closing != "withdrawn":
                decider = rnd.randrange(2) if rnd.random() < 0.7 else decider
            comment = rnd.choice(REASONS) if closing in ("rejected", "returned") else ""
            for n, name in enumerate(names):
                ids.task += 1
                task_status = closing if n == decider else "cancelled"
                t["wf_tasks"].append(
                    (ids.task, instance_id, step_id, name, task_status, "flow", start, due,
                     decided, comment if n == decider else "")
                )
                if name == USER:
                    self.my_decided += 1
            step_status = "cancelled" if closing == "withdrawn" else closing
            t["wf_steps"].append(
                (step_id, instance_id, stage, spec.step_key, spec.step_name, "any", step_status,
                 start, due, decided, "")
            )
            if closing == "withdrawn":
                reason = "not needed any more"
                say(decided, f"user:{requester}", "withdrawn", "", reason)
            else:
                say(decided, f"user:{names[decider]}", closing, spec.step_key, comment)
            if closing != "approved":
                status, finished_at = closing, decided
                reason = reason or comment
                if closing != "withdrawn":
                    say(decided, f"user:{names[decider]}", closing, "", comment)
                break
        else:
            status, finished_at = "approved", clock
            say(clock, SYSTEM, "approved")
        sync_state, sync_problem, sync_attempts = "none", None, 0
        if status != "pending":
            assert finished_at is not None
            sync_attempts = 1
            sync_state = "failed" if failed else "done"
            if status == "approved":
                action = "posting_failed" if failed else "posted"
            else:
                action = "return_failed" if failed else "returned_to_draft"
            if failed:
                sync_problem = orjson.dumps(
                    {"code": "insufficient_stock", "status": 409,
                     "detail": "not enough qualified stock"}
                ).decode()
            say(finished_at + timedelta(seconds=2), SYSTEM, action,
                comment="not enough qualified stock" if failed else "")
        number = 100_000 + instance_id
        t["wf_instances"].append(
            (
                instance_id,
                "stock",
                instance_id * 2,
                "material_requisition",
                number,
                f"MR-{number:07d}",
                flow,
                status,
                f"user:{requester}",
                amount,
                self.context(number, requester, warehouse, amount),
                last_stage if status != "approved" else 2,
                "",
                0,
                base,
                finished_at,
                reason,
                sync_state,
                sync_problem,
                sync_attempts,
                None,
                2 + len(steps),
            )
        )
        t["wf_history"].extend(history)
        self.statuses[status] += 1
        return instance_id, step_id

    def amount(self, big: bool | None = None) -> Decimal:
        if big is None:
            big = self.rnd.random() < 0.5
        cents = self.rnd.randrange(1_000_001, 8_000_000) if big else self.rnd.randrange(
            10_000, 1_000_000
        )
        return Decimal(cents) / 100

    def chunk(self, first: int, last: int) -> Rows:
        """Rows of approvals `first .. last-1` (in submission order)."""
        rnd = self.rnd
        rows = Rows()
        step = (SPAN - timedelta(days=1)) / self.n
        for i in range(first, last):
            submitted = self.now - SPAN + step * i
            requester = USER if i in self.own else rnd.choice(self.requesters)
            stage = self.stage_of.get(i)
            if stage is not None:
                if stage == 2:
                    choices = MY_WAREHOUSES if i in self.mine_keeping else WAREHOUSES[2:]
                    warehouse = rnd.choice(choices)
                else:
                    warehouse = rnd.choice(WAREHOUSES)
                self.approval(
                    rows,
                    submitted=submitted,
                    requester=requester,
                    warehouse=warehouse,
                    amount=self.amount(True if stage == 1 else None),
                    outcome="pending",
                    stop_stage=stage,
                )
                continue
            draw = rnd.random()
            outcome = (
                "approved" if draw < 0.88 or i == self.own_failed
                else "rejected" if draw < 0.94
                else "returned" if draw < 0.97
                else "withdrawn"
            )
            failed = i == self.own_failed or (
                outcome == "approved" and i not in self.own and rnd.random() < 0.005
            )
            amount = self.amount()
            stops = [0, 2] if amount <= 10_000 else [0, 1, 2]
            self.approval(
                rows,
                submitted=submitted,
                requester=requester,
                warehouse=rnd.choice(WAREHOUSES),
                amount=amount,
                outcome=outcome,
                stop_stage=rnd.choice(stops),
                failed=failed,
            )
        return rows

    # ---- what the user should see

    @property
    def overdue(self) -> list[tuple[int, int, datetime]]:
        return [row for row in self.my_pending if row[2] < self.now]

    # ---- the timers section

    def timer_chunk(self, count: int, restart: datetime) -> tuple[Rows, TimerPlan]:
        rnd = self.rnd
        rows = Rows()
        plan = TimerPlan()
        escalate = round(count * 0.15)
        approve = round(count * 0.05)
        actions = ["escalate"] * escalate + ["approve"] * approve
        actions += ["remind"] * (count - len(actions))
        rnd.shuffle(actions)
        first_instance = self.ids.instance + 1
        dues: list[float] = []
        for action in actions:
            stage = STAGE_OF_ACTION[action]
            # the step's time limit (working hours from its start) ran out before the restart
            submitted = restart - timedelta(minutes=rnd.uniform(60, 4 * 24 * 60))
            requester = rnd.choice(self.requesters)
            warehouse = rnd.choice(WAREHOUSES)
            instance_id, step_id = self.approval(
                rows,
                submitted=submitted - timedelta(hours=24 * stage),
                requester=requester,
                warehouse=warehouse,
                amount=self.amount(True if stage == 1 else None),
                outcome="pending",
                stop_stage=stage,
                flow_id=self.flow_v2_id,
                timer_action=action,
                due_before=restart - timedelta(minutes=1),
            )
            plan.action_of[instance_id] = action
            plan.step_of[instance_id] = step_id
            if action == "escalate":
                plan.holders[instance_id] = self.duty_holders(warehouse)
            timer = rows.tables["wf_timers"][-1]  # the waiting step's, the last one written
            assert timer[1] == step_id and timer[6] is None
            plan.timer_ids.append(timer[0])
            dues.append((restart - timer[5]).total_seconds())
        plan.instance_ids = (first_instance, self.ids.instance)
        plan.due_span_s = (round(min(dues), 1), round(max(dues), 1))
        return rows, plan


def build_stages(definition: dict[str, Any]) -> list[StageSpec]:
    from services.workflow.schemas import StageIn

    stages = [StageIn.model_validate(s) for s in definition["stages"]]
    if [s.key for s in stages] != ["team_leader", "director", "keeper"]:
        raise SystemExit("the shipped flow changed its stages; bench/workflow.py needs updating")
    out = []
    for stage in stages:
        step = stage.steps[0]
        assert step.time_limit_hours is not None
        out.append(
            StageSpec(
                stage.key,
                stage.name,
                step.key,
                step.name,
                timedelta(seconds=int(step.time_limit_hours * 3600)),
                step.on_timeout.value,
            )
        )
    return out


def flow_v2(definition: dict[str, Any]) -> dict[str, Any]:
    """The shipped flow whose director step escalates and whose keeper step approves on
    time-out, as the flows API would store it."""
    from services.workflow.schemas import FlowIn, TimeoutAction

    body = FlowIn.model_validate(
        {**definition, "document_type": "material_requisition", "name": "bench v2"}
    )
    body.stages[1].steps[0].on_timeout = TimeoutAction.ESCALATE
    body.stages[1].steps[0].escalate_to_role = DUTY_ROLE
    body.stages[2].steps[0].on_timeout = TimeoutAction.APPROVE
    FlowIn.model_validate(body.model_dump())  # still a valid flow
    return body.model_dump(mode="json", exclude={"document_type", "name", "activate"})


# --------------------------------------------------------------------------- loading


async def copy_rows(connection: Any, tables: dict[str, list[tuple[Any, ...]]],
                    columns: dict[str, tuple[str, ...]], counts: Counter[str]) -> None:
    for table, records in tables.items():
        if records:
            await connection.copy_records_to_table(table, records=records, columns=columns[table])
            counts[table] += len(records)


async def reset_sequences(connection: Any) -> None:
    for table in (*TABLES, *ORG_TABLES, "wf_flows"):
        await connection.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
        )


async def prepare(dsn: str, scale: float, seed: int) -> tuple[History, dict[str, Any]]:
    """Generate the history into workflow's (migrated, empty) database."""
    import asyncpg

    from services.workflow.db.models import Calendar
    from services.workflow.usecases.org import working_calendar

    connection = await asyncpg.connect(dsn)
    try:
        for table, columns in {**TABLES, **ORG_TABLES}.items():
            await check_table(connection, table, columns, "bench/workflow.py")
        if await connection.fetchval("SELECT count(*) FROM wf_instances"):
            raise SystemExit("workflow's database is not empty; the bench needs a fresh one")
        shipped = await connection.fetchrow(
            "SELECT id, definition FROM wf_flows"
            " WHERE document_type = 'material_requisition' AND version = 1"
        )
        definition = orjson.loads(shipped["definition"])
        row = await connection.fetchrow(
            "SELECT timezone, week, holidays, extra_workdays, extra_day_hours FROM wf_calendars"
            " WHERE code = $1",
            definition.get("calendar_code", "standard"),
        )
        calendar = working_calendar(
            Calendar(
                timezone=row["timezone"],
                week=orjson.loads(row["week"]),
                holidays=orjson.loads(row["holidays"]),
                extra_workdays=orjson.loads(row["extra_workdays"]),
                extra_day_hours=row["extra_day_hours"],
            )
        )
        now = datetime.now(UTC)
        history = History(scale, seed, now, build_stages(definition), calendar, shipped["id"])
        started = time.perf_counter()
        generate_s = 0.0
        async with connection.transaction():
            await connection.execute("SET LOCAL session_replication_role = replica")
            history.flow_v2_id = await connection.fetchval(
                "INSERT INTO wf_flows (document_type, version, name, definition, active,"
                " created_at, created_by) VALUES ('material_requisition', 2, $1, $2, false,"
                " $3, 'user:admin') RETURNING id",
                "Material requisition (bench: escalate director, approve keeper)",
                orjson.dumps(flow_v2(definition)).decode(),
                now - timedelta(days=1),
            )
            await copy_rows(connection, history.org_rows(), ORG_TABLES, history.rows_written)
            for first in range(0, history.n, CHUNK):
                began = time.perf_counter()
                rows = history.chunk(first, min(first + CHUNK, history.n))
                generate_s += time.perf_counter() - began
                await copy_rows(connection, rows.tables, TABLES, history.rows_written)
            await reset_sequences(connection)
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        for table in (*TABLES, *ORG_TABLES):
            await connection.execute(f"VACUUM (ANALYZE) {table}")
        analyze_s = time.perf_counter() - started
        check = await connection.fetchrow(
            "SELECT"
            " (SELECT count(*) FROM wf_tasks WHERE assignee = $1 AND status = 'pending') pending,"
            " (SELECT count(*) FROM wf_tasks WHERE assignee = $1 AND status = 'pending'"
            "   AND due_at < $2) overdue,"
            " (SELECT count(*) FROM wf_tasks WHERE assignee = $1) tasks,"
            " (SELECT count(*) FROM wf_timers WHERE fired_at IS NULL AND NOT cancelled"
            "   AND due_at <= $2) due_timers,"
            " (SELECT count(*) FROM wf_timers WHERE fired_at IS NULL AND cancelled) cancelled,"
            " pg_database_size(current_database()) size",
            USER,
            now,
        )
    finally:
        await connection.close()
    if check["pending"] != len(history.my_pending) or check["overdue"] != len(history.overdue):
        raise SystemExit(f"the generated history is wrong: {dict(check)}")
    if check["due_timers"]:
        raise SystemExit(f"the generated history has {check['due_timers']} timers due")
    return history, {
        "approvals": history.n,
        "statuses": dict(history.statuses),
        "rows": dict(history.rows_written),
        "measured_user": {
            "username": USER,
            "pending_tasks": len(history.my_pending),
            "overdue_tasks": len(history.overdue),
            "all_tasks": check["tasks"],
            "own_requests": len(history.own),
        },
        "timers_cancelled_unfired": check["cancelled"],
        "generate_s": round(generate_s, 1),
        "load_s": round(load_s, 1),
        "vacuum_analyze_s": round(analyze_s, 1),
        "database_mb": round(check["size"] / 1e6),
    }


async def load_timers(dsn: str, history: History, count: int) -> TimerPlan:
    """Add `count` pending approvals with overdue timers (the service is stopped)."""
    import asyncpg

    rows, plan = history.timer_chunk(count, datetime.now(UTC))
    connection = await asyncpg.connect(dsn)
    written: Counter[str] = Counter()
    try:
        async with connection.transaction():
            await connection.execute("SET LOCAL session_replication_role = replica")
            await copy_rows(connection, rows.tables, TABLES, written)
            await reset_sequences(connection)
        due = await connection.fetchval(
            "SELECT count(*) FROM wf_timers WHERE fired_at IS NULL AND NOT cancelled"
            " AND due_at <= now()"
        )
    finally:
        await connection.close()
    if due != count:
        raise SystemExit(f"{due} timers are due, {count} were added")
    plan.rows = dict(written)
    return plan


# --------------------------------------------------------------------------- inbox


def expect(response: httpx.Response, status: int, what: str) -> Any:
    if response.status_code != status:
        raise SystemExit(f"{what}: {response.status_code} {response.text[:2000]}")
    return orjson.loads(response.content)


async def log_in(client: httpx.AsyncClient, username: str, password: str) -> str:
    token = expect(
        await client.post("/v1/auth/token", data={"username": username, "password": password}),
        200,
        f"log in as {username}",
    )
    return str(token["access_token"])


def page_problem(
    body: dict[str, Any], expected: list[tuple[int, int, datetime]], more: bool
) -> str:
    """What is wrong with an inbox page ('' when nothing is)."""
    items = body["items"]
    got = [(t["task_id"], t["instance_id"]) for t in items]
    want = [(task, instance) for task, instance, _ in expected]
    if got != want:
        return f"ids {got[:3]}... ({len(got)}), expected {want[:3]}... ({len(want)})"
    now = datetime.now(UTC)
    flags = [t["overdue"] for t in items]
    if flags != [due < now for _, _, due in expected]:
        return "overdue flags differ"
    if (body["next_cursor"] is not None) != more:
        return f"next_cursor {body['next_cursor']!r}"
    return ""


async def timed_block(
    client: httpx.AsyncClient,
    stack: Stack,
    name: str,
    path: str,
    params: dict[str, str],
    check: Any,
    args: argparse.Namespace,
) -> dict[str, Any]:
    for _ in range(args.warmup):
        expect(await client.get(path, params=params), 200, f"{name} warm-up")
    latencies: list[float] = []
    problems: list[str] = []
    sizes: list[int] = []
    cpu = CpuMeter.of(stack)
    cpu.start()
    for _ in range(args.samples):
        started = time.perf_counter()
        response = await client.get(path, params=params)
        latencies.append((time.perf_counter() - started) * 1000)
        body = expect(response, 200, name)
        sizes.append(len(response.content))
        problem = check(body)
        if problem:
            problems.append(problem)
    cpu.stop()
    figures = summary(latencies)
    cpu_ms = cpu.per_unit_ms(len(latencies))
    print(
        f"inbox {name}: {len(latencies)} requests, p50 {figures['p50_ms']} ms, p95 "
        f"{figures['p95_ms']} ms, p99 {figures['p99_ms']} ms, max {figures['max_ms']} ms, "
        f"answer {statistics.median(sizes)} bytes; "
        f"{'answers ok' if not problems else f'{len(problems)} WRONG: {problems[0]}'}",
        flush=True,
    )
    print(fmt_cpu("request", cpu_ms), flush=True)
    return {
        "path": path,
        "params": params,
        **figures,
        "answer_bytes_p50": statistics.median(sizes),
        "cpu_ms_per_request": cpu_ms,
        "wrong_answers": len(problems),
        "examples": problems[:3],
        "target": f"p99 < {TARGETS['inbox_p99_ms']:.0f} ms",
        "met": figures["p99_ms"] < TARGETS["inbox_p99_ms"] and not problems,
    }


#: The inbox's and the runner's queries as the service issues them (restated in SQL).
EXPLAINED = {
    "inbox_first_page": (
        "SELECT t.*, s.*, i.* FROM wf_tasks t JOIN wf_steps s ON s.id = t.step_id"
        " JOIN wf_instances i ON i.id = t.instance_id"
        " WHERE t.assignee = $1 AND t.status = 'pending' ORDER BY t.id LIMIT 51"
    ),
    "inbox_overdue_page": (
        "SELECT t.*, s.*, i.* FROM wf_tasks t JOIN wf_steps s ON s.id = t.step_id"
        " JOIN wf_instances i ON i.id = t.instance_id"
        " WHERE t.assignee = $1 AND t.status = 'pending' AND t.due_at IS NOT NULL"
        " AND t.due_at < now() ORDER BY t.id LIMIT 51"
    ),
    "inbox_on_time_page": (
        "SELECT t.*, s.*, i.* FROM wf_tasks t JOIN wf_steps s ON s.id = t.step_id"
        " JOIN wf_instances i ON i.id = t.instance_id"
        " WHERE t.assignee = $1 AND t.status = 'pending'"
        " AND (t.due_at IS NULL OR t.due_at >= now()) ORDER BY t.id LIMIT 51"
    ),
    "counts_pending": (
        "SELECT count(*) FROM wf_tasks WHERE assignee = $1 AND status = 'pending'"
    ),
    "counts_overdue": (
        "SELECT count(*) FROM wf_tasks WHERE assignee = $1 AND status = 'pending'"
        " AND due_at IS NOT NULL AND due_at < now()"
    ),
    "counts_my_requests": (
        "SELECT count(*) FROM wf_instances WHERE requester = 'user:' || $1"
        " AND status IN ('pending', 'starting')"
    ),
    "runner_due_timers": (
        "SELECT id, instance_id FROM wf_timers WHERE fired_at IS NULL AND cancelled IS false"
        " AND due_at <= now() ORDER BY due_at, id LIMIT 50"
    ),
    "runner_starting": (
        "SELECT id FROM wf_instances WHERE status = 'starting'"
        " AND (next_attempt_at IS NULL OR next_attempt_at <= now()) ORDER BY id LIMIT 50"
    ),
    "runner_syncs": (
        "SELECT id FROM wf_instances WHERE sync_state = 'pending'"
        " AND (next_attempt_at IS NULL OR next_attempt_at <= now()) ORDER BY id LIMIT 50"
    ),
}


async def explain(dsn: str) -> dict[str, Any]:
    import asyncpg

    connection = await asyncpg.connect(dsn)
    out: dict[str, Any] = {}
    try:
        for name, sql in EXPLAINED.items():
            arguments = [USER] if "$1" in sql else []
            await connection.fetch(sql, *arguments)  # warm, as a running service is
            text = [
                row[0]
                for row in await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *arguments)
            ]
            timing = next(line for line in text if line.startswith("Execution Time"))
            out[name] = {
                "sql": sql,
                "execution_ms": float(timing.split(":")[1].split()[0]),
                "plan": text,
            }
    finally:
        await connection.close()
    return out


async def inbox_run(stack: Stack, history: History, dsn: str, args: argparse.Namespace
                    ) -> dict[str, Any]:
    key = await api_key(stack, "bench-workflow")
    password = f"Bench-{secrets.token_urlsafe(18)}"
    results: dict[str, Any] = {}
    mine = sorted(history.my_pending)
    overdue = [row for row in mine if row[2] < history.now]
    on_time = [row for row in mine if row[2] >= history.now]
    limit = 50
    beside = Beside()
    beside.start({proc.process.pid for proc in stack.processes.values()})
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=120) as client:
        expect(
            await client.post(
                "/v1/users",
                json={"username": USER, "password": password, "roles": ["planner"]},
                headers={"Authorization": f"Bearer {key}"},
            ),
            201,
            f"create the gateway user {USER}",
        )
        client.headers["Authorization"] = f"Bearer {await log_in(client, USER, password)}"
        # the whole inbox, page by page
        cursors: list[str | None] = [None]
        walk_ms: list[float] = []
        wrong: list[str] = []
        while True:
            params = {"cursor": cursors[-1]} if cursors[-1] else {}
            started = time.perf_counter()
            response = await client.get("/v1/inbox/tasks", params=params)
            walk_ms.append((time.perf_counter() - started) * 1000)
            body = expect(response, 200, f"inbox page {len(cursors)}")
            at = (len(cursors) - 1) * limit
            problem = page_problem(body, mine[at : at + limit], at + limit < len(mine))
            if problem:
                wrong.append(f"page {len(cursors)}: {problem}")
            if body["next_cursor"] is None or len(cursors) > len(mine) // limit + 2:
                break
            cursors.append(body["next_cursor"])
        walk = summary(walk_ms)
        print(
            f"inbox walk: {len(walk_ms)} pages of {limit} ({len(mine)} pending tasks) in "
            f"{sum(walk_ms) / 1000:.1f} s, per page p50 {walk['p50_ms']} ms, p99 "
            f"{walk['p99_ms']} ms, max {walk['max_ms']} ms; "
            f"{'every page ok' if not wrong else f'{len(wrong)} WRONG: {wrong[0]}'}",
            flush=True,
        )
        results["walk"] = {**walk, "pages": len(walk_ms), "wrong_pages": wrong[:5]}
        # the same user logs in afresh (a token lives 15 minutes)
        client.headers["Authorization"] = f"Bearer {await log_in(client, USER, password)}"
        later = min(args.pages, len(cursors) - 1)
        later_cursor = cursors[later]
        assert later_cursor is not None or later == 0
        at = later * limit
        expected_counts = {
            "pending": len(mine),
            "overdue": len(overdue),
            "my_requests_pending": len(history.own_pending),
            "my_requests_failed": 1,
        }

        def counts_problem(body: dict[str, Any]) -> str:
            return "" if body == expected_counts else f"{body}, expected {expected_counts}"

        blocks: list[tuple[str, dict[str, str], Any]] = [
            (
                "first page",
                {},
                lambda body: page_problem(body, mine[:limit], len(mine) > limit),
            ),
            ("counts", {}, counts_problem),
            (
                f"page {later + 1}",
                {"cursor": later_cursor} if later_cursor else {},
                lambda body: page_problem(body, mine[at : at + limit], at + limit < len(mine)),
            ),
            (
                "overdue first page",
                {"overdue": "true"},
                lambda body: page_problem(body, overdue[:limit], len(overdue) > limit),
            ),
            (
                "on-time first page",
                {"overdue": "false"},
                lambda body: page_problem(body, on_time[:limit], len(on_time) > limit),
            ),
        ]
        for name, params, check in blocks:
            path = "/v1/inbox/counts" if name == "counts" else "/v1/inbox/tasks"
            key_name = name.replace(" ", "_")
            results[key_name] = await timed_block(
                client, stack, name, path, params, check, args
            )
            results[key_name]["label"] = name
    results["beside"] = beside.stop()
    print(fmt_beside(results["beside"]), flush=True)
    if args.idle_seconds > 0:
        cpu = CpuMeter.of(stack)
        cpu.start()
        await asyncio.sleep(args.idle_seconds)
        cpu.stop()
        per_s = {
            name: round(1000 * spent / args.idle_seconds, 1) for name, spent in cpu.spent_s.items()
        }
        print(
            f"idle {args.idle_seconds:g} s (the runner and feed consumer polling on this "
            "history): CPU ms per second: " + ", ".join(f"{k} {v}" for k, v in per_s.items()),
            flush=True,
        )
        results["idle_cpu_ms_per_s"] = per_s
    results["explain"] = await explain(dsn)
    print(
        "EXPLAIN ANALYZE (ms): "
        + ", ".join(f"{name} {x['execution_ms']}" for name, x in results["explain"].items()),
        flush=True,
    )
    return results


# --------------------------------------------------------------------------- timers


@dataclass
class Watch:
    """Moments (time.monotonic) seen by the pollers while the stack starts."""

    ready_at: float | None = None
    first_fired_at: float | None = None
    all_fired_at: float | None = None
    fired: int = 0
    fired_at_ready: int | None = None  # as the database poller last saw it
    polls: int = 0
    error: str = ""
    #: CPU from /readyz to the last fire (workflow's process found by its port)
    cpu: CpuMeter | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def pid_listening(module: str, port: int) -> int | None:
    """The uvicorn process serving `module` on `port` (by its command line; Linux)."""
    wanted = ("--port", str(port))
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if any(module in arg for arg in argv) and any(
            argv[n : n + 2] == list(wanted) for n in range(len(argv) - 1)
        ):
            return int(entry.name)
    return None


def watch_ready(url: str, port: int, watch: Watch, stop: threading.Event) -> None:
    """Poll workflow's /readyz until it answers 200; then start counting CPU."""
    with httpx.Client(timeout=1.0) as client:
        while not stop.is_set():
            try:
                if client.get(url).status_code == 200:
                    watch.ready_at = time.monotonic()
                    watch.fired_at_ready = watch.fired
                    pid = pid_listening("services.workflow.app", port)
                    with watch.lock:
                        if watch.all_fired_at is None:
                            watch.cpu = CpuMeter({"workflow": pid} if pid else {})
                            watch.cpu.start()
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.005)


def watch_timers(dsn: str, ids: list[int], watch: Watch, stop: threading.Event,
                 deadline: float) -> None:
    """Poll the database until every timer of `ids` has fired (or the deadline)."""

    async def run() -> None:
        import asyncpg

        connection = await asyncpg.connect(dsn)
        total = len(ids)
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                fired = await connection.fetchval(
                    "SELECT count(fired_at) FROM wf_timers WHERE id = ANY($1::bigint[])", ids
                )
                now = time.monotonic()
                watch.polls += 1
                watch.fired = fired
                if fired and watch.first_fired_at is None:
                    watch.first_fired_at = now
                if fired >= total:
                    with watch.lock:
                        watch.all_fired_at = now
                        if watch.cpu is not None:
                            watch.cpu.stop()
                    return
                await asyncio.sleep(0.02)
        finally:
            await connection.close()

    try:
        asyncio.run(run())
    except Exception as exc:  # reported with the results
        watch.error = repr(exc)


async def verify_timers(dsn: str, plan: TimerPlan, restart: datetime, settle_s: float
                        ) -> dict[str, Any]:
    import asyncpg

    first, last = plan.instance_ids
    connection = await asyncpg.connect(dsn)
    try:
        approving = [i for i, action in plan.action_of.items() if action == "approve"]
        # let the runner tell stock about the auto-approved ones (it answers 404)
        deadline = time.monotonic() + settle_s
        while time.monotonic() < deadline:
            waiting = await connection.fetchval(
                "SELECT count(*) FROM wf_instances WHERE id = ANY($1::bigint[])"
                " AND sync_state = 'pending'",
                approving,
            )
            if not waiting:
                break
            await asyncio.sleep(0.2)
        fired = await connection.fetchval(
            "SELECT count(fired_at) FROM wf_timers WHERE id = ANY($1::bigint[])", plan.timer_ids
        )
        others = await connection.fetchval(
            "SELECT count(*) FROM wf_timers WHERE id <> ALL($1::bigint[]) AND fired_at >= $2",
            plan.timer_ids,
            restart,
        )
        spread = await connection.fetchrow(
            "SELECT min(fired_at) AS first, max(fired_at) AS last FROM wf_timers"
            " WHERE id = ANY($1::bigint[])",
            plan.timer_ids,
        )
        entries = await connection.fetch(
            "SELECT instance_id, step_key, action, count(*) AS n FROM wf_history"
            " WHERE instance_id BETWEEN $1 AND $2"
            " AND action IN ('reminded', 'escalated', 'auto_approved', 'auto_rejected')"
            " AND at >= $3 GROUP BY 1, 2, 3",
            first,
            last,
            restart,
        )
        escalated_tasks = await connection.fetch(
            "SELECT instance_id, step_id, array_agg(assignee ORDER BY id) AS names FROM wf_tasks"
            " WHERE instance_id BETWEEN $1 AND $2 AND origin = 'escalated' GROUP BY 1, 2",
            first,
            last,
        )
        still_waiting = await connection.fetchval(
            "SELECT count(*) FROM wf_tasks WHERE step_id = ANY($1::bigint[])"
            " AND status = 'pending' AND origin = 'flow'",
            [plan.step_of[i] for i, action in plan.action_of.items() if action == "remind"],
        )
        approved = await connection.fetch(
            "SELECT status, sync_state, count(*) AS n FROM wf_instances"
            " WHERE id = ANY($1::bigint[]) GROUP BY 1, 2",
            approving,
        )
        failures = await connection.fetchval(
            "SELECT count(*) FROM wf_history WHERE instance_id = ANY($1::bigint[])"
            " AND action = 'posting_failed'",
            approving,
        )
    finally:
        await connection.close()
    problems: list[str] = []
    total = len(plan.action_of)
    if fired != total:
        problems.append(f"{fired} of {total} timers fired")
    if others:
        problems.append(f"{others} other timers of the history fired")
    seen: dict[int, list[tuple[str, int]]] = {}
    for row in entries:
        seen.setdefault(row["instance_id"], []).append((row["action"], row["n"]))
    wrong = [
        i for i, action in plan.action_of.items() if seen.get(i) != [(TIMER_ACTIONS[action], 1)]
    ]
    if wrong:
        problems.append(
            f"{len(wrong)} approvals without exactly their one timer entry "
            f"(e.g. {wrong[0]}: {seen.get(wrong[0])}, expected {plan.action_of[wrong[0]]})"
        )
    expected_escalations = {
        (i, plan.step_of[i]): plan.holders[i]
        for i, action in plan.action_of.items()
        if action == "escalate"
    }
    got_escalations = {
        (row["instance_id"], row["step_id"]): list(row["names"]) for row in escalated_tasks
    }
    if got_escalations != expected_escalations:
        bad = [k for k in expected_escalations if got_escalations.get(k) != expected_escalations[k]]
        extra = [k for k in got_escalations if k not in expected_escalations]
        problems.append(
            f"escalation tasks differ on {len(bad)} steps (e.g. {bad[:1]}: "
            f"{got_escalations.get(bad[0]) if bad else None}), {len(extra)} unexpected"
        )
    reminded = sum(1 for action in plan.action_of.values() if action == "remind")
    if still_waiting != reminded:
        problems.append(f"{still_waiting} reminded steps still wait, {reminded} should")
    outcomes = {f"{row['status']}/{row['sync_state']}": row["n"] for row in approved}
    if sum(n for key, n in outcomes.items() if key.startswith("approved/")) != len(approving):
        problems.append(f"auto-approved approvals are {outcomes}")
    return {
        "fired": fired,
        "other_timers_fired": others,
        "fired_at_span_s": [
            round((spread["first"] - restart).total_seconds(), 2) if spread["first"] else None,
            round((spread["last"] - restart).total_seconds(), 2) if spread["last"] else None,
        ],
        "entries": dict(Counter(row["action"] for row in entries)),
        "escalated_steps": len(got_escalations),
        "escalation_tasks": sum(len(v) for v in got_escalations.values()),
        "auto_approved_status_sync": outcomes,
        "posting_failed_entries": failures,
        "ok": not problems,
        "problems": problems,
    }


def timers_section(
    var_dir: Path, pg_url: str, database: str, history: History, args: argparse.Namespace
) -> dict[str, Any]:
    dsn = pg_dsn(pg_url, database)
    plan = asyncio.run(load_timers(dsn, history, args.timers))
    mix = Counter(plan.action_of.values())
    print(
        f"setup: {len(plan.action_of)} pending approvals with overdue timers added "
        f"({dict(mix)}; due {plan.due_span_s[0] / 60:.0f} min to "
        f"{plan.due_span_s[1] / 3600:.0f} h ago; rows {plan.rows}); starting the stack ...",
        flush=True,
    )
    base = ephemeral_port(HOST)
    predicted = choose_ports(HOST, base)
    watch = Watch()
    stop = threading.Event()
    restart = datetime.now(UTC)
    started = time.monotonic()
    deadline = started + args.timeout
    pollers = [
        threading.Thread(
            target=watch_ready,
            args=(
                f"http://{HOST}:{predicted['workflow']}/readyz",
                predicted["workflow"],
                watch,
                stop,
            ),
            daemon=True,
        ),
        threading.Thread(
            target=watch_timers, args=(dsn, plan.timer_ids, watch, stop, deadline), daemon=True
        ),
    ]
    beside = Beside()
    beside.start()
    for thread in pollers:
        thread.start()
    try:
        stack = start_stack(
            var_dir,
            base_port=base,
            host=HOST,
            log_level="WARNING",
            extra_env={"gateway": {"GATEWAY_RATE_LIMIT_PER_SECOND": "0"}},
            database_overrides={"workflow": f"{pg_url.rstrip('/')}/{database}"},
        )
    except BaseException:
        stop.set()
        raise
    try:
        healthy_at = time.monotonic()
        pollers[1].join(max(0.0, deadline - time.monotonic()) + 5)
        beside.exclude |= {proc.process.pid for proc in stack.processes.values()}
        others = beside.stop()
        workflow_cpu_s = process_cpu_s(stack.processes["workflow"].process.pid)
        stop.set()
        pollers[0].join(2)
        ports_as_predicted = stack.ports == predicted
        verified = asyncio.run(verify_timers(dsn, plan, restart, settle_s=15))
    finally:
        stop.set()
        stack.stop()
    total = len(plan.action_of)
    ready = watch.ready_at if ports_as_predicted else None
    done = watch.all_fired_at
    seconds = (done - ready) if done is not None and ready is not None else None
    from_first = (
        done - watch.first_fired_at
        if done is not None and watch.first_fired_at is not None
        else None
    )
    print(
        f"timers: {watch.fired} of {total} fired; /readyz answered "
        f"{(ready - started) if ready else float('nan'):.2f} s after the start, the first timer "
        f"fired at {(watch.first_fired_at or started) - started:.2f} s, the last at "
        f"{((done or started) - started):.2f} s (stack healthy at {healthy_at - started:.2f} s); "
        f"from /readyz {seconds if seconds is not None else float('nan'):.2f} s "
        f"= {total / seconds if seconds else float('nan'):.0f} fires/s, from the first fire "
        f"{from_first if from_first is not None else float('nan'):.2f} s = "
        f"{total / from_first if from_first else float('nan'):.0f} fires/s"
        + (f"; poller error {watch.error}" if watch.error else ""),
        flush=True,
    )
    fired_before_ready = (
        ready is not None and watch.first_fired_at is not None and watch.first_fired_at < ready
    )
    print(
        f"  verification: {verified['entries']} history entries, "
        f"{verified['escalation_tasks']} escalation tasks on {verified['escalated_steps']} "
        f"steps, auto-approved {verified['auto_approved_status_sync']} "
        f"({verified['posting_failed_entries']} posting_failed: stock has no such requisition), "
        f"{verified['other_timers_fired']} other timers fired: "
        f"{'ok' if verified['ok'] else 'WRONG ' + '; '.join(verified['problems'])}",
        flush=True,
    )
    cpu_ms: dict[str, float] = {}
    if watch.cpu is not None and watch.cpu.spent_s and seconds:
        cpu_ms = watch.cpu.per_unit_ms(total)
        busy = watch.cpu.spent_s.get("machine", 0.0) / seconds
        print(
            fmt_cpu("timer", cpu_ms)
            + f" (from /readyz to the last fire; machine busy {busy:.2f} cores on average, the "
            "other services finishing their start; the load generator polls the database); "
            f"workflow's CPU from its start to the last fire: {workflow_cpu_s:.1f} s",
            flush=True,
        )
    print(fmt_beside(others), flush=True)
    return {
        "timers": total,
        "actions": dict(mix),
        "due_ago_s": list(plan.due_span_s),
        "rows_added": plan.rows,
        "ports_as_predicted": ports_as_predicted,
        "readyz_after_start_s": round(ready - started, 2) if ready else None,
        "first_fire_after_start_s": (
            round(watch.first_fired_at - started, 2) if watch.first_fired_at else None
        ),
        "all_fired_after_start_s": round(done - started, 2) if done else None,
        "stack_healthy_after_start_s": round(healthy_at - started, 2),
        "fired_before_readyz": fired_before_ready,
        "fired_when_readyz_answered": watch.fired_at_ready,
        "seconds_from_readyz": round(seconds, 2) if seconds is not None else None,
        "fires_per_s_from_readyz": round(total / seconds, 1) if seconds else None,
        "seconds_from_first_fire": round(from_first, 2) if from_first is not None else None,
        "fires_per_s_from_first_fire": round(total / from_first, 1) if from_first else None,
        "database_polls": watch.polls,
        "poller_error": watch.error,
        "cpu_ms_per_timer_from_readyz": cpu_ms,
        "workflow_cpu_s_from_its_start": round(workflow_cpu_s, 2),
        "beside": others,
        "verification": verified,
        "target": f"every timer fired within {TARGETS['timers_s']:.0f} s of /readyz, once",
        "met": seconds is not None
        and seconds <= TARGETS["timers_s"]
        and verified["ok"]
        and watch.fired == total,
    }


# --------------------------------------------------------------------------- the run


def verdicts(results: dict[str, Any]) -> list[tuple[str, str, bool]]:
    lines = []
    inbox = results.get("inbox", {})
    for block in inbox.values():
        if isinstance(block, dict) and "target" in block:
            lines.append(
                (
                    f"inbox {block['label']}",
                    f"p50 {block['p50_ms']} ms, p99 {block['p99_ms']} ms over {block['count']} "
                    f"requests, {block['wrong_answers']} wrong (target {block['target']})",
                    block["met"],
                )
            )
    timers = results.get("timers")
    if timers:
        lines.append(
            (
                "timers",
                f"{timers['verification']['fired']} of {timers['timers']} fired in "
                f"{timers['seconds_from_readyz']} s from /readyz "
                f"({timers['fires_per_s_from_readyz']}/s), exactly once: "
                f"{timers['verification']['ok']} (target {timers['target']})",
                timers["met"],
            )
        )
    return lines


SETUP = (
    "load generator, gateway, six services (one uvicorn worker each) and PostgreSQL 15 on this "
    "one machine; workflow on PostgreSQL (a generated history), the other services on SQLite "
    "and idle but for their pollers; workflow's runner and stock feed consumer running"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/workflow.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="size of the history (1: the issue's; >= 0.01)"
    )
    parser.add_argument("--samples", type=int, default=200, help="requests timed per kind")
    parser.add_argument("--warmup", type=int, default=20, help="requests first, per kind")
    parser.add_argument("--pages", type=int, default=5, help="pages before the later page")
    parser.add_argument("--timers", type=int, default=1000, help="overdue timers at restart")
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="seconds the timers may take at most"
    )
    parser.add_argument(
        "--idle-seconds", type=float, default=5.0, help="idle stack CPU measured (0: skip)"
    )
    parser.add_argument("--seed", type=int, default=20261128, help="of every random choice")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--keep", action="store_true", help="keep the database afterwards (to investigate)"
    )
    parser.add_argument(
        "--only",
        type=lambda text: set(text.split(",")),
        default=set(SECTIONS),
        help="sections to run, comma-separated: inbox, timers (default both)",
    )
    args = parser.parse_args(argv)
    if not args.only <= set(SECTIONS):
        parser.error(f"--only takes {', '.join(SECTIONS)}")
    if not 0.01 <= args.scale <= 10:
        parser.error("--scale takes 0.01 to 10")
    if args.samples < 1 or args.timers < 20:
        parser.error("--samples takes 1 or more, --timers 20 or more")
    pg_url = os.environ.get("BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
    database = f"bench_workflow_{uuid.uuid4().hex[:8]}"
    url = f"{pg_url.rstrip('/')}/{database}"
    dsn = pg_dsn(pg_url, database)
    info = machine()
    started = time.perf_counter()
    results: dict[str, Any] = {}
    print(f"setup: {SETUP}", flush=True)
    try:
        asyncio.run(pg_execute(pg_url, f'CREATE DATABASE "{database}"'))
        from shared.db.migrate import upgrade

        upgrade("workflow", url)
        print(f"setup: generating the approval history into {database} ...", flush=True)
        history, results["history"] = asyncio.run(prepare(dsn, args.scale, args.seed))
        h = results["history"]
        print(
            f"setup: {h['approvals']} approvals {h['statuses']}, rows {h['rows']}; "
            f"{USER}: {h['measured_user']['pending_tasks']} pending tasks "
            f"({h['measured_user']['overdue_tasks']} overdue) of "
            f"{h['measured_user']['all_tasks']}; generated in {h['generate_s']} s, loaded in "
            f"{h['load_s']} s, VACUUM ANALYZE {h['vacuum_analyze_s']} s, database "
            f"{h['database_mb']} MB",
            flush=True,
        )
        var_dir = Path(tempfile.mkdtemp(prefix="bench-workflow-"))
        if "inbox" in args.only:
            print(f"starting the stack in {var_dir} (workflow on {database}) ...", flush=True)
            stack = start_stack(
                var_dir,
                base_port=0,
                host=HOST,
                log_level="WARNING",
                extra_env={"gateway": {"GATEWAY_RATE_LIMIT_PER_SECOND": "0"}},
                database_overrides={"workflow": url},
            )
            try:
                results["inbox"] = asyncio.run(inbox_run(stack, history, dsn, args))
            finally:
                stack.stop()
        if "timers" in args.only:
            results["timers"] = timers_section(var_dir, pg_url, database, history, args)
    finally:
        if args.keep:
            print(f"kept the database {database} ({dsn})", flush=True)
        else:
            asyncio.run(pg_execute(pg_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    report = {
        "benchmark": "workflow",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": info,
        "setup": SETUP,
        "arguments": {**vars(args), "only": sorted(args.only)},
        "duration_s": round(time.perf_counter() - started, 1),
        "load_average_after": os.getloadavg(),
        "results": results,
    }
    print(f"\nsetup: {SETUP}")
    for section in SECTIONS:
        if section in results:
            print(f"{section} -{fmt_beside(results[section].get('beside', []))[1:]}")
    return report_verdicts(
        "workflow", report, info, verdicts(results), strict=args.strict, width=24
    )


if __name__ == "__main__":
    raise SystemExit(main())
