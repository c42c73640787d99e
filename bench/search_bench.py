"""Benchmark of search and reconciliation (issue 9): index build time and query latencies.

    .venv/bin/python bench/search_bench.py [--store PATH] [--repeat 30] [--no-http]
    .venv/bin/python bench/search_bench.py --store PATH --scale 30   # x1 and x30 side by side

Without ``--store`` it uses the tree's default store (``Settings().store``), building it
first when it is missing or stale. It measures:

- loading the store into memory, building the name index (``build_name_index``) and the
  reconciliation facts (``build_facts``): what a snapshot pays once, on its first search;
- the latency of each query of QUERIES through ``NameIndex.search`` (in-process), then p50
  and p99 over all of them (every query ``--repeat`` times);
- reconciliation in-process: one ``Reconciler.candidates`` per query, with a type;
- through HTTP on the whole service (``python -m shezhire.http.server`` on a free 127.0.0.1
  port, one keep-alive httpx client): ``/search``, ``/search/suggest`` (prefixes as typed),
  a ``/reconcile`` batch of 10 queries (what OpenRefine sends), and ``/reconcile`` extend.

With ``--scale N`` (N > 1) it measures in-process only, twice: on the store as built (x1) and
on a store N times larger, then prints both side by side (quads, index build time and memory,
search and reconciliation p50/p99). The larger store is the built one's quads replicated into
N disjoint copies in an in-memory store (:func:`replicate`): copy 0 is the original; in copy
k >= 1 every IRI under ``https://w3id.org/shezhire/id/`` gets the suffix ``-ck``
(``.../person/aduchi`` -> ``.../person/aduchi-c7``), every blank node is a fresh one per copy,
named graphs and other IRIs are shared (a quad with neither an ``id/`` IRI nor a blank node,
e.g. the ontology's, is in the store once: x30 is ~1.09 M quads, not 30 x 38.7 k), and
literals are unchanged, so every name now belongs to N entities (the worst case for candidate
lists). Only family names are perturbed, so that the index is not unrealistically uniform: in
every third copy (k % 3 == 2) each ``schema:familyName``/``foaf:familyName`` gets one more
letter of its own script (``Khomutnikov`` -> ``Khomutnikovb``, ``Хомутников`` ->
``Хомутниковб``, the letter chosen by k), i.e. near-namesakes that the fuzzy matching finds
too. Labels and other name literals stay as they are; the index's names made of the parts
(the family name alone, given + patronymic + family) carry the extra letter. Memory is the
growth of the process's resident set (RSS) while the index is built and kept (rough: freed
memory gets reused); ``--tracemalloc`` adds the Python allocations the index holds (one more
build, traced).

Not a test: run by hand. Loopback only.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox

from shezhire.config import Settings
from shezhire.http.testing import LiveServer, timed
from shezhire.linked_data.graph import Dataset
from shezhire.pipeline.build import ensure_built
from shezhire.pipeline.store import load_in_memory
from shezhire.search.facts import FACTS_KEY, build_facts
from shezhire.search.index import FAMILY, NAME_INDEX_KEY, build_name_index
from shezhire.search.reconcile import Reconciler, ReconQuery, resolve_type

QUERIES = [
    "Khomutnikov",
    "Хомутников",
    "Chomutnikov",
    "Голощёкин",
    "Goloshchyokin",
    "P. V. Khomutnikov",
    "Khomutnikov Petr Vasilievich",
    "Қозыбаев",
    "Мәжит Бектанов",
    "Өтеулі Бисенғалиев",
    "Zhumaitov Abukhair",
    "Alma-Ata",
    "Алматы",
    "Семипалатинск",
    "Khomutnkov",
    "Bektaonv",
    "Aduchi",
    "OGPU",
    "migration of Kazakh farms to China",
    "Калмыцкое народонаселение",
    "Цэрэн-Доржи Номинханов",
    "holding 9 file 615",
    "Kazakh",
    "district",
    "Zzyzxqv",
]
PREFIXES = ["Kh", "Kho", "Khom", "Khomu", "Гол", "Голо", "Alm", "Бек", "Qoz", "Ном"]
RECON_BATCH = {
    f"q{i}": {"query": name, "type": "Person", "type_strict": "should"}
    for i, name in enumerate(
        [
            "Goloshchekin, F. I.",
            "Kozybayev, M. K.",
            "V. A. Khomutnikov",
            "Petr Khomutnikov",
            "Bektanov Mazhit",
            "Ts.-D. Nominkhanov",
            "Magdau Zhumogaliev",
            "Aduchi",
            "Mustafa Chokay",
            "Ораз Жандосов",
        ]
    )
}
EXTEND = {
    "ids": [
        "https://w3id.org/shezhire/id/person/petr-vasilievich-khomutnikov",
        "https://w3id.org/shezhire/id/person/aduchi",
        "https://w3id.org/shezhire/id/person/magdau-zhumogaliev-1917",
    ],
    "properties": [{"id": p} for p in ("birth_date", "places", "kin", "sources", "names")],
}


def percentile(ms: list[float], share: float) -> float:
    ordered = sorted(ms)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def show(name: str, times: list[float], extra: str = "") -> None:
    ms = [t * 1000 for t in times]
    print(
        f"{name:<46} p50 {statistics.median(ms):7.2f} ms   p99 {percentile(ms, 0.99):7.2f} ms"
        f"   max {max(ms):7.2f} ms   (n={len(ms)}) {extra}"
    )


ID_BASE = "https://w3id.org/shezhire/id/"
LATIN = "abcdefghijklmnopqrstuvwxyz"
CYRILLIC = "абвгдежзиклмнопрстуфхцчшщэюя"
PERTURBED = frozenset(FAMILY)


def perturb(name: str, copy: int) -> str:
    """A family name of copy ``copy``, one letter longer (in the name's script)."""
    letters = CYRILLIC if any("\u0400" <= c <= "\u04ff" for c in name) else LATIN
    return name + letters[copy % len(letters)]


def copy_quads(original: list[ox.Quad], copy: int) -> Iterator[ox.Quad]:
    """Copy ``copy`` of the quads (see the module's doc); copy 0 is the original."""
    if copy == 0:
        yield from original
        return
    suffix = f"-c{copy}"
    perturbed = copy % 3 == 2
    blanks: dict[str, ox.BlankNode] = {}
    named: dict[str, ox.NamedNode] = {}

    def term(node: Any) -> Any:
        if isinstance(node, ox.NamedNode) and node.value.startswith(ID_BASE):
            if node.value not in named:
                named[node.value] = ox.NamedNode(node.value + suffix)
            return named[node.value]
        if isinstance(node, ox.BlankNode):
            if node.value not in blanks:
                blanks[node.value] = ox.BlankNode()
            return blanks[node.value]
        return node

    for quad in original:
        obj = quad.object
        if perturbed and isinstance(obj, ox.Literal) and quad.predicate.value in PERTURBED:
            text = perturb(obj.value, copy)
            obj = (
                ox.Literal(text, language=obj.language)
                if obj.language
                else ox.Literal(text, datatype=obj.datatype)
            )
        yield ox.Quad(term(quad.subject), quad.predicate, term(obj), quad.graph_name)


def replicate(store: ox.Store, copies: int) -> ox.Store:
    """``copies`` disjoint copies of ``store`` in one in-memory store (see the module's doc)."""
    original = list(store.quads_for_pattern(None, None, None, None))
    bigger = ox.Store()
    for copy in range(copies):
        bigger.extend(copy_quads(original, copy))
    return bigger


def rss_bytes() -> int:
    """The resident set of this process now."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(
    store: ox.Store, target: Path, tag: str, repeat: int, build_repeat: int, traced: bool
) -> tuple[Dataset, dict[str, Any]]:
    """Index, facts, search and reconciliation over ``store``: what :func:`main` prints."""
    figures: dict[str, Any] = {"quads": len(store)}
    print(f"--- {tag}: {len(store)} quads")
    dataset = Dataset(store, target, 0.0, f"bench-{tag}")
    times, _labels = timed(lambda: dataset.labels, 1)
    show("display labels", times)
    gc.collect()
    before = rss_bytes()
    times, index = timed(lambda: build_name_index(store, dataset.labels), 1)
    figures["index_rss"] = rss_bytes() - before
    if build_repeat > 1:
        more, index = timed(lambda: build_name_index(store, dataset.labels), build_repeat - 1)
        times += more
    figures["index_seconds"] = min(times)
    show(
        "build the name index",
        times,
        f"{len(index.entities)} entities, {len(index.names)} names, {len(index.vocabulary)} keys,"
        f" RSS +{figures['index_rss'] / 2**20:.1f} MiB",
    )
    figures["entities"], figures["names"] = len(index.entities), len(index.names)
    if traced:
        gc.collect()
        tracemalloc.start()
        kept = build_name_index(store, dataset.labels)
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del kept
        figures["index_traced"], figures["index_peak"] = current, peak
        print(
            f"{'  tracemalloc: index kept / peak':<46} {current / 2**20:.1f} / "
            f"{peak / 2**20:.1f} MiB"
        )
    times, facts = timed(lambda: build_facts(dataset), build_repeat)
    show("build the reconciliation facts", times)
    figures["facts_seconds"] = min(times)
    dataset.memo(NAME_INDEX_KEY, lambda: index)
    dataset.memo(FACTS_KEY, lambda: facts)

    every: list[float] = []
    for query in QUERIES:
        index.search(query)  # caches (skeletons) warm, as in a running service
        times, hits = timed(lambda q=query: index.search(q), repeat)
        every += times
        show(f"  search {query!r}"[:46], times, f"{len(hits)} hits")
    show("search, all queries (in-process)", every)
    figures["search"] = every

    person = resolve_type("Person")
    assert person is not None
    every = []
    for item in RECON_BATCH.values():
        recon = ReconQuery(text=str(item["query"]), types=[person], strict=False)
        times, _found = timed(lambda q=recon: Reconciler(dataset).candidates(q), repeat)
        every += times
    show("reconcile, one query (in-process)", every)
    figures["reconcile"] = every
    return dataset, figures


def table(columns: list[tuple[str, dict[str, Any]]]) -> None:
    """The figures of each scale side by side."""

    def ms(times: list[float], share: float) -> str:
        return f"{percentile([t * 1000 for t in times], share):.2f} ms"

    rows: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        ("quads", lambda f: f"{f['quads']:,}"),
        ("entities / names", lambda f: f"{f['entities']:,} / {f['names']:,}"),
        ("index build", lambda f: f"{f['index_seconds']:.2f} s"),
        ("index memory (RSS growth)", lambda f: f"{f['index_rss'] / 2**20:.1f} MiB"),
    ]
    if all("index_traced" in f for _tag, f in columns):
        rows.append(
            ("index memory (tracemalloc)", lambda f: f"{f['index_traced'] / 2**20:.1f} MiB")
        )
    rows += [
        ("facts build", lambda f: f"{f['facts_seconds']:.2f} s"),
        ("search p50", lambda f: ms(f["search"], 0.5)),
        ("search p99", lambda f: ms(f["search"], 0.99)),
        ("search max", lambda f: ms(f["search"], 1.0)),
        ("reconcile p50", lambda f: ms(f["reconcile"], 0.5)),
        ("reconcile p99", lambda f: ms(f["reconcile"], 0.99)),
    ]
    print()
    print(f"{'':<28}" + "".join(f"{tag:>16}" for tag, _figures in columns))
    for name, cell in rows:
        print(f"{name:<28}" + "".join(f"{cell(figures):>16}" for _tag, figures in columns))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="a built store (default: Settings().store)")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--no-http", action="store_true", help="in-process measures only")
    parser.add_argument(
        "--scale",
        type=int,
        default=1,
        help="also measure a store N times larger (disjoint copies; in-process only)",
    )
    parser.add_argument(
        "--build-repeat", type=int, default=None, help="index builds (default: 5, 1 with --scale)"
    )
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also trace the index's Python allocations"
    )
    args = parser.parse_args()
    build_repeat = args.build_repeat or (1 if args.scale > 1 else 5)

    settings = Settings(store_path=args.store) if args.store else Settings()
    if not args.store:
        started = time.perf_counter()
        if ensure_built(settings) is not None:
            print(f"store built in {time.perf_counter() - started:.1f} s")
    target = Path(os.path.realpath(settings.store))

    times, store = timed(lambda: load_in_memory(target), 1)
    show("load the store in memory", times, f"{len(store)} quads")
    dataset, figures = measure(store, target, "x1", args.repeat, build_repeat, args.tracemalloc)

    if args.scale > 1:
        del dataset
        gc.collect()
        before = rss_bytes()
        times, bigger = timed(lambda: replicate(store, args.scale), 1)
        show(
            f"replicate the store x{args.scale}",
            times,
            f"{len(bigger)} quads, RSS +{(rss_bytes() - before) / 2**20:.0f} MiB",
        )
        tag = f"x{args.scale}"
        _dataset, scaled = measure(bigger, target, tag, args.repeat, build_repeat, args.tracemalloc)
        table([("x1", figures), (tag, scaled)])
        return 0

    if args.no_http:
        return 0
    with LiveServer(settings) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        print(f"server {server.url} (pid {server.pid}); repeat {args.repeat}")
        cold, _ = timed(lambda: client.get("/search", params={"q": "Khomutnikov"}), 1)
        show("HTTP /search first request (builds the index)", cold)
        cold, _ = timed(lambda: client.post("/reconcile", data={"queries": "{}"}), 1)
        show("HTTP /reconcile first request (builds facts)", cold)
        every = []
        for query in QUERIES:
            times, _response = timed(
                lambda q=query: client.get("/search", params={"q": q}).raise_for_status(),
                args.repeat,
            )
            every += times
        show("HTTP /search, all queries", every)
        every = []
        for prefix in PREFIXES:
            times, _response = timed(
                lambda q=prefix: client.get("/search/suggest", params={"q": q}).raise_for_status(),
                args.repeat,
            )
            every += times
        show("HTTP /search/suggest, prefixes", every)
        batch = json.dumps(RECON_BATCH)
        times, _response = timed(
            lambda: client.post("/reconcile", data={"queries": batch}).raise_for_status(),
            args.repeat,
        )
        show("HTTP /reconcile, a batch of 10 queries", times)
        extend = json.dumps(EXTEND)
        times, _response = timed(
            lambda: client.post("/reconcile", data={"extend": extend}).raise_for_status(),
            args.repeat,
        )
        show("HTTP /reconcile extend, 3 ids x 5 properties", times)
    return 0


if __name__ == "__main__":
    sys.exit(main())
