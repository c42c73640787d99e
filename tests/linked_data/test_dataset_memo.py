"""Dataset.memo: one value per key and build, and a slow key never holds up another."""

from __future__ import annotations

import threading
from pathlib import Path

import pyoxigraph as ox

from shezhire.linked_data.graph import Dataset


def test_a_value_being_computed_does_not_hold_up_another_key(tmp_path: Path) -> None:
    dataset = Dataset(ox.Store(), tmp_path, 0.0, "test")
    started, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow() -> str:
        calls.append("slow")
        started.set()
        release.wait(10)
        return "slow value"

    waiter = threading.Thread(target=lambda: dataset.memo("slow", slow))
    waiter.start()
    assert started.wait(10)
    # While "slow" is being computed, another key is computed and returned at once ...
    assert dataset.memo("fast", lambda: "fast value") == "fast value"
    # ... and a second caller of "slow" waits for the first computation instead of repeating it.
    second: list[object] = []
    other = threading.Thread(target=lambda: second.append(dataset.memo("slow", slow)))
    other.start()
    release.set()
    waiter.join(10)
    other.join(10)
    assert second == ["slow value"] and calls == ["slow"]
    assert dataset.memo("slow", slow) == "slow value"
