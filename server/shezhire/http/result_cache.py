"""Answers to recent queries, kept per snapshot (the served store never changes under it).

Bounded three ways: entries, the size of one answer, and the bytes of all keys and answers
together, so that no sequence of requests can make it grow past its limits.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from shezhire.http.engine import Outcome

# What a cached entry costs beyond its query text and body (tuples, the Outcome, the dict).
ENTRY_OVERHEAD_BYTES = 512


def key_bytes(key: Hashable) -> int:
    """The bytes a key's strings take (a key is a tuple of strings, tuples and small values)."""
    if isinstance(key, str):
        return len(key)
    if isinstance(key, tuple):
        return sum(key_bytes(part) for part in key)
    return 8


class ResultCache:
    """Least recently used answers out first; only whole 200 and 400 answers are kept."""

    CACHEABLE = frozenset({200, 400})

    def __init__(self, entries: int, max_bytes: int, total_bytes: int) -> None:
        self.entries = entries
        self.max_bytes = max_bytes
        self.total_bytes = total_bytes
        self._data: OrderedDict[Hashable, tuple[Outcome, int]] = OrderedDict()
        self.size = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Outcome | None:
        if not self.entries:
            return None
        found = self._data.get(key)
        if found is None:
            self.misses += 1
            return None
        self._data.move_to_end(key)
        self.hits += 1
        return found[0]

    def put(self, key: Hashable, outcome: Outcome) -> None:
        if (
            not self.entries
            or outcome.body is None
            or outcome.status not in self.CACHEABLE
            or len(outcome.body) > self.max_bytes
        ):
            return
        cost = key_bytes(key) + len(outcome.body) + ENTRY_OVERHEAD_BYTES
        if cost > self.total_bytes:
            return
        previous = self._data.pop(key, None)
        if previous is not None:
            self.size -= previous[1]
        self._data[key] = (outcome, cost)
        self.size += cost
        while len(self._data) > self.entries or self.size > self.total_bytes:
            _, (_, evicted) = self._data.popitem(last=False)
            self.size -= evicted
