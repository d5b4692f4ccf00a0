"""Idempotency-Key on both databases: replay, 422 on reuse, 409 while running, release, expiry."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import insert, select, update

from shared.db.tables import audit_log, events, idempotency_keys
from shared.db.types import utcnow
from shared.errors import IdempotencyInProgress
from shared.http.idempotency import Claim, IdempotencyStore, request_fingerprint
from tests.conftest import auth
from tests.service.shared_support import (
    Controls,
    count,
    engine_for,
    widget_body,
    widget_service,
    widgets,
)

KEY = {"Idempotency-Key": "order-42"}


@pytest.fixture
async def service(database_factory) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient, str]]:
    url = await database_factory("catalog")
    async with widget_service(url) as (app, client):
        yield app, client, url


async def _rows(url: str) -> list[dict]:
    async with engine_for(url) as engine, engine.connect() as conn:
        result = await conn.execute(select(idempotency_keys))
        return [dict(row._mapping) for row in result]


async def _counts(url: str) -> tuple[int, int, int, int]:
    async with engine_for(url) as engine:
        return (await count(engine, widgets), await count(engine, audit_log),
                await count(engine, events), await count(engine, idempotency_keys))


async def test_same_key_same_body_replays_without_running_again(service) -> None:
    app, client, url = service
    first = await client.post("/v1/widgets", json=widget_body(), headers=KEY)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    # same JSON with another key order and spacing is the same request
    raw = json.dumps({"qty": "1.5", "name": "reel"}, indent=2)
    second = await client.post("/v1/widgets", content=raw,
                               headers={**KEY, "Content-Type": "application/json"})
    assert second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true"
    assert second.content == first.content
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["location"] == first.headers["location"]
    assert second.headers["content-type"] == "application/json"
    assert app.state.controls.executions == 1
    assert await _counts(url) == (1, 1, 1, 1)
    [row] = await _rows(url)
    assert row["state"] == "completed" and row["response_status"] == 201
    assert row["expires_at"] - row["created_at"] >= timedelta(hours=24)


async def test_same_key_other_body_or_path_is_422(service) -> None:
    app, client, url = service
    assert (await client.post("/v1/widgets", json=widget_body(), headers=KEY)).status_code == 201
    other_body = await client.post("/v1/widgets", json=widget_body(qty="2"), headers=KEY)
    other_path = await client.post("/v1/widgets/copies", json=widget_body(), headers=KEY)
    for response in (other_body, other_path):
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "idempotency_key_reused"
    assert app.state.controls.executions == 1
    assert (await _counts(url))[0] == 1


async def test_keys_are_scoped_per_caller(service) -> None:
    _app, client, url = service
    alice = auth("planner", subject="user:alice")
    bob = auth("planner", subject="user:bob")
    a = await client.post("/v1/widgets", json=widget_body(name="a"), headers={**KEY, **alice})
    b = await client.post("/v1/widgets", json=widget_body(name="b"), headers={**KEY, **bob})
    assert a.status_code == b.status_code == 201
    assert "idempotent-replayed" not in b.headers and a.json()["id"] != b.json()["id"]
    again = await client.post("/v1/widgets", json=widget_body(name="a"), headers={**KEY, **alice})
    assert again.headers["idempotent-replayed"] == "true" and again.json() == a.json()
    assert sorted(r["principal"] for r in await _rows(url)) == ["user:alice", "user:bob"]


async def test_duplicate_while_running_is_409_and_runs_once(service) -> None:
    app, client, url = service
    controls: Controls = app.state.controls
    controls.hold = True  # the first command holds its transaction (and SQLite's write lock)

    async def duplicate() -> tuple[httpx.Response, httpx.Response]:
        await asyncio.wait_for(controls.started.wait(), 10)
        same = await client.post("/v1/widgets", json=widget_body(), headers=KEY)
        other = await client.post("/v1/widgets", json=widget_body(qty="9"), headers=KEY)
        controls.release.set()
        return same, other

    first, (same, other) = await asyncio.wait_for(
        asyncio.gather(client.post("/v1/widgets", json=widget_body(), headers=KEY), duplicate()),
        30,
    )
    assert first.status_code == 201, first.text
    assert same.status_code == 409, same.text
    assert same.json()["code"] == "idempotency_in_progress"
    assert same.headers["retry-after"] == "1"
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert controls.executions == 1
    controls.hold = False
    replay = await client.post("/v1/widgets", json=widget_body(), headers=KEY)
    assert replay.headers["idempotent-replayed"] == "true" and replay.json() == first.json()
    assert controls.executions == 1
    assert await _counts(url) == (1, 1, 1, 1)


async def test_concurrent_identical_requests_execute_once(service) -> None:
    app, client, url = service
    responses = await asyncio.gather(
        *(client.post("/v1/widgets", json=widget_body(), headers=KEY) for _ in range(5))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}, statuses
    assert app.state.controls.executions == 1
    assert (await _counts(url))[:3] == (1, 1, 1)


async def test_failed_command_releases_the_key(service) -> None:
    app, client, url = service
    app.state.controls.fail_next = 1
    failed = await client.post("/v1/widgets", json=widget_body(), headers=KEY)
    assert failed.status_code == 409 and failed.json()["code"] == "conflict"
    assert await _counts(url) == (0, 0, 0, 0)
    retried = await client.post("/v1/widgets", json=widget_body(), headers=KEY)
    assert retried.status_code == 201 and "idempotent-replayed" not in retried.headers
    assert app.state.controls.executions == 2
    assert await _counts(url) == (1, 1, 1, 1)


async def test_command_that_never_commits_keeps_nothing_and_frees_the_key(service) -> None:
    app, client, url = service
    app.state.controls.skip_commit = True
    first = await client.post("/v1/widgets", json=widget_body(), headers=KEY)
    assert first.status_code == 201  # the use-case chose not to commit: nothing is kept
    assert await _counts(url) == (0, 0, 0, 0)
    app.state.controls.skip_commit = False
    again = await client.post("/v1/widgets", json=widget_body(), headers=KEY)
    assert again.status_code == 201 and "idempotent-replayed" not in again.headers
    assert app.state.controls.executions == 2 and await _counts(url) == (1, 1, 1, 1)


async def test_expired_rows_are_purged_and_the_key_is_fresh_again(service) -> None:
    app, client, url = service
    first = await client.post("/v1/widgets", json=widget_body(), headers=KEY)
    keep = await client.post("/v1/widgets", json=widget_body(), headers={"Idempotency-Key": "keep"})
    store: IdempotencyStore = app.state.idempotency
    assert await store.purge_expired() == 0
    async with engine_for(url) as engine, engine.begin() as conn:
        await conn.execute(update(idempotency_keys).where(idempotency_keys.c.key == KEY[
            "Idempotency-Key"]).values(expires_at=utcnow() - timedelta(seconds=1)))
    # expired but not yet purged: no replay, the key is claimed anew
    again = await client.post("/v1/widgets", json=widget_body(), headers=KEY)
    assert again.status_code == 201 and "idempotent-replayed" not in again.headers
    assert again.json()["id"] != first.json()["id"]
    async with engine_for(url) as engine, engine.begin() as conn:
        await conn.execute(update(idempotency_keys).values(expires_at=utcnow() - timedelta(hours=1))
                           .where(idempotency_keys.c.key == KEY["Idempotency-Key"]))
    assert await store.purge_expired() == 1
    assert [r["key"] for r in await _rows(url)] == ["keep"]
    replay = await client.post("/v1/widgets", json=widget_body(),
                               headers={"Idempotency-Key": "keep"})
    assert replay.json() == keep.json() and replay.headers["idempotent-replayed"] == "true"


async def _plant_claim(
    url: str, body: dict, locked_for: timedelta, path: str = "/v1/widgets"
) -> None:
    now = utcnow()
    raw = json.dumps(body).encode()
    async with engine_for(url) as engine, engine.begin() as conn:
        await conn.execute(insert(idempotency_keys).values(
            principal="user:tester", key=KEY["Idempotency-Key"],
            request_hash=request_fingerprint("POST", path, "", raw), method="POST", path=path,
            state="in_progress", locked_until=now + locked_for, created_at=now,
            expires_at=now + timedelta(hours=24),
        ))


async def test_abandoned_claim_is_taken_over_after_its_lock_deadline(service) -> None:
    app, client, url = service
    await _plant_claim(url, widget_body(), timedelta(seconds=-1))
    taken = await client.post("/v1/widgets", json=widget_body(), headers=KEY)
    assert taken.status_code == 201 and app.state.controls.executions == 1
    [row] = await _rows(url)
    assert row["state"] == "completed" and row["locked_until"] > utcnow() - timedelta(seconds=5)


async def test_live_claim_of_another_process_is_409(service) -> None:
    app, client, url = service
    await _plant_claim(url, widget_body(), timedelta(minutes=1))
    busy = await client.post("/v1/widgets", json=widget_body(), headers=KEY)
    assert busy.status_code == 409 and busy.json()["code"] == "idempotency_in_progress"
    assert app.state.controls.executions == 0


async def test_bad_keys_and_unkeyed_posts(service) -> None:
    app, client, url = service
    for bad in ("", "x" * 256, "tab\there"):
        response = await client.post("/v1/widgets", json=widget_body(),
                                     headers={"Idempotency-Key": bad})
        assert response.status_code == 422, bad
        assert response.json()["errors"][0]["field"] == "header.Idempotency-Key"
    plain = [await client.post("/v1/widgets", json=widget_body()) for _ in range(2)]
    assert [r.status_code for r in plain] == [201, 201]
    assert app.state.controls.executions == 2
    assert (await _counts(url))[3] == 0


async def test_a_request_that_lost_its_claim_cannot_complete_or_release_it(service) -> None:
    """The slow original of a taken-over key must not store its response or drop the claim."""
    app, _client, url = service
    await _plant_claim(url, widget_body(), timedelta(minutes=1))  # the taker-over's claim
    [row] = await _rows(url)
    stale = Claim("user:tester", KEY["Idempotency-Key"], row["request_hash"],
                  row["locked_until"] - timedelta(minutes=2))  # the original's old deadline
    store: IdempotencyStore = app.state.idempotency
    with pytest.raises(IdempotencyInProgress):
        async with app.state.db.sessionmaker() as session, session.begin():
            await store.complete(session, stale, JSONResponse({"id": 1}, status_code=201))
    await store.release(stale)
    [after] = await _rows(url)
    assert after["state"] == "in_progress" and after["locked_until"] == row["locked_until"]
