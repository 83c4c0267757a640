"""The usage fast path's turns: at most N at once, handed to waiters in the order they asked."""
from __future__ import annotations

import threading
import time

from services.entitlements.service_layer.usage import Turns
from shared.testkit import wait_until


def test_a_freed_turn_goes_to_the_longest_waiter_not_to_a_late_arrival():
    turns = Turns(1)
    assert turns.acquire(timeout=1)  # held by the test
    order: list[int] = []

    def wait_then_record(number: int) -> None:
        assert turns.acquire(timeout=5)
        order.append(number)
        time.sleep(0.01)
        turns.release()

    waiters = []
    for number in range(5):  # queue up one after the other
        thread = threading.Thread(target=wait_then_record, args=(number,))
        thread.start()
        waiters.append(thread)
        wait_until(lambda n=number: len(turns._waiting) == n + 1, 5, 0.001, "the waiter to queue")
    turns.release()
    assert turns.acquire(timeout=5)  # a late arrival: served after every earlier waiter
    order.append(99)
    turns.release()
    for thread in waiters:
        thread.join(5)
    assert order == [0, 1, 2, 3, 4, 99]


def test_at_most_size_holders_and_a_wait_that_runs_out_leaves_no_trace():
    turns = Turns(2)
    assert turns.acquire(timeout=1) and turns.acquire(timeout=1)
    started = time.monotonic()
    assert not turns.acquire(timeout=0.05)  # both taken
    assert time.monotonic() - started >= 0.05 and not turns._waiting
    turns.release()
    assert turns.acquire(timeout=0.05)  # the freed turn, not handed to the one that gave up
    turns.release()
    turns.release()
    assert turns._free == 2
