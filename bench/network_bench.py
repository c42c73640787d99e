"""Benchmark of the person network (issue 5): build times and ego/path latencies.

    .venv/bin/python bench/network_bench.py [--store PATH] [--repeat 20]

Without ``--store`` it uses the tree's default store (``Settings().store``), building it
first when it is missing or stale (the real build: parse, SHACL gate, materialize). It then
starts the whole service (``python -m shezhire.http.server``) on a free 127.0.0.1 port and measures:

- the time to build the full network from the store and from the HTTP SPARQL endpoint
  (``build_network(path)`` / ``build_network(url)``; median and min of the repeats);
- the latency of a 2-hop ego query (Petr Khomutnikov) and a 4-hop path query (Aduchi →
  Vasilii Khomutnikov), through the Python API on the built graph and through HTTP
  (``/network/ego``, ``/network/path``, one keep-alive httpx client, JSON answers; the first,
  cold request that builds the router's cached network is reported separately).

Not a test: run by hand. Loopback only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from shezhire.config import Settings
from shezhire.http.testing import LiveServer, timed
from shezhire.network import build_network, ego_network, find_paths
from shezhire.pipeline.build import ensure_built

P = "https://w3id.org/shezhire/id/person/"
EGO = {"person": P + "petr-vasilievich-khomutnikov", "hops": 2}
PATH = {"from": P + "aduchi", "to": P + "vasilii-alekseevich-khomutnikov", "max": 4}


def show(name: str, times: list[float], extra: str = "") -> None:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    print(
        f"{name:<44} median {statistics.median(ms):8.2f} ms   min {ms[0]:8.2f} ms   "
        f"p95 {p95:8.2f} ms   (n={len(ms)}) {extra}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="a built store (default: Settings().store)")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    settings = Settings(store_path=args.store) if args.store else Settings()
    if not args.store:
        started = time.perf_counter()
        if ensure_built(settings) is not None:
            print(f"store built in {time.perf_counter() - started:.1f} s")
    store = settings.store
    with LiveServer(settings) as server:
        url = server.url
        print(f"server {url} (pid {server.pid}); repeat {args.repeat}")
        times, graph = timed(lambda: build_network(store), args.repeat)
        show(
            "build network from the store",
            times,
            f"{graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges",
        )
        times, remote = timed(lambda: build_network(url + "/sparql"), args.repeat)
        show(
            "build network from the HTTP endpoint",
            times,
            f"{remote.number_of_nodes()} nodes, {remote.number_of_edges()} edges",
        )
        times, ego = timed(lambda: ego_network(graph, EGO["person"], 2), args.repeat)
        show(
            "API ego_network(Petr, hops=2)",
            times,
            f"{ego.number_of_nodes()} nodes, {ego.number_of_edges()} edges",
        )
        times, paths = timed(lambda: find_paths(graph, PATH["from"], PATH["to"], 4), args.repeat)
        show("API find_paths(Aduchi, Vasilii, 4)", times, f"{len(paths)} paths")
        with httpx.Client(base_url=url, timeout=60) as client:
            for route, params in (("/network/ego", EGO), ("/network/path", PATH)):
                cold, _ = timed(lambda r=route, p=params: client.get(r, params=p), 1)
                show(f"HTTP {route} first request (cold)", cold)

                def get(r: str = route, p: dict[str, Any] = params) -> httpx.Response:
                    response = client.get(r, params=p)
                    response.raise_for_status()
                    return response

                times, response = timed(get, args.repeat)
                show(
                    f"HTTP {route} ({'hops=2' if 'hops' in params else 'max=4'})",
                    times,
                    f"{len(response.content)} bytes",
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
