"""Cheap requests must not kill workers: nesting past MAX_QUERY_NESTING is refused before
pyoxigraph sees it (pyoxigraph overflows an 8 MiB stack, a segfault, from 837 nested FILTER
EXISTS), long flat chains run on the worker's large stack, a tiny ``timeout=`` is raised to
MIN_QUERY_TIMEOUT_S, and whatever a query raises becomes an answer."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from worker_support import DirectWorker, tiny_store

from shezhire.http import wire
from shezhire.http.protocol import MIN_QUERY_TIMEOUT_S
from shezhire.http.query_guard import MAX_QUERY_NESTING

N = MAX_QUERY_NESTING
TOO_DEEP = {
    "groups": "SELECT * WHERE " + "{" * 5000 + "}" * 5000,
    "parentheses": "SELECT * WHERE { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }",
    "FILTER EXISTS": "SELECT * WHERE { " + "FILTER EXISTS {" * 1000 + "}" * 1000 + " }",
    "function calls": "SELECT * WHERE { FILTER(" + "STR(" * 1000 + "1" + ")" * 1000 + ") }",
    "subqueries": "SELECT * WHERE { " + "{ SELECT * {" * 1200 + "}}" * 1200 + " }",
    "OPTIONAL": "SELECT * WHERE { " + "OPTIONAL {" * 3000 + "}" * 3000 + " }",
    "blank nodes": "SELECT * WHERE { ?s ?p " + "[ ?p " * 2000 + "[]" + " ]" * 2000 + " }",
    "paths": "SELECT * WHERE { ?s " + "(" * 5000 + "?p" + ")" * 5000 + " ?o }",
}
AT_THE_LIMIT = {
    "groups": "SELECT * WHERE " + "{" * N + "}" * N,
    "function calls": "ASK { FILTER(" + "STR(" * N + "1" + ")" * N + ") }",
    "FILTER EXISTS": "ASK { " + "FILTER EXISTS {" * (N - 1) + "}" * (N - 1) + " }",
    "parentheses": "ASK { FILTER(" + "(" * N + "1" + ")" * N + ") }",
}
# Flat, yet evaluated recursively by pyoxigraph: each overflowed the 8 MiB main stack.
FLAT = {
    "negations": "SELECT * WHERE { FILTER(" + "!" * 20_000 + "true) }",
    "OPTIONAL chain": "SELECT * WHERE { " + "OPTIONAL {} " * 8_000 + "}",
    "FILTER chain": "SELECT * WHERE { " + "FILTER(true) " * 10_000 + "}",
}


def health(base_url: str) -> dict[str, int]:
    data = httpx.get(base_url + "/health", timeout=10).json()
    return {k: data[k] for k in ("workers_died", "queries_stopped_at_time_limit")}


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    return tiny_store(tmp_path / "store")


@pytest.mark.parametrize("name", sorted(TOO_DEEP))
def test_deep_nesting_is_refused_and_no_worker_dies(
    client: httpx.Client, base_url: str, name: str
) -> None:
    before = health(base_url)
    response = client.post("/sparql", data={"query": TOO_DEEP[name]})
    assert response.status_code == 400, response.text
    assert f"nested too deeply: at most {N} levels" in response.text
    assert health(base_url) == before


@pytest.mark.parametrize("name", sorted(AT_THE_LIMIT))
def test_nesting_up_to_the_limit_runs(client: httpx.Client, name: str) -> None:
    response = client.post("/sparql", data={"query": AT_THE_LIMIT[name]})
    assert response.status_code == 200, response.text


def test_many_shallow_brackets_run(client: httpx.Client) -> None:
    # More opening brackets than the limit, so it is parsed; shallow, so it runs.
    rows = " ".join(f'({i} "v{i}")' for i in range(3 * N))
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES (?i ?v) {{ {rows} }} }}"
    response = client.post("/sparql", data={"query": query})
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"][0]["n"]["value"] == str(3 * N)


def test_flat_chains_run_on_the_workers_large_stack(dump: Path) -> None:
    with DirectWorker(dump) as worker:
        for name, query in FLAT.items():
            answer = worker.run(query)
            assert answer.status == 200, (name, answer.text)
        assert worker.alive


def test_the_worker_answers_whatever_it_is_sent(dump: Path) -> None:
    hostile = [
        *TOO_DEEP.values(),
        "SELECT * WHERE { ?s ?p ?o } LIMIT 99999999999999999999999999",
        "SELECT * WHERE { <" + "a" * 200_000 + "> ?p ?o }",
        "SELECT * WHERE { ?s ?p ?o \x00 }",
        "SELECT (<http://example.org/f>(1) AS ?x) {}",
        "DESCRIBE <http://example.org/s0>",
        "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "",
    ]
    with DirectWorker(dump) as worker:
        for query in hostile:
            answer = worker.run(query)
            assert answer.kinds[0] == wire.ACCEPTED
            assert answer.status in (200, 400, 403), (query[:60], answer.text)
        assert worker.run("ASK {}").status == 200
        assert worker.alive


def test_a_tiny_timeout_is_raised_to_the_floor(client: httpx.Client, base_url: str) -> None:
    before = health(base_url)
    for query in ("ASK { ?s ?p 'floor' }", "SELECT * WHERE { ?s ?p 'floor' }"):
        response = client.get("/sparql", params={"query": query, "timeout": "1e-9"})
        assert response.status_code == 200, response.text
    assert health(base_url) == before  # no worker killed for them
    # A query that does run past it is stopped at the floor, not at a nanosecond.
    explosive = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    started = time.monotonic()
    response = client.get("/sparql", params={"query": explosive, "timeout": "0.000001"})
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert f"time limit of {MIN_QUERY_TIMEOUT_S:g} s" in response.text
    assert elapsed >= MIN_QUERY_TIMEOUT_S - 0.1
