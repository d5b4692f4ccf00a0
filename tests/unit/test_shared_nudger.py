"""The nudger coalesces: one nudge on its way per subscriber, one more when commits came."""

from __future__ import annotations

import asyncio
from typing import Any

from shared.events.feed import Nudger


class SlowClient:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.release = asyncio.Event()

    async def request(self, target: str, method: str, path: str, **_: Any) -> None:
        self.sent.append(target)
        await self.release.wait()


async def test_commits_during_a_nudge_make_one_more_nudge() -> None:
    client = SlowClient()
    nudger = Nudger(client, "stock", ["trace", "mrp"])  # type: ignore[arg-type]
    await nudger.events_committed([1])
    await asyncio.sleep(0)
    assert sorted(client.sent) == ["mrp", "trace"]  # one each on its way
    for _ in range(9):  # commits while they are on their way
        await nudger.events_committed([1])
    await asyncio.sleep(0)
    assert len(client.sent) == 2
    client.release.set()
    await nudger.drain()
    await asyncio.sleep(0)
    await nudger.drain()
    assert sorted(client.sent) == ["mrp", "mrp", "trace", "trace"]  # and one more each
    await nudger.events_committed([2])  # quiet again: the next commit nudges at once
    await nudger.drain()
    assert len(client.sent) == 6


async def test_a_failed_nudge_does_not_stop_later_ones() -> None:
    class Failing:
        calls = 0

        async def request(self, *_: Any, **__: Any) -> None:
            Failing.calls += 1
            raise OSError("down")

    nudger = Nudger(Failing(), "stock", ["trace"])  # type: ignore[arg-type]
    await nudger.events_committed([1])
    await nudger.drain()
    await nudger.events_committed([2])
    await nudger.drain()
    assert Failing.calls == 2
