"""Benchmark of issue 11 (pages and network): entity pages and /network/* at x1 and x30.

    # a scaled tree and its store (the data replicated N times, each copy its own IRIs)
    .venv/bin/python bench/pages_network_bench.py scale --times 30 --tree /tmp/network-x30 \\
        --store /tmp/network-x30-store
    # latencies at x1 and x30, 1 and 8 clients, and the ratio x30/x1
    .venv/bin/python bench/pages_network_bench.py run --x1 /tmp/network-x1-store \\
        --x30 /tmp/network-x30-store [--repeat 40] [--clients 8] [--code DIR]

``scale``: copy ``k`` of every data file renames every IRI under ``/id/`` with the suffix
``-c<k>`` (and every blank node), so the copies are disjoint and each passes the gate (the
logic of ``bench/scale/data.py`` on the scale branch); the store is built with this checkout's
pipeline, the SHACL gate skipped (N copies of data that passes it; the gate is not what is
measured here, and pySHACL on a million triples takes long).

``run`` starts the whole service (``python -m shezhire.http.server``) on each store in turn,
on a free 127.0.0.1 port, and measures per route: the first request (sent as soon as
``/health`` answers: nothing warmed by a request before it; the server still writes its dump
files and its query workers still load, in the background), then, once the server is idle,
``--repeat`` requests from
one client and from ``--clients`` clients at once (threads, one keep-alive httpx client each;
median and p95 of the per-request latency). Routes: a person page, ``/network/ego`` (2 hops),
``/network/path`` (max 4, and max 6 with k=3). ``--code DIR`` runs the server from another
copy of the package (``DIR`` on ``PYTHONPATH``; e.g. ``git archive <commit> server | tar -x
-C DIR``) for a before/after table. The load average is printed before and after: the
machine is shared, so compare ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pyoxigraph as ox

from shezhire.config import Settings
from shezhire.http import testing
from shezhire.http.testing import LiveServer

ID_BASE = "https://w3id.org/shezhire/id/"
P = ID_BASE + "person/"
ROUTES: list[tuple[str, str, dict[str, Any]]] = [
    ("page /id/person/petr-v.-khomutnikov", "/id/person/petr-vasilievich-khomutnikov", {}),
    ("page /id/person/tseden", "/id/person/tseden", {}),
    ("ego petr hops=2", "/network/ego", {"person": P + "petr-vasilievich-khomutnikov"}),
    (
        "path aduchi→vasilii max=4",
        "/network/path",
        {"from": P + "aduchi", "to": P + "vasilii-alekseevich-khomutnikov", "max": 4},
    ),
    (
        "path tseden→gorodovikov max=6 k=3",
        "/network/path",
        {"from": P + "tseden", "to": P + "oka-ivanovich-gorodovikov", "max": 6, "k": 3},
    ),
]


# -- scaled trees --------------------------------------------------------------------------


def _rename(term: Any, suffix: str) -> Any:
    if isinstance(term, ox.NamedNode) and term.value.startswith(ID_BASE):
        return ox.NamedNode(term.value + suffix)
    if isinstance(term, ox.BlankNode):
        return ox.BlankNode(f"{term.value}c{suffix[2:]}")
    return term


def make_tree(source: Path, target: Path, times: int) -> Path:
    """``target``: ``source``'s ontology and shapes, and ``times`` disjoint copies of its data."""
    if target.exists():
        shutil.rmtree(target)
    (target / "data" / "ttl").mkdir(parents=True)
    shutil.copytree(source / "ontology", target / "ontology")
    shutil.copytree(source / "shapes", target / "shapes")
    data = target / "data" / "ttl"
    for path in sorted((source / "data" / "ttl").glob("*.ttl")):
        shutil.copy2(path, data / path.name)
        triples = [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]
        for copy in range(1, times):
            suffix = f"-c{copy}"
            renamed = [
                ox.Triple(_rename(t.subject, suffix), t.predicate, _rename(t.object, suffix))
                for t in triples
            ]
            out = data / f"{path.stem}-c{copy}.nt"
            out.write_bytes(ox.serialize(renamed, format=ox.RdfFormat.N_TRIPLES) or b"")
    return target


def scale(args: argparse.Namespace) -> int:
    from shezhire.pipeline import build, gate  # noqa: PLC0415

    root = Path(__file__).resolve().parents[1]
    started = time.perf_counter()
    make_tree(root, args.tree, args.times)
    print(f"tree x{args.times} at {args.tree} in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    with mock.patch.object(gate, "validate", lambda *_a, **_k: None):
        summary = build.build(Settings(root=args.tree, store_path=args.store))
    print(summary.describe())
    print(f"built in {time.perf_counter() - started:.1f} s (SHACL gate skipped)")
    return 0


# -- latencies -----------------------------------------------------------------------------


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children (the query workers), from /proc."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _settle(pid: int, limit_s: float = 600.0) -> float:
    """Wait until the server is idle (the dump files and the workers' loading, which a new
    snapshot does in the background, are done): under 5% of a core over 2 s."""
    started = time.perf_counter()
    before = _cpu_seconds(pid)
    while time.perf_counter() - started < limit_s:
        time.sleep(2.0)
        now = _cpu_seconds(pid)
        if now - before < 0.1:
            break
        before = now
    return time.perf_counter() - started


def _get(client: httpx.Client, path: str, params: dict[str, Any]) -> float:
    started = time.perf_counter()
    response = client.get(path, params=params)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{path} {params}: {response.status_code} {response.text[:300]}")
    return elapsed


def _stats(times: list[float]) -> tuple[float, float]:
    ms = sorted(t * 1000 for t in times)
    return statistics.median(ms), ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]


def _concurrent(
    url: str, action: Callable[[httpx.Client], float], clients: int, n: int
) -> list[float]:
    times: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def work() -> None:
        with httpx.Client(base_url=url, timeout=120) as client:
            action(client)  # its connection
            barrier.wait()
            mine = [action(client) for _ in range(n)]
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def measure(store: Path, repeat: int, clients: int, code: Path | None) -> dict[str, dict[str, Any]]:
    settings = Settings(store_path=store)
    env = {"PYTHONPATH": f"{code}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"} if code else None
    testing.SERVER_START_TIMEOUT_S = 1200  # a million triples load in minutes on a busy machine
    server = LiveServer(settings, env)
    server.log_path = Path(f"/tmp/pages-network-bench-{os.getpid()}.log")
    started = time.perf_counter()
    server.start()
    print(f"  {store}: serving after {time.perf_counter() - started:.1f} s (pid {server.pid})")
    results: dict[str, dict[str, Any]] = {}
    try:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            for name, path, params in ROUTES:
                results[name] = {"first": _get(client, path, params) * 1000}
            waited = _settle(server.pid)
            print(f"  idle {waited:.0f} s after the first requests (dumps, workers)")
            for name, path, params in ROUTES:
                for _ in range(3):
                    _get(client, path, params)
                one = [_get(client, path, params) for _ in range(repeat)]
                many = _concurrent(
                    server.url, lambda c, p=path, q=params: _get(c, p, q), clients, repeat
                )
                results[name]["one"] = _stats(one)
                results[name]["many"] = _stats(many)
    finally:
        server.stop()
    for name, found in results.items():
        print(
            f"  {name:<36} first {found['first']:8.1f} ms  1 client {found['one'][0]:8.2f} ms"
            f"  many {found['many'][0]:8.2f} ms   (load {_load()})"
        )
    return results


def run(args: argparse.Namespace) -> int:
    print(f"load average before: {_load()}")
    scales = {"x1": args.x1, "x30": args.x30}
    found = {
        label: measure(store, args.repeat, args.clients, args.code)
        for label, store in scales.items()
    }
    print(f"load average after: {_load()}   (2 cores shared; repeat {args.repeat})")
    c = args.clients
    head = (
        f"{'route':<36} {'x1 first':>9} {'x1 1c':>8} {f'x1 {c}c':>8} {'x30 first':>10} "
        f"{'x30 1c':>8} {f'x30 {c}c':>8} {'x30/x1 1c':>10} {f'x30/x1 {c}c':>10}"
    )
    print("median latency in ms (p95 in the lines below)")
    print(head)
    print("-" * len(head))
    for name, *_ in ROUTES:
        a, b = found["x1"][name], found["x30"][name]
        print(
            f"{name:<36} {a['first']:9.1f} {a['one'][0]:8.2f} {a['many'][0]:8.2f} "
            f"{b['first']:10.1f} {b['one'][0]:8.2f} {b['many'][0]:8.2f} "
            f"{b['one'][0] / a['one'][0]:10.2f} {b['many'][0] / a['many'][0]:10.2f}"
        )
        print(
            f"{'  p95':<36} {'':>9} {a['one'][1]:8.2f} {a['many'][1]:8.2f} {'':>10} "
            f"{b['one'][1]:8.2f} {b['many'][1]:8.2f}"
        )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    scaled = sub.add_parser("scale", help="make a scaled tree and build its store")
    scaled.add_argument("--times", type=int, default=30)
    scaled.add_argument("--tree", type=Path, required=True)
    scaled.add_argument("--store", type=Path, required=True)
    timed = sub.add_parser("run", help="latencies at x1 and x30")
    timed.add_argument("--x1", type=Path, required=True, help="the store of the data as it is")
    timed.add_argument("--x30", type=Path, required=True, help="the store of the scaled data")
    timed.add_argument("--repeat", type=int, default=40)
    timed.add_argument("--clients", type=int, default=8)
    timed.add_argument("--code", type=Path, help="run the server from this copy of the package")
    args = parser.parse_args()
    return scale(args) if args.command == "scale" else run(args)


if __name__ == "__main__":
    sys.exit(main())
