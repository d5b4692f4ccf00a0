"""Export every service's OpenAPI to `openapi/<service>.json`: `python -m tools.openapi [--check]`.

The spec comes from `create_app().openapi()`: no lifespan, no database, no network.
Files are JSON with sorted keys, two-space indent and a trailing newline, so a diff
shows exactly what changed in the contract. `--check` writes nothing and exits 1
naming every file that differs from the code.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from fastapi import FastAPI

REPO_ROOT = Path(__file__).resolve().parents[1]
OPENAPI_DIR = REPO_ROOT / "openapi"
SERVICES = ("gateway", "catalog", "stock", "mrp", "trace", "workflow", "erp")


def build_app(service: str) -> FastAPI:
    module = importlib.import_module(f"services.{service}.app")
    app = module.create_app()
    if not isinstance(app, FastAPI):
        raise TypeError(f"services.{service}.app.create_app() did not return a FastAPI app")
    return app


def spec(service: str) -> dict[str, Any]:
    return build_app(service).openapi()


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def spec_path(service: str, directory: Path = OPENAPI_DIR) -> Path:
    return directory / f"{service}.json"


def drifting(services: tuple[str, ...] = SERVICES, directory: Path = OPENAPI_DIR) -> list[Path]:
    """The files that are missing or differ from what the code produces."""
    stale = []
    for service in services:
        path = spec_path(service, directory)
        if not path.exists() or path.read_text(encoding="utf-8") != render(spec(service)):
            stale.append(path)
    return stale


def write_all(services: tuple[str, ...] = SERVICES, directory: Path = OPENAPI_DIR) -> list[Path]:
    """Write every spec; returns the files whose content changed."""
    directory.mkdir(parents=True, exist_ok=True)
    changed = []
    for service in services:
        path = spec_path(service, directory)
        text = render(spec(service))
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.openapi", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if a file differs from the code")
    parser.add_argument("services", nargs="*", metavar="SERVICE", help="default: all seven")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.services) - set(SERVICES))
    if unknown:
        parser.error(f"unknown service(s): {', '.join(unknown)}; choose from {', '.join(SERVICES)}")
    services = tuple(args.services) or SERVICES
    if args.check:
        stale = drifting(services)
        for path in stale:
            print(f"drift: {path.relative_to(REPO_ROOT)} differs from the code", file=sys.stderr)
        if stale:
            print("run `make openapi` and commit the result", file=sys.stderr)
            return 1
        print(f"openapi: {len(services)} file(s) match the code")
        return 0
    changed = write_all(services)
    for path in changed:
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    print(f"openapi: {len(services)} file(s) checked, {len(changed)} rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
