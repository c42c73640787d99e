"""The build's phases, observable (the scale benchmark measures each one through them)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

PhaseObserver = Callable[[str, bool], None]
# Called with (phase, True) when a phase starts and (phase, False) when it ends: the scale
# benchmark (bench/scale/) measures each phase's time and peak memory through it.
PHASE_OBSERVERS: list[PhaseObserver] = []
PHASES = ("parse", "gate", "materialize", "publish", "stats")


@contextmanager
def phase(name: str) -> Iterator[None]:
    for observer in PHASE_OBSERVERS:
        observer(name, True)
    try:
        yield
    finally:
        for observer in PHASE_OBSERVERS:
            observer(name, False)
