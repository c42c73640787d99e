"""Fuzz and soak: thousands of varied, hostile requests against a real server; it must stay up.

    .venv/bin/python bench/soak.py [--requests 10000] [--concurrency 8] [--duration 1800]
                                   [--seed 1] [--store PATH] [--json] [--max-deaths 5]
                                   [--no-triage] [--exclude REGEX]

Starts ``python -m shezhire.http.server`` (``LiveServer``) on a free 127.0.0.1 port over a built
store (``--store``, or one built from this checkout into a temporary folder) with a short query
time limit (``SOAK_QUERY_TIMEOUT_S``), then sends at least ``--requests`` requests over every
route of the app (read from ``create_app().routes``, plus the ``/sparql`` fast path): valid
requests, mutated competency queries, bad percent-escapes and invalid UTF-8, huge and malformed
headers, wrong methods, traversal paths, injected ``SERVICE`` clauses, deep nesting, huge
``VALUES``, codepoint escapes, runaway queries, storms of concurrent full dumps (read fully,
slowly, or abandoned), slow-header and slow-body clients, early disconnects; now and then it
SIGKILLs a query worker (idle, or while it runs a query). Raw sockets, so that nothing normalises
the requests; every request has a client time limit, the whole run a duration cap.

It asserts, and reports (a table, or JSON with ``--json``; the exit status is 1 on any failure):

* no 5xx but the documented 503s (time limit, busy, worker died), each other one with the
  request that caused it;
* the server process never dies (the same pid answers at the end) and its query workers come
  back to their number; a death is recorded with its suspects (the requests in flight or just
  answered) and the log's tail, the server is restarted so that the rest of the run still finds
  things, and after the run the suspects are replayed on a fresh server, alone and then all at
  once, to find what kills it;
* ``/health``, polled every ``HEALTH_INTERVAL_S`` from its own thread, answers 200 within
  ``HEALTH_BOUND_S`` throughout;
* the server's memory (VmRSS of the server process, and of its process tree: the server and
  its query workers) grows by less than ``MEMORY_GROWTH_BOUND_MB`` (the tree: plus
  ``WORKER_GROWTH_BOUND_MB`` per worker) from start to end;
* the hardening contracts: an outbound ``SERVICE`` is refused and never reaches 127.0.0.1 (a
  canary socket listens for it), oversized headers and URLs and wrong methods are not served,
  traversal leaks nothing, a slow request head does not hold a connection forever, markup sent
  in a request is never reflected unescaped, and a 429 carries ``Retry-After``.

Deterministic for a given ``--seed``: the same requests in the same order (only their
interleaving depends on timing). Loopback only. ``tests/http/test_soak.py`` runs a short soak.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote_from_bytes

import httpx

from shezhire.config import BASE_IRI, Settings
from shezhire.http.testing import LiveServer, free_port

REPO = Path(__file__).resolve().parents[1]

# -- limits of the soak itself --------------------------------------------------------------------

DEFAULT_REQUESTS = 10_000
DEFAULT_CONCURRENCY = 8
DEFAULT_DURATION_S = 1800.0
# The server's query time limit during the soak: short, so that runaway queries end quickly.
SOAK_QUERY_TIMEOUT_S = 3.0
# A client gives up on an ordinary request after this long: ten query time limits, enough for a
# query that waited for a busy worker and then ran to its limit, or for a full dump.
CLIENT_TIMEOUT_S = 30.0
HEALTH_INTERVAL_S = 0.2
HEALTH_BOUND_S = 1.0  # /health must answer 200 within this, throughout
HEALTH_CLIENT_TIMEOUT_S = 5.0  # so that a slow answer is measured, not only flagged
# Slow clients: a request head or body trickles in; a server with a header timeout answers 408 or
# closes. We wait this long (or the server's own header timeout plus SLOW_MARGIN_S, if the
# settings name one) before calling the connection held open.
SLOW_CAP_S = 15.0
SLOW_MARGIN_S = 5.0
SLOW_STEP_S = 0.5
SLOW_READ_CAP_S = 8.0  # a slow dump reader stops (abandons) after this long
SLOW_POOL = 4  # slow clients run in their own threads, so they do not starve the others
# Memory: bounds on growth from start to end (VmRSS), for the server process and for its tree.
# The server keeps caches that are bounded by design (the result cache: 64 MiB in all on the
# hardened server, 512 answers of at most 256 KiB = 128 MiB at 749cbf9; up to 32 filtered views
# and 4 full copies of the person network; the memoised page data of one build). Measured over
# 10,000 requests: the hardened tree grows +104 MB and levels off; 749cbf9 grows in steps to
# +300 MB (its bigger result cache and unbounded request heads). 200 MB passes the first with
# room for allocator slack and flags the second; a leak of 20 KB per request fails.
MEMORY_GROWTH_BOUND_MB = 200.0
# Each query worker at the end may account for this much growth of the tree: a copy of the
# store if it is new (the pool grows on demand; ~65 MB here) plus the high-water mark of the
# largest answer it built, which the allocator keeps (measured: +70 MB per worker over 10,000
# requests). A killed worker is replaced by a fresh one.
WORKER_GROWTH_BOUND_MB = 200.0
MEMORY_INTERVAL_S = 0.5
RECOVERY_S = 60.0  # after the run, the workers have this long to come back to their number
MAX_DEATHS = 5  # the run stops after this many deaths of the server
SERVER_RESTART_WAIT_S = 90.0  # a client waits this long for a restarted server
RESTART_ATTEMPTS = 2
DYING_WAIT_S = 2.0  # after an unanswered request, how long to wait for a dying server to end
RECENT_S = 1.5  # requests that finished this long before a death are suspects too
SUSPECTS_SHOWN = 8
HEALTH_DYING_S = 10.0  # health failures this long before a death are the death's
TRIAGE_BUDGET_S = 180.0  # replaying the suspects of deaths, in all
TRIAGE_SUSPECTS = 12
DEATHS_SHOWN = 4  # deaths printed in full (the rest one line each)
BODY_KEEP = 64 * 1024  # bytes of each answer kept for the checks
FAILURES_KEPT = 200
KILL_EVERY = 200  # a worker is SIGKILLed once per this many requests
DUMP_STORM_SIZE = (3, 6)

# The 503s the README documents: time limit, no worker free (busy), worker died; and the
# health route's "starting" while its workers come back.
DOCUMENTED_503 = re.compile(
    rb"time limit|busy|worker|memory limit|starting|overload|try again|retry", re.IGNORECASE
)
LEAK_MARKERS = (b"root:x:0:0", b"[build-system]", b"PRIVATE KEY", b"from shezhire", b"[core]")
REFLECT_MARK = "<script>soak(1)</script>"

SHZ = "https://w3id.org/shezhire/ontology#"
SCHEMA = "https://schema.org/"

# Routes the app may not list: /sparql and /query are answered by the fast path in front.
FRONT_ROUTES: dict[str, set[str]] = {"/sparql": {"GET", "POST"}, "/query": {"GET", "POST"}}
# Methods the soak sends where a route does not take them.
WRONG_METHODS = ("PUT", "DELETE", "PATCH", "TRACE", "OPTIONS", "POST", "CONNECT", "FOO", "get")

RESULT_ACCEPTS = (
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
    "text/turtle",
    "application/n-triples",
    "application/ld+json",
    "application/rdf+xml",
    "text/html",
    "*/*",
)
BAD_ACCEPTS = (
    "text/turtle;q=abc",
    "text/turtle;q=2, application/rdf+xml;q=-1",
    "*/*;q=0",
    "text/turtle;q=0.5;q=0.9;q=",
    "",
    ";;;,,,;q=1",
    "text/*;q=0.000001, image/png",
    "application/sparql-results+json;q=1.0000001",
    "text/turtle;q=0.3, text/turtle;q=0.9, text/turtle;q=0",
    "té/xt; q=0.5",
    "*/turtle",
    'text/html;level=1;q=0.5;charset=utf-8;foo="bar, baz"',
    'application/ld+json;profile="http://www.w3.org/ns/json-ld#expanded"',
    ", ".join(f"type{i}/sub{i};q=0.{i % 10}" for i in range(2000)),
    "text/turtle;q=" + "9" * 400,
    "invalid",
    "image/png",
)
FORMAT_PARAMS = (
    "json",
    "xml",
    "csv",
    "tsv",
    "ttl",
    "nt",
    "nq",
    "trig",
    "jsonld",
    "rdf",
    "html",
    "bogus",
    "",
    "JSON",
    "../etc",
    "%00",
)
TIMEOUT_PARAMS = ("1", "0.5", "0", "-1", "nan", "inf", "1e308", "abc", "", "2", "999999")

RUNAWAY_QUERIES = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    'ASK { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i FILTER(STR(?c) = CONCAT(STR(?f), STR(?i), "#")) }',
    "SELECT ?a WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY DESC(CONCAT(STR(?c), STR(?f))) LIMIT 1",
    "SELECT (COUNT(*) AS ?n) WHERE { ?s (<https://schema.org/knows>|!<urn:x:none>)* ?o . "
    "?o ?p ?x . ?x ?q ?y }",
    "SELECT (SUM(STRLEN(STR(?c))) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . FILTER(?c != ?f) }",
)


# -- requests as bytes --------------------------------------------------------------------------


@dataclass(frozen=True)
class Blob:
    """A large run of bytes, rendered only when sent (cases stay small; reports stay readable)."""

    size: int
    fill: bytes = b"a"

    def render(self) -> bytes:
        return (self.fill * (self.size // len(self.fill) + 1))[: self.size]

    def __repr__(self) -> str:
        return f"{self.fill!r}*{self.size}"


Part = bytes | Blob


def render(parts: list[Part]) -> bytes:
    return b"".join(p.render() if isinstance(p, Blob) else p for p in parts)


def describe_parts(parts: list[Part], limit: int = 700) -> str:
    """A Python expression of the raw request (large parts as ``b'a'*N``), shortened."""
    pieces: list[str] = []
    current = b""
    for part in parts:
        if isinstance(part, Blob):
            if current:
                pieces.append(repr(current))
                current = b""
            pieces.append(repr(part))
        else:
            current += part
    if current:
        pieces.append(repr(current))
    text = " + ".join(pieces)
    if len(text) > limit:
        text = text[: limit - 40] + f" ...[{len(text) - limit + 40} more chars]"
    return text


def enc(value: str | bytes) -> str:
    """Percent-encode a parameter value (bytes as they are: invalid UTF-8 stays invalid)."""
    raw = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
    return quote_from_bytes(raw, safe="")


def request(
    method: str,
    target: str | bytes,
    headers: list[tuple[Part, Part]] | None = None,
    body: Part | None = None,
    *,
    host: Part | None = None,
    content_length: bool = True,
    version: bytes = b"HTTP/1.1",
) -> list[Part]:
    """The raw parts of an HTTP/1.1 request that closes its connection."""
    head = method.encode("latin-1") + b" "
    head += target if isinstance(target, bytes) else target.encode("latin-1")
    parts: list[Part] = [head + b" " + version + b"\r\n"]
    if host is not None:
        parts += [b"Host: ", host, b"\r\n"]
    for name, value in headers or []:
        parts += [name, b": ", value, b"\r\n"]
    if body is not None and content_length:
        size = body.size if isinstance(body, Blob) else len(body)
        parts.append(f"Content-Length: {size}\r\n".encode())
    parts.append(b"Connection: close\r\n\r\n")
    if body is not None:
        parts.append(body)
    return parts


# -- cases --------------------------------------------------------------------------------------


@dataclass
class Case:
    """One request (or a storm of them), what it is, and what the answer must not be."""

    index: int
    family: str
    route: str
    method: str
    parts: list[Part]
    what: str = ""
    mode: str = "normal"  # normal | slow-header | idle-header | slow-body | disconnect | abandon
    #                       | slow-read | storm | kill-idle | kill-busy
    timeout: float = CLIENT_TIMEOUT_S
    refuse: str | None = None  # why a 2xx/3xx answer is a failure
    abusive: bool = False  # a connection closed without an answer is acceptable
    ideal: tuple[int, ...] = ()  # what a hardened server answers (a mismatch is a note)
    query_chars: int | None = None  # characters of the query, when there is one
    head: bool = False  # a HEAD request: no body in the answer
    children: list[Case] = field(default_factory=list)  # a dump storm's requests
    hold_open_is_failure: bool = False  # slow-header: held open past the cap is a failure
    expect: tuple[int, ...] = ()  # statuses the README documents for this request
    label: str = ""  # the kind of request, for grouping notes (default: ``what``)

    @property
    def requests(self) -> int:
        if self.mode == "storm":
            return len(self.children)
        return 0 if self.mode == "kill-idle" else 1

    def repro(self) -> str:
        if self.mode == "storm":
            return "concurrently: " + " | ".join(
                f"[{c.mode}] {describe_parts(c.parts, 120)}" for c in self.children
            )
        if self.mode == "kill-idle":
            return "SIGKILL one query worker (idle)"
        prefix = "" if self.mode == "normal" else f"[{self.mode}] "
        return prefix + describe_parts(self.parts)


@dataclass
class Inventory:
    """What the server holds, found with SPARQL before the run (sorted: runs are repeatable)."""

    entities: list[str]
    persons: list[str]
    vocab: list[str]
    terms: list[str]
    stems: list[str]
    graphs: list[str]
    examples: dict[str, str]
    routes: dict[str, set[str]]


def routes_of_app(settings: Settings) -> dict[str, set[str]]:
    """Every route template and its methods, from ``create_app().routes`` (FastAPI's included
    routers are walked), plus the fast-path routes in front of the app."""
    from shezhire.http.app import create_app  # noqa: PLC0415 -- FastAPI only when a soak runs

    found: dict[str, set[str]] = {}

    def walk(routes: list[Any], prefix: str) -> None:
        for route in routes:
            path = getattr(route, "path", None)
            methods = getattr(route, "methods", None)
            if isinstance(path, str) and methods:
                found.setdefault(prefix + path, set()).update(methods)
                continue
            original = getattr(route, "original_router", None)
            context = getattr(route, "include_context", None)
            if original is not None:
                walk(list(original.routes), prefix + str(getattr(context, "prefix", "") or ""))
            elif hasattr(route, "routes"):  # a mounted sub-application
                walk(list(route.routes), prefix + str(getattr(route, "path", "") or ""))

    walk(list(create_app(settings).routes), "")
    for path, methods in FRONT_ROUTES.items():
        found.setdefault(path, set()).update(methods)
    return dict(sorted(found.items()))


def _select(url: str, query: str) -> list[str]:
    answer = httpx.get(
        url,
        params={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=CLIENT_TIMEOUT_S,
    )
    answer.raise_for_status()
    rows = answer.json()["results"]["bindings"]
    return sorted(next(iter(row.values()))["value"] for row in rows if row)


def discover(server: LiveServer, settings: Settings) -> Inventory:
    sparql = server.url + "/sparql"

    def under(space: str, limit: int) -> list[str]:
        return _select(
            sparql,
            # No ORDER BY: sorting IRIs looks up their strings at every comparison, which the
            # store read from disk pays for (seconds); the store's order is fixed for one build
            # and _select sorts what comes back.
            f"SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), "
            f'"{space}")) }} LIMIT {limit}',
        )

    entities = under(BASE_IRI + "id/", 400)
    persons = _select(
        sparql, f"SELECT DISTINCT ?s WHERE {{ ?s a <{SHZ}Person> }} ORDER BY ?s LIMIT 200"
    )
    vocab = under(BASE_IRI + "vocab/", 200)
    terms = [t.split("#", 1)[1] for t in under(SHZ, 200) if "#" in t and t.split("#", 1)[1]]
    graphs = _select(sparql, "SELECT DISTINCT ?g WHERE { GRAPH ?g { } } ORDER BY ?g")
    stems = [g.rsplit("/", 1)[-1] for g in graphs if g.startswith(BASE_IRI + "graph/")]
    examples: dict[str, str] = {}
    for path in sorted(settings.queries_dir.glob("*.rq")):
        examples[path.stem] = path.read_text(encoding="utf-8")
    return Inventory(
        entities=[e.removeprefix(BASE_IRI + "id/") for e in entities],
        persons=[p.rsplit("/", 1)[-1] for p in persons],
        vocab=[v.removeprefix(BASE_IRI + "vocab/") for v in vocab],
        terms=terms,
        stems=stems,
        graphs=graphs,
        examples=examples,
        routes=routes_of_app(settings),
    )


# -- query mutations ------------------------------------------------------------------------------

TOKEN = re.compile(r"\S+")


def _tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


def _join(tokens: list[str]) -> str:
    return " ".join(tokens)


def mutate_query(rng: random.Random, query: str) -> tuple[bytes, str]:
    """One to three random edits of a query; returns the bytes and what was done."""
    done: list[str] = []
    text = query
    data: bytes | None = None
    for _ in range(rng.randint(1, 3)):
        tokens = _tokens(text)
        if not tokens:
            break
        op = rng.choice(
            (
                "delete",
                "duplicate",
                "swap",
                "truncate",
                "bytes",
                "case",
                "noise",
                "keyword",
                "escape",
                "none",
            )
        )
        if op == "delete":
            del tokens[rng.randrange(len(tokens))]
            text = _join(tokens)
        elif op == "duplicate":
            i = rng.randrange(len(tokens))
            tokens[i:i] = [tokens[i]] * rng.choice((1, 2, 50))
            text = _join(tokens)
        elif op == "swap":
            i, j = rng.randrange(len(tokens)), rng.randrange(len(tokens))
            tokens[i], tokens[j] = tokens[j], tokens[i]
            text = _join(tokens)
        elif op == "truncate":
            text = text[: rng.randrange(len(text) + 1)]
        elif op == "bytes":
            raw = text.encode()
            at = rng.randrange(len(raw) + 1)
            junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
            data = raw[:at] + junk + raw[at:]
            done.append(f"bytes@{at}")
            continue
        elif op == "case":
            text = rng.choice((str.upper, str.lower, str.swapcase))(text)
        elif op == "noise":
            at = rng.randrange(len(text) + 1)
            text = (
                text[:at]
                + rng.choice(
                    (
                        "{",
                        "}",
                        "(",
                        ")",
                        ".",
                        ";",
                        '"',
                        "<",
                        "?",
                        "\x00",
                        "\\",
                        "'''",
                        "#",
                        "\u202e",
                        "\ufeff",
                    )
                )
                + text[at:]
            )
        elif op == "keyword":
            i = rng.randrange(len(tokens))
            tokens[i] = rng.choice(
                (
                    "SELECT",
                    "WHERE",
                    "OPTIONAL",
                    "UNION",
                    "GRAPH",
                    "FILTER",
                    "MINUS",
                    "BIND",
                    "LIMIT",
                    "OFFSET",
                    "ORDER",
                    "GROUP",
                    "BY",
                    "DESCRIBE",
                    "CONSTRUCT",
                    "ASK",
                    "INSERT",
                    "DELETE",
                    "LOAD",
                    "CLEAR",
                    "DROP",
                    "CREATE",
                    "SERVICE",
                    "VALUES",
                    "*",
                )
            )
            text = _join(tokens)
        elif op == "escape":
            text = escape_codepoints(rng, text)
        done.append(op)
        data = None
    if data is None:
        data = text.encode("utf-8", "surrogatepass")
    return data, "+".join(done) or "none"


def escape_codepoints(rng: random.Random, text: str) -> str:
    """Replace some characters with SPARQL codepoint escapes, some of them invalid."""
    if not text:
        return "\\u"
    out = list(text)
    for _ in range(rng.randint(1, 12)):
        i = rng.randrange(len(out))
        char = out[i]
        out[i] = rng.choice(
            (
                f"\\u{ord(char[0]):04X}" if ord(char[0]) < 0x10000 else f"\\U{ord(char[0]):08X}",
                f"\\U{ord(char[0]):08X}",
                "\\uD800",
                "\\U00110000",
                "\\u12",
                "\\uZZZZ",
                "\\U0000007B",  # an escaped brace
                "\\u0000",
            )
        )
    return "".join(out)


WHERE_BRACE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


def where_insert(query: str, clause: str) -> str:
    """``clause`` placed first in the query's WHERE group (comment lines dropped first, so that
    it cannot land in a comment)."""
    query = "\n".join(line for line in query.splitlines() if not line.lstrip().startswith("#"))
    match = WHERE_BRACE.search(query)
    at = match.end() - 1 if match else query.find("{")
    if at < 0:
        return query + " WHERE { " + clause + " }"
    return query[: at + 1] + " " + clause + " " + query[at + 1 :]


def service_variants(
    rng: random.Random, canary: int, server_port: int, case: int
) -> tuple[str, str, bool]:
    """A SERVICE clause (text to insert, what it is, whether it must be refused)."""
    here = f"http://127.0.0.1:{canary}/sparql?soak-case={case}"
    own = f"http://127.0.0.1:{server_port}/sparql"
    pattern = "{ ?soak_s ?soak_p ?soak_o }"
    choices: list[tuple[str, str, bool]] = [
        (f"SERVICE <{here}> {pattern}", "SERVICE to a 127.0.0.1 port", True),
        (f"SERVICE SILENT <{here}> {pattern}", "SERVICE SILENT", True),
        (f"service <{here}> {pattern}", "lowercase service", True),
        (f"SeRvIcE\t\n<{here}> {pattern}", "mixed case, whitespace", True),
        (f"SERVICE#comment\n<{here}> {pattern}", "comment between SERVICE and IRI", True),
        (f"SERVICE <{own}> {pattern}", "SERVICE to the server itself", True),
        (f"SERVICE <http://127.0.0.1:1/sparql> {pattern}", "SERVICE to a closed port", True),
        (f"SERVICE <http://127.1:{canary}/x?soak-case={case}> {pattern}", "127.1 shorthand", True),
        (
            f"SERVICE <http://2130706433:{canary}/x?soak-case={case}> {pattern}",
            "decimal IP",
            True,
        ),
        (
            f"SERVICE <http://soak@127.0.0.1:{canary}/x?soak-case={case}> {pattern}",
            "userinfo in the IRI",
            True,
        ),
        (
            f"VALUES ?soak_e {{ <{here}> }} SERVICE ?soak_e {pattern}",
            "SERVICE to a variable bound by VALUES",
            True,
        ),
        (
            f"BIND(<{here}> AS ?soak_e) SERVICE ?soak_e {pattern}",
            "SERVICE to a variable bound by BIND",
            True,
        ),
        (
            f"OPTIONAL {{ SERVICE <{here}> {pattern} }}",
            "SERVICE in OPTIONAL",
            True,
        ),
        (
            f"FILTER EXISTS {{ SERVICE <{here}> {pattern} }}",
            "SERVICE in FILTER EXISTS",
            True,
        ),
        (
            f"{{ SELECT * WHERE {{ SERVICE <{here}> {pattern} }} }}",
            "SERVICE in a subquery",
            True,
        ),
        (
            f"SERVICE <http\\u003A//127.0.0.1:{canary}/x?soak-case={case}> {pattern}",
            "codepoint escape in the IRI",
            True,
        ),
        (
            f"\\u0053ERVICE <{here}> {pattern}",
            "codepoint-escaped keyword",
            True,
        ),
        (
            f'FILTER(STR(?soak_s) != "SERVICE <{here}> {{ }}") ?soak_s ?soak_p ?soak_o .',
            "SERVICE inside a string (not a clause)",
            False,
        ),
    ]
    return rng.choice(choices)


def prefixed_service(canary: int, case: int, query: str, style: str) -> str:
    """SERVICE through a PREFIX or a BASE declared in the query."""
    pattern = "{ ?soak_s ?soak_p ?soak_o }"
    if style == "prefix":
        head = f"PREFIX soakloc: <http://127.0.0.1:{canary}/>\n"
        return head + where_insert(query, f"SERVICE soakloc:sparql?soak-case={case} {pattern}")
    head = f"BASE <http://127.0.0.1:{canary}/>\n"
    return head + where_insert(query, f"SERVICE <sparql?soak-case={case}> {pattern}")


def nested(rng: random.Random) -> tuple[str, int, str]:
    depth = rng.choice((50, 500, 2000, 10_000, 30_000))
    kind = rng.choice(("groups", "parens", "subqueries", "optionals", "calls", "paths", "unions"))
    if kind == "groups":
        text = "SELECT * WHERE " + "{" * depth + " ?s ?p ?o " + "}" * depth
    elif kind == "parens":
        text = "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * depth + "true" + ")" * depth + ") }"
    elif kind == "subqueries":
        depth = min(depth, 5000)
        text = "SELECT * WHERE " + "{ SELECT * WHERE " * depth + "{ ?s ?p ?o }" + " }" * depth
    elif kind == "optionals":
        text = "SELECT * WHERE { ?s ?p ?o " + "OPTIONAL { ?s ?p ?o " * depth + "}" * depth + "}"
    elif kind == "calls":
        text = "SELECT (" + "STR(" * depth + "1" + ")" * depth + " AS ?x) WHERE {}"
    elif kind == "paths":
        text = "SELECT * WHERE { ?s " + "(" * depth + "<urn:p>" + ")*" * depth + " ?o }"
    else:
        text = "SELECT * WHERE " + "{ { ?s ?p ?o } UNION " * depth + "{}" + " }" * depth
    return text, depth, kind


def huge_values(rng: random.Random, query: str) -> str:
    count = rng.choice((100, 2000, 15_000, 40_000))
    kind = rng.choice(("ints", "iris", "strings", "undef"))
    if kind == "ints":
        items = " ".join(str(i) for i in range(count))
    elif kind == "iris":
        items = " ".join(f"<urn:soak:{i}>" for i in range(count))
    elif kind == "strings":
        items = " ".join(f'"v{i}"' for i in range(count))
    else:
        items = " ".join("UNDEF" for _ in range(count))
    return where_insert(query, f"VALUES ?soak_v {{ {items} }}")


# -- the generator --------------------------------------------------------------------------------


class CaseFactory:
    """Builds the cases of a run from a seed; nothing here touches the network."""

    WEIGHTS: tuple[tuple[str, float], ...] = (
        ("valid", 30),
        ("query", 18),
        ("method", 7),
        ("encoding", 6),
        ("header-bad", 4),
        ("accept", 4),
        ("traversal", 3),
        ("service", 3),
        ("host", 2),
        ("nesting", 2),
        ("escapes", 2),
        ("disconnect", 2),
        ("values", 1.5),
        ("header-huge", 1.2),
        ("header-many", 1.2),
        ("url-long", 1),
        ("body-huge", 0.8),
        ("dumps", 0.8),
        ("runaway", 0.5),
        ("slow-header", 0.25),
        ("slow-body", 0.15),
    )

    def __init__(
        self,
        seed: int,
        inventory: Inventory,
        settings: Settings,
        canary_port: int,
        slow_cap_s: float,
        exclude: tuple[str, ...] = (),
    ) -> None:
        self.rng = random.Random(seed)
        self.exclude = [re.compile(p) for p in exclude]
        routes = {
            r: m for r, m in inventory.routes.items() if not any(p.search(r) for p in self.exclude)
        }
        inventory = replace(inventory, routes=routes)
        self.inv = inventory
        self.settings = settings
        self.port = settings.port
        self.host = f"127.0.0.1:{settings.port}".encode()
        self.canary = canary_port
        self.slow_cap_s = slow_cap_s
        self.index = 0

    # -- helpers ------------------------------------------------------------------------------

    def _case(self, family: str, route: str, method: str, parts: list[Part], **kw: Any) -> Case:
        self.index += 1
        if kw.get("abusive") and "timeout" not in kw:
            # A hostile request the server has not answered in this long it never will (and a
            # client thread is not held for the whole CLIENT_TIMEOUT_S).
            kw["timeout"] = self.slow_cap_s
        return Case(self.index, family, route, method, parts, **kw)

    def _req(
        self,
        method: str,
        target: str | bytes,
        headers: list[tuple[Part, Part]] | None = None,
        body: Part | None = None,
        **kw: Any,
    ) -> list[Part]:
        host = kw.pop("host", self.host)
        return request(method, target, headers, body, host=host, **kw)

    def _accept(self) -> list[tuple[Part, Part]]:
        roll = self.rng.random()
        if roll < 0.35:
            return []
        if roll < 0.9:
            return [(b"Accept", self.rng.choice(RESULT_ACCEPTS).encode())]
        return [(b"Accept", self.rng.choice(BAD_ACCEPTS).encode("utf-8"))]

    def _example(self) -> str:
        name = self.rng.choice(sorted(self.inv.examples))
        return self.inv.examples[name]

    def concrete(self, template: str) -> str:
        """A valid path (and query string) for a route template."""
        rng = self.rng
        inv = self.inv
        if template == "/browse/{kind}":
            kind = rng.choice(
                ("persons", "institutions", "places", "acts", "items", "events", "works", "nothing")
            )
            order = rng.choice(("", "?sort=name&order=desc", "?sort=bogus&order=up", "?order=asc"))
            return f"/browse/{kind}{order}"
        if template.startswith("/id/"):
            return "/id/" + rng.choice(inv.entities or ["person/nobody"])
        if template.startswith("/vocab/"):
            return "/vocab/" + rng.choice(inv.vocab or ["kin/father"])
        if template == "/ontology/{term}":
            return "/ontology/" + rng.choice(inv.terms or ["Person"])
        if template == "/graph/{stem}":
            return "/graph/" + rng.choice([*inv.stems, "no-such-graph"])
        if template == "/ld/static/{name}":
            return "/ld/static/" + rng.choice(("style.css", "query.js", "missing.css"))
        if template == "/queries/{name}":
            return "/queries/" + rng.choice([*sorted(inv.examples), "no-such-query"])
        if template == "/query-ui":
            name = rng.choice(sorted(inv.examples))
            return rng.choice(
                (
                    "/query-ui",
                    f"/query-ui?example={name}&run=1",
                    f"/query-ui?query={enc(REFLECT_MARK)}",
                )
            )
        if template == "/network/ego":
            person = rng.choice(inv.persons or ["aduchi"])
            form = rng.choice((person, f"person:{person}", f"{BASE_IRI}id/person/{person}"))
            params = [f"person={enc(form)}", f"hops={rng.choice((0, 1, 2, 3, 4, 5, -1))}"]
            params += self._network_filters()
            return "/network/ego?" + "&".join(params)
        if template == "/network/path":
            a = rng.choice(inv.persons or ["aduchi"])
            b = rng.choice(inv.persons or ["aduchi"])
            params = [
                f"from={enc(a)}",
                f"to={enc('person:' + b)}",
                f"max={rng.choice((1, 2, 3, 4, 6, 7))}",
            ]
            if rng.random() < 0.4:
                params.append(f"k={rng.choice((1, 3, 100, 101, 0))}")
            params += self._network_filters()
            return "/network/path?" + "&".join(params)
        if template == "/store":
            graph = rng.choice([*self.inv.graphs, "urn:none", "not an iri>"])
            return rng.choice((f"/store?graph={enc(graph)}", "/store?default", "/store"))
        if template in ("/sparql", "/query"):
            query = rng.choice(("ASK { ?s ?p ?o }", self._example(), ""))
            return template + (f"?query={enc(query)}" if query else "")
        return re.sub(r"\{[^}]*\}", "soak-probe", template)

    def _network_filters(self) -> list[str]:
        rng = self.rng
        params: list[str] = []
        if rng.random() < 0.3:
            params.append(f"kind={rng.choice(('kin', 'social', 'bogus'))}")
        if rng.random() < 0.2:
            params.append(f"min_certainty={rng.choice(('certain', 'probable', 'nope'))}")
        if rng.random() < 0.2:
            params.append(f"since={rng.choice(('1930', '1944-02', '19x0', '1950-13-45'))}")
        if rng.random() < 0.2:
            fmt = rng.choice(("json", "cytoscape", "graphml", "gexf", "csv", "bogus"))
            params.append(f"format={fmt}")
        if rng.random() < 0.1:
            params.append("institutions=true")
        return params

    def _get_routes(self) -> list[str]:
        return [r for r, m in self.inv.routes.items() if "GET" in m]

    # -- families -----------------------------------------------------------------------------

    def valid(self, template: str | None = None, method: str | None = None) -> Case:
        template = template or self.rng.choice(self._get_routes())
        methods = self.inv.routes.get(template, {"GET"})
        method = method or ("HEAD" if "HEAD" in methods and self.rng.random() < 0.1 else "GET")
        if template in ("/sparql", "/query") and (method == "POST" or self.rng.random() < 0.3):
            return self._query_case("valid", self._example().encode(), "example query")
        if template in ("/update",):
            return self._case(
                "valid",
                template,
                "POST",
                self._req(
                    "POST",
                    "/update",
                    [(b"Content-Type", b"application/sparql-update")],
                    b"CLEAR ALL",
                ),
                what="a write: refused",
                refuse="writes are refused",
                expect=(403,),
            )
        if "GET" not in methods:
            method = sorted(methods)[0]
        path = self.concrete(template)
        headers = self._accept()
        if self.rng.random() < 0.05:
            headers.append((b"If-None-Match", b'"soak", *'))
        if template == "/store" and method in ("PUT", "POST", "DELETE", "PATCH"):
            return self._case(
                "valid",
                template,
                method,
                self._req(
                    method, path, [(b"Content-Type", b"text/turtle")], b"<a:b> <a:c> <a:d> ."
                ),
                what="a write: refused",
                refuse="writes are refused",
                expect=(403,),
            )
        return self._case(
            "valid",
            template,
            method,
            self._req(method, path, headers),
            what=path[:80],
            head=method == "HEAD",
        )

    def _query_case(
        self,
        family: str,
        query: bytes,
        what: str,
        *,
        refuse: str | None = None,
        ideal: tuple[int, ...] = (),
        timeout: float = CLIENT_TIMEOUT_S,
        extra: str = "",
        clean: bool = True,
        label: str = "",
    ) -> Case:
        """A query over one of the protocol's transports; ``clean=False`` fuzzes the transport
        too (Accept, format, timeout, charset), which may answer before the query is read."""
        rng = self.rng
        route = rng.choice(("/sparql", "/sparql", "/query"))
        accept = [] if clean else self._accept()
        params = extra
        if not clean and rng.random() < 0.15:
            params += f"&format={enc(rng.choice(FORMAT_PARAMS))}"
        if not clean and rng.random() < 0.1:
            params += f"&timeout={enc(rng.choice(TIMEOUT_PARAMS))}"
        if not clean and rng.random() < 0.08 and self.inv.graphs:
            params += f"&default-graph-uri={enc(rng.choice(self.inv.graphs))}"
        transport = rng.choice(("get", "get", "form", "direct"))
        chars = len(query.decode("utf-8", "replace"))
        if transport == "get":
            target = f"{route}?query={enc(query)}{params}"
            parts = self._req("GET", target, accept)
            method = "GET"
        elif transport == "form":
            body = f"query={enc(query)}{params}".encode()
            ctype = rng.choice(
                (
                    b"application/x-www-form-urlencoded",
                    b"application/x-www-form-urlencoded; charset=UTF-8",
                )
            )
            parts = self._req("POST", route, [(b"Content-Type", ctype), *accept], body)
            method = "POST"
        else:
            ctype = rng.choice(
                (
                    b"application/sparql-query",
                    b"application/sparql-query; charset=utf-8",
                    b"application/sparql-query; charset=latin-1",
                )
            )
            if clean:
                ctype = b"application/sparql-query"
            target = route + ("?" + params.lstrip("&") if params else "")
            parts = self._req("POST", target, [(b"Content-Type", ctype), *accept], query)
            method = "POST"
        return self._case(
            family,
            route,
            method,
            parts,
            what=what,
            refuse=refuse,
            ideal=ideal,
            query_chars=chars,
            timeout=timeout,
            label=label,
        )

    def query(self) -> Case:
        data, what = mutate_query(self.rng, self._example())
        return self._query_case("query", data, what, clean=False)

    def service(self) -> Case:
        index = self.index + 1
        roll = self.rng.random()
        base = self._example()
        if roll < 0.15:
            style = self.rng.choice(("prefix", "base"))
            text = prefixed_service(self.canary, index, base, style)
            what, must_refuse = f"SERVICE through {style.upper()}", True
        else:
            clause, what, must_refuse = service_variants(self.rng, self.canary, self.port, index)
            text = where_insert(base, clause)
        return self._query_case(
            "service",
            text.encode(),
            what,
            refuse="SERVICE is refused unless allow-listed" if must_refuse else None,
            ideal=(403,) if must_refuse else (),
        )

    def nesting(self) -> Case:
        text, depth, kind = nested(self.rng)
        return self._query_case(
            "nesting",
            text.encode(),
            f"{kind} nested {depth} deep",
            ideal=(400, 413) if depth >= 500 else (),
        )

    def values(self) -> Case:
        text = huge_values(self.rng, self._example())
        return self._query_case("values", text.encode(), f"VALUES, {len(text)} chars")

    def escapes(self) -> Case:
        text = escape_codepoints(self.rng, self._example())
        return self._query_case("escapes", text.encode(), "codepoint escapes")

    def runaway(self) -> Case:
        query = self.rng.choice(RUNAWAY_QUERIES)
        extra = self.rng.choice(("", "", "&timeout=1", "&timeout=2"))
        case = self._query_case(
            "runaway",
            query.encode(),
            "cartesian product",
            timeout=SOAK_QUERY_TIMEOUT_S + CLIENT_TIMEOUT_S,
            extra=extra,
        )
        case.ideal = (503,)
        return case

    def method(self, template: str | None = None, method: str | None = None) -> Case:
        template = template or self.rng.choice(sorted(self.inv.routes))
        allowed = self.inv.routes.get(template, set())
        candidates = [m for m in WRONG_METHODS if m not in allowed]
        method = method or self.rng.choice(candidates)
        path = self.concrete(template)
        headers: list[tuple[Part, Part]] = []
        body: Part | None = None
        if method == "OPTIONS" and self.rng.random() < 0.5:
            headers = [
                (b"Origin", b"http://127.0.0.1:9"),
                (b"Access-Control-Request-Method", b"PUT"),
            ]
        if method in ("PUT", "PATCH", "POST"):
            headers.append((b"Content-Type", b"text/turtle"))
            body = b"<urn:a> <urn:b> <urn:c> ."
        if method == "TRACE":
            headers.append((b"X-Soak-Trace", REFLECT_MARK.encode()))
        refuse = None
        if method not in ("OPTIONS", "HEAD"):
            refuse = f"{method} is not a method of {template}"
        ideal: tuple[int, ...] = (405, 403) if method not in ("OPTIONS", "get", "FOO") else ()
        return self._case(
            "method",
            template,
            method,
            self._req(method, path, headers, body),
            what=f"{method} {path[:60]}",
            refuse=refuse,
            ideal=ideal,
            head=method == "HEAD",
            abusive=method in ("CONNECT", "FOO", "get"),
            label=method,
        )

    def traversal(self, template: str | None = None) -> Case:
        rng = self.rng
        targets = (
            "/ld/static/../../etc/passwd",
            "/ld/static/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
            "/ld/static/..%2f..%2f..%2f..%2fetc%2fpasswd",
            "/ld/static/%2e%2e/%2e%2e/%2e%2e/pyproject.toml",
            "/ld/static/....//....//etc/passwd",
            "/ld/static/style.css%00.js",
            "/ld/static/..%5c..%5c..%5cpyproject.toml",
            "/ld/static/%252e%252e%252fetc%252fpasswd",
            "/ld/static/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
            "/ld/static/.git/config",
            "/id/..%2f..%2f..%2f..%2fetc%2fpasswd",
            "/id/../../../../etc/passwd",
            "/vocab/..%2f..%2fpyproject.toml",
            "/graph/..%2f..%2f..%2fetc%2fpasswd",
            "/queries/..%2f..%2fpyproject",
            "/queries/../../pyproject",
            "/browse/..%2f..%2fetc%2fpasswd",
            "/static/../pyproject.toml",
            "//etc/passwd",
            "/..;/..;/etc/passwd",
            "http://127.0.0.1/../../etc/passwd",
            "/dump.nq/../../../etc/passwd",
            "/%2e%2e/%2e%2e/etc/passwd",
        )
        if template is not None:
            base = self.concrete(template).split("?", 1)[0].rstrip("/")
            target = base + rng.choice(
                (
                    "/..%2f..%2f..%2fetc%2fpasswd",
                    "/../../../etc/passwd",
                    "%2f..%2f..%2fpyproject.toml",
                )
            )
        else:
            template = "/ld/static/{name}"
            target = rng.choice(targets)
        return self._case(
            "traversal",
            template,
            "GET",
            self._req("GET", target),
            what=target,
            refuse=None,
            abusive=True,
        )

    def encoding(self, template: str | None = None) -> Case:
        rng = self.rng
        bad = rng.choice(
            (
                "%zz",
                "%f",
                "%ff%fe",
                "%c0%af",
                "%e0%80%af",
                "%ed%a0%80",
                "%00",
                "%f8%88%80%80%80",
                "%",
                "%%",
                "%c3",
                "\xff\xfe",
                "\x80",
                "%25zz",
            )
        )
        raw = bad.encode("latin-1")
        if template is None:
            roll = rng.random()
            if roll < 0.3:
                query = b'SELECT * WHERE { ?s ?p "' + raw + b'" }'
                target = b"/sparql?query=" + query.replace(b" ", b"+")
                return self._case(
                    "encoding",
                    "/sparql",
                    "GET",
                    self._req("GET", target),
                    what=f"query with {bad!r}",
                    abusive=True,
                )
            if roll < 0.55:
                body = b'SELECT * WHERE { ?s ?p "' + bytes([0xFF, 0xC0, 0xAF]) + b'" }'
                form = rng.random() < 0.5
                ctype = (
                    b"application/x-www-form-urlencoded" if form else (b"application/sparql-query")
                )
                if form:
                    body = b"query=" + body.replace(b" ", b"+") + b"&x=" + raw
                case = self._case(
                    "encoding",
                    "/sparql",
                    "POST",
                    self._req("POST", "/sparql", [(b"Content-Type", ctype)], body),
                    what="invalid UTF-8 body",
                    ideal=(400,),
                )
                case.expect = (400, 415)
                return case
            template = rng.choice(sorted(self.inv.routes))
        path = self.concrete(template).encode("latin-1")
        if b"?" in path:
            target = path + b"&" + raw + b"=" + raw
        elif rng.random() < 0.5:
            target = path + b"/" + raw
        else:
            target = path + b"?x=" + raw
        return self._case(
            "encoding",
            template,
            "GET",
            self._req("GET", target),
            what=f"{bad!r} in the target",
            abusive=True,
        )

    def header_huge(self) -> Case:
        rng = self.rng
        size = rng.choice((70_000, 300_000, 1_000_000, 4_000_000))
        template = rng.choice(sorted(self._get_routes()))
        where = rng.choice(("custom", "accept", "cookie", "user-agent"))
        name = {
            "custom": b"X-Soak-Big",
            "accept": b"Accept",
            "cookie": b"Cookie",
            "user-agent": b"User-Agent",
        }[where]
        fill = b"text/turtle," if where == "accept" else b"a"
        parts = self._req("GET", self.concrete(template), [(name, Blob(size, fill))])
        return self._case(
            "header-huge",
            template,
            "GET",
            parts,
            what=f"{name.decode()} of {size:,} bytes",
            label=f"a header of {size:,} bytes",
            refuse="an oversized header is not served",
            ideal=(431,),
            abusive=True,
            timeout=CLIENT_TIMEOUT_S,
        )

    def header_many(self) -> Case:
        count = self.rng.choice((300, 2_000, 20_000))
        template = self.rng.choice(sorted(self._get_routes()))
        headers: list[tuple[Part, Part]] = [
            (f"X-Soak-{i}".encode(), b"v" * 20) for i in range(count)
        ]
        refuse = "too many headers are not served" if count >= 2_000 else None
        return self._case(
            "header-many",
            template,
            "GET",
            self._req("GET", self.concrete(template), headers),
            what=f"{count:,} headers",
            refuse=refuse,
            ideal=(431,) if refuse else (),
            abusive=True,
        )

    def url_long(self) -> Case:
        size = self.rng.choice((9_000, 70_000, 300_000, 1_000_000))
        template = self.rng.choice(
            ("/sparql", "/id/{path:path}", "/browse/{kind}", "/health", "/network/ego")
        )
        if template == "/sparql":
            target: Part = Blob(size, b"%20")
            parts = self._req("GET", b"", [])
            first = parts[0]
            assert isinstance(first, bytes)
            parts[0:1] = [
                b"GET /sparql?query=SELECT%20*%20WHERE%20%7B%7D",
                target,
                first.removeprefix(b"GET "),
            ]
        else:
            path = self.concrete(template)
            parts = self._req("GET", b"", [])
            first = parts[0]
            assert isinstance(first, bytes)
            parts[0:1] = [
                (path + ("&x=" if "?" in path else "?x=")).encode(),
                Blob(size),
                first.removeprefix(b"GET "),
            ]
            parts.insert(0, b"GET ")
        refuse = "an oversized URL is not served" if size >= 70_000 else None
        return self._case(
            "url-long",
            template,
            "GET",
            parts,
            what=f"URL of {size:,} bytes",
            refuse=refuse,
            ideal=(414,) if refuse else (),
            abusive=True,
        )

    def body_huge(self) -> Case:
        rng = self.rng
        size = rng.choice((1_200_000, 3_000_000))
        chunked = rng.random() < 0.4
        if chunked:
            chunks: list[Part] = []
            left = size
            while left > 0:
                step = min(left, 256 * 1024)
                chunks += [f"{step:x}\r\n".encode(), Blob(step, b" "), b"\r\n"]
                left -= step
            chunks.append(b"0\r\n\r\n")
            parts = self._req(
                "POST",
                "/sparql",
                [
                    (b"Content-Type", b"application/sparql-query"),
                    (b"Transfer-Encoding", b"chunked"),
                ],
                None,
            )
            parts += chunks
        else:
            parts = self._req(
                "POST",
                "/sparql",
                [(b"Content-Type", b"application/sparql-query")],
                Blob(size, b" "),
            )
        case = self._case(
            "body-huge",
            "/sparql",
            "POST",
            parts,
            what=f"{'chunked ' if chunked else ''}body of {size:,} bytes",
            refuse="a body over max_body_bytes is refused",
            ideal=(413,),
            abusive=True,
        )
        case.expect = (413,)
        return case

    def header_bad(self) -> Case:
        rng = self.rng
        path = self.concrete(rng.choice(self._get_routes())).encode()
        host = self.host
        variants: list[tuple[str, list[Part], str | None]] = [
            (
                "Content-Length not a number",
                [
                    b"POST /sparql HTTP/1.1\r\nHost: " + host + b"\r\nContent-Type: "
                    b"application/sparql-query\r\nContent-Length: abc\r\nConnection: close\r\n\r\n"
                    b"ASK {}"
                ],
                None,
            ),
            (
                "negative Content-Length",
                [
                    b"POST /sparql HTTP/1.1\r\nHost: " + host + b"\r\nContent-Type: "
                    b"application/sparql-query\r\nContent-Length: -5\r\nConnection: close\r\n\r\n"
                    b"ASK {}"
                ],
                None,
            ),
            (
                "two different Content-Lengths",
                [
                    b"POST /sparql HTTP/1.1\r\nHost: " + host + b"\r\nContent-Type: "
                    b"application/sparql-query\r\nContent-Length: 6\r\nContent-Length: 3\r\n"
                    b"Connection: close\r\n\r\nASK {}"
                ],
                "conflicting lengths are refused",
            ),
            (
                "Content-Length and chunked",
                [
                    b"POST /sparql HTTP/1.1\r\nHost: " + host + b"\r\nContent-Type: "
                    b"application/sparql-query\r\nContent-Length: 6\r\n"
                    b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    b"6\r\nASK {}\r\n0\r\n\r\n"
                ],
                None,
            ),
            (
                "Content-Length 99 digits",
                [
                    b"POST /sparql HTTP/1.1\r\nHost: " + host + b"\r\nContent-Type: "
                    b"application/sparql-query\r\nContent-Length: "
                    + b"9" * 99
                    + b"\r\nConnection: close\r\n\r\nASK {}"
                ],
                "an absurd length is refused",
            ),
            (
                "bad chunk size",
                [
                    b"POST /sparql HTTP/1.1\r\nHost: " + host + b"\r\nContent-Type: "
                    b"application/sparql-query\r\nTransfer-Encoding: chunked\r\nConnection: close"
                    b"\r\n\r\nzz\r\nASK {}\r\n0\r\n\r\n"
                ],
                "bad chunking is refused",
            ),
            (
                "header without a colon",
                [
                    b"GET " + path + b" HTTP/1.1\r\nHost: " + host + b"\r\nNoColonHere\r\n"
                    b"Connection: close\r\n\r\n"
                ],
                "a malformed head is refused",
            ),
            (
                "NUL in a header value",
                [
                    b"GET " + path + b" HTTP/1.1\r\nHost: " + host + b"\r\nX-Soak: a\x00b\r\n"
                    b"Connection: close\r\n\r\n"
                ],
                None,
            ),
            (
                "obs-fold continuation line",
                [
                    b"GET "
                    + path
                    + b" HTTP/1.1\r\nHost: "
                    + host
                    + b"\r\nX-Soak: a\r\n  folded\r\n"
                    b"Connection: close\r\n\r\n"
                ],
                None,
            ),
            (
                "bytes over 0x7f in a header",
                [
                    b"GET " + path + b" HTTP/1.1\r\nHost: " + host + b"\r\nAccept: \xff\xfe\xc0\xaf"
                    b"\r\nConnection: close\r\n\r\n"
                ],
                None,
            ),
            (
                "bare LF line ends",
                [b"GET " + path + b" HTTP/1.1\nHost: " + host + b"\nConnection: close\n\n"],
                None,
            ),
            (
                "bare CR in a header",
                [
                    b"GET " + path + b" HTTP/1.1\r\nHost: " + host + b"\r\nX-Soak: a\rb\r\n"
                    b"Connection: close\r\n\r\n"
                ],
                None,
            ),
            ("HTTP/0.9 request line", [b"GET " + path + b"\r\n"], None),
            (
                "HTTP/2.0 version",
                [b"GET " + path + b" HTTP/2.0\r\nHost: " + host + b"\r\nConnection: close\r\n\r\n"],
                None,
            ),
            (
                "HTTP/9.9 version",
                [b"GET " + path + b" HTTP/9.9\r\nHost: " + host + b"\r\nConnection: close\r\n\r\n"],
                None,
            ),
            (
                "space in the target",
                [
                    b"GET /spa rql?query=ASK%7B%7D HTTP/1.1\r\nHost: "
                    + host
                    + b"\r\nConnection: close\r\n\r\n"
                ],
                None,
            ),
            (
                "garbage request line",
                [bytes(rng.randrange(256) for _ in range(64)) + b"\r\n\r\n"],
                None,
            ),
            (
                "empty header name",
                [
                    b"GET " + path + b" HTTP/1.1\r\nHost: " + host + b"\r\n: empty\r\n"
                    b"Connection: close\r\n\r\n"
                ],
                None,
            ),
            (
                "Expect: 100-continue, no body",
                [
                    b"POST /sparql HTTP/1.1\r\nHost: " + host + b"\r\nExpect: 100-continue\r\n"
                    b"Content-Type: application/sparql-query\r\nContent-Length: 6\r\n"
                    b"Connection: close\r\n\r\nASK {}"
                ],
                None,
            ),
            (
                "pipelined second request malformed",
                [b"GET /health HTTP/1.1\r\nHost: " + host + b"\r\n\r\nGET /\x00 HTTP/1.1\r\n\r\n"],
                None,
            ),
            (
                "Transfer-Encoding: gzip, chunked",
                [
                    b"POST /sparql HTTP/1.1\r\nHost: " + host + b"\r\nContent-Type: "
                    b"application/sparql-query\r\nTransfer-Encoding: gzip, chunked\r\n"
                    b"Connection: close\r\n\r\n6\r\nASK {}\r\n0\r\n\r\n"
                ],
                None,
            ),
            (
                "Content-Type with 500 parameters",
                [
                    b"POST /sparql HTTP/1.1\r\nHost: " + host + b"\r\nContent-Type: "
                    b"application/sparql-query" + b";a=b" * 500 + b"\r\nContent-Length: 6\r\n"
                    b"Connection: close\r\n\r\nASK {}"
                ],
                None,
            ),
        ]
        what, parts, refuse = rng.choice(variants)
        return self._case(
            "header-bad",
            "/sparql" if b"/sparql" in render(parts)[:20] else "*",
            "RAW",
            parts,
            what=what,
            refuse=refuse,
            abusive=True,
        )

    def accept(self, template: str | None = None) -> Case:
        template = template or self.rng.choice(self._get_routes())
        value = self.rng.choice(BAD_ACCEPTS)
        parts = self._req("GET", self.concrete(template), [(b"Accept", value.encode("utf-8"))])
        return self._case("accept", template, "GET", parts, what=f"Accept: {value[:60]}")

    def host_header(self) -> Case:
        rng = self.rng
        template = rng.choice(
            (
                "/",
                "/sparql",
                "/void",
                "/id/{path:path}",
                "/query-ui",
                "/health",
                "/docs",
                "/browse/{kind}",
            )
        )
        target = self.concrete(template)
        if template == "/sparql":
            target = "/sparql"  # the service description names the endpoint from the Host
        choice = rng.choice(
            ("empty", "nul", "long", "port", "bracket", "markup", "two", "none", "slash", "unicode")
        )
        headers: list[tuple[Part, Part]] = []
        host: Part | None
        if choice == "empty":
            host = b""
        elif choice == "nul":
            host = b"127.0.0.1\x00evil"
        elif choice == "long":
            host = Blob(8000, b"h")
        elif choice == "port":
            host = b"evil.example:99999"
        elif choice == "bracket":
            host = b"[::1"
        elif choice == "markup":
            host = b'"><script>soak(1)</script>'
        elif choice == "two":
            host = self.host
            headers.append((b"Host", b"evil.example"))
        elif choice == "none":
            host = None
        elif choice == "slash":
            host = b"evil.example/path?x=#"
        else:
            host = "хост.example".encode()
        parts = self._req("GET", target, headers, host=host)
        return self._case("host", template, "GET", parts, what=f"Host: {choice}", abusive=True)

    def disconnect(self) -> Case:
        rng = self.rng
        if rng.random() < 0.5:
            case = self.runaway() if rng.random() < 0.3 else self.valid("/sparql")
        else:
            case = self.valid()
        case.family = "disconnect"
        case.mode = rng.choice(("disconnect", "disconnect", "abandon"))
        case.what = f"{case.mode}: {case.what}"[:100]
        return case

    def dumps(self) -> Case:
        rng = self.rng
        children: list[Case] = []
        for _ in range(rng.randint(*DUMP_STORM_SIZE)):
            ext = rng.choice(("nq", "trig", "ttl"))
            mode = rng.choice(("normal", "normal", "slow-read", "abandon", "abandon"))
            headers: list[tuple[Part, Part]] = []
            method = "GET"
            if rng.random() < 0.1:
                method = "HEAD"
            child = self._case(
                "dumps",
                f"/dump.{ext}",
                method,
                self._req(method, f"/dump.{ext}", headers),
                what=mode,
                mode=mode,
                head=method == "HEAD",
                timeout=CLIENT_TIMEOUT_S * 2,
            )
            children.append(child)
        return self._case(
            "dumps",
            "/dump.*",
            "GET",
            [],
            mode="storm",
            children=children,
            what=f"{len(children)} concurrent dumps",
        )

    def slow_header(self) -> Case:
        template = self.rng.choice(("/health", "/sparql", "/", "/void"))
        parts = self._req("GET", self.concrete(template), [(b"X-Soak-Slow", Blob(400, b"s"))])
        mode = self.rng.choice(("slow-header", "idle-header"))
        return self._case(
            "slow-header",
            template,
            "GET",
            parts,
            mode=mode,
            what=f"{mode}: the head trickles in",
            ideal=(408,),
            abusive=True,
            timeout=self.slow_cap_s,
            hold_open_is_failure=True,
        )

    def slow_body(self) -> Case:
        parts = self._req(
            "POST", "/sparql", [(b"Content-Type", b"application/sparql-query")], Blob(50_000, b" ")
        )
        return self._case(
            "slow-body",
            "/sparql",
            "POST",
            parts,
            mode="slow-body",
            what="a 50,000-byte body trickles in",
            ideal=(408,),
            abusive=True,
            timeout=self.slow_cap_s,
        )

    def kill(self, busy: bool) -> Case:
        if busy:
            case = self.runaway()
            case.family = "kill"
            case.mode = "kill-busy"
            case.what = "SIGKILL a worker during a runaway query"
            case.ideal = ()
            return case
        return self._case("kill", "-", "-", [], mode="kill-idle", what="SIGKILL an idle worker")

    # -- the run's list -----------------------------------------------------------------------

    def _keep(self, case: Case) -> bool:
        routes = [c.route for c in case.children] if case.mode == "storm" else [case.route]
        return not any(p.search(r) for p in self.exclude for r in routes)

    def build(self, total: int) -> list[Case]:
        """At least ``total`` requests: every route and family first, then a random mix."""
        cases: list[Case] = []
        routes = sorted(self.inv.routes)
        for template in routes:
            methods = self.inv.routes[template]
            for method in sorted(methods):
                if method in ("GET", "HEAD"):
                    cases.append(self.valid(template, method))
            if "GET" not in methods:
                cases.append(self.valid(template))
            for method in WRONG_METHODS:
                if method not in methods:
                    cases.append(self.method(template, method))
            cases.append(self.traversal(template))
            cases.append(self.encoding(template))
            if "GET" in methods:
                cases.append(self.accept(template))
        families: dict[str, Callable[[], Case]] = {
            "valid": self.valid,
            "query": self.query,
            "method": self.method,
            "encoding": self.encoding,
            "header-bad": self.header_bad,
            "accept": self.accept,
            "traversal": self.traversal,
            "service": self.service,
            "host": self.host_header,
            "nesting": self.nesting,
            "escapes": self.escapes,
            "disconnect": self.disconnect,
            "values": self.values,
            "header-huge": self.header_huge,
            "header-many": self.header_many,
            "url-long": self.url_long,
            "body-huge": self.body_huge,
            "dumps": self.dumps,
            "runaway": self.runaway,
            "slow-header": self.slow_header,
            "slow-body": self.slow_body,
        }
        for make in families.values():
            cases.append(make())
        # Every mode of the slow clients and the dumps at least once.
        cases += [self.slow_header(), self.slow_body(), self.dumps()]
        cases = [c for c in cases if self._keep(c)]
        names = [n for n, _ in self.WEIGHTS]
        weights = [w for _, w in self.WEIGHTS]
        count = sum(c.requests for c in cases)
        for _ in range(total * 20):  # bounded even if --exclude leaves little to send
            if count >= total:
                break
            case = families[self.rng.choices(names, weights)[0]]()
            if self._keep(case):
                cases.append(case)
                count += case.requests
        self.rng.shuffle(cases)
        # Worker kills at fixed points of the sequence, idle and busy in turn.
        out: list[Case] = []
        sent = 0
        next_kill = KILL_EVERY // 2
        busy = False
        for case in cases:
            out.append(case)
            sent += case.requests
            if sent >= next_kill:
                out.append(self.kill(busy))
                busy = not busy
                next_kill += KILL_EVERY
        return out


# -- the raw client -----------------------------------------------------------------------------


@dataclass
class Reply:
    """One request's answer (or what happened instead)."""

    case: Case
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    body_bytes: int = 0
    complete: bool = False
    error: str | None = None  # timeout | reset | closed | held-open | ...
    elapsed: float = 0.0
    generation: int = 0
    intended_close: bool = False  # the client closed on purpose (disconnect, abandon)


class ResponseReader:
    """Incremental HTTP/1.1 response parser that keeps only the first BODY_KEEP bytes."""

    def __init__(self, head_request: bool) -> None:
        self.head_request = head_request
        self.buffer = b""
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.body = bytearray()
        self.body_bytes = 0
        self.framing = ""  # length | chunked | close | none
        self.remaining = 0
        self.chunk_state = "size"
        self.done = False
        self.bad = ""

    def _keep(self, data: bytes) -> None:
        self.body_bytes += len(data)
        room = BODY_KEEP - len(self.body)
        if room > 0:
            self.body += data[:room]

    def feed(self, data: bytes) -> None:
        self.buffer += data
        while not self.done and not self.bad:
            if self.status is None:
                end = self.buffer.find(b"\r\n\r\n")
                if end < 0:
                    if len(self.buffer) > 1_000_000:
                        self.bad = "response head over 1 MB"
                    return
                head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
                lines = head.split(b"\r\n")
                match = re.match(rb"HTTP/\d\.\d (\d{3})", lines[0])
                if match is None:
                    self.bad = f"bad status line {lines[0][:80]!r}"
                    return
                status = int(match.group(1))
                if 100 <= status < 200:
                    continue  # 100 Continue: the real answer follows
                self.status = status
                for line in lines[1:]:
                    name, _, value = line.partition(b":")
                    self.headers[name.strip().lower().decode("latin-1")] = value.strip().decode(
                        "latin-1"
                    )
                if self.head_request or status in (204, 304):
                    self.framing = "none"
                    self.done = True
                    return
                if "chunked" in self.headers.get("transfer-encoding", "").lower():
                    self.framing = "chunked"
                elif "content-length" in self.headers:
                    self.framing = "length"
                    try:
                        self.remaining = int(self.headers["content-length"])
                    except ValueError:
                        self.bad = "bad Content-Length in the answer"
                        return
                else:
                    self.framing = "close"
                continue
            if self.framing == "length":
                take = self.buffer[: self.remaining]
                self.buffer = self.buffer[len(take) :]
                self._keep(take)
                self.remaining -= len(take)
                self.done = self.remaining == 0
                return
            if self.framing == "close":
                self._keep(self.buffer)
                self.buffer = b""
                return
            if not self._chunk_step():
                return

    def _chunk_step(self) -> bool:
        """One step of chunked decoding; False when more bytes are needed."""
        if self.chunk_state == "size":
            end = self.buffer.find(b"\r\n")
            if end < 0:
                return False
            line, self.buffer = self.buffer[:end], self.buffer[end + 2 :]
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                self.bad = f"bad chunk size {line[:40]!r}"
                return False
            if size == 0:
                self.chunk_state = "trailer"
            else:
                self.remaining = size
                self.chunk_state = "data"
            return True
        if self.chunk_state == "data":
            take = self.buffer[: self.remaining]
            self.buffer = self.buffer[len(take) :]
            self._keep(take)
            self.remaining -= len(take)
            if self.remaining:
                return False
            self.chunk_state = "crlf"
            return True
        if self.chunk_state == "crlf":
            if len(self.buffer) < 2:
                return False
            self.buffer = self.buffer[2:]
            self.chunk_state = "size"
            return True
        end = self.buffer.find(b"\r\n")  # trailer lines, then an empty line
        if end < 0:
            return False
        line, self.buffer = self.buffer[:end], self.buffer[end + 2 :]
        if not line:
            self.done = True
        return True

    def closed(self) -> None:
        if self.framing == "close":
            self.done = True


def _readable(sock: socket.socket, wait_s: float) -> bool:
    ready, _, _ = select.select([sock], [], [], max(0.0, wait_s))
    return bool(ready)


def exchange(port: int, case: Case, generation: int, rng: random.Random) -> Reply:
    """Send one case's request as raw bytes and read the answer, within the case's time limit."""
    reply = Reply(case, generation=generation)
    started = time.monotonic()
    deadline = started + case.timeout
    payload = render(case.parts)
    reader = ResponseReader(case.head)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if case.mode == "slow-read":  # a small window before connecting: the server feels it
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(min(5.0, case.timeout))
    try:
        sock.connect(("127.0.0.1", port))
    except OSError as error:
        sock.close()
        reply.error = f"connect: {error.__class__.__name__}"
        reply.elapsed = time.monotonic() - started
        return reply
    try:
        sent_all = _send(sock, case, payload, deadline, rng, reply)
        if reply.intended_close:
            return reply
        _receive(sock, case, reader, deadline, rng, reply, sent_all)
    finally:
        with contextlib.suppress(OSError):
            sock.close()
        reply.elapsed = time.monotonic() - started
        reply.status = reader.status if reader.status is not None else reply.status
        reply.headers = reader.headers
        reply.body = bytes(reader.body)
        reply.body_bytes = reader.body_bytes
        reply.complete = reader.done
        if reader.bad and reply.error is None:
            reply.error = reader.bad
    return reply


def _send(
    sock: socket.socket,
    case: Case,
    payload: bytes,
    deadline: float,
    rng: random.Random,
    reply: Reply,
) -> bool:
    """Send the request as the case's mode says; False when the server cut it short."""
    mode = case.mode
    if mode in ("slow-header", "idle-header", "slow-body"):
        split = payload.find(b"\r\n\r\n") + 4
        if mode == "slow-body":
            first, rest = payload[:split], payload[split:]
        else:
            first, rest = payload[: min(30, split - 6)], payload[min(30, split - 6) :]
        try:
            sock.sendall(first)
        except OSError:
            return False
        step = 10 if mode == "slow-body" else 2
        while rest and time.monotonic() < deadline:
            if _readable(sock, SLOW_STEP_S):
                return False  # the server answered or closed
            if mode == "idle-header":
                continue
            try:
                sock.send(rest[:step])
            except OSError:
                return False
            rest = rest[step:]
        return not rest
    try:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        sock.sendall(payload)
    except OSError as error:
        # The server may have answered before it stopped reading (a 431 or 413): read it.
        reply.error = f"send: {error.__class__.__name__}"
        return False
    if mode == "disconnect":
        time.sleep(rng.choice((0.0, 0.05, 0.3, 1.0)))
        if rng.random() < 0.5:  # a reset instead of a close
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        reply.intended_close = True
    return True


def _receive(
    sock: socket.socket,
    case: Case,
    reader: ResponseReader,
    deadline: float,
    rng: random.Random,
    reply: Reply,
    sent_all: bool,
) -> None:
    abandon_after = rng.choice((1, 4096, 65536, 500_000)) if case.mode == "abandon" else None
    slow_until = time.monotonic() + SLOW_READ_CAP_S if case.mode == "slow-read" else None
    while not reader.done:
        left = deadline - time.monotonic()
        if left <= 0:
            if case.mode in ("slow-header", "idle-header", "slow-body") and reader.status is None:
                reply.error = "held-open"
            else:
                reply.error = reply.error or "timeout"
            return
        if not _readable(sock, min(left, 1.0)):
            continue
        try:
            data = sock.recv(4096 if slow_until else 256 * 1024)
        except OSError as error:
            reply.error = f"recv: {error.__class__.__name__}"
            return
        if not data:
            reader.closed()
            if not reader.done:
                reply.error = "closed" if reader.status is None else "truncated"
            elif not sent_all and reply.error and reply.error.startswith("send"):
                reply.error = None  # it answered (431, 413) and closed: fine
            return
        reader.feed(data)
        if reader.bad:
            return
        if abandon_after is not None and reader.body_bytes >= abandon_after:
            reply.intended_close = True
            return
        if slow_until is not None:
            if time.monotonic() > slow_until:
                reply.intended_close = True
                return
            time.sleep(0.01)
    if reply.error and reply.error.startswith("send") and reader.status is not None:
        reply.error = None


# -- the server and its processes ------------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                text = Path(f"/proc/{pid}/task/{task}/children").read_text()
                found += [int(p) for p in text.split()]
    return sorted(set(found))


def process_tree(pid: int) -> list[int]:
    tree = [pid]
    for child in children_of(pid):
        tree += process_tree(child)
    return tree


def rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def worker_pids(server_pid: int) -> list[int]:
    workers = []
    for pid in children_of(server_pid):
        with contextlib.suppress(OSError):
            if b"shezhire.http.worker" in Path(f"/proc/{pid}/cmdline").read_bytes():
                workers.append(pid)
    return workers


def server_header_timeout(settings: Settings) -> float | None:
    """The server's header read timeout, if it has one: a setting whose name says so, or the
    transport's constant (``shezhire.http.transport.HEADER_READ_TIMEOUT_S``)."""
    for name, value in settings.model_dump().items():
        if "header" in name and "timeout" in name and isinstance(value, int | float):
            return float(value)
    try:
        transport = importlib.import_module("shezhire.http.transport")
    except ImportError:
        return None
    value = getattr(transport, "HEADER_READ_TIMEOUT_S", None)
    return float(value) if isinstance(value, int | float) else None


@dataclass
class Death:
    generation: int
    pid: int
    returncode: int | None
    at_s: float
    in_flight: list[Case]
    log_tail: str
    triage: str = ""


class Server:
    """A LiveServer that is restarted when it dies (each death is recorded)."""

    def __init__(self, settings: Settings, log_dir: Path, started: float) -> None:
        self.settings = settings
        self.log_dir = log_dir
        self.started = started
        self.lock = threading.Lock()
        self.up = threading.Event()
        self.generation = 0
        self.deaths: list[Death] = []
        self.in_flight: dict[int, Case] = {}
        self.live: LiveServer | None = None
        self.first_pid = 0
        self.gave_up = False
        self.start_errors: list[str] = []
        self.recent: deque[tuple[float, Case]] = deque(maxlen=64)  # finished cases, when

    def start(self) -> None:
        live = LiveServer(self.settings, extra_env=server_env(self.log_dir))
        live.log_path = self.log_dir / f"server-{self.generation}.log"
        live.start()
        self.live = live
        if not self.first_pid:
            self.first_pid = live.pid
        self.up.set()

    @property
    def pid(self) -> int:
        assert self.live is not None
        return self.live.pid

    def alive(self) -> bool:
        return (
            self.live is not None
            and self.live.process is not None
            and (self.live.process.poll() is None)
        )

    def check(self, max_deaths: int) -> bool:
        """Record a death and restart; False when the server is dead for good."""
        with self.lock:
            if self.alive():
                return True
            if self.gave_up:
                return False
            self.up.clear()
            assert self.live is not None and self.live.process is not None
            log = self.live.log()
            # A dying server lingers (a panic prints its backtrace first): the request that killed
            # it may have finished just before its process was gone.
            now = time.monotonic()
            suspects = dict(self.in_flight)
            for finished, case in self.recent:
                if now - finished <= RECENT_S:
                    suspects.setdefault(case.index, case)
            self.deaths.append(
                Death(
                    self.generation,
                    self.live.pid,
                    self.live.process.returncode,
                    now - self.started,
                    sorted(suspects.values(), key=lambda c: ("/dump" not in c.route, c.index)),
                    "\n".join(_interesting_log(log)[-25:]),
                )
            )
            if len(self.deaths) >= max_deaths:
                self.gave_up = True
                self.up.set()
                return False
            self.generation += 1
            for _ in range(RESTART_ATTEMPTS):
                try:
                    self.start()
                except RuntimeError as error:
                    tail = " / ".join(str(error).strip().splitlines()[-4:])
                    self.start_errors.append(f"restart after death {len(self.deaths)}: {tail}")
                    continue
                return True
            self.gave_up = True
            self.up.set()  # release the clients that wait for it: they see gave_up
            return False

    def wait_up(self) -> bool:
        """Wait (bounded) until the server answers; False when it is dead for good."""
        deadline = time.monotonic() + SERVER_RESTART_WAIT_S
        while time.monotonic() < deadline:
            if self.gave_up:
                return False
            if self.up.wait(0.5):
                return not self.gave_up
        return False

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()


def _interesting_log(log: str) -> list[str]:
    """The server log without Rust backtrace frames."""
    lines = []
    for line in log.splitlines():
        stripped = line.strip()
        if re.match(r"^\d+: |^at /", stripped):
            continue
        lines.append(line[:300])
    return lines


# -- monitors -----------------------------------------------------------------------------------


@dataclass
class Health:
    polls: int = 0
    waits: list[float] = field(default_factory=list)
    failures: list[tuple[int, float, str]] = field(default_factory=list)  # generation, t, what
    during_deaths: int = 0
    workers_seen: list[int] = field(default_factory=list)

    @property
    def worst(self) -> float:
        return max(self.waits, default=0.0)

    def percentile(self, p: float) -> float:
        return _percentile(self.waits, p)


def health_once(port: int, timeout: float) -> tuple[int | None, float, bytes, str | None]:
    case = Case(
        0,
        "health",
        "/health",
        "GET",
        request("GET", "/health", host=f"127.0.0.1:{port}".encode()),
        timeout=timeout,
    )
    reply = exchange(port, case, 0, random.Random(0))
    return reply.status, reply.elapsed, reply.body, reply.error


def poll_health(server: Server, stop: threading.Event, health: Health, max_deaths: int) -> None:
    while not stop.is_set():
        tick = time.monotonic()
        if not server.up.is_set():
            server.up.wait(HEALTH_INTERVAL_S)
            continue
        generation = server.generation
        status, waited, body, error = health_once(server.settings.port, HEALTH_CLIENT_TIMEOUT_S)
        health.polls += 1
        dead = not server.alive()
        if dead or generation != server.generation:
            health.during_deaths += 1
            server.check(max_deaths)
        else:
            health.waits.append(waited)
            if status != 200 or waited > HEALTH_BOUND_S:
                detail = f"status {status}" if status else f"no answer ({error})"
                snippet = body[:160].decode("utf-8", "replace")
                health.failures.append(
                    (
                        generation,
                        tick - server.started,
                        f"t={tick - server.started:.1f}s: {detail} after {waited:.2f}s {snippet!r}",
                    )
                )
            with contextlib.suppress(ValueError, KeyError, TypeError):
                health.workers_seen.append(int(json.loads(body)["query_workers"]))
        stop.wait(max(0.0, HEALTH_INTERVAL_S - (time.monotonic() - tick)))


@dataclass
class Memory:
    # (generation, server MB, tree MB, monotonic time)
    samples: list[tuple[int, float, float, float]] = field(default_factory=list)

    def add(self, generation: int, pid: int) -> None:
        tree = sum(rss_mb(p) for p in process_tree(pid))
        self.samples.append((generation, rss_mb(pid), tree, time.monotonic()))

    def of(self, generation: int) -> list[tuple[int, float, float, float]]:
        return [s for s in self.samples if s[0] == generation and s[1] > 0]


def sample_memory(server: Server, stop: threading.Event, memory: Memory) -> None:
    while not stop.is_set():
        if server.alive():
            memory.add(server.generation, server.pid)
        stop.wait(MEMORY_INTERVAL_S)


class Canary:
    """A socket on 127.0.0.1 that no request should ever make the server call."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.5)
        self.port: int = self.sock.getsockname()[1]
        self.hits: list[bytes] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="soak-canary", daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1.0)
                try:
                    self.hits.append(conn.recv(2048))
                except OSError:
                    self.hits.append(b"(connected, sent nothing)")

    def __enter__(self) -> Canary:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


# -- judging ------------------------------------------------------------------------------------


@dataclass
class Failure:
    kind: str
    case: Case | None
    detail: str

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "detail": self.detail}
        if self.case is not None:
            out |= {
                "case": self.case.index,
                "family": self.case.family,
                "route": self.case.route,
                "what": self.case.what,
                "request": self.case.repro(),
            }
        return out


def status_key(reply: Reply) -> str:
    if reply.status is not None:
        return str(reply.status)
    if reply.intended_close:
        return "client-closed"
    return (reply.error or "none").split(":", 1)[0]


CLASSES = ("2xx", "3xx", "4xx", "429", "503", "5xx", "no-answer", "cli-close", "lost")


def status_class(key: str) -> str:
    """The column of a status key: 2xx..5xx, no answer, closed by the client, lost to a death."""
    if key.isdigit():
        if key in ("429", "503"):
            return key
        return key[0] + "xx"
    if key == "client-closed":
        return "cli-close"
    return "lost" if key == "lost" else "no-answer"


def judge(reply: Reply, settings: Settings) -> tuple[list[Failure], list[str]]:
    """The failures and the notes (contracts a hardened server meets) of one reply."""
    case = reply.case
    failures: list[Failure] = []
    notes: list[str] = []
    status = reply.status
    answer = f"{status} {reply.body[:200]!r}"
    if status is not None and 500 <= status <= 599:
        if status != 503:
            failures.append(Failure(f"{status}", case, answer))
        elif not DOCUMENTED_503.search(reply.body[:2000]):
            failures.append(Failure("503 undocumented", case, answer))
    if status is None and not reply.intended_close:
        if reply.error == "held-open":
            if case.hold_open_is_failure:
                failures.append(
                    Failure(
                        "slow head held open",
                        case,
                        f"no answer and no close after {case.timeout:.0f} s (no header timeout)",
                    )
                )
            else:
                notes.append("slow body held open (no body timeout)")
        elif not case.abusive:
            failures.append(Failure("no answer", case, f"{reply.error} after {reply.elapsed:.1f}s"))
    if status is None and reply.error == "timeout" and case.abusive:
        notes.append(
            f"{case.family}: {case.label or case.what[:50]} -> no answer, connection open "
            f"after {case.timeout:g} s"
        )
    if reply.error == "truncated" and case.family != "disconnect":
        notes.append(f"truncated answer on {case.route}")
    if status is not None and 200 <= status < 400 and case.refuse:
        failures.append(
            Failure("served what must be refused", case, f"{case.refuse}; got {answer}")
        )
    if (
        status is not None
        and status < 400
        and case.query_chars is not None
        and (case.query_chars > settings.max_query_length)
    ):
        failures.append(
            Failure(
                "over-long query served",
                case,
                f"{case.query_chars} chars > {settings.max_query_length}; got {answer}",
            )
        )
    if (
        case.expect
        and status is not None
        and status not in case.expect
        and status not in (429, 503)
    ):
        failures.append(
            Failure("undocumented status", case, f"expected {case.expect}; got {answer}")
        )
    if status == 429 and "retry-after" not in reply.headers:
        failures.append(Failure("429 without Retry-After", case, answer))
    for marker in LEAK_MARKERS:
        if marker in reply.body:
            failures.append(Failure("leak", case, f"{marker!r} in the answer: {answer}"))
    if REFLECT_MARK.encode() in reply.body and "html" in reply.headers.get("content-type", ""):
        failures.append(Failure("markup reflected unescaped", case, answer))
    if case.method == "TRACE" and REFLECT_MARK.encode() in reply.body:
        failures.append(Failure("TRACE echoed the request", case, answer))
    label = case.label or case.what[:50]
    # A 429 is fine anywhere; a 503 is the answer to a busy server, but a worker that died of a
    # request (deep nesting overflowing its stack) is worth a note.
    busy = status == 503 and b"worker" not in reply.body[:300]
    if (
        case.ideal
        and status is not None
        and status not in case.ideal
        and status != 429
        and not busy
    ):
        shown = f"{status} (worker died)" if status == 503 else str(status)
        notes.append(
            f"{case.family}: {label} -> {shown} (hardened: {'/'.join(map(str, case.ideal))})"
        )
    elif (
        case.ideal and status is None and not reply.intended_close and reply.error != ("held-open")
    ):
        notes.append(
            f"{case.family}: {label} -> {status_key(reply)} (hardened: "
            f"{'/'.join(map(str, case.ideal))})"
        )
    return failures, notes


# -- the run ------------------------------------------------------------------------------------


@dataclass
class Report:
    seed: int
    requested: int
    sent: int = 0
    not_sent: int = 0
    duration_s: float = 0.0
    stopped_early: str = ""
    by_family: Counter[str] = field(default_factory=Counter)
    by_route: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    family_status: dict[str, Counter[str]] = field(default_factory=dict)
    latency: dict[str, list[float]] = field(default_factory=dict)  # seconds, by family
    failures: list[Failure] = field(default_factory=list)
    failure_counts: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)
    health: Health = field(default_factory=Health)
    memory: dict[str, float] = field(default_factory=dict)
    server: dict[str, Any] = field(default_factory=dict)
    deaths: list[Death] = field(default_factory=list)
    kills: int = 0
    lost_to_deaths: int = 0
    deferred: list[Reply] = field(default_factory=list)
    canary_hits: list[str] = field(default_factory=list)
    routes: list[str] = field(default_factory=list)
    untested_routes: list[str] = field(default_factory=list)
    leftover_workdirs: list[str] = field(default_factory=list)  # in the server's TMPDIR
    memory_timeline: list[tuple[float, float, float]] = field(default_factory=list)
    memory_end_processes: dict[str, float] = field(default_factory=dict)
    log_dir: str = ""

    @property
    def ok(self) -> bool:
        return not self.failures and not self.deaths

    def fail(self, failure: Failure) -> None:
        self.failure_counts[failure.kind] += 1
        if len(self.failures) < FAILURES_KEPT:
            self.failures.append(failure)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "seed": self.seed,
            "requested": self.requested,
            "sent": self.sent,
            "not_sent": self.not_sent,
            "duration_s": round(self.duration_s, 1),
            "stopped_early": self.stopped_early,
            "by_family": dict(self.by_family.most_common()),
            "by_route": dict(self.by_route.most_common()),
            "by_status": dict(self.by_status.most_common()),
            "family_status": {k: dict(v) for k, v in sorted(self.family_status.items())},
            "latency_s": {
                family: {
                    "p50": round(_percentile(times, 50), 3),
                    "p95": round(_percentile(times, 95), 3),
                    "max": round(max(times), 3),
                    "total": round(sum(times), 1),
                }
                for family, times in sorted(self.latency.items())
                if times
            },
            "failure_counts": dict(self.failure_counts),
            "failures": [f.as_dict() for f in self.failures],
            "notes": dict(self.notes.most_common()),
            "health": {
                "polls": self.health.polls,
                "worst_s": round(self.health.worst, 3),
                "p99_s": round(self.health.percentile(99), 3),
                "p50_s": round(self.health.percentile(50), 3),
                "failures": [f for _, _, f in self.health.failures[:50]],
                "failure_count": self.failure_counts["health"],
                "polls_while_server_dead": self.health.during_deaths,
            },
            "memory_mb": {k: round(v, 1) for k, v in self.memory.items()},
            "memory_timeline_s_server_tree_mb": self.memory_timeline,
            "memory_end_by_pid_mb": self.memory_end_processes,
            "server": self.server,
            "deaths": [
                {
                    "generation": d.generation,
                    "pid": d.pid,
                    "returncode": d.returncode,
                    "at_s": round(d.at_s, 1),
                    "in_flight": [f"#{c.index} {c.family} {c.repro()[:300]}" for c in d.in_flight],
                    "log_tail": d.log_tail,
                    "triage": d.triage,
                }
                for d in self.deaths
            ],
            "worker_kills": self.kills,
            "lost_to_deaths": self.lost_to_deaths,
            "canary_hits": self.canary_hits,
            "routes": self.routes,
            "untested_routes": self.untested_routes,
            "leftover_workdirs": self.leftover_workdirs,
            "log_dir": self.log_dir,
        }


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


@dataclass
class Options:
    requests: int = DEFAULT_REQUESTS
    concurrency: int = DEFAULT_CONCURRENCY
    duration_s: float = DEFAULT_DURATION_S
    seed: int = 1
    max_deaths: int = MAX_DEATHS
    triage: bool = True
    progress: Callable[[str], None] | None = None
    exclude: tuple[str, ...] = ()  # route patterns not to request (to see past a known crash)


def soak_settings(store: Path, **overrides: Any) -> Settings:
    """The server's settings for a soak: this checkout's queries, a short query time limit."""
    values: dict[str, Any] = {
        "root": REPO,
        "store_path": store,
        "port": free_port(),
        "query_timeout_s": SOAK_QUERY_TIMEOUT_S,
    }
    values.update(overrides)
    return Settings(**values)


def run_soak(settings: Settings, options: Options) -> Report:
    """Start a server with ``settings``, soak it, stop it; everything bounded in time."""
    report = Report(seed=options.seed, requested=options.requests)
    say = options.progress or (lambda _text: None)
    header_timeout = server_header_timeout(settings)
    slow_cap = SLOW_CAP_S if header_timeout is None else header_timeout + SLOW_MARGIN_S
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="shezhire-soak-") as scratch, Canary() as canary:
        server = Server(settings, Path(scratch), started)
        say(f"starting the server on port {settings.port}")
        server.start()
        stop = threading.Event()
        health = report.health
        memory = Memory()
        try:
            memory.add(0, server.pid)
            assert server.live is not None
            inventory = discover(server.live, settings)
            report.routes = sorted(inventory.routes)
            _, _, body, _ = health_once(settings.port, HEALTH_CLIENT_TIMEOUT_S)
            workers_at_start = int(json.loads(body).get("query_workers", 0))
            factory = CaseFactory(
                options.seed, inventory, settings, canary.port, slow_cap, options.exclude
            )
            cases = factory.build(options.requests)
            say(
                f"{sum(c.requests for c in cases)} requests in {len(cases)} cases; "
                f"{len(inventory.routes)} routes"
            )
            monitors = [
                threading.Thread(
                    target=poll_health,
                    args=(server, stop, health, options.max_deaths),
                    name="soak-health",
                    daemon=True,
                ),
                threading.Thread(
                    target=sample_memory,
                    args=(server, stop, memory),
                    name="soak-memory",
                    daemon=True,
                ),
            ]
            for thread in monitors:
                thread.start()
            _drive(server, cases, options, report, started, say)
            report.duration_s = time.monotonic() - started
            # Let the workers come back, then read the end state.
            recovered = _recover(server, workers_at_start)
            stop.set()
            for thread in monitors:
                thread.join(timeout=10)
            if server.alive():
                time.sleep(1.0)
                memory.add(server.generation, server.pid)
            report.deaths = list(server.deaths)
            _settle(report, server)
            _summarise_server(report, server, workers_at_start, recovered, settings)
            _summarise_memory(report, memory, server)
            for hit in canary.hits:
                report.canary_hits.append(hit[:300].decode("latin-1"))
            if canary.hits:
                report.fail(
                    Failure(
                        "SERVICE reached 127.0.0.1",
                        None,
                        f"{len(canary.hits)} connection(s) to the canary port "
                        f"{canary.port}: {canary.hits[0][:200]!r}",
                    )
                )
            for generation, at, failure in health.failures:
                if any(
                    d.generation == generation and d.at_s - HEALTH_DYING_S <= at <= d.at_s
                    for d in server.deaths
                ):
                    health.during_deaths += 1  # the server was dying: the death is the failure
                    continue
                report.fail(Failure("health", None, failure))
            tested = {c.route for c in _flatten(cases)}
            report.untested_routes = [r for r in inventory.routes if r not in tested]
        finally:
            stop.set()
            server.stop()
        if report.deaths and options.triage:
            _triage(report, settings, Path(scratch), say)
        report.leftover_workdirs = sorted(
            p.name for p in (Path(scratch) / "tmp").glob("*") if p.is_dir()
        )
        if not report.ok:  # keep the server logs for whoever reads the report
            kept = Path(tempfile.mkdtemp(prefix="shezhire-soak-logs-"))
            for log in Path(scratch).glob("*.log"):
                shutil.copy2(log, kept / log.name)
            report.log_dir = str(kept)
    return report


def server_env(scratch: Path) -> dict[str, str]:
    """The server's own TMPDIR: its working folders are its own (another server on this
    machine may clean up folders it thinks stale), and what a dead server leaves is seen."""
    tmp = scratch / "tmp"
    tmp.mkdir(exist_ok=True)
    return {"TMPDIR": str(tmp)}


def _flatten(cases: list[Case]) -> Iterator[Case]:
    for case in cases:
        if case.mode == "storm":
            yield from case.children
        else:
            yield case


def _drive(
    server: Server,
    cases: list[Case],
    options: Options,
    report: Report,
    started: float,
    say: Callable[[str], None],
) -> None:
    """Send the cases with ``options.concurrency`` clients (slow ones in their own pool)."""
    deadline = started + options.duration_s
    rng = random.Random(options.seed ^ 0x5EED)
    pending: set[Future[list[Reply]]] = set()
    seeds = [rng.randrange(2**32) for _ in cases]
    next_progress = 500
    with (
        ThreadPoolExecutor(options.concurrency, "soak") as pool,
        ThreadPoolExecutor(SLOW_POOL, "soak-slow") as slow_pool,
    ):
        for number, case in enumerate(cases):
            if time.monotonic() > deadline:
                report.stopped_early = f"the duration cap of {options.duration_s:g} s"
                report.not_sent = sum(c.requests for c in cases[number:])
                break
            if server.gave_up:
                report.stopped_early = f"the server died {len(server.deaths)} times"
                report.not_sent = sum(c.requests for c in cases[number:])
                break
            slow = case.mode in ("slow-header", "idle-header", "slow-body", "storm")
            target_pool = slow_pool if slow else pool
            while len(pending) >= options.concurrency * 2 + SLOW_POOL:
                done, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
                for future in done:
                    _collect(future.result(), report, server)
            pending.add(
                target_pool.submit(
                    _run_case, server, case, seeds[number], report, options.max_deaths
                )
            )
            if report.sent >= next_progress:
                say(
                    f"{report.sent} answers, {time.monotonic() - started:.0f}s, "
                    f"{sum(report.failure_counts.values())} failures, "
                    f"{len(server.deaths)} deaths"
                )
                next_progress += 500
        for future in pending:
            _collect(future.result(), report, server)


def _run_case(
    server: Server, case: Case, seed: int, report: Report, max_deaths: int
) -> list[Reply]:
    rng = random.Random(seed)
    if not server.wait_up():
        return []
    generation = server.generation
    with server.lock:
        server.in_flight[case.index] = case
    replies: list[Reply] = []
    try:
        replies = _send_case(server, case, generation, rng, report)
        return replies
    finally:
        with server.lock:
            server.in_flight.pop(case.index, None)
            server.recent.append((time.monotonic(), case))
        unanswered = any(
            r.status is None and not r.intended_close and not r.case.abusive for r in replies
        )
        live = server.live
        if unanswered and live is not None and live.process is not None:
            # Perhaps the server is dying (a panic prints its backtrace before the process
            # ends): wait for it a moment, rather than spend more requests on it.
            with contextlib.suppress(subprocess.TimeoutExpired):
                live.process.wait(timeout=DYING_WAIT_S)
        if not server.alive():
            server.check(max_deaths)


def _send_case(
    server: Server, case: Case, generation: int, rng: random.Random, report: Report
) -> list[Reply]:
    port = server.settings.port
    if case.mode == "kill-idle":
        _kill_worker(server, rng, report)
        return []
    if case.mode == "kill-busy":
        killer = threading.Timer(0.5 + rng.random(), _kill_worker, (server, rng, report))
        killer.start()
        try:
            return [exchange(port, case, generation, rng)]
        finally:
            killer.cancel()
    if case.mode == "storm":
        seeds = [rng.randrange(2**32) for _ in case.children]
        with ThreadPoolExecutor(len(case.children), "soak-dump") as storm:
            futures = [
                storm.submit(exchange, port, child, generation, random.Random(seed))
                for child, seed in zip(case.children, seeds, strict=True)
            ]
            return [f.result() for f in futures]
    return [exchange(port, case, generation, rng)]


def _kill_worker(server: Server, rng: random.Random, report: Report) -> None:
    if not server.alive():
        return
    workers = worker_pids(server.pid)
    if not workers:
        return
    victim = workers[rng.randrange(len(workers))]
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(victim, signal.SIGKILL)
        report.kills += 1


def _collect(replies: list[Reply], report: Report, server: Server) -> None:
    for reply in replies:
        report.sent += 1
        if reply.status is None or reply.error == "truncated":
            # A dying server answers nothing for a while before its process is gone: judge
            # these once every death is known.
            report.deferred.append(reply)
        else:
            _tally(reply, report, server.settings, lost=False)


def _settle(report: Report, server: Server) -> None:
    """Judge the deferred replies: those of a server that died are lost to its death."""
    died = {d.generation for d in server.deaths}
    for reply in report.deferred:
        lost = reply.generation in died and not reply.intended_close
        _tally(reply, report, server.settings, lost=lost)
    report.deferred.clear()


def _tally(reply: Reply, report: Report, settings: Settings, *, lost: bool) -> None:
    case = reply.case
    key = "lost" if lost else status_key(reply)
    report.by_family[case.family] += 1
    report.by_route[case.route] += 1
    report.by_status[key] += 1
    report.family_status.setdefault(case.family, Counter())[key] += 1
    report.latency.setdefault(case.family, []).append(reply.elapsed)
    if lost:
        report.lost_to_deaths += 1  # the server died under it: the death is the failure
        return
    failures, notes = judge(reply, settings)
    for failure in failures:
        report.fail(failure)
    for note in notes:
        report.notes[note] += 1


def _recover(server: Server, workers_at_start: int) -> bool:
    """Wait until the server reports its workers back at their number."""
    deadline = time.monotonic() + RECOVERY_S
    while time.monotonic() < deadline and server.alive():
        status, _, body, _ = health_once(server.settings.port, HEALTH_CLIENT_TIMEOUT_S)
        with contextlib.suppress(ValueError, KeyError, TypeError):
            if status == 200 and int(json.loads(body)["query_workers"]) >= workers_at_start:
                return True
        time.sleep(0.5)
    return False


def _summarise_server(
    report: Report, server: Server, workers_at_start: int, recovered: bool, settings: Settings
) -> None:
    alive = server.alive()
    end_pid = server.pid if server.live is not None else 0
    workers_end = len(worker_pids(end_pid)) if alive else 0
    report.server = {
        "pid_start": server.first_pid,
        "pid_end": end_pid,
        "alive_at_end": alive,
        "same_pid": alive and end_pid == server.first_pid,
        "deaths": len(server.deaths),
        "workers_start": workers_at_start,
        "workers_end": workers_end,
        "workers_min_seen": min(report.health.workers_seen, default=0),
        "workers_recovered": recovered,
        "query_timeout_s": settings.query_timeout_s,
        "port": settings.port,
    }
    if not alive:
        report.fail(Failure("server dead at the end", None, f"pid {end_pid}"))
    elif end_pid != server.first_pid and not server.deaths:
        report.fail(
            Failure("server restarted", None, f"pid {server.first_pid} died; {end_pid} answers now")
        )
    if alive and not recovered:
        report.fail(
            Failure(
                "workers not recovered",
                None,
                f"{workers_end} of {workers_at_start} after {RECOVERY_S:g} s",
            )
        )
    for error in server.start_errors:
        report.fail(Failure("restart failed", None, error))
    for death in server.deaths:
        report.fail(
            Failure(
                "server died",
                None,
                f"pid {death.pid} exit {death.returncode} at {death.at_s:.1f}s; "
                f"{len(death.in_flight)} suspects (in flight or just answered)",
            )
        )


def _summarise_memory(report: Report, memory: Memory, server: Server) -> None:
    first = memory.of(0)
    last = memory.of(server.generation)
    if not first or not last:
        return
    every = [s for s in memory.samples if s[1] > 0]
    workers = max(1, report.server.get("workers_end", 0), report.server.get("workers_start", 0))
    tree_bound = MEMORY_GROWTH_BOUND_MB + workers * WORKER_GROWTH_BOUND_MB
    report.memory = {
        "server_start": first[0][1],
        "server_max": max(s[1] for s in every),
        "server_end": last[-1][1],
        "tree_start": first[0][2],
        "tree_max": max(s[2] for s in every),
        "tree_end": last[-1][2],
        "bound_growth": MEMORY_GROWTH_BOUND_MB,
        "bound_tree_growth": tree_bound,
    }
    # Ten points of the last server process's life: a leak climbs, caches level off.
    step = max(1, len(last) // 10)
    report.memory_timeline = [
        (round(s[3] - server.started, 1), round(s[1], 1), round(s[2], 1)) for s in last[::step]
    ]
    if server.alive():
        report.memory_end_processes = {
            str(pid): round(rss_mb(pid), 1) for pid in process_tree(server.pid)
        }
    # Growth within one server process (a restarted one starts afresh).
    generation_start = last[0]
    for label, start, end, bound in (
        ("server", generation_start[1], last[-1][1], MEMORY_GROWTH_BOUND_MB),
        ("tree", generation_start[2], last[-1][2], tree_bound),
    ):
        if end - start >= bound:
            report.fail(
                Failure(
                    "memory",
                    None,
                    f"{label} RSS grew {end - start:.0f} MB (from {start:.0f} to "
                    f"{end:.0f}); the bound is {bound:g} MB",
                )
            )


def death_signature(death: Death) -> str:
    """What the server said as it died (a panic's message), to group deaths by cause."""
    lines = death.log_tail.splitlines()
    for index, line in enumerate(lines):
        if "panicked at" in line and index + 1 < len(lines):
            return lines[index + 1].strip()[:160]
        if "Segmentation fault" in line or "Fatal Python error" in line:
            return line.strip()[:160]
    return f"exit {death.returncode}"


def _triage(report: Report, settings: Settings, scratch: Path, say: Callable[[str], None]) -> None:
    """Replay the suspects of each kind of death on a fresh server: which request kills it?
    Each suspect alone first, then all of them at once."""
    budget_end = time.monotonic() + TRIAGE_BUDGET_S
    first_of: dict[str, int] = {}
    for number, death in enumerate(report.deaths, 1):
        signature = death_signature(death)
        if signature in first_of:
            death.triage = f"same cause as death {first_of[signature]}: {signature}"
            continue
        first_of[signature] = number
        suspects = sorted(death.in_flight, key=lambda c: (c.family != "dumps", c.index))
        suspects = suspects[:TRIAGE_SUSPECTS]
        findings: list[str] = [signature]
        for case in suspects:
            if time.monotonic() > budget_end:
                findings.append("triage budget spent")
                break
            say(f"triage: replaying #{case.index} ({case.family}) alone")
            verdict = _replay([case], settings, scratch)
            findings.append(f"#{case.index} ({case.family}): {verdict}")
            if verdict.startswith("KILLS"):
                break
        else:
            if len(suspects) > 1 and time.monotonic() < budget_end:
                say(f"triage: replaying the {len(suspects)} suspects at once")
                findings.append(f"all at once: {_replay(suspects, settings, scratch)}")
        death.triage = "; ".join(findings)


def _replay(cases: list[Case], settings: Settings, scratch: Path) -> str:
    """Send ``cases`` at once (a dump storm's requests each count) to a fresh server, alone."""
    fresh = settings.model_copy(update={"port": free_port()})
    live = LiveServer(fresh, extra_env=server_env(scratch))
    live.log_path = scratch / f"triage-{cases[0].index}.log"
    try:
        live.start()
    except RuntimeError as error:
        tail = " / ".join(str(error).strip().splitlines()[-3:])
        return f"could not start a server: {tail}"[:400]
    try:
        requests = [c for c in _flatten(cases) if c.mode != "kill-idle"]
        if not requests:
            return "nothing to replay"
        with ThreadPoolExecutor(len(requests), "soak-triage") as pool:
            replies = list(
                pool.map(lambda c: exchange(fresh.port, c, 0, random.Random(c.index)), requests)
            )
        time.sleep(1.0)
        answers = ", ".join(status_key(r) for r in replies)
        if live.process is not None and live.process.poll() is not None:
            what = "alone" if len(requests) == 1 else f"{len(requests)} requests at once"
            return f"KILLS the server ({what}, no other request; answers {answers})"
        return f"harmless (answers {answers})"
    finally:
        live.stop()


# -- output -------------------------------------------------------------------------------------


def format_report(report: Report) -> str:
    data = report.as_dict()
    lines: list[str] = []
    add = lines.append
    verdict = "PASS" if report.ok else "FAIL"
    add(
        f"soak {verdict}: seed {report.seed}, {report.sent} requests sent "
        f"(asked {report.requested}), {report.duration_s:.1f} s"
        + (
            f"; stopped early: {report.stopped_early}, {report.not_sent} not sent"
            if report.stopped_early
            else ""
        )
    )
    add("")
    add("requests by family and status class")
    width = max((len(f) for f in report.by_family), default=6) + 2
    add(
        "  "
        + "family".ljust(width)
        + "total".rjust(7)
        + "".join(c.rjust(10) for c in CLASSES)
        + "p50 s".rjust(8)
        + "p95 s".rjust(8)
    )

    def row(name: str, total: int, counts: Counter[str], times: list[float]) -> str:
        by_class: Counter[str] = Counter()
        for key, count in counts.items():
            by_class[status_class(key)] += count
        cells = "".join(str(by_class.get(c, "")).rjust(10) for c in CLASSES)
        timing = f"{_percentile(times, 50):8.2f}{_percentile(times, 95):8.2f}"
        return "  " + name.ljust(width) + str(total).rjust(7) + cells + timing

    for family, total in sorted(report.by_family.items()):
        add(
            row(
                family,
                total,
                report.family_status.get(family, Counter()),
                report.latency.get(family, []),
            )
        )
    every = [t for times in report.latency.values() for t in times]
    add(row("all", sum(report.by_family.values()), report.by_status, every))
    add("")
    add(
        "requests by status: "
        + ", ".join(f"{key} {count}" for key, count in sorted(report.by_status.items()))
    )
    add("")
    add("requests by route")
    for route, count in sorted(report.by_route.items()):
        add(f"  {route:<28}{count:>7}")
    if report.untested_routes:
        add(f"  untested routes: {', '.join(report.untested_routes)}")
    add("")
    h = data["health"]
    add(
        f"/health: {h['polls']} polls, worst {h['worst_s']:.3f} s, p99 {h['p99_s']:.3f} s, "
        f"p50 {h['p50_s']:.3f} s; {h['failure_count']} over {HEALTH_BOUND_S:g} s or not 200"
        f"; {h['polls_while_server_dead']} while the server was dead"
    )
    m = data["memory_mb"]
    if m:
        add(
            f"memory (MB): server {m['server_start']} -> max {m['server_max']} -> end "
            f"{m['server_end']}; tree {m['tree_start']} -> max {m['tree_max']} -> end "
            f"{m['tree_end']} (bounds on growth: server {m['bound_growth']}, tree "
            f"{m['bound_tree_growth']})"
        )
        add(
            "  timeline (s: server/tree MB): "
            + ", ".join(f"{t:g}: {a:g}/{b:g}" for t, a, b in report.memory_timeline)
        )
    s = data["server"]
    if s:
        add(
            f"server: pid {s['pid_start']} -> {s['pid_end']}, alive {s['alive_at_end']}, "
            f"deaths {s['deaths']}; workers {s['workers_start']} -> {s['workers_end']} "
            f"(fewest seen {s['workers_min_seen']}, recovered {s['workers_recovered']}); "
            f"{report.kills} workers SIGKILLed; query time limit {s['query_timeout_s']} s"
        )
    for number, death in enumerate(data["deaths"], 1):
        if number > DEATHS_SHOWN:
            add(f"death {number}: pid {death['pid']} at {death['at_s']} s: {death['triage']}")
            continue
        add("")
        add(
            f"DEATH of pid {death['pid']} (exit {death['returncode']}) at {death['at_s']} s; "
            "in flight or just finished:"
        )
        for item in death["in_flight"][:SUSPECTS_SHOWN]:
            add(f"    {item}")
        if death["triage"]:
            add(f"  triage: {death['triage']}")
        add("  log tail:")
        for line in death["log_tail"].splitlines()[-12:]:
            add(f"    | {line}")
    if report.failure_counts:
        add("")
        add(
            "failures by kind: "
            + ", ".join(f"{k} {v}" for k, v in report.failure_counts.most_common())
        )
        shown: Counter[str] = Counter()
        for failure in report.failures:
            key = f"{failure.kind}|{failure.case.family if failure.case else ''}"
            shown[key] += 1
            if shown[key] > 3:
                continue
            add(f"  - [{failure.kind}] {failure.detail[:300]}")
            if failure.case is not None:
                add(
                    f"      #{failure.case.index} {failure.case.family} {failure.case.route}: "
                    f"{failure.case.what[:80]}"
                )
                add(f"      request: {failure.case.repro()[:500]}")
    if report.notes:
        add("")
        add("notes (contracts of the hardened server, not failures):")
        for note, count in report.notes.most_common(40):
            add(f"  {count:>5} x {note}")
    if report.canary_hits:
        add("")
        add(f"canary hits: {len(report.canary_hits)}")
        for hit in report.canary_hits[:3]:
            add(f"    {hit[:200]!r}")
    if report.leftover_workdirs:
        add("")
        add(
            f"left in the servers' TMPDIR after they stopped: {len(report.leftover_workdirs)} "
            f"folders ({', '.join(report.leftover_workdirs[:5])})"
        )
    if report.log_dir:
        add(f"server logs kept in {report.log_dir}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=DEFAULT_REQUESTS)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument(
        "--duration",
        type=float,
        default=DEFAULT_DURATION_S,
        help="cap on the whole run, seconds (no new request after it)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--store", type=Path, help="a built store (default: build one)")
    parser.add_argument("--max-deaths", type=int, default=MAX_DEATHS)
    parser.add_argument("--no-triage", action="store_true")
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="REGEX",
        help="do not request routes matching REGEX (e.g. '^/dump' to see past a known crash); "
        "they are reported as untested",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)

    def say(text: str) -> None:
        print(f"[soak] {text}", file=sys.stderr, flush=True)

    options = Options(
        requests=args.requests,
        concurrency=args.concurrency,
        duration_s=args.duration,
        seed=args.seed,
        max_deaths=args.max_deaths,
        triage=not args.no_triage,
        exclude=tuple(args.exclude),
        progress=say,
    )
    with tempfile.TemporaryDirectory(prefix="shezhire-soak-store-") as scratch:
        store = args.store
        if store is None:
            from shezhire.pipeline.build import build  # noqa: PLC0415 -- only without --store

            store = Path(scratch) / "store"
            say(f"building the store from {REPO} into {store}")
            build(Settings(root=REPO, store_path=store, report_path=Path(scratch) / "report.ttl"))
        report = run_soak(soak_settings(store), options)
    print(json.dumps(report.as_dict(), indent=2) if args.json else format_report(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
