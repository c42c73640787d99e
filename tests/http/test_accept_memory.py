"""Parsed Accept headers are cached (clients repeat them), but only short ones: a client
sending many distinct large Accept headers must not make the server keep them. The issue's
case: 40 distinct 3 MB headers kept 111 MB for good."""

from __future__ import annotations

from pathlib import Path

import httpx

from shezhire.http.negotiation import (
    ACCEPT_CACHE_ENTRIES,
    MAX_ACCEPT_RANGES,
    MAX_CACHED_ACCEPT_CHARS,
    parse_accept,
)
from shezhire.http.testing import LiveServer
from shezhire.http.transport import MAX_HEADER_BYTES

# More distinct headers than a cache has entries, each as large as the header limit allows.
HEADERS = ACCEPT_CACHE_ENTRIES + 100
# What the server may keep after them all (allocator slack; before the fix: hundreds of MB).
MAX_GROWTH_MB = 25
PATHS = ["/sparql", "/sparql?query=ASK%20%7B%7D", "/id/person/test-person-1"]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _accept(i: int) -> str:
    """A distinct Accept header of many ranges, just under the header limit; the last range
    is one the server offers, so every request is answered 200."""
    ranges = []
    size = 0
    j = 0
    while size < MAX_HEADER_BYTES - 2048:
        ranges.append(f"text/x-{i}-{j};q=0.{j % 9 + 1}")
        size += len(ranges[-1]) + 2
        j += 1
    return ", ".join([*ranges, "*/*;q=0.1"])


def test_large_distinct_accept_headers_are_not_kept(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for path in PATHS:  # warm up whatever the routes load once
            for i in range(20):
                assert client.get(path, headers={"accept": _accept(-i)}).status_code in (200, 406)
        before = _rss_mb(server.pid)
        for i in range(HEADERS):
            accept = _accept(i)
            for path in PATHS:
                response = client.get(path, headers={"accept": accept})
                assert response.status_code in (200, 406), response.text[:200]
        after = _rss_mb(server.pid)
    print(
        f"\nserver RSS {before:.0f} MB before {HEADERS} x {len(PATHS)} requests with distinct "
        f"{len(_accept(0)) // 1024} KiB Accept headers, {after:.0f} MB after"
    )
    assert after - before < MAX_GROWTH_MB


def test_long_headers_are_parsed_alike_but_only_their_first_ranges() -> None:
    short = "text/csv;q=0.5, application/json"
    padded = short + ", " + ", ".join(["x/y;q=0.1"] * MAX_CACHED_ACCEPT_CHARS)
    assert parse_accept(padded)[:2] == parse_accept(short)
    assert len(parse_accept(padded)) == MAX_ACCEPT_RANGES
