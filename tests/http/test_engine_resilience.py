"""Nothing a client sends takes the service down or starves others (issue 8, section 3).

Each test runs its own real server on the repository's plain store (``store_path`` from
conftest) with the limits it needs, and real clients; workers are killed with real signals.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from http_support import TEST_GRAPH
from test_timeout import children

from shezhire.config import Settings
from shezhire.http.testing import LiveServer

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
SHORT = f"SELECT ?s WHERE {{ GRAPH <{TEST_GRAPH}> {{ ?s ?p ?o }} }} LIMIT 3"
# About 100,000 rows of ten long literals each: hundreds of megabytes of TSV.
HUGE = (
    "SELECT ?a ?b ?c ?d ?e ?f ?g ?h ?i ?j WHERE { "
    + " ".join(f"?x{n} <http://www.w3.org/ns/oa#exact> ?{v} ." for n, v in enumerate("abcdefghij"))
    + " } LIMIT 20000"
)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def wait_workers(server: LiveServer, count: int, within: float = 30) -> dict[int, float]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = children(server.pid)
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} workers")


def client_from(address: str, base_url: str, timeout: float = 60) -> httpx.Client:
    """A client whose connections come from ``address`` (another 127.0.0.0/8 address)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=base_url, timeout=timeout, transport=transport)


@pytest.fixture
def serve(store_path: Path) -> Iterator[object]:
    servers: list[LiveServer] = []

    def start(**limits: object) -> LiveServer:
        settings = Settings(store_path=store_path, **limits)  # type: ignore[arg-type]
        server = LiveServer(settings).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def test_short_queries_are_answered_while_runaways_hold_the_first_workers(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve(query_workers=2, max_query_workers=5, query_timeout_s=8, max_client_queries=4)
    results: list[int] = []
    runaways = [
        threading.Thread(
            target=lambda: results.append(
                httpx.get(server.sparql, params={"query": RUNAWAY}, timeout=60).status_code
            )
        )
        for _ in range(2)
    ]
    for thread in runaways:
        thread.start()
    time.sleep(1.0)  # both runaways now hold a worker
    waits = []
    for address in ("127.0.0.1", "127.0.0.2"):  # the same client, and another one
        with client_from(address, server.url) as http:
            for _ in range(5):
                started = time.monotonic()
                response = http.get("/sparql", params={"query": SHORT + f" # {address} {_}"})
                waits.append(time.monotonic() - started)
                assert response.status_code == 200, response.text
    for thread in runaways:
        thread.join()
    assert results == [503, 503]
    assert max(waits) < 3.0, waits
    print(f"short queries during two runaways: worst {max(waits) * 1000:.0f} ms")


def test_a_client_over_its_limit_gets_429_and_others_are_served(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve(query_workers=2, max_query_workers=4, query_timeout_s=6, max_client_queries=2)
    with client_from("127.0.0.3", server.url) as greedy:
        threads = [
            threading.Thread(target=lambda: greedy.get("/sparql", params={"query": RUNAWAY}))
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        refused = greedy.get("/sparql", params={"query": SHORT})
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "1"
        with client_from("127.0.0.4", server.url) as other:
            assert other.get("/sparql", params={"query": SHORT}).status_code == 200
        for thread in threads:
            thread.join()
        # Its runaways are over: the same client is served again.
        assert greedy.get("/sparql", params={"query": SHORT + " # again"}).status_code == 200


def test_a_worker_killed_while_idle_costs_no_query(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve(query_workers=2, max_query_workers=2, result_cache_entries=0)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for round_ in range(5):
            for pid in wait_workers(server, 2):
                os.kill(pid, signal.SIGKILL)
            # No pause: the next queries reach workers that are dead or being replaced.
            for n in range(3):
                response = http.get("/sparql", params={"query": f"{SHORT} # {round_} {n}"})
                assert response.status_code == 200, response.text
        deadline = time.monotonic() + 15  # the pool is back to its minimum
        while (health := http.get("/health").json())["query_workers"] < 2:
            assert time.monotonic() < deadline, health
            time.sleep(0.1)
    assert health["workers_died"] >= 5
    assert "Traceback" not in server.log()


def test_a_worker_killed_mid_stream_breaks_the_answer_visibly(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve(query_workers=1, max_query_workers=1, max_result_bytes=100_000_000)
    with httpx.Client(base_url=server.url, timeout=60) as http:
        busy_worker = next(iter(wait_workers(server, 1)))
        with (
            pytest.raises(httpx.RemoteProtocolError),
            http.stream("GET", "/sparql", params={"query": HUGE, "format": "tsv"}) as response,
        ):
            assert response.status_code == 200
            chunks = response.iter_bytes()
            next(chunks)
            os.kill(busy_worker, signal.SIGKILL)
            for _ in chunks:
                pass
        assert http.get("/sparql", params={"query": SHORT}).status_code == 200
    log = server.log()
    assert "answer aborted mid-stream" in log
    assert "Traceback" not in log and "Exception in ASGI application" not in log


def test_stalled_clients_of_huge_answers_do_not_grow_the_server(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve(query_workers=2, max_query_workers=3, max_result_bytes=100_000_000)
    before = rss_mb(server.pid)
    streams = []
    clients = [httpx.Client(base_url=server.url, timeout=60) for _ in range(2)]
    try:
        for http in clients:
            request = http.build_request("GET", "/sparql", params={"query": HUGE, "format": "tsv"})
            response = http.send(request, stream=True)
            assert response.status_code == 200
            next(response.iter_raw(65536))  # read a little, then stall
            streams.append(response)
        time.sleep(5)  # without back-pressure the whole answers pile up in the server now
        grown = rss_mb(server.pid) - before
    finally:
        for response in streams:
            response.close()
        for http in clients:
            http.close()
    print(f"server grew {grown:.0f} MB with two stalled huge answers")
    assert grown < 60


def test_concurrent_dumps_and_queries_never_end_the_process(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve(query_workers=2)
    with httpx.Client(base_url=server.url, timeout=60) as http:
        expected = {ext: http.get(f"/dump.{ext}").content for ext in ("nq", "trig", "ttl")}
    failures: list[str] = []

    def fetch(ext: str, index: int) -> None:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            if index % 3 == 0:  # some readers give up half way
                with http.stream("GET", f"/dump.{ext}") as response:
                    next(response.iter_bytes(1024))
                return
            body = http.get(f"/dump.{ext}").content
            if body != expected[ext]:
                failures.append(f"{ext}: {len(body)} bytes, expected {len(expected[ext])}")
            if http.get("/sparql", params={"query": f"{SHORT} # {index}"}).status_code != 200:
                failures.append("query failed")

    threads = [
        threading.Thread(target=fetch, args=(ext, i))
        for i in range(6)
        for ext in ("nq", "trig", "ttl")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert server.process is not None and server.process.poll() is None
    assert httpx.get(server.url + "/health", timeout=5).status_code == 200


def test_the_result_cache_stays_within_its_bytes(serve) -> None:  # type: ignore[no-untyped-def]
    limit = 1_000_000
    server = serve(result_cache_total_bytes=limit, max_query_length=100_000)
    padding = "#" + "x" * 60_000 + "\n"
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for n in range(40):  # 40 distinct 60 kB queries: 2.4 MB of keys alone
            response = http.post("/sparql", data={"query": f"{padding}ASK {{ }} # {n}"})
            assert response.status_code == 200
        cache = http.get("/health").json()["result_cache"]
    assert 0 < cache["bytes"] <= limit
