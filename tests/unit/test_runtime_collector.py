"""`shared.runtime.collector_paused`: the cyclic collector is held off while any pause is
open, and comes back as it was when the first one began."""

from __future__ import annotations

import gc

from shared.runtime import collector_paused


def test_overlapping_pauses_resume_the_collector_when_the_last_ends() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # another request of the event loop, overlapping
            assert not gc.isenabled()
        assert not gc.isenabled()  # the first is still open
    assert gc.isenabled()


def test_a_pause_keeps_the_collector_off_when_it_was_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_pause_ends_on_an_error_too() -> None:
    try:
        with collector_paused():
            raise ValueError("the trace failed")
    except ValueError:
        pass
    assert gc.isenabled()


def test_cycles_made_during_a_pause_are_collected_after() -> None:
    class Node:
        other: object = None

    with collector_paused():
        first, second = Node(), Node()
        first.other, second.other = second, first
        alive = len(gc.get_objects())
        del first, second
    assert gc.collect() >= 2  # the pair, left to the collector, is found
    assert len(gc.get_objects()) < alive
