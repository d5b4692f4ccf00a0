"""`make demo`: reset var/ to the demo company, then serve it as `make run` does.

    python -m tools.demo [--port 8000] [--var var] [--load-only]

1. the services' SQLite files under `<var>/` are deleted (secrets and logs stay);
2. the stack starts (migrations, seven processes) with the event feeds' nudges off,
   so the other services read stock's feed in pages while six months are posted;
3. `tools.demo.load` posts the company through the gateway (fixed seed, dates relative to
   today), then waits until trace, mrp and erp have read everything;
4. stock, catalog and mrp are restarted with their nudges on, and the stack serves until
   Ctrl-C. `--load-only` stops after loading (the tour test uses `load_demo`).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tools.demo.load import describe, load
from tools.demo.stack import load_demo
from tools.run import (
    Interrupted,
    StackError,
    _ignore_stop_signals,
    _raise_interrupted,
    print_banner,
)

__all__ = ["describe", "load"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.demo", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="the gateway's port (default 8000)")
    parser.add_argument("--var", default="var", help="folder for databases, secrets and logs")
    parser.add_argument("--load-only", action="store_true", help="stop once the demo is loaded")
    args = parser.parse_args(argv)
    import signal

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _raise_interrupted)
    started = time.monotonic()
    stack = None
    try:
        stack, demo = load_demo(Path(args.var), args.port, host=args.host)
        print(f"Demo company loaded: {describe(demo)}", flush=True)
        if args.load_only:
            return 0
        print_banner(stack, time.monotonic() - started)
        print("Demo users (password Lumen-Demo-2026): ann li zhou wang sun chen mes", flush=True)
        print("The tour: README.md, section 'The demo company: a guided tour'", flush=True)
        while not stack.dead():
            time.sleep(0.2)
        print(f"tools.demo: a service died:\n{stack.describe_dead()}", file=sys.stderr)
        return 1
    except Interrupted:
        print("\ntools.demo: stopping every service...", flush=True)
        return 0
    except StackError as exc:
        print(f"tools.demo: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        _ignore_stop_signals()
        if stack is not None:
            stack.stop()


if __name__ == "__main__":
    sys.exit(main())
