"""UnitOfWork (rollback unless committed) and the audit trail at GET /v1/audit, both databases."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import insert, select

from shared.db.database import Database
from shared.db.tables import audit_log, events
from shared.db.types import utcnow
from shared.errors import Conflict
from shared.http.pagination import encode_cursor
from tests.conftest import auth
from tests.service.shared_support import (
    count,
    create_test_tables,
    widget_body,
    widget_service,
    widgets,
)


@pytest.fixture
async def db(database_factory) -> AsyncIterator[Database]:
    url = await database_factory("catalog")
    await create_test_tables(url, widgets)
    database = Database(url, "catalog")
    try:
        yield database
    finally:
        await database.dispose()


async def _write(uow, name: str = "w") -> None:
    await uow.session.execute(insert(widgets).values(name=name, qty=1, created_at=utcnow()))
    await uow.audit("create", "widget", name, after={"name": name})
    uow.emit("WidgetCreated", "widget", name, {"name": name})


async def _counts(db: Database) -> tuple[int, int, int]:
    return (await count(db.engine, widgets), await count(db.engine, audit_log),
            await count(db.engine, events))


async def test_exception_mid_use_case_leaves_nothing(db: Database) -> None:
    hooks: list[str] = []
    uow = db.uow(actor="user:a")
    uow.after_commit(lambda: _record(hooks))
    with pytest.raises(Conflict):
        async with uow:
            await _write(uow)
            await uow.session.flush()
            raise Conflict("step 3 of 4 failed")
    assert await _counts(db) == (0, 0, 0)
    assert hooks == [] and not uow.committed


async def _record(hooks: list[str]) -> None:
    hooks.append("ran")


async def test_leaving_without_commit_rolls_back(db: Database) -> None:
    async with db.uow(actor="user:a") as uow:
        await _write(uow)
    assert await _counts(db) == (0, 0, 0)


async def test_commit_keeps_change_audit_and_events_together(db: Database) -> None:
    committed: list[list[int]] = []

    async def on_events(seqs: list[int]) -> None:
        committed.append(seqs)

    db.on_events_committed = on_events
    hooks: list[str] = []
    uow = db.uow(actor="user:a", request_id="req-1")
    uow.after_commit(lambda: _record(hooks))
    async with uow:
        await _write(uow, "x")
        uow.emit("WidgetCounted", "widget", "x", {"n": 1})
        await uow.commit()
    assert await _counts(db) == (1, 1, 2)
    assert committed == [[1, 2]] and hooks == ["ran"]
    async with db.read() as session:
        audit = (await session.execute(select(audit_log))).one()
        feed = (await session.execute(select(events).order_by(events.c.seq))).all()
    assert (audit.actor, audit.request_id, audit.before, audit.after) == (
        "user:a", "req-1", None, {"name": "x"})
    assert [(e.seq, e.type, e.actor, e.request_id) for e in feed] == [
        (1, "WidgetCreated", "user:a", "req-1"), (2, "WidgetCounted", "user:a", "req-1")]
    assert feed[0].occurred_at.tzinfo is not None


async def test_unit_of_work_is_closed_after_use(db: Database) -> None:
    uow = db.uow(actor="user:a")
    async with uow:
        await uow.commit()
    with pytest.raises(RuntimeError):
        _ = uow.session


@pytest.fixture
async def service(database_factory):
    url = await database_factory("catalog")
    async with widget_service(url) as (app, client):
        yield app, client


async def test_audit_rows_are_listed_filtered_and_paged(service) -> None:
    _app, client = service
    alice = auth("planner", subject="user:alice")
    created = []
    for index in range(5):
        response = await client.post("/v1/widgets", json=widget_body(name=f"w{index}"),
                                     headers={**alice, "X-Request-ID": f"req-{index}"})
        created.append(response.json())
    await client.post("/v1/widgets", json=widget_body(name="by-admin"))
    everything = (await client.get("/v1/audit")).json()
    assert [e["entity_id"] for e in everything["items"]] == [
        str(w) for w in range(6, 0, -1)]  # newest first
    assert everything["next_cursor"] is None
    first = everything["items"][-1]
    assert first["actor"] == "user:alice" and first["request_id"] == "req-0"
    assert first["action"] == "create" and first["before"] is None
    assert first["after"] == {**created[0], "cost": None, "notes": []} | {"qty": "1.5"}

    by_actor = (await client.get("/v1/audit", params={"actor": "user:alice", "limit": 2})).json()
    pages = [by_actor]
    while pages[-1]["next_cursor"]:
        pages.append((await client.get("/v1/audit", params={
            "actor": "user:alice", "limit": 2, "cursor": pages[-1]["next_cursor"]})).json())
    ids = [e["entity_id"] for page in pages for e in page["items"]]
    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    assert ids == ["5", "4", "3", "2", "1"]

    one = (await client.get("/v1/audit", params={"entity_type": "widget", "entity_id": "3"})).json()
    assert [e["after"]["name"] for e in one["items"]] == ["w2"]
    none = (await client.get("/v1/audit", params={"entity_type": "item"})).json()
    assert none == {"items": [], "next_cursor": None}


async def test_audit_is_for_admins_only(service) -> None:
    _app, client = service
    assert (await client.get("/v1/audit", headers={"Authorization": ""})).status_code == 401
    for role in ("planner", "finance", "integration"):
        response = await client.get("/v1/audit", headers=auth(role))
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert (await client.get("/v1/audit", headers=auth("admin"))).status_code == 200


@pytest.mark.parametrize("cursor", [
    "not-a-cursor!", encode_cursor(["x"]), encode_cursor([{"id": 1}]), encode_cursor([]),
    base64.urlsafe_b64encode(b'{"id": 1}').decode(), base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    base64.urlsafe_b64encode(b"[1e999]").decode(), encode_cursor([10**30]),
])
async def test_tampered_audit_cursor_is_422(service, cursor: str) -> None:
    _app, client = service
    response = await client.get("/v1/audit", params={"cursor": cursor})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "query.cursor"


async def test_bad_page_size_is_422(service) -> None:
    _app, client = service
    for limit in (0, 501, "x"):
        response = await client.get("/v1/audit", params={"limit": limit})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "query.limit"
