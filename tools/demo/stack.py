"""Reset var/, start the stack for loading, load the demo, and hand back a serving stack.

While six months are posted, the producers' feeds nudge nobody (`<NAME>_EVENT_SUBSCRIBERS=[]`)
and the consumers poll every half second instead: they read stock's feed in pages of
hundreds rather than waking for every posting, which halves the load's time on two
cores. Once the consumers have read everything, the producers are restarted with their
usual subscribers, so the running demo behaves exactly as `make run`.
"""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from tools.demo.load import Demo, LoadError, load
from tools.run import (
    BACKENDS,
    EVENT_SUBSCRIBERS,
    SERVICES,
    Stack,
    service_env,
    spawn,
    start_stack,
    wait_until_healthy,
)

#: Seconds the consumers wait between polls while loading.
LOAD_POLL_SECONDS = "2"
CATCH_UP_TIMEOUT_SECONDS = 120.0


def reset(var_dir: Path) -> None:
    """Delete every service's SQLite file (and its journal) under `var_dir`."""
    for service in SERVICES:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                (var_dir / f"{service}.db{suffix}").unlink()


def loading_env() -> dict[str, dict[str, str]]:
    env: dict[str, dict[str, str]] = {
        name: {f"{name.upper()}_EVENT_POLL_SECONDS": LOAD_POLL_SECONDS} for name in BACKENDS
    }
    for producer in EVENT_SUBSCRIBERS:
        env[producer][f"{producer.upper()}_EVENT_SUBSCRIBERS"] = "[]"
    return env


def _last_seq(path: Path, query: str, *args: str) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as db:
        row = db.execute(query, args).fetchone()
    return int(row[0] or 0) if row else 0


def wait_caught_up(var_dir: Path, timeout: float = CATCH_UP_TIMEOUT_SECONDS) -> float:
    """Wait until every consumer's cursor has reached its producer's last event."""
    started = time.monotonic()
    while True:
        behind = []
        for producer, consumers in EVENT_SUBSCRIBERS.items():
            last = _last_seq(var_dir / f"{producer}.db", "SELECT max(seq) FROM events")
            for consumer in consumers:
                cursor = _last_seq(
                    var_dir / f"{consumer}.db",
                    "SELECT last_seq FROM consumer_cursors WHERE source = ?",
                    producer,
                )
                if cursor < last:
                    behind.append(f"{consumer} at {cursor} of {producer}'s {last}")
        if not behind:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise LoadError(f"consumers still behind after {timeout:.0f} s: {', '.join(behind)}")
        time.sleep(0.2)


def restart_with_nudges(stack: Stack) -> None:
    """Restart the feeds' producers with their usual subscribers (as `make run` has them)."""
    for name in EVENT_SUBSCRIBERS:
        process = stack.processes[name].process
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for name in EVENT_SUBSCRIBERS:
        old = stack.processes[name]
        env = service_env(
            name,
            host=stack.host,
            ports=stack.ports,
            var_dir=stack.var_dir,
            secrets_=stack.secrets,
            log_level="WARNING",
        )
        stack.processes[name] = spawn(
            name, host=stack.host, port=old.port, env=env, log_path=old.log_path
        )
    wait_until_healthy(stack)


def load_demo(
    var_dir: Path,
    port: int = 8000,
    *,
    host: str = "127.0.0.1",
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Stack, Demo]:
    """A running stack holding the demo company (the caller stops it); `progress` is told
    each step."""
    say = progress or (lambda text: None)
    var_dir = var_dir.resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    reset(var_dir)
    say(f"Reset the databases in {var_dir}; starting the services ...")
    stack = start_stack(var_dir, port, host=host, log_level="WARNING", extra_env=loading_env())
    try:
        say("Loading Lumen Audio through the gateway:")
        started = time.monotonic()
        demo = load(stack.gateway_url, stack.secrets.admin_password, today=today, progress=say)
        say("  waiting for trace, mrp, workflow and erp to read the feeds ...")
        demo.timings["catching up"] = wait_caught_up(var_dir)
        demo.timings["load"] = time.monotonic() - started
        say("Restarting stock, catalog and mrp with their nudges on ...")
        restart_started = time.monotonic()
        restart_with_nudges(stack)
        demo.timings["restart"] = time.monotonic() - restart_started
    except BaseException:
        stack.stop()
        raise
    return stack, demo
