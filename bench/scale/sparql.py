"""The ``sparql`` part: our endpoint against ``oxigraph serve-read-only``, per query class.

Both servers run on the same store (ours with its default settings, result cache on; oxigraph
on a copy loaded into its own folder) and get the same requests, ``GET ?query=`` with
``Accept: application/sparql-results+json``, from ``clients`` concurrent keep-alive clients
(:mod:`.load`), in alternating slices (ours, oxigraph, ours, ...) so the machine's load hits
both alike. Query classes:

- ``lookup``: ``SELECT ?p ?o WHERE { <person> ?p ?o }``, up to 1,000 persons;
- ``two-hop``: the persons two ties (schema:knows|schema:relatedTo) away, up to 1,000 persons
  with ties;
- ``1000 rows``: ``SELECT ?s ?label WHERE { ?s rdfs:label ?label } LIMIT 1000 OFFSET k``,
  no ORDER BY (sorting every label would make it a sort benchmark), k varied;
- ``agg types``: persons counted per type (GROUP BY over every person's types);
- ``agg years``: events counted per year of their earliest date.

Two modes. ``missed``: request n is the class's query for person (or offset) n, prefixed by
the comment ``# n``: no two requests of a run have the same text, so our result cache never
answers (oxigraph has none). ``cached``: one query text repeated (ours answers from its cache
after the first). Every answer must be 200; the others are counted as errors. Before the first
cell, ours is loaded with lookups and two-hop queries until every worker its pool grows to under
load (each new worker loads the store; idle ones are retired after 30 s) is ready, so that no
cell pays for the growth.
"""

from __future__ import annotations

import functools
import itertools
import time
from collections.abc import Callable
from typing import Any

import httpx

from . import load, servers

MODES = ("missed", "cached")
CLASSES = ("lookup", "two-hop", "1000 rows", "agg types", "agg years")
# ours/oxigraph requests per second wanted with the cache missed (with it on: never < 1).
GOALS = {"lookup": 0.8, "two-hop": 0.8, "1000 rows": 1.0, "agg types": 3.0, "agg years": 3.0}
VARIED = 1000
WARM_S = 2.0
WARM_LIMIT_S = 180.0


def query_makers(endpoint: str) -> dict[str, Callable[[int], str]]:
    """Per class, the query for number n (the same for every server)."""
    persons = load.persons(endpoint, VARIED)
    # The most connected person first: the row check (query 0) then has rows to compare.
    top = load.select(endpoint, load.PICK_PERSON)[0]["person"]
    tied = [top, *(p for p in load.persons(endpoint, VARIED, ties=True) if p != top)]
    labels = int(
        load.select(endpoint, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{load.RDFS_LABEL}> ?l }}")[0][
            "n"
        ]
    )
    span = max(1, labels - 1000)
    return {
        "lookup": lambda n: load.lookup_query(persons[n % len(persons)]),
        "two-hop": lambda n: load.two_hop_query(tied[n % len(tied)]),
        "1000 rows": lambda n: (
            f"SELECT ?s ?label WHERE {{ ?s <{load.RDFS_LABEL}> ?label }} "
            f"LIMIT 1000 OFFSET {n * 1000 % span}"
        ),
        "agg types": lambda _n: (
            f"SELECT ?type (COUNT(?p) AS ?n) WHERE {{ ?p a <{load.SHZ}Person> ; a ?type }} "
            "GROUP BY ?type"
        ),
        "agg years": lambda _n: (
            f"SELECT ?year (COUNT(?e) AS ?n) WHERE {{ ?e a <{load.SHZ}Event> ; "
            f"<{load.SHZ}earliestDate> ?d . BIND(YEAR(?d) AS ?year) }} GROUP BY ?year"
        ),
    }


def maker(endpoint: str, query: Callable[[int], str], mode: str) -> load.RequestMaker:
    """The requests of one cell: request n is ``query(n)`` prefixed by ``# n`` (``missed``), or
    ``query(0)`` every time (``cached``)."""
    if mode == "cached":
        request = load.query_request(endpoint, query(0))
        return lambda _n: request
    return lambda n: load.query_request(endpoint, f"# {n}\n{query(n)}")


def warm(
    ours: servers.Server, makers: dict[str, Callable[[int], str]], clients: int
) -> tuple[float, int]:
    """Load ours with lookups and two-hop queries until all the workers its pool may grow to
    are ready and the snapshot is warm with its dumps written (``/health``; at most
    WARM_LIMIT_S), then one slice more: kept busy, no worker is retired for idleness meanwhile,
    and no background work of the start shares the measured cells. The seconds it took and
    the workers ready."""
    cheap = [maker(ours.endpoint, makers[k], "missed") for k in ("lookup", "two-hop")]
    began = time.perf_counter()
    counter = itertools.count(10**9)  # numbers no measured cell uses
    ready = 0
    while time.perf_counter() - began < WARM_LIMIT_S:
        load.run_load(ours.endpoint, lambda n: cheap[n % 2](n), clients, WARM_S, counter, 0)
        health = httpx.get(ours.url + "/health", timeout=30).json()
        ready = health["query_workers"]
        started = health.get("warm", True) and health.get("dumps", True)
        if ready >= health["query_workers_max"] and started:
            load.run_load(ours.endpoint, lambda n: cheap[n % 2](n), clients, WARM_S, counter, 0)
            break
    return time.perf_counter() - began, ready


def run(ctx: servers.Context) -> dict[str, Any]:
    figures: dict[str, Any] = {"load_before": servers.load_average(), "cells": {}}
    location = ctx.oxigraph_copy().location
    work = ctx.work / "sparql"
    ours = servers.start_ours(ctx.store, work / "ours")
    with servers.running(ours):
        makers = query_makers(ours.endpoint)
        theirs = servers.serve_oxigraph(location, work / "oxigraph")
        with servers.running(theirs):
            endpoints = [ours.endpoint, theirs.endpoint]
            figures["warm_s"], figures["processes"] = warm(ours, makers, ctx.clients)
            rows: dict[str, tuple[int, int]] = {}
            for name, query in makers.items():
                a, b = (len(load.select(e, query(0))) for e in endpoints)
                rows[name] = (a, b)
            figures["rows"] = rows
            print(f"  sparql rows per class (ours, oxigraph): {rows}", flush=True)
            for name, query in makers.items():
                for mode in MODES:
                    runs: list[Callable[[float], load.Result]] = [
                        functools.partial(
                            load.run_load,
                            endpoint,
                            maker(endpoint, query, mode),
                            ctx.clients,
                            # each server its own numbers, never repeated across its slices
                            counter=itertools.count(),
                        )
                        for endpoint in endpoints
                    ]
                    mine, other = load.alternate(runs, ctx.duration * ctx.rounds, ctx.rounds)
                    figures["cells"][(name, mode)] = (mine, other)
                    print(
                        f"  sparql {name:<10} {mode:<6} ours {mine.rps:7.0f}/s "
                        f"oxigraph {other.rps:7.0f}/s  errors {mine.errors}+{other.errors}",
                        flush=True,
                    )
    figures["load_after"] = servers.load_average()
    figures["clients"] = ctx.clients
    figures["seconds"] = ctx.duration * ctx.rounds
    return figures


def table(results: dict[int, dict[str, Any]]) -> str:
    any_figures = next(iter(results.values()))
    lines = [
        f"sparql: {any_figures['clients']} keep-alive clients, {any_figures['seconds']:g} s per "
        "cell and server in alternating slices; req/s, p50 and p99 in ms; missed = every request "
        "a new query text, cached = one text repeated; 1000 rows without ORDER BY",
    ]
    head = (
        f"{'scale':>5} {'query':<10} {'mode':<6} | {'ours req/s p50 p99':>22} | "
        f"{'oxigraph req/s p50 p99':>22} | {'ours/ox':>7} {'goal':>6}  errors"
    )
    lines += [head, "-" * (len(head) + 6)]
    for scale, f in results.items():
        for (name, mode), (mine, other) in f["cells"].items():
            ratio = mine.rps / other.rps if other.rps else float("nan")
            goal = GOALS[name] if mode == "missed" else 1.0
            verdict = "ok" if ratio >= goal else "BELOW"
            cells = " | ".join(
                f"{r.rps:>8.0f} {r.percentile(50):>6.2f} {r.percentile(99):>6.1f}"
                for r in (mine, other)
            )
            statuses = " ".join(
                f"{who}:{status}x{count}"
                for who, r in (("ours", mine), ("ox", other))
                for status, count in sorted(r.statuses.items())
            )
            lines.append(
                f"{scale:>5} {name:<10} {mode:<6} | {cells} | {ratio:>6.2f}x "
                f"≥{goal:<4g}{verdict:>5}  {mine.errors}/{other.errors} {statuses}".rstrip()
            )
        lines.append(
            f"{'':>5} rows (ours/oxigraph): "
            + ", ".join(f"{k} {a}/{b}" for k, (a, b) in f["rows"].items())
            + f"; ours warmed {f['warm_s']:.0f} s before the first cell"
            + f" ({f['processes']} workers ready)"
            + f"; load average {f['load_before']:.2f} -> {f['load_after']:.2f}"
        )
    return "\n".join(lines)
