"""Benchmark: our SPARQL endpoint against ``oxigraph serve-read-only`` on the same data.

    .venv/bin/python bench/http_bench.py [--duration 5] [--clients 1 8] [--store PATH]

Builds (or reuses) the validated store (``ensure_built``; if the gate fails, a plain store of
the repository's Turtle files, flagged in the output), dumps it to N-Quads, loads that into an
Oxigraph directory with ``oxigraph load``, starts both servers on free 127.0.0.1 ports, and
measures requests/s and p50/p99 latency of (a) a one-person lookup and (b) a two-hop network
query over schema:knows|schema:relatedTo, at 1 and 8 concurrent keep-alive clients (a small
asyncio HTTP/1.1 client on uvloop; bounded by duration and request count; loopback only).
Not a test: run by hand (``pip install -e '.[bench]'`` provides the ``oxigraph`` command).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import uvloop

from shezhire.config import Settings
from shezhire.http.testing import LiveServer, free_port
from shezhire.pipeline.build import ensure_built
from shezhire.pipeline.store import open_read_only

MAX_REQUESTS = 200_000
WARMUP_S = 0.3  # per slice
ROUNDS = 3  # ours and oxigraph alternate in slices: the machine's load hits both alike
SCHEMA = "https://schema.org/"

TIES = f"(<{SCHEMA}knows>|<{SCHEMA}relatedTo>)"
PICK_PERSON = f"""
SELECT ?person (COUNT(DISTINCT ?other) AS ?ties) WHERE {{
  ?person (<{SCHEMA}knows>|<{SCHEMA}relatedTo>) ?other .
}} GROUP BY ?person ORDER BY DESC(?ties) STR(?person) LIMIT 1
"""


def lookup_query(person: str) -> str:
    return f"SELECT ?p ?o WHERE {{ <{person}> ?p ?o }}"


def two_hop_query(person: str) -> str:
    ties = f"(<{SCHEMA}knows>|<{SCHEMA}relatedTo>)"
    return (
        f"SELECT DISTINCT ?b ?c WHERE {{ <{person}> {ties} ?b . ?b {ties} ?c . "
        f"FILTER(?c != <{person}>) }}"
    )


@dataclass
class Result:
    requests: int
    seconds: float
    latencies: list[float]
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    index = lower.find(b"content-length:")
    if index >= 0:
        end = lower.index(b"\r\n", index)
        await reader.readexactly(int(lower[index + 15 : end]))
        return status
    if b"transfer-encoding: chunked" in lower:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                return status
    raise RuntimeError("response without length")


async def _client(
    host: str,
    port: int,
    request: bytes,
    stop_at: float,
    measure_from: float,
    out: Result,
    budget: list[int],
    source: str,
) -> None:
    # Each client connects from its own loopback address, as separate users would: the
    # endpoint limits concurrent queries per client address.
    reader, writer = await asyncio.open_connection(host, port, local_addr=(source, 0))
    clock = time.perf_counter
    try:
        while budget[0] > 0:
            started = clock()
            if started >= stop_at:
                break
            writer.write(request)
            status = await _read_response(reader)
            done = clock()
            if started >= measure_from:
                budget[0] -= 1
                out.requests += 1
                out.latencies.append(done - started)
                if status != 200:
                    out.errors += 1
    finally:
        writer.close()


async def _load(url: str, query: str, accept: str, clients: int, duration: float) -> Result:
    host_port = url.split("://", 1)[1].split("/", 1)[0]
    host, port = host_port.split(":")
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    request = (
        f"GET {path}?query={quote(query, safe='')} HTTP/1.1\r\nHost: {host_port}\r\n"
        f"Accept: {accept}\r\n\r\n"
    ).encode()
    measure_from = time.perf_counter() + WARMUP_S
    stop_at = measure_from + duration
    out = Result(0, duration, [], 0)
    budget = [MAX_REQUESTS]
    await asyncio.gather(
        *(
            _client(host, int(port), request, stop_at, measure_from, out, budget, f"127.0.1.{n}")
            for n in range(1, clients + 1)
        )
    )
    out.seconds = min(duration, max(time.perf_counter() - measure_from, 1e-9))
    return out


def measure(url: str, query: str, clients: int, duration: float) -> Result:
    return uvloop.run(_load(url, query, "application/sparql-results+json", clients, duration))


def combine(results: list[Result]) -> Result:
    return Result(
        sum(r.requests for r in results),
        sum(r.seconds for r in results),
        [x for r in results for x in r.latencies],
        sum(r.errors for r in results),
    )


def compare(urls: list[str], query: str, clients: int, duration: float) -> list[Result]:
    """Measure each server in turn, ROUNDS times, so that load on the machine hits all alike."""
    slices: list[list[Result]] = [[] for _ in urls]
    for _ in range(ROUNDS):
        for index, url in enumerate(urls):
            slices[index].append(measure(url, query, clients, duration / ROUNDS))
    return [combine(s) for s in slices]


def prepare_store(args: argparse.Namespace) -> tuple[Path, str]:
    """The given store, or the repository's validated store (built when missing or stale)."""
    if args.store:
        return Path(args.store), f"given store {args.store}"
    settings = Settings()
    ensure_built(settings)
    return settings.store, f"validated store {settings.store}"


def start_oxigraph(store: Path, work: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    dump = work / "dump.nq"
    with open_read_only(store) as source:
        source.dump(str(dump), ox.RdfFormat.N_QUADS)
    location = work / "oxigraph"
    subprocess.run(
        [binary, "load", "--location", str(location), "--file", str(dump)],
        check=True,
        capture_output=True,
    )
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "serve-read-only",
            "--location",
            str(location),
            "--bind",
            f"127.0.0.1:{port}",
            "--union-default-graph",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/query"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("oxigraph did not start")


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
