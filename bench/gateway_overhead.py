"""The gateway's overhead: one small GET straight to catalog and through the gateway.

    make bench            # or: .venv/bin/python bench/gateway_overhead.py [--seconds 5]

Starts the six services the way `make run` does (own var dir, free ports, the gateway's
rate limit off so the load is not answered with 429), creates one item, then loads
`GET /v1/items/by-code/<code>` (or `--endpoint healthz`) with 32 concurrent keep-alive
connections:

* direct:  load generator -> catalog (internal token minted with the stack's secret)
* gateway: load generator -> gateway (user access token) -> catalog

Rounds alternate direct/gateway so both see the same machine. Each phase is bounded in
requests and in time, and only 127.0.0.1 is ever targeted. Targets (issue #2): through
the gateway keeps >= 60% of direct throughput and adds < 2 ms at p50. Results go to
bench/results/<timestamp>.json.

The load generator is a raw asyncio HTTP/1.1 client (uvloop when present): much lighter
than an HTTP library, so it takes less CPU from the servers on a small machine. With
`--tool wrk` (and wrk installed) wrk drives the load instead.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from shared.auth.principal import ADMIN, Principal  # noqa: E402
from shared.auth.tokens import mint_internal_token  # noqa: E402
from tools.machine import machine  # noqa: E402
from tools.run import Stack, start_stack  # noqa: E402

RESULTS_DIR = REPO_ROOT / "bench" / "results"
MIN_THROUGHPUT_RATIO = 0.60
MAX_ADDED_P50_MS = 2.0


# --------------------------------------------------------------------------- load generator


@dataclass
class Phase:
    name: str
    url: str
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
        return ordered[index]

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "url": self.url,
            "requests": self.requests,
            "errors": self.errors,
            "statuses": self.statuses,
            "seconds": round(self.seconds, 3),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.percentile(50), 3),
            "p95_ms": round(self.percentile(95), 3),
            "p99_ms": round(self.percentile(99), 3),
            "mean_ms": round(statistics.fmean(self.latencies_ms), 3) if self.latencies_ms else None,
        }


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 response (Content-Length or chunked); return its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def _connection(
    phase: Phase,
    request: bytes,
    host: str,
    port: int,
    budget: list[int],
    stop_at: float,
    record: bool,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while budget[0] > 0 and time.perf_counter() < stop_at:
            budget[0] -= 1
            started = time.perf_counter()
            writer.write(request)
            status = await _read_response(reader)
            if record:
                phase.latencies_ms.append((time.perf_counter() - started) * 1000)
                phase.requests += 1
                phase.statuses[str(status)] = phase.statuses.get(str(status), 0) + 1
                if status != 200:
                    phase.errors += 1
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def _load(
    phase: Phase,
    headers: dict[str, str],
    concurrency: int,
    max_requests: int,
    seconds: float,
    record: bool,
) -> None:
    parts = urlsplit(phase.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    if host != "127.0.0.1":
        raise SystemExit(f"refusing to load {host}: the benchmark only targets 127.0.0.1")
    lines = [
        f"GET {parts.path}{'?' + parts.query if parts.query else ''} HTTP/1.1",
        f"Host: {host}:{port}",
        "Accept: application/json",
    ]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    budget = [max_requests]
    started = time.perf_counter()
    await asyncio.gather(
        *(
            _connection(phase, request, host, port, budget, started + seconds, record)
            for _ in range(concurrency)
        )
    )
    if record:
        phase.seconds += time.perf_counter() - started


def run_python_load(
    phase: Phase, headers: dict[str, str], args: argparse.Namespace, concurrency: int
) -> None:
    seconds = args.seconds if concurrency > 1 else args.serial_seconds

    def go(record: bool, seconds: float, max_requests: int) -> None:
        coroutine = _load(phase, headers, concurrency, max_requests, seconds, record)
        try:
            import uvloop

            uvloop.run(coroutine)
        except ImportError:
            asyncio.run(coroutine)

    go(False, args.warmup, 1000)
    go(True, seconds, args.max_requests)


WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("BENCH %d %d %d %f %f %f\\n", summary.requests, summary.duration,
    summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000))
end
"""


@dataclass
class WrkResult:
    requests: int
    seconds: float
    errors: int
    p50: float
    p95: float
    p99: float


def run_wrk_load(
    phase: Phase, headers: dict[str, str], args: argparse.Namespace, concurrency: int
) -> WrkResult:
    seconds = args.seconds if concurrency > 1 else args.serial_seconds
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    command = [
        "wrk",
        "-t",
        "1",
        "-c",
        str(concurrency),
        "-d",
        f"{seconds:g}s",
        "-s",
        script.name,
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    try:
        subprocess.run(
            [*command[:6], "-d", "1s", *command[8:], phase.url], check=True, capture_output=True
        )  # warm-up
        output = subprocess.run(
            [*command, phase.url], check=True, capture_output=True, text=True
        ).stdout
    finally:
        os.unlink(script.name)
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    requests, micros, errors, p50, p95, p99 = line.split()[1:]
    result = WrkResult(
        int(requests), int(micros) / 1e6, int(errors), float(p50), float(p95), float(p99)
    )
    phase.requests += result.requests
    phase.errors += result.errors
    phase.seconds += result.seconds
    return result


# --------------------------------------------------------------------------- the run


def prepare(stack: Stack) -> tuple[str, dict[str, str], dict[str, str]]:
    """Create one item; return its path and the headers for direct and gateway calls."""
    with httpx.Client(base_url=stack.gateway_url, timeout=10) as client:
        login = client.post(
            "/v1/auth/token",
            data={
                "username": stack.secrets.admin_username,
                "password": stack.secrets.admin_password,
            },
        )
        login.raise_for_status()
        user_token = login.json()["access_token"]
        code = f"BENCH-{uuid.uuid4().hex[:8].upper()}"
        created = client.post(
            "/v1/items",
            headers={"Authorization": f"Bearer {user_token}"},
            json={
                "code": code,
                "name": "Benchmark resistor",
                "uom": "pcs",
                "item_type": "raw_material",
                "tracking": "lot",
            },
        )
        created.raise_for_status()
    principal = Principal(subject="user:bench", roles=frozenset({ADMIN}), name="bench")
    internal = mint_internal_token(stack.secrets.internal_token_secret, principal, 3600)
    return (
        f"/v1/items/by-code/{code}",
        {"Authorization": f"Bearer {internal}"},
        {"Authorization": f"Bearer {user_token}"},
    )


def verdict(direct: Phase, gateway: Phase, serial: tuple[Phase, Phase] | None) -> dict[str, Any]:
    """The targets are judged under load (concurrency 32), as the issue states them."""
    ratio = gateway.rps / direct.rps if direct.rps else 0.0
    added = gateway.percentile(50) - direct.percentile(50)
    result = {
        "throughput_ratio": round(ratio, 3),
        "added_p50_ms": round(added, 3),
        "throughput_ok": ratio >= MIN_THROUGHPUT_RATIO,
        "latency_ok": added < MAX_ADDED_P50_MS,
    }
    if serial is not None:
        result["unloaded_added_p50_ms"] = round(
            serial[1].percentile(50) - serial[0].percentile(50), 3
        )
    return result


def print_pair(title: str, direct: Phase, gateway: Phase) -> None:
    rows = [("", "direct", "gateway"), ("requests/s", f"{direct.rps:,.0f}", f"{gateway.rps:,.0f}")]
    for q in (50, 95, 99):
        rows.append((f"p{q} ms", f"{direct.percentile(q):.2f}", f"{gateway.percentile(q):.2f}"))
    rows.append(("requests", str(direct.requests), str(gateway.requests)))
    rows.append(("non-200", str(direct.errors), str(gateway.errors)))
    print(f"\n  {title}")
    for label, left, right in rows:
        print(f"  {label:<12}{left:>12}{right:>12}")


def print_table(
    direct: Phase,
    gateway: Phase,
    serial: tuple[Phase, Phase] | None,
    result: dict[str, Any],
    info: dict[str, Any],
    tool: str,
    args: argparse.Namespace,
) -> None:
    print_pair(f"under load: {args.concurrency} concurrent connections", direct, gateway)
    if serial is not None:
        print_pair("unloaded: 1 connection, one request at a time", *serial)
    ratio_ok = "ok" if result["throughput_ok"] else "MISSED"
    latency_ok = "ok" if result["latency_ok"] else "MISSED"
    print(
        f"\n  gateway/direct throughput {result['throughput_ratio']:.0%} "
        f"(target >= {MIN_THROUGHPUT_RATIO:.0%}: {ratio_ok})"
    )
    print(
        f"  added p50 {result['added_p50_ms']:.2f} ms (target < {MAX_ADDED_P50_MS} ms: "
        f"{latency_ok})"
    )
    if "unloaded_added_p50_ms" in result:
        print(f"  added p50 unloaded {result['unloaded_added_p50_ms']:.2f} ms (the hop itself)")
    print(
        f"\n  machine: {info['cpu_model']}, {info['cores']} cores, Python {info['python']}, "
        f"load average before {info['load_average_before']}"
    )
    print(
        f"  beside each other on this machine: the load generator ({tool}, "
        f"{args.concurrency} keep-alive connections, one process), the gateway and catalog "
        "(one uvicorn worker each), and stock, mrp, trace, workflow idle; "
        f"{args.rounds} alternating rounds of {args.seconds:g} s per side."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/gateway_overhead.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0, help="per phase and round")
    parser.add_argument("--max-requests", type=int, default=50_000, help="per phase and round")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--endpoint",
        choices=("item", "healthz"),
        default="item",
        help="item: GET /v1/items/by-code/<code> (default); healthz: catalog's /healthz, "
        "through the gateway at /services/catalog/healthz",
    )
    parser.add_argument(
        "--serial-seconds",
        type=float,
        default=2.0,
        help="also measure one connection for this long per side (0: skip)",
    )
    parser.add_argument("--tool", choices=("python", "wrk", "auto"), default="python")
    parser.add_argument("--log-level", default="INFO", help="the services' (make run: INFO)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    tool = args.tool
    if tool == "auto":
        tool = "wrk" if shutil.which("wrk") else "python"
    if tool == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install -y wrk), or use --tool python")

    info = machine()
    var_dir = Path(tempfile.mkdtemp(prefix="bench-var-"))
    print(f"starting the stack in {var_dir} ...", flush=True)
    stack = start_stack(
        var_dir,
        base_port=0,
        log_level=args.log_level,
        extra_env={"gateway": {"GATEWAY_RATE_LIMIT_PER_SECOND": "0"}},
    )
    try:
        path, direct_headers, gateway_headers = prepare(stack)
        gateway_path = path
        if args.endpoint == "healthz":  # no database: the framework and the hop alone
            path, gateway_path = "/healthz", "/services/catalog/healthz"
        direct = Phase("direct", f"{stack.url('catalog')}{path}")
        gateway = Phase("gateway", f"{stack.gateway_url}{gateway_path}")
        plan = [(round_, args.concurrency) for round_ in range(1, args.rounds + 1)]
        serial: tuple[Phase, Phase] | None = None
        if args.serial_seconds > 0:
            serial = (Phase("direct-serial", direct.url), Phase("gateway-serial", gateway.url))
            plan.append((0, 1))
        for round_, concurrency in plan:
            pair = (direct, gateway) if concurrency > 1 else serial
            assert pair is not None
            for phase, headers in zip(pair, (direct_headers, gateway_headers), strict=True):
                label = f"round {round_}" if round_ else "unloaded"
                print(f"{label}: {phase.name} x{concurrency} {phase.url}", flush=True)
                run = run_wrk_load if tool == "wrk" else run_python_load
                run(phase, headers, args, concurrency)
                if stack.dead():
                    raise SystemExit(f"a service died:\n{stack.describe_dead()}")
    finally:
        stack.stop()
        shutil.rmtree(var_dir, ignore_errors=True)

    result = verdict(direct, gateway, serial)
    print_table(direct, gateway, serial, result, info, tool, args)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS_DIR / f"{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "gateway_overhead",
                "at": stamp,
                "machine": info,
                "tool": tool,
                "settings": {k: v for k, v in vars(args).items() if k != "strict"},
                "targets": {
                    "min_throughput_ratio": MIN_THROUGHPUT_RATIO,
                    "max_added_p50_ms": MAX_ADDED_P50_MS,
                },
                "direct": direct.summary(),
                "gateway": gateway.summary(),
                "unloaded": [phase.summary() for phase in serial] if serial else None,
                "result": result,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\n  results: {out.relative_to(REPO_ROOT)}")
    missed = not (result["throughput_ok"] and result["latency_ok"])
    errors = sum(phase.errors for phase in (direct, gateway, *(serial or ())))
    if errors:
        print(f"  {errors} responses were not 200: see the statuses in the results file")
    return 1 if errors or (missed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
