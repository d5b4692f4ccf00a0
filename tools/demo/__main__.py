"""`make demo`: reset var/ to the demo company, then serve it as `make run` does.

    python -m tools.demo [--port 8000] [--var var] [--load-only]

1. the services' SQLite files under `<var>/` are deleted (secrets and logs stay);
2. the stack starts (migrations, seven processes) with the event feeds' nudges off,
   so the other services read stock's feed in pages while six months are posted;
3. `tools.demo.load` posts the company through the gateway (fixed seed, dates relative to
   today), then waits until trace, mrp, workflow and erp have read everything;
4. stock, catalog and mrp are restarted with their nudges on, and the stack serves until
   Ctrl-C. `--load-only` stops once the demo is loaded (the databases stay in var/).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools.demo.company import DEMO_PASSWORD, PEOPLE
from tools.demo.load import Demo, LoadError, describe
from tools.demo.stack import load_demo
from tools.run import Stack, StackError, print_banner, serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.demo", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="the gateway's port (default 8000)")
    parser.add_argument("--var", default="var", help="folder for databases, secrets and logs")
    parser.add_argument("--load-only", action="store_true", help="stop once the demo is loaded")
    args = parser.parse_args(argv)
    loaded: list[Demo] = []

    def start() -> Stack:
        try:
            stack, demo = load_demo(
                Path(args.var),
                args.port,
                host=args.host,
                progress=lambda text: print(text, flush=True),
            )
        except LoadError as exc:
            raise StackError(f"the demo could not be loaded: {exc}") from exc
        loaded.append(demo)
        return stack

    def ready(stack: Stack, elapsed: float) -> bool:
        print(f"Demo company loaded: {describe(loaded[0])}", flush=True)
        if args.load_only:
            return False
        print_banner(stack, elapsed)
        users = " ".join(username for username, *_ in PEOPLE)
        print(f"Demo users (password {DEMO_PASSWORD}): {users}", flush=True)
        print("The tour: README.md, section 'The demo company: a guided tour'", flush=True)
        return True

    return serve("tools.demo", start, ready)


if __name__ == "__main__":
    sys.exit(main())
