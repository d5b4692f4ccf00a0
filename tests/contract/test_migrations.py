"""Every service's migrations build exactly the tables its models declare, on both databases."""

from __future__ import annotations

import asyncio
import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData

from shared.db.engine import create_engine
from shared.db.migrate import alembic_config
from shared.db.tables import shared_metadata

SERVICES = ["gateway", "catalog", "stock", "mrp", "trace", "workflow", "erp"]


def _metadata(service: str) -> list[MetaData]:
    models = importlib.import_module(f"services.{service}.db.models")
    return [shared_metadata, models.Base.metadata]


def _diff(connection, metadata: list[MetaData]) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, metadata)


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_match_models(service: str, database_factory) -> None:
    url = await database_factory(service)
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(_diff, _metadata(service))
    finally:
        await engine.dispose()
    assert diff == [], f"{service}: models and migrations differ: {diff}"


@pytest.mark.parametrize("service", SERVICES)
async def test_downgrade_then_upgrade(service: str, database_factory) -> None:
    from alembic import command

    url = await database_factory(service)
    config = alembic_config(service, url)
    await asyncio.to_thread(command.downgrade, config, "base")
    await asyncio.to_thread(command.upgrade, config, "head")
