"""The ``floor`` part: what any Python server reaches on this machine, measured in the same run.

Issue 11's goals against ``oxigraph serve-read-only`` (ours ≥ 0.8x its requests/s on lookups
and two-hop, ≥ 3x on aggregates, cache missed) and for the build (x30 in ≤ 20 s) may lie
beyond what any design can reach here; this part prints those floors beside them, so that a
goal left unmet can be said to be blocked, and by what:

- requests/s per query class (cache missed, ``clients`` keep-alive clients, alternating slices,
  the ``sparql`` part's queries and requests) of ours (warmed as in the ``sparql`` part), of a
  minimal one-hop Python server (:mod:`.floor_app` under ``uvicorn --workers 2 --loop uvloop
  --http httptools``: pyoxigraph answers inline on the read-only store, nothing else: the
  ceiling of any design with Python on the request path) and of Oxigraph, with the ratios to
  Oxigraph: when floor/oxigraph is under the goal, no Python server reaches it;
- ``oxigraph load`` of the scale's quads (dumped to N-Quads), wall and CPU seconds (children's
  rusage), beside the build goal: loading alone, before parse, gate and materialize;
- the in-memory copy (``pyoxigraph.Store().bulk_extend(read-only store)``, in a child process so
  that this one stays small): its seconds and the RSS it added, and the ``agg types`` query on
  the read-only store and on the copy (best of 3 each): what aggregates would gain in memory,
  and what that costs at start and in memory per process.
"""

from __future__ import annotations

import functools
import itertools
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from shezhire.http.testing import free_port
from shezhire.pipeline.store import require_triples

from . import floor_app, load, servers, sparql

CLASSES = ("lookup", "two-hop", "1000 rows", "agg types")
SERVERS = ("ours", "floor", "oxigraph")
BUILD_GOAL_S = {30: 20.0, 100: 75.0}
WORKERS = 2  # the machine's cores
TIMED = 3  # runs of the aggregate on each store, the best kept


def serve_floor(store: Path, work: Path) -> servers.Server:
    """The minimal server (:mod:`.floor_app`) on ``store``, ready when ``ASK {}`` answers."""
    port = free_port()
    command = [
        *(servers.python(), "-m", "uvicorn", "floor_app:app"),
        *("--app-dir", str(Path(__file__).parent), "--host", "127.0.0.1", "--port", str(port)),
        *("--workers", str(WORKERS), "--loop", "uvloop", "--http", "httptools"),
        *("--no-access-log", "--log-level", "warning"),
    ]
    env = {**os.environ, floor_app.STORE_VARIABLE: str(store.resolve())}
    return servers.start_server("floor", command, env, port, work, "/", "/", {"query": "ASK {}"})


def _best(store: ox.Store, query: str) -> float:
    """The fewest seconds of TIMED runs of ``query`` (answer serialized as SPARQL JSON)."""
    times = []
    for _ in range(TIMED):
        began = time.perf_counter()
        results = store.query(query, use_default_graph_as_union=True)
        assert isinstance(results, ox.QuerySolutions)
        results.serialize(format=ox.QueryResultsFormat.JSON)
        times.append(time.perf_counter() - began)
    return min(times)


def copy_in_memory(store: str, query: str) -> dict[str, float]:
    """Run in a child process: the read-only store at ``store`` copied into memory; the seconds
    it took, the RSS it added, and ``query`` timed on both stores."""
    disk = ox.Store.read_only(store)
    disk_s = _best(disk, query)
    before = servers.memory(os.getpid()).rss_mb
    began = time.perf_counter()
    copy = ox.Store()
    copy.bulk_extend(disk)
    seconds = time.perf_counter() - began
    added = servers.memory(os.getpid()).rss_mb - before
    return {"seconds": seconds, "added_mb": added, "disk_s": disk_s, "memory_s": _best(copy, query)}


def run(ctx: servers.Context) -> dict[str, Any]:
    figures: dict[str, Any] = {"load_before": servers.load_average(), "cells": {}, "rows": {}}
    figures.update(clients=ctx.clients, seconds=ctx.duration * ctx.rounds)
    copy = ctx.oxigraph_copy()
    figures.update(quads=require_triples(ctx.store), load=(copy.load_s, copy.load_cpu_s))
    print(f"  floor oxigraph load: {copy.load_s:.1f} s ({copy.load_cpu_s:.1f} CPU)", flush=True)
    work = ctx.work / "floor"
    with (
        servers.running(servers.start_ours(ctx.store, work / "ours")) as ours,
        servers.running(serve_floor(ctx.store, work / "floor")) as floor,
        servers.running(servers.serve_oxigraph(copy.location, work / "oxigraph")) as theirs,
    ):
        makers = sparql.query_makers(ours.endpoint)
        figures["warm_s"], _ = sparql.warm(ours, makers, ctx.clients)
        trio = (ours, floor, theirs)
        for name in CLASSES:
            query = makers[name]
            figures["rows"][name] = [len(load.select(s.endpoint, query(0))) for s in trio]
            runs = [
                functools.partial(
                    load.run_load,
                    s.endpoint,
                    sparql.maker(s.endpoint, query, "missed"),
                    ctx.clients,
                    counter=itertools.count(),
                )
                for s in trio
            ]
            cells = load.alternate(runs, ctx.duration * ctx.rounds, ctx.rounds)
            figures["cells"][name] = cells
            print(
                f"  floor {name:<10} "
                + " ".join(f"{who} {r.rps:7.0f}/s" for who, r in zip(SERVERS, cells, strict=True))
                + f"  errors {'+'.join(str(r.errors) for r in cells)}",
                flush=True,
            )
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn) as child:
        agg = makers["agg types"](0)
        figures["memory"] = child.submit(copy_in_memory, str(ctx.store.resolve()), agg).result()
    print(f"  floor in-memory copy: {figures['memory']}", flush=True)
    figures["load_after"] = servers.load_average()
    return figures


def table(results: dict[int, dict[str, Any]]) -> str:
    any_figures = next(iter(results.values()))
    lines = [
        f"floor: what any Python server reaches; {any_figures['clients']} keep-alive clients, "
        f"cache missed, req/s, {any_figures['seconds']:g} s per cell and server in alternating "
        "slices; "
        "floor = minimal one-hop ASGI server (uvicorn, 2 workers, pyoxigraph inline)",
    ]
    head = (
        f"{'scale':>5} {'query':<10} | {'ours':>7} {'floor':>7} {'oxigraph':>8} | "
        f"{'ours/ox':>7} {'floor/ox':>8} {'goal':>5}  verdict"
    )
    lines += [head, "-" * (len(head) + 12)]
    for scale, f in results.items():
        for name, (mine, floor, other) in f["cells"].items():
            ours_ratio, floor_ratio = (
                r.rps / other.rps if other.rps else 0.0 for r in (mine, floor)
            )
            goal = sparql.GOALS[name]
            verdict = (
                "met"
                if ours_ratio >= goal
                else ("blocked: floor below goal" if floor_ratio < goal else "BELOW, floor above")
            )
            errors = sum(r.errors for r in (mine, floor, other))
            lines.append(
                f"{scale:>5} {name:<10} | {mine.rps:7.0f} {floor.rps:7.0f} {other.rps:8.0f} | "
                f"{ours_ratio:6.2f}x {floor_ratio:7.2f}x ≥{goal:<4g}  {verdict}"
                + (f" ({errors} errors)" if errors else "")
            )
        wall, cpu = f["load"]
        goal_s = BUILD_GOAL_S.get(scale)
        share = f", {wall / goal_s:.0%} of it" if goal_s else ""
        goal_text = f"build goal ≤ {goal_s:g} s{share}" if goal_s else "no build goal at this scale"
        m = f["memory"]
        lines += [
            f"{'':>5} oxigraph load of {f['quads']:,} quads (N-Quads): {wall:.1f} s wall, "
            f"{cpu:.1f} s CPU; {goal_text}",
            f"{'':>5} in-memory copy (bulk_extend): {m['seconds']:.1f} s, +{m['added_mb']:.0f} MB "
            f"RSS; agg types {m['disk_s'] * 1000:.1f} ms read-only, {m['memory_s'] * 1000:.1f} ms "
            f"in memory ({m['disk_s'] / max(m['memory_s'], 1e-9):.1f}x)",
            f"{'':>5} rows (ours/floor/oxigraph): "
            + ", ".join(f"{k} {'/'.join(map(str, v))}" for k, v in f["rows"].items())
            + f"; ours warmed {f['warm_s']:.0f} s"
            + f"; load average {f['load_before']:.2f} -> {f['load_after']:.2f}",
        ]
    return "\n".join(lines)
