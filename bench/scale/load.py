"""A small HTTP/1.1 load client (asyncio on uvloop, keep-alive) and the SPARQL queries of the
endpoint benchmarks (``bench/http_bench.py`` and the ``sparql`` part of the scale benchmark).

Each of N clients holds one connection, from its own loopback address (127.0.1.N, as separate
users would: the endpoint limits concurrent queries per client address), and sends one request
after the other until the slice's duration or the request budget is spent; requests answered
during the warm-up are not counted. A request is made by a function of a counter shared by all
clients (and, when the caller passes the same counter, by all slices), so that every request can
be a different query text. Every answer is read whole (Content-Length or chunked) and every
status other than 200 is counted as an error (by status; 0 = the server closed the connection
without an answer, after which the client connects again).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import httpx
import uvloop

MAX_REQUESTS = 200_000
WARMUP_S = 0.3  # per slice
ROUNDS = 3  # the servers alternate in slices: the machine's load hits all alike
SCHEMA = "https://schema.org/"
SPARQL_JSON = "application/sparql-results+json"
SHZ = "https://w3id.org/shezhire/ontology#"
ID_BASE = "https://w3id.org/shezhire/id/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"

TIES = f"(<{SCHEMA}knows>|<{SCHEMA}relatedTo>)"
PICK_PERSON = f"""
SELECT ?person (COUNT(DISTINCT ?other) AS ?ties) WHERE {{
  ?person {TIES} ?other .
}} GROUP BY ?person ORDER BY DESC(?ties) STR(?person) LIMIT 1
"""

# What makes the request numbered ``n`` (the counter is shared by the clients of a slice).
RequestMaker = Callable[[int], bytes]


def lookup_query(person: str) -> str:
    return f"SELECT ?p ?o WHERE {{ <{person}> ?p ?o }}"


def two_hop_query(person: str) -> str:
    return (
        f"SELECT DISTINCT ?b ?c WHERE {{ <{person}> {TIES} ?b . ?b {TIES} ?c . "
        f"FILTER(?c != <{person}>) }}"
    )


def get_request(url: str, path: str, accept: str) -> bytes:
    """The bytes of ``GET path`` (with its query string) to the server of ``url``."""
    host = urlsplit(url).netloc
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: {accept}\r\n\r\n".encode()


def query_request(url: str, query: str, accept: str = SPARQL_JSON) -> bytes:
    """``GET url?query=...`` (``url`` is the endpoint: ``.../sparql``, ``.../query``)."""
    return get_request(url, f"{urlsplit(url).path}?query={quote(query, safe='')}", accept)


@dataclass
class Result:
    requests: int
    seconds: float
    latencies: list[float]
    errors: int
    statuses: dict[int, int] = field(default_factory=dict)  # non-200 answers (0: closed)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """The ``p``-th percentile of the latencies, in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """The status of one answer read whole, and whether the server closes the connection."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    closes = b"connection: close" in lower
    index = lower.find(b"content-length:")
    if index >= 0:
        end = lower.index(b"\r\n", index)
        length = int(lower[index + 15 : end])
        while length > 0:  # large answers (dumps) in pieces, not one buffer
            piece = await reader.read(min(length, 1 << 20))
            if not piece:
                raise asyncio.IncompleteReadError(b"", length)
            length -= len(piece)
        return status, closes
    if b"transfer-encoding: chunked" in lower:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                return status, closes
    raise RuntimeError("response without length")


async def _connect(
    host: str, port: int, source: str
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(host, port, local_addr=(source, 0), limit=1 << 20)


async def _client(
    host: str,
    port: int,
    make: RequestMaker,
    counter: Iterator[int],
    stop_at: float,
    measure_from: float,
    out: Result,
    budget: list[int],
    source: str,
) -> None:
    reader, writer = await _connect(host, port, source)
    clock = time.perf_counter
    try:
        while budget[0] > 0:
            started = clock()
            if started >= stop_at:
                break
            writer.write(make(next(counter)))
            try:
                status, closes = await _read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                status, closes = 0, True  # closed without a (whole) answer: an error
            done = clock()
            if started >= measure_from:
                budget[0] -= 1
                out.requests += 1
                out.latencies.append(done - started)
                if status != 200:
                    out.errors += 1
                    out.statuses[status] = out.statuses.get(status, 0) + 1
            if closes:
                writer.close()
                reader, writer = await _connect(host, port, source)
    finally:
        writer.close()


async def _load(
    url: str,
    make: RequestMaker,
    clients: int,
    duration: float,
    counter: Iterator[int],
    warmup: float,
    max_requests: int,
) -> Result:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    measure_from = time.perf_counter() + warmup
    stop_at = measure_from + duration
    out = Result(0, duration, [], 0)
    budget = [max_requests]
    await asyncio.gather(
        *(
            _client(host, port, make, counter, stop_at, measure_from, out, budget, f"127.0.1.{n}")
            for n in range(1, clients + 1)
        )
    )
    out.seconds = min(duration, max(time.perf_counter() - measure_from, 1e-9))
    return out


def run_load(
    url: str,
    make: RequestMaker,
    clients: int,
    duration: float,
    counter: Iterator[int] | None = None,
    warmup: float = WARMUP_S,
    max_requests: int = MAX_REQUESTS,
) -> Result:
    """``clients`` keep-alive connections to ``url``'s server sending ``make(n)`` for
    ``duration`` seconds after ``warmup`` (or until ``max_requests`` are counted)."""
    return uvloop.run(
        _load(url, make, clients, duration, counter or itertools.count(), warmup, max_requests)
    )


def measure(url: str, query: str, clients: int, duration: float) -> Result:
    """One query, the same text every time, as SPARQL JSON results."""
    request = query_request(url, query)
    return run_load(url, lambda _n: request, clients, duration)


def select(endpoint: str, query: str) -> list[dict[str, str]]:
    """The rows of a SELECT as plain strings (an unbound variable left out of its row)."""
    answer = httpx.get(
        endpoint, params={"query": query}, headers={"accept": SPARQL_JSON}, timeout=300
    )
    answer.raise_for_status()
    return [
        {name: cell["value"] for name, cell in row.items()}
        for row in answer.json()["results"]["bindings"]
    ]


def spread(items: list[str], n: int) -> list[str]:
    """``n`` of ``items`` (all when fewer), evenly spaced through the list."""
    if len(items) <= n:
        return items
    return [items[i * len(items) // n] for i in range(n)]


def persons(endpoint: str, n: int, ties: bool = False, first_copy: bool = False) -> list[str]:
    """``n`` persons (with ties of knows|relatedTo: ``ties``), evenly spaced in IRI order; with
    ``first_copy`` only those of copy 0 (the data as it is: the same persons at every scale)."""
    where = f"?p a <{SHZ}Person> ." + (f" ?p {TIES} ?o ." if ties else "")
    rows = select(endpoint, f"SELECT DISTINCT ?p WHERE {{ {where} }} ORDER BY ?p")
    iris = [r["p"] for r in rows]
    if first_copy:
        iris = [i for i in iris if not re.search(r"-c[0-9]+$", i)]
    return spread(iris, n)


def combine(results: list[Result]) -> Result:
    statuses: dict[int, int] = {}
    for r in results:
        for status, count in r.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return Result(
        sum(r.requests for r in results),
        sum(r.seconds for r in results),
        [x for r in results for x in r.latencies],
        sum(r.errors for r in results),
        statuses,
    )


def alternate(
    runs: Sequence[Callable[[float], Result]], duration: float, rounds: int = ROUNDS
) -> list[Result]:
    """Each run for ``duration / rounds`` seconds in turn, ``rounds`` times: the machine's load
    hits all alike. One result per run, its slices combined."""
    slices: list[list[Result]] = [[] for _ in runs]
    for _ in range(rounds):
        for index, run in enumerate(runs):
            slices[index].append(run(duration / rounds))
    return [combine(s) for s in slices]


def compare(urls: list[str], query: str, clients: int, duration: float) -> list[Result]:
    """Measure each server in turn, ROUNDS times, so that load on the machine hits all alike."""
    return alternate([functools.partial(measure, url, query, clients) for url in urls], duration)
