"""What the benchmarks share: PostgreSQL scratch databases, percentiles, an API key, a
concurrent load generator and CPU accounting."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx

from tools.run import Stack


def pg_dsn(url: str, database: str) -> str:
    """An asyncpg DSN for `database` on the server of the SQLAlchemy `url`."""
    return url.replace("postgresql+asyncpg://", "postgresql://").rstrip("/") + f"/{database}"


async def pg_execute(url: str, sql: str) -> None:
    """Run `sql` on the server's `postgres` database (CREATE/DROP DATABASE)."""
    import asyncpg

    connection = await asyncpg.connect(pg_dsn(url, "postgres"))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def rank(samples: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted `samples`."""
    index = max(0, min(len(samples) - 1, int(len(samples) * q / 100 + 0.999999) - 1))
    return samples[index]


async def api_key(stack: Stack, name: str) -> str:
    """An admin API key (not an access token: a run outlives a token's 15 minutes)."""
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=60) as client:
        login = await client.post(
            "/v1/auth/token",
            data={
                "username": stack.secrets.admin_username,
                "password": stack.secrets.admin_password,
            },
        )
        login.raise_for_status()
        key = await client.post(
            "/v1/api-keys",
            json={"name": name, "roles": ["admin"]},
            headers={"Authorization": f"Bearer {login.json()['access_token']}"},
        )
        key.raise_for_status()
        return str(key.json()["secret"])


# --------------------------------------------------------------------------- load


@dataclass
class Load:
    latencies_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    wall_s: float = 0.0


async def hammer(
    total: int, workers: int, send: Callable[[int], Awaitable[httpx.Response]], expect: int
) -> Load:
    """`total` requests from `workers` concurrent workers; each request n is `send(n)`."""
    load = Load()
    counter = itertools.count()

    async def worker() -> None:
        while (n := next(counter)) < total:
            started = time.perf_counter()
            try:
                response = await send(n)
            except httpx.HTTPError as exc:
                load.failures.append(repr(exc))
                continue
            load.latencies_ms.append((time.perf_counter() - started) * 1000)
            if response.status_code != expect:
                load.failures.append(f"{response.status_code} {response.text[:300]}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    load.wall_s = time.perf_counter() - started
    return load


def fmt_load(load: Any) -> str:
    """A load-average triple as printed with the results."""
    return "/".join(f"{x:.2f}" for x in load) if load else "unknown"


# --------------------------------------------------------------------------- CPU accounting

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of process `pid` (Linux /proc), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() in {"postgres", "postmaster"}:
                    pids.append(int(entry.name))
    return pids


def _machine_busy_s() -> float:
    """CPU seconds the whole machine spent busy (every core; /proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    ticks = [int(value) for value in fields[:8]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks) - idle) / _TICK


@dataclass
class CpuMeter:
    """Where the CPU went between `start()` and `stop()`: per service process of the stack,
    PostgreSQL (every server process), this load generator, and the machine as a whole.

    Read from Linux's /proc; elsewhere every figure stays 0. A PostgreSQL backend that
    ends inside the window takes its CPU with it, so the pools' long-lived connections
    are what is counted there; a machine running nothing else shows it in "machine".
    """

    services: dict[str, int]
    _before: dict[str, float] = field(default_factory=dict)
    spent_s: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, stack: Stack) -> CpuMeter:
        return cls({name: proc.process.pid for name, proc in stack.processes.items()})

    def _read(self) -> dict[str, float]:
        if not Path("/proc/stat").exists():
            return {}
        figures = {name: _process_cpu_s(pid) for name, pid in self.services.items()}
        self._pg = {pid: _process_cpu_s(pid) for pid in _postgres_pids()}
        figures["postgresql"] = sum(self._pg.values())
        figures["load generator"] = sum(os.times()[:2])
        figures["machine"] = _machine_busy_s()
        return figures

    def start(self) -> None:
        self._before = self._read()
        self._pg_before = dict(self._pg) if self._before else {}

    def stop(self) -> dict[str, float]:
        after = self._read()
        if after:
            # a backend born inside the window spent all its CPU there
            after["postgresql"] = sum(
                spent - self._pg_before.get(pid, 0.0) for pid, spent in self._pg.items()
            )
            self._before["postgresql"] = 0.0
        self.spent_s = {name: after[name] - self._before.get(name, 0.0) for name in after}
        return self.spent_s

    def per_unit_ms(self, units: int) -> dict[str, float]:
        """CPU milliseconds per unit of work (a request, an event), by process group."""
        return {name: round(1000 * s / max(units, 1), 2) for name, s in self.spent_s.items()}


def fmt_cpu(unit: str, cpu_ms: dict[str, float]) -> str:
    """The CPU line a benchmark prints under a figure: milliseconds per `unit`, by process."""
    return f"  CPU ms per {unit}: " + ", ".join(f"{name} {ms}" for name, ms in cpu_ms.items())


def report_verdicts(
    name: str,
    report: dict[str, Any],
    info: dict[str, Any],
    rows: list[tuple[str, str, bool]],
    *,
    strict: bool,
    width: int,
) -> int:
    """Save `report` as bench/results/<name>-<UTC time>.json, print the machine line and
    one verdict per target; the exit code is 1 only with `strict` and a missed target."""
    results_dir = Path(__file__).resolve().parent / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    out = results_dir / f"{name}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(
        f"\nmachine: {info['cpu_model']}, {info['cores']} cores, Python {info['python']}, "
        f"load average before {fmt_load(info['load_average_before'])}, "
        f"after {fmt_load(report['load_average_after'])}"
    )
    for label, text, met in rows:
        print(f"  {label:<{width}} {text}: {'met' if met else 'MISSED'}")
    print(f"results: {out} ({report['duration_s']} s)")
    return 1 if strict and not all(met for _, _, met in rows) else 0


async def check_table(connection: Any, table: str, columns: tuple[str, ...], script: str) -> None:
    """Refuse a table whose columns moved on since `script` learnt to fill it with COPY
    (the benchmark then needs updating, rather than loading wrong rows)."""
    rows = await connection.fetch(
        "SELECT column_name, is_nullable, column_default FROM information_schema.columns"
        " WHERE table_name = $1 AND table_schema = current_schema()",
        table,
    )
    present = {row["column_name"] for row in rows}
    missing = [name for name in columns if name not in present]
    required = [
        row["column_name"]
        for row in rows
        if row["column_name"] not in columns
        and row["is_nullable"] == "NO"
        and row["column_default"] is None
    ]
    if missing or required:
        raise SystemExit(
            f"{table}: columns the bench fills are gone {missing} or required columns it "
            f"does not fill appeared {required}; {script} needs updating"
        )


# --------------------------------------------------------------------------- fake feeds


def feed_page(events: list[bytes], after: int, limit: int, visible: int | None = None) -> bytes:
    """A page of a service's event feed (`GET /v1/events?after=&limit=`) over events
    already serialised; `visible` hides the events after it (a feed still growing)."""
    end = len(events) if visible is None else visible
    chunk = events[after : min(after + limit, end)]
    return b"".join(
        (
            b'{"events":[',
            b",".join(chunk),
            b'],"next_after":',
            str(after + len(chunk)).encode(),
            b',"has_more":',
            b"true" if after + len(chunk) < end else b"false",
            b"}",
        )
    )


def feed_query(scope: Any) -> tuple[int, int]:
    """`after` and `limit` of a feed request (an ASGI scope)."""
    query = parse_qs(scope["query_string"].decode())
    return int(query.get("after", ["0"])[0]), int(query.get("limit", ["100"])[0])


async def send_json(send: Any, status: int, body: bytes) -> None:
    """Answer an ASGI request with a JSON body."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
