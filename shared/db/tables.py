"""Tables every service database has: outbox events, consumer cursors, audit, idempotency.

They live on their own `MetaData`; each service's Alembic environment migrates them
together with the service's own models.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB

from shared.db.types import BigId, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

shared_metadata = MetaData(naming_convention=NAMING_CONVENTION)

JsonDoc = JSON().with_variant(JSONB(), "postgresql")

events = Table(
    "events",
    shared_metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("type", String(100), nullable=False),
    Column("aggregate_type", String(50), nullable=False),
    Column("aggregate_id", String(100), nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("request_id", String(100), nullable=True),
    Column("payload", JsonDoc, nullable=False),
)

event_counter = Table(
    "event_counter",
    shared_metadata,
    Column("name", String(20), primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
)

consumer_cursors = Table(
    "consumer_cursors",
    shared_metadata,
    Column("source", String(50), primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

processed_events = Table(
    "processed_events",
    shared_metadata,
    Column("source", String(50), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("processed_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("source", "seq"),
)

audit_log = Table(
    "audit_log",
    shared_metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("request_id", String(100), nullable=True),
    Column("action", String(50), nullable=False),
    Column("entity_type", String(50), nullable=False),
    Column("entity_id", String(100), nullable=False),
    Column("before", JsonDoc, nullable=True),
    Column("after", JsonDoc, nullable=True),
    Index("ix_audit_log_entity", "entity_type", "entity_id"),
)

idempotency_keys = Table(
    "idempotency_keys",
    shared_metadata,
    Column("principal", String(200), nullable=False),
    Column("key", String(255), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("method", String(10), nullable=False),
    Column("path", String(500), nullable=False),
    Column("state", String(20), nullable=False),
    Column("locked_until", UTCDateTime(), nullable=False),
    Column("response_status", Integer, nullable=True),
    Column("response_body", Text, nullable=True),
    Column("response_headers", JsonDoc, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False, index=True),
    PrimaryKeyConstraint("principal", "key"),
)
