"""The ``remote`` part (issue 12): the same server on the embedded store and on remote stores.

At each scale the built store is published (:func:`shezhire.backend.publish.publish`, graphs
written by Graph Store Protocol ``PUT``s) into Virtuoso (Debian's package, no row cap) and into
Oxigraph's server, both started by the test harness
(``tests/remote/engines.py``) in the scale's working folder. Then three of our servers run one
after the other: embedded, ``backend = remote`` on Oxigraph's server, and on Virtuoso; each is
waited for until ``/health`` reports it warm (the name index, facts and network cache are read
from its store; at most WARM_LIMIT_S), and timed from 1 client on: SPARQL lookups of
``PERSONS`` persons (each text new, so the result cache never answers), their ego networks,
the network paths of the ``pages`` part, their HTML pages and searches by their names.
Figures: publish seconds, warm seconds, and per route the median and p90 in ms.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx

from shezhire.backend.publish import PublishError, publish
from shezhire.pipeline.store import require_triples

from . import load, servers
from .pages import NETWORK, with_query

sys.path.insert(0, str(servers.ROOT))  # the test harness starts the engines
from tests.remote.engines import RemoteEngine, start_oxigraph, start_virtuoso

PERSONS = 40
WARM_LIMIT_S = 1800.0
BACKENDS = ("embedded", "oxigraph", "virtuoso")
ROUTES = ("lookup", "ego", "path", "page", "search")


@contextlib.contextmanager
def _engine(name: str, ctx: servers.Context) -> Iterator[RemoteEngine]:
    folder = ctx.work / "remote" / name
    folder.mkdir(parents=True, exist_ok=True)
    if name == "virtuoso":
        # No row cap; no time limit: one PUT of a large graph is one transaction, and when
        # publish moved graphs, its switch at x30 ran past the harness's 60 s ("SR171").
        engine = start_virtuoso(folder, max_rows=None, query_timeout_s=0)
    else:
        engine = start_oxigraph(folder)
    with engine:
        yield engine


def _wait_warm(server: servers.Server) -> float:
    began = time.perf_counter()
    while time.perf_counter() - began < WARM_LIMIT_S:
        if httpx.get(server.url + "/health", timeout=60).json().get("warm"):
            break
        time.sleep(0.5)
    return time.perf_counter() - began


def _time_routes(server: servers.Server, persons: list[str], names: list[str]) -> dict[str, Any]:
    url = server.url
    requests: dict[str, list[bytes]] = {
        "lookup": [
            load.query_request(server.endpoint, f"# {time.time_ns()} {n}\n{load.lookup_query(p)}")
            for n, p in enumerate(persons)
        ],
        "ego": [
            load.get_request(
                url, f"/network/ego?person={quote(p, safe='')}&hops=2", "application/json"
            )
            for p in persons
        ],
        "path": [load.get_request(url, with_query(*NETWORK["path"]), "application/json")],
        "page": [
            load.get_request(url, "/id/" + p.removeprefix(load.ID_BASE), "text/html")
            for p in persons
        ],
        "search": [
            load.get_request(url, f"/search?q={quote(name)}", "application/json") for name in names
        ],
    }
    figures: dict[str, Any] = {}
    for route, batch in requests.items():
        figures[route] = load.run_load(
            url,
            lambda n, batch=batch: batch[n % len(batch)],  # type: ignore[misc]
            1,
            duration=600,
            warmup=0,
            max_requests=max(len(batch), 20),
        )
    return figures


def _names(endpoint: str, persons: list[str]) -> list[str]:
    values = " ".join(f"<{p}>" for p in persons)
    rows = load.select(
        endpoint,
        f"SELECT ?p ?l WHERE {{ VALUES ?p {{ {values} }} ?p <{load.RDFS_LABEL}> ?l }}",
    )
    return sorted({r["l"] for r in rows})[: len(persons)]


def run(ctx: servers.Context) -> dict[str, Any]:
    figures: dict[str, Any] = {"load_before": servers.load_average(), "backends": {}}
    embedded = servers.start_ours(ctx.store, ctx.work / "remote" / "embedded")
    with servers.running(embedded):
        persons = load.persons(embedded.endpoint, PERSONS, ties=True, first_copy=True)
        names = _names(embedded.endpoint, persons)
        warm = _wait_warm(embedded)
        figures["backends"]["embedded"] = {"warm_s": warm, **_time_routes(embedded, persons, names)}
    for name in BACKENDS[1:]:
        with _engine(name, ctx) as engine:
            try:
                summary = publish(
                    ctx.store, engine.query_url, engine.update_url, engine.graph_store_url
                )
            except PublishError as error:
                figures["backends"][name] = {"failed": str(error)[:300]}
                print(f"  remote {name}: publish failed: {error}", flush=True)
                continue
            ours = servers.start_ours(
                ctx.store,
                ctx.work / "remote" / f"ours-{name}",
                extra_env={
                    "SHEZHIRE_BACKEND": "remote",
                    "SHEZHIRE_REMOTE_QUERY_URL": engine.query_url,
                },
            )
            with servers.running(ours):
                warm = _wait_warm(ours)
                figures["backends"][name] = {
                    "publish_s": summary.seconds,
                    "warm_s": warm,
                    **_time_routes(ours, persons, names),
                }
        print(f"  remote {name}: published in {summary.seconds:.1f} s, warm in {warm:.1f} s")
    figures["triples"] = require_triples(ctx.store)
    figures["load_after"] = servers.load_average()
    return figures


def _ms(result: load.Result) -> str:
    if not result.requests:
        return "-"
    errors = f" ({result.errors} errors)" if result.errors else ""
    return f"{result.percentile(50):.1f}/{result.percentile(90):.1f}{errors}"


def table(results: dict[int, dict[str, Any]]) -> str:
    lines = [
        "remote: our server on the embedded store and on remote stores (1 client; median/p90 "
        "ms; publish = graphs written by Graph Store PUTs, a union graph too where the engine "
        "needs one, checked, switched by one manifest triple)",
    ]
    head = f"{'scale':>5} {'backend':<9} | {'publish s':>9} {'warm s':>7} | " + " ".join(
        f"{r:>13}" for r in ROUTES
    )
    lines += [head, "-" * len(head)]
    for scale, f in results.items():
        for backend in BACKENDS:
            b = f["backends"].get(backend)
            if b is None:
                continue
            if "failed" in b:
                lines.append(f"{scale:>5} {backend:<9} | publish failed: {b['failed']}")
                continue
            publish_s = f"{b['publish_s']:.1f}" if "publish_s" in b else "-"
            cells = " ".join(f"{_ms(b[r]):>13}" for r in ROUTES)
            lines.append(f"{scale:>5} {backend:<9} | {publish_s:>9} {b['warm_s']:>7.1f} | {cells}")
        lines.append(
            f"      {f['triples']:,} quads; load average "
            f"{f['load_before']:.2f} -> {f['load_after']:.2f}"
        )
    return "\n".join(lines)
