"""Password hashing: one argon2 computation at a time per process (the gate), answers unchanged."""
from __future__ import annotations

import threading
import time
from typing import Any

from services.identity.adapters.crypto import Passwords


def test_verifications_pass_the_gate_one_at_a_time() -> None:
    passwords = Passwords(concurrency=1)
    stored = passwords.hash("Right-Password-1")
    inside, most = [0], [0]
    lock = threading.Lock()
    real = passwords._hasher

    def watched(password_hash: str, password: str) -> Any:
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.02)
        try:
            return real.verify(password_hash, password)
        finally:
            with lock:
                inside[0] -= 1

    passwords._hasher = type("Watched", (), {"verify": staticmethod(watched)})()  # type: ignore[assignment]
    answers: list[bool] = []
    threads = [threading.Thread(target=lambda p=p: answers.append(passwords.verify(stored, p)))
               for p in ("Right-Password-1", "wrong", "Right-Password-1", "")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert most[0] == 1
    assert sorted(answers) == [False, False, True, True]


def test_unknown_users_still_cost_one_check_and_fail() -> None:
    passwords = Passwords()

    assert passwords.verify(None, "anything") is False
    assert passwords.verify("not-a-hash", "anything") is False
