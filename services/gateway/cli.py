"""Gateway commands.

    python -m services.gateway.cli create-admin --username U [--password P]

Migrates the gateway database (GATEWAY_DATABASE_URL) and creates an admin account; with
no --password it generates one and prints it once.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
from collections.abc import Sequence

from services.gateway.settings import Settings
from services.gateway.usecases.users import create_admin as create_admin_account
from shared.db.database import Database
from shared.db.migrate import upgrade
from shared.errors import ProblemError


def generate_password() -> str:
    return secrets.token_urlsafe(18)


async def create_admin(settings: Settings, username: str, password: str) -> None:
    """Migrate the gateway database, then create the admin (ProblemError if not possible)."""
    await asyncio.to_thread(upgrade, "gateway", settings.database_url)
    db = Database(settings.database_url, "gateway")
    try:
        await create_admin_account(db, username, password, actor="cli:create-admin")
    finally:
        await db.dispose()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m services.gateway.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    admin = commands.add_parser("create-admin", help="create an admin account")
    admin.add_argument("--username", required=True)
    admin.add_argument("--password", help="generated and printed when left out")
    return parser


def main(argv: Sequence[str] | None = None, settings: Settings | None = None) -> int:
    args = _parser().parse_args(argv)
    password = args.password or generate_password()
    try:
        asyncio.run(create_admin(settings or Settings(), args.username, password))
    except ProblemError as exc:
        details = "; ".join(e.message for e in exc.errors) or exc.detail
        print(f"error: {exc.detail} {f'({details})' if details != exc.detail else ''}".rstrip(),
              file=sys.stderr)
        return 1
    print(f"admin {args.username!r} created")
    if not args.password:
        print(f"password: {password}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
