"""Benchmark: our SPARQL endpoint against ``oxigraph serve-read-only`` on the same data.

    .venv/bin/python bench/http_bench.py [--duration 5] [--clients 1 8] [--store PATH]

Builds (or reuses) the validated store (``ensure_built``; if the gate fails, a plain store of
the repository's Turtle files, flagged in the output), dumps it to N-Quads, loads that into an
Oxigraph directory with ``oxigraph load``, starts both servers on free 127.0.0.1 ports, and
measures requests/s and p50/p99 latency of (a) a one-person lookup and (b) a two-hop network
query over schema:knows|schema:relatedTo, at 1 and 8 concurrent keep-alive clients (the small
asyncio HTTP/1.1 client on uvloop of ``bench/scale/load.py``; bounded by duration and request
count; loopback only).
Not a test: run by hand (``pip install -e '.[bench]'`` provides the ``oxigraph`` command).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import httpx

from scale.load import PICK_PERSON, ROUNDS, WARMUP_S, compare, lookup_query, two_hop_query
from scale.servers import start_oxigraph
from shezhire.config import Settings
from shezhire.http.testing import LiveServer
from shezhire.pipeline.build import ensure_built


def prepare_store(args: argparse.Namespace) -> tuple[Path, str]:
    """The given store, or the repository's validated store (built when missing or stale)."""
    if args.store:
        return Path(args.store), f"given store {args.store}"
    settings = Settings()
    ensure_built(settings)
    return settings.store, f"validated store {settings.store}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--store", help="use this built store instead of the tree's default one")
    parser.add_argument("--workers", type=int, default=Settings().query_workers)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="shezhire-bench-") as tmp:
        work = Path(tmp)
        store, provenance = prepare_store(args)
        oxigraph, ox_url = start_oxigraph(store, work)
        servers = {
            "ours": LiveServer(
                Settings(store_path=store, query_workers=args.workers, result_cache_entries=0)
            ),
            "ours+cache": LiveServer(Settings(store_path=store, query_workers=args.workers)),
        }
        for name, server in servers.items():
            server.log_path = work / f"{name}.log"
        try:
            for server in servers.values():
                server.start()
            our_url = servers["ours"].url + "/sparql"
            urls = [our_url, servers["ours+cache"].url + "/sparql", ox_url]
            picked = httpx.get(our_url, params={"query": PICK_PERSON}, timeout=30).json()
            person = picked["results"]["bindings"][0]["person"]["value"]
            queries = {"lookup": lookup_query(person), "two-hop": two_hop_query(person)}
            sizes = {}
            for name, query in queries.items():
                a = httpx.get(our_url, params={"query": query}, timeout=30).json()
                b = httpx.get(
                    ox_url,
                    params={"query": query},
                    timeout=30,
                    headers={"accept": "application/sparql-results+json"},
                ).json()
                rows_a, rows_b = len(a["results"]["bindings"]), len(b["results"]["bindings"])
                assert rows_a == rows_b, (name, rows_a, rows_b)
                sizes[name] = rows_a
            load = Path("/proc/loadavg").read_text().split()[:3]
            print(f"store: {provenance}")
            print(f"person: {person}; rows: lookup {sizes['lookup']}, two-hop {sizes['two-hop']}")
            print(
                f"{args.duration:g} s per cell and server, in {ROUNDS} alternating slices "
                f"after {WARMUP_S:g} s warm-up each; our query workers: {args.workers}; "
                f"load average before: {' '.join(load)}"
            )
            print(
                "ours = result cache off (every request runs in a worker); "
                "ours+cache = default settings (repeated queries answered from memory)\n"
            )
            header = (
                f"{'query':8} {'clients':>7} | {'ours':>20} | {'ours+cache':>20} | "
                f"{'oxigraph':>20} | {'ours/ox':>7} {'+cache/ox':>9}"
            )
            sub_header = (
                f"{'':8} {'':>7} | {'req/s  p50  p99 ms':>20} | "
                f"{'req/s  p50  p99 ms':>20} | {'req/s  p50  p99 ms':>20} |"
            )
            print(header)
            print(sub_header)
            print("-" * len(header))
            for name, query in queries.items():
                for clients in args.clients:
                    mine, cached, theirs = compare(urls, query, clients, args.duration)
                    cells = " | ".join(
                        f"{r.rps:>6.0f} {r.percentile(50):>5.2f} {r.percentile(99):>6.2f}"
                        for r in (mine, cached, theirs)
                    )
                    ratio = mine.rps / theirs.rps if theirs.rps else float("nan")
                    cratio = cached.rps / theirs.rps if theirs.rps else float("nan")
                    errors = sum(r.errors for r in (mine, cached, theirs))
                    note = f"  ({errors} non-200 answers)" if errors else ""
                    print(
                        f"{name:8} {clients:>7} | {cells} | {ratio:>7.2f} {cratio:>9.2f}{note}",
                        flush=True,
                    )
        finally:
            for server in servers.values():
                server.stop()
            oxigraph.terminate()
            oxigraph.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
