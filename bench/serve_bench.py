"""Benchmark: start-up time, memory and query latency of ``shezhire serve`` on one built store.

    .venv/bin/python bench/serve_bench.py --store /tmp/serve-x30-store [--root /tmp/serve-x30] \\
        [--modes default read-only memory old] [--old-ref 0cb728a] [--repeat 5] [--direct]

For each mode a server (2 query workers) is started on the store: ``shezhire serve`` with
``--root`` (which first checks that the store was built from that tree, as a user's start
does), else ``python -m shezhire.http.server``; the bench prints:

* ``start``: seconds from the process start until ``/health`` answers 200;
* memory of the server and its query workers, as the sum of PSS (``/proc/PID/smaps_rollup``:
  pages shared between processes, e.g. a read-only store's mapped files, are divided among
  them) and of RSS, at start and after pages, network, search and the three dumps were used;
* the median latency over ``--repeat`` runs of query classes sent to ``/sparql`` (each run
  differs by a comment, so the result cache never answers): a point lookup, a two-hop
  neighbourhood, a 1000-row SELECT, two aggregates.

Modes of this checkout: ``default`` (the server process holds an in-memory copy, the workers
open the published folder read-only), ``read-only`` (every process opens the folder read-only),
``memory`` (one in-memory copy per process); and ``old`` (the code of ``--old-ref``, extracted
with ``git archive`` and put first on ``PYTHONPATH``: an N-Quads dump at every start, in-memory
copies). ``--direct`` also times the
same query classes in this process against the store opened read-only and an in-memory copy,
without HTTP. The load averages before and after are printed: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pyoxigraph as ox

from shezhire.config import Settings
from shezhire.http.testing import free_port, settings_env

REPO = Path(__file__).resolve().parents[1]
CLI = "import sys; from shezhire.cli import main; sys.exit(main())"
PERSON = "https://w3id.org/shezhire/id/person/petr-vasilievich-khomutnikov"
OTHER = "https://w3id.org/shezhire/id/person/aduchi"
PREFIXES = """PREFIX schema: <https://schema.org/>
PREFIX shz: <https://w3id.org/shezhire/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
QUERIES = {
    "point lookup": f"SELECT ?p ?o WHERE {{ <{PERSON}> ?p ?o }}",
    "2-hop": PREFIXES
    + f"""SELECT DISTINCT ?b WHERE {{
  <{PERSON}> (schema:knows|schema:relatedTo) ?a . ?a (schema:knows|schema:relatedTo) ?b }}""",
    "1000-row SELECT": PREFIXES
    + "SELECT ?s ?label WHERE { ?s a shz:Person ; rdfs:label ?label } LIMIT 1000",
    "aggregate (types)": "SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c "
    "ORDER BY DESC(?n)",
    "aggregate (all quads)": "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p",
}


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def descendants(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            found += descendants(int(child))
    return found


def memory_mb(pid: int) -> tuple[float, float, int]:
    """(sum of PSS, sum of RSS) in MB over ``pid`` and its descendants, and their number."""
    pss = rss = 0
    pids = descendants(pid)
    for each in pids:
        try:
            text = Path(f"/proc/{each}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            name, _, rest = line.partition(":")
            if name == "Pss":
                pss += int(rest.split()[0])
            elif name == "Rss":
                rss += int(rest.split()[0])
    return pss / 1024, rss / 1024, len(pids)


def old_code(ref: str) -> Path:
    """The ``server`` folder of ``ref``, extracted into a temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="serve-bench-old-"))
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "server"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder / "server"


def use_everything(http: httpx.Client) -> dict[str, float]:
    """Pages, network, search and the three dumps, as a visitor would; seconds per group."""
    took: dict[str, float] = {}
    groups: dict[str, list[str]] = {
        "pages": [
            "/",
            f"/id/person/{PERSON.rsplit('/', 1)[1]}",
            f"/id/person/{OTHER.rsplit('/', 1)[1]}",
            "/browse",
            "/browse/persons",
            "/data",
            "/ontology",
        ],
        "network": [
            f"/network/ego?person={PERSON}&hops=2",
            f"/network/path?from={OTHER}&to={PERSON}&max=4",
        ],
        "search": ["/search?q=Khomutnikov", "/reconcile?queries=" + '{"q0":{"query":"Aduchi"}}'],
        "dumps": ["/dump.nq", "/dump.trig", "/dump.ttl"],
    }
    for group, paths in groups.items():
        started = time.monotonic()
        for path in paths:
            accept = "application/json" if group == "network" else "text/html"
            with http.stream("GET", path, headers={"Accept": accept}) as response:
                for _ in response.iter_bytes(1 << 16):
                    pass
                if response.status_code >= 400:
                    print(f"  ! {path}: {response.status_code}", file=sys.stderr)
        took[group] = time.monotonic() - started
    return took


def time_queries(http: httpx.Client, repeat: int) -> dict[str, float]:
    result: dict[str, float] = {}
    for name, query in QUERIES.items():
        times = []
        for run in range(repeat):
            started = time.monotonic()
            response = http.post(
                "/sparql",
                data={"query": f"# run {run} {time.time()}\n{query}"},
                headers={"Accept": "application/sparql-results+json"},
            )
            times.append(time.monotonic() - started)
            if response.status_code != 200:
                print(f"  ! {name}: {response.status_code} {response.text[:200]}", file=sys.stderr)
        result[name] = statistics.median(times) * 1000
    return result


def run_mode(
    mode: str, store: Path, repeat: int, old: Path | None, root: Path | None
) -> dict[str, object]:
    settings = Settings(store_path=store, port=free_port(), query_workers=2)
    env = {**os.environ, **settings_env(settings)}
    env["SHEZHIRE_SERVER_STORE"] = "read-only" if mode == "read-only" else "memory"
    env["SHEZHIRE_WORKER_STORE"] = "memory" if mode == "memory" else "read-only"
    if mode == "old":
        assert old is not None
        env["PYTHONPATH"] = str(old)
    url = f"http://127.0.0.1:{settings.port}"
    log = Path(tempfile.gettempdir()) / f"serve-bench-{mode}.log"
    started = time.monotonic()
    with log.open("wb") as out:
        command = [sys.executable, "-m", "shezhire.http.server"]
        if root is not None:  # what a user runs: `shezhire serve` checks the build first
            command = [sys.executable, "-c", CLI]
            command += ["--root", str(root), "--store", str(store), "serve"]
            command += ["--port", str(settings.port)]
        process = subprocess.Popen(
            command,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{mode}: the server exited:\n{log.read_text()}")
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        start_s = time.monotonic() - started
        time.sleep(1)  # let what starts after /health (background dump writing) begin
        at_start = memory_mb(process.pid)
        with httpx.Client(base_url=url, timeout=300) as http:
            used = use_everything(http)
            after_use = memory_mb(process.pid)
            queries = time_queries(http, repeat)
            after_queries = memory_mb(process.pid)
        return {
            "start_s": start_s,
            "at_start": at_start,
            "after_use": after_use,
            "after_queries": after_queries,
            "used": used,
            "queries": queries,
        }
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def direct(store: Path, repeat: int) -> dict[str, tuple[float, float]]:
    """Median ms of each query class in this process: (read-only on disk, in memory)."""
    disk = ox.Store.read_only(str(store.resolve()))
    started = time.monotonic()
    memory = ox.Store()
    memory.bulk_extend(disk.quads_for_pattern(None, None, None, None))
    print(f"  (in-memory copy made in {time.monotonic() - started:.1f} s)")
    result: dict[str, tuple[float, float]] = {}
    for name, query in QUERIES.items():
        medians = []
        for store_ in (disk, memory):
            times = []
            for _ in range(repeat):
                begun = time.monotonic()
                rows = store_.query(query, use_default_graph_as_union=True)
                assert isinstance(rows, ox.QuerySolutions)
                for _row in rows:
                    pass
                times.append(time.monotonic() - begun)
            medians.append(statistics.median(times) * 1000)
        result[name] = (medians[0], medians[1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument(
        "--root", type=Path, help="the store's tree: start with `shezhire serve` (build check)"
    )
    parser.add_argument("--modes", nargs="+", default=["default", "read-only", "memory", "old"])
    parser.add_argument("--old-ref", default="0cb728a")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--direct", action="store_true")
    args = parser.parse_args()
    print(f"store {args.store} -> {args.store.resolve()}")
    print(f"load average before: {load_average()}")
    old = old_code(args.old_ref) if "old" in args.modes else None
    results = {}
    for mode in args.modes:
        print(f"mode {mode}...", flush=True)
        results[mode] = run_mode(mode, args.store, args.repeat, old, args.root)
        print(f"  {results[mode]}", flush=True)
        print(f"  load average: {load_average()}", flush=True)
    modes = list(results)
    print()
    print("| | " + " | ".join(modes) + " |")
    print("|---|" + "---|" * len(modes))

    def row(label: str, cells: list[str]) -> None:
        print(f"| {label} | " + " | ".join(cells) + " |")

    row("start until /health (s)", [f"{results[m]['start_s']:.1f}" for m in modes])
    for key, label in (
        ("at_start", "at start"),
        ("after_use", "after pages, network, search, dumps"),
        ("after_queries", "after the queries"),
    ):
        cells = []
        for m in modes:
            pss, rss, count = results[m][key]  # type: ignore[misc]
            cells.append(f"{pss:.0f} / {rss:.0f} ({count} proc)")
        row(f"PSS / RSS MB, {label}", cells)
    for group in ("pages", "network", "search", "dumps"):
        row(f"{group} used (s)", [f"{results[m]['used'][group]:.1f}" for m in modes])  # type: ignore[index]
    for name in QUERIES:
        row(f"/sparql {name} (ms, median)", [f"{results[m]['queries'][name]:.0f}" for m in modes])  # type: ignore[index]
    if args.direct:
        print()
        print("In this process, no HTTP (median ms): | read-only on disk | in memory | ratio |")
        for name, (on_disk, in_memory) in direct(args.store, args.repeat).items():
            print(f"| {name} | {on_disk:.1f} | {in_memory:.1f} | {on_disk / in_memory:.1f}x |")
    print(f"\nload average after: {load_average()}")


if __name__ == "__main__":
    main()
