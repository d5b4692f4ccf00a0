"""Process-level tuning of a running service."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def freeze_heap() -> None:
    """Collect once, then move every object alive now out of the collector's sight.

    What start-up leaves (modules, classes, pydantic schemas, routes, SQLAlchemy mappers:
    about 200,000 objects a service) lives as long as the process, yet every full
    collection walked all of it again: 120-280 ms on the benchmark machine, landing on
    whichever request happened to allocate at the time (the material check's p95 was
    half as slow again as its median). Frozen, a full collection walks only what was
    allocated since. Call it once, when start-up is done: objects frozen are never
    collected as cycles, so calling it per request would leak.
    """
    gc.collect()
    gc.freeze()


_paused = 0
_enable_after = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector off while a large answer is built and rendered.

    A backward trace builds some 100,000 objects that live until its JSON is written; the
    young-generation collections that run meanwhile promote them all into the oldest
    generation, so every eighth trace or so paid for a full collection (25-30 ms, the
    benchmark's p99). Paused, they are freed by reference counting when the answer is
    sent, and the collector resumes with nothing to promote. Overlapping pauses (other
    requests of the event loop) are counted: it resumes when the last one ends, and only
    if it was running when the first began. Cyclic garbage made meanwhile waits for it.
    """
    global _paused, _enable_after
    if _paused == 0:
        _enable_after = gc.isenabled()
        gc.disable()
    _paused += 1
    try:
        yield
    finally:
        _paused -= 1
        if _paused == 0 and _enable_after:
            gc.enable()
