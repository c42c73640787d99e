"""The time limit really stops a query: 503 at the limit, others answered meanwhile, CPU freed."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import httpx
from http_support import PERSON, TEST_GRAPH

from shezhire.config import Settings
from shezhire.http.testing import LiveServer

EXPLOSIVE = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
)
LIMIT_S = 2.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def children(pid: int) -> dict[int, float]:
    """Live (not zombie) query workers of ``pid`` and their CPU seconds, from /proc (the
    snapshot's dump process, also a child, is not one)."""
    found: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"shezhire.http.worker" in command:
                found[int(entry.name)] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return found


def test_explosive_query_is_stopped_and_cpu_freed(server: LiveServer, base_url: str) -> None:
    deadline = time.monotonic() + 30
    while len(before := children(server.pid)) != 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(before) == 2
    outcome: dict[str, object] = {}

    def explode() -> None:
        started = time.monotonic()
        response = httpx.get(
            base_url + "/sparql", params={"query": EXPLOSIVE, "timeout": str(LIMIT_S)}, timeout=60
        )
        outcome["elapsed"] = time.monotonic() - started
        outcome["status"] = response.status_code
        outcome["text"] = response.text

    thread = threading.Thread(target=explode)
    thread.start()
    time.sleep(0.5)
    # While the explosive query burns one worker, a simple query and /health answer at once.
    started = time.monotonic()
    simple = httpx.get(
        base_url + "/sparql",
        params={"query": f"SELECT ?o WHERE {{ <{PERSON}5> ?p ?o }}"},
        timeout=10,
    )
    simple_elapsed = time.monotonic() - started
    assert simple.status_code == 200
    assert len(simple.json()["results"]["bindings"]) == 5
    assert thread.is_alive()  # answered while the explosive query was still running
    assert simple_elapsed < 1.0 + (LIMIT_S - 0.5) / 2
    assert httpx.get(base_url + "/health", timeout=5).status_code == 200
    busy = children(server.pid)
    thread.join(timeout=30)

    assert outcome["status"] == 503
    assert "time limit" in str(outcome["text"])
    elapsed = float(outcome["elapsed"])  # type: ignore[arg-type]
    assert LIMIT_S - 0.1 <= elapsed < LIMIT_S + 3.0
    # One worker burned CPU during the query; it is gone now, and no child keeps spinning.
    burning = [pid for pid, cpu in busy.items() if cpu - before.get(pid, 0.0) > 0.2]
    assert len(burning) == 1
    deadline = time.monotonic() + 2
    while burning[0] in children(server.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert burning[0] not in children(server.pid)  # killed, not merely abandoned
    # A replacement worker comes up (loading the store costs it some CPU) and the pool is whole.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        health = httpx.get(base_url + "/health", timeout=5).json()
        if health["query_workers"] == 2:
            break
        time.sleep(0.2)
    assert health["query_workers"] == 2
    assert health["queries_stopped_at_time_limit"] >= 1
    # Then nothing spins: no child of the server uses CPU while no query runs.
    after = children(server.pid)
    assert burning[0] not in after
    time.sleep(1.0)
    later = children(server.pid)
    for pid, cpu in later.items():
        if pid in after:
            assert cpu - after[pid] < 0.1, f"worker {pid} still busy"
    again = httpx.get(base_url + "/sparql", params={"query": "ASK {}"}, timeout=10)
    assert again.status_code == 200


def test_requested_timeout_cannot_exceed_server_limit(base_url: str) -> None:
    # timeout=1e9 is clamped to the server's query_timeout_s; a trivial query still answers.
    response = httpx.get(base_url + "/sparql", params={"query": "ASK {}", "timeout": "1e9"})
    assert response.status_code == 200


def test_memory_hungry_query_is_stopped(settings: Settings) -> None:
    small = settings.model_copy(update={"worker_memory_mb": 400, "port": 8000, "query_workers": 1})
    graph = f"GRAPH <{TEST_GRAPH}> "
    query = (
        f"SELECT * WHERE {{ {graph}{{ ?s ?p ?o }} {graph}{{ ?a ?b ?c }} {graph}{{ ?d ?e ?f }} }} "
        "ORDER BY ?o ?c ?f LIMIT 1"
    )
    with LiveServer(small) as server:
        response = httpx.get(server.url + "/sparql", params={"query": query}, timeout=60)
        assert response.status_code == 503
        assert "memory" in response.text
        # the pool recovers: the next query is answered by a fresh worker
        again = httpx.get(server.url + "/sparql", params={"query": "ASK {}"}, timeout=60)
        assert again.status_code == 200, again.text


def test_a_worker_killed_from_outside_is_replaced(server: LiveServer, base_url: str) -> None:
    deadline = time.monotonic() + 30
    while len(workers := children(server.pid)) != 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    victim = min(workers)
    os.kill(victim, 9)
    time.sleep(0.3)
    # Both idle workers are tried in turn: the dead one is skipped, never a failed query.
    for _ in range(4):
        response = httpx.get(base_url + "/sparql", params={"query": "ASK {}"}, timeout=30)
        assert response.status_code == 200
    while time.monotonic() < deadline:
        health = httpx.get(base_url + "/health", timeout=5).json()
        if health["query_workers"] == 2:
            break
        time.sleep(0.2)
    assert health["query_workers"] == 2
    assert victim not in children(server.pid)
