"""Migrate every service's database to head: `python -m tools.migrate [SERVICE ...] [--var DIR]`.

Each service's database is the one its own setting names, `<NAME>_DATABASE_URL` (as in
docker-compose.yml's one-shot `migrate` step), or else its SQLite file under `--var`
(as `make run` uses). Services are migrated one after the other in this process:
Alembic keeps its migration context in module globals, so threads would race, and a
process per service costs more in start-up imports (~0.7 s) than an embedded
migration takes (~50 ms).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import make_url

SERVICES = ("gateway", "catalog", "stock", "mrp", "trace", "workflow", "erp")


def sqlite_url(var_dir: Path, service: str) -> str:
    return f"sqlite+aiosqlite:///{(var_dir / f'{service}.db').resolve()}"


def database_urls(
    services: tuple[str, ...] = SERVICES,
    *,
    var_dir: Path = Path("var"),
    environ: Mapping[str, str] = os.environ,
) -> dict[str, str]:
    """`<NAME>_DATABASE_URL` from the environment, else SQLite under `var_dir`."""
    return {
        service: environ.get(f"{service.upper()}_DATABASE_URL") or sqlite_url(var_dir, service)
        for service in services
    }


def migrate(urls: Mapping[str, str]) -> dict[str, float]:
    """Bring each service's database to head; returns the seconds each took."""
    from shared.db.migrate import upgrade

    timings: dict[str, float] = {}
    for service, url in urls.items():
        started = time.perf_counter()
        upgrade(service, url)
        timings[service] = time.perf_counter() - started
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.migrate", description=__doc__)
    parser.add_argument("services", nargs="*", metavar="SERVICE", help="default: all seven")
    parser.add_argument("--var", default="var", help="folder of the SQLite files (default var)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.services) - set(SERVICES))
    if unknown:
        parser.error(f"unknown service(s): {', '.join(unknown)}; choose from {', '.join(SERVICES)}")
    urls = database_urls(tuple(args.services) or SERVICES, var_dir=Path(args.var))
    for service, seconds in migrate(urls).items():
        where = make_url(urls[service]).render_as_string(hide_password=True)
        print(f"migrated {service:<9} {where} ({seconds * 1000:.0f} ms)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
