"""The ``pages`` part: person pages and the network routes of our server, at each scale.

On a freshly started server (``python -m shezhire.http.server``): first, each network route
once, as soon as ``/health`` answers (nothing warmed by a request before it: the first
request); then ``REPEAT`` more of each, from 1 client and from ``clients`` clients at once
(median, p90). Then the HTML page (``/id/person/<slug>``, ``Accept: text/html``) of 40 different
persons of copy 0 (the data as it is, so the same pages at every scale), each once from 1 client
(after one page to warm the templates), and each once per client from ``clients`` clients at
once. Requests go through the keep-alive client of :mod:`.load`; every answer must be 200.
The network routes are those of ``bench/pages_network_bench.py``. The table gives the ratios
of each scale to x1 when x1 ran too.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from pages_network_bench import ROUTES

from . import load, servers

PERSONS = 40
REPEAT = 20
NETWORK: dict[str, tuple[str, dict[str, Any]]] = {
    name.split(" ", 1)[0] + (" k=3" if "k" in params else ""): (path, params)
    for name, path, params in ROUTES
    if path.startswith("/network/")
}
# Goals at x30: each route's median under this many ms; every median within 2x of x1's.
GOALS_MS = {"ego": 10.0, "path": 30.0, "path k=3": 30.0}
GOAL_RATIO = 2.0


def with_query(path: str, params: dict[str, Any]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def _times(url: str, paths: list[str], accept: str, clients: int, per_client: int) -> load.Result:
    requests = [load.get_request(url, p, accept) for p in paths]
    return load.run_load(
        url,
        lambda n: requests[n % len(requests)],
        clients,
        duration=600,
        warmup=0,
        max_requests=clients * per_client,
    )


def run(ctx: servers.Context) -> dict[str, Any]:
    figures: dict[str, Any] = {"load_before": servers.load_average(), "routes": {}}
    ours = servers.start_ours(ctx.store, ctx.work / "pages")
    with servers.running(ours):
        url = ours.url
        json = "application/json"
        for name, (path, params) in NETWORK.items():
            first = _times(url, [with_query(path, params)], json, 1, 1)
            figures["routes"][name] = {"first": first}
        figures["settle_s"] = servers.settle(ours.pid)
        for name, (path, params) in NETWORK.items():
            target = [with_query(path, params)]
            figures["routes"][name]["one"] = _times(url, target, json, 1, REPEAT)
            figures["routes"][name]["many"] = _times(url, target, json, ctx.clients, REPEAT)
        persons = load.persons(ours.endpoint, PERSONS, first_copy=True)
        pages = ["/id/" + p.removeprefix(load.ID_BASE) for p in persons]
        _times(url, pages[:1], "text/html", 1, 1)  # the templates
        figures["routes"]["page"] = {
            "one": _times(url, pages, "text/html", 1, len(pages)),
            "many": _times(url, pages, "text/html", ctx.clients, len(pages)),
        }
    figures["persons"] = len(persons)
    figures["clients"] = ctx.clients
    figures["load_after"] = servers.load_average()
    errors = sum(r.errors for route in figures["routes"].values() for r in route.values())
    figures["errors"] = errors
    print(f"  pages: {len(persons)} persons, {errors} non-200 answers", flush=True)
    return figures


def _cell(r: load.Result | None) -> str:
    if r is None:
        return f"{'-':>15}"
    return f"{r.percentile(50):>7.2f} {r.percentile(90):>7.2f}"


def table(results: dict[int, dict[str, Any]]) -> str:
    any_figures = next(iter(results.values()))
    c = any_figures["clients"]
    lines = [
        f"pages: latency in ms, median and p90; page = the HTML of {PERSONS} persons (each once "
        f"per client), network routes {REPEAT} times per client after the first request",
    ]
    head = (
        f"{'scale':>5} {'route':<9} {'first':>8} | {'1 client p50 p90':>15} | "
        f"{f'{c} clients p50 p90':>16} | {'/x1 1c':>7} {f'/x1 {c}c':>7}  goal at x30"
    )
    lines += [head, "-" * (len(head) + 30)]
    base = results.get(1)
    for scale, f in results.items():
        for name, route in f["routes"].items():
            first = route.get("first")
            first_ms = f"{first.percentile(50):8.1f}" if first else f"{'-':>8}"
            ratios = ""
            if base is not None and scale != 1:
                was = base["routes"][name]
                ratios = " ".join(
                    f"{route[k].percentile(50) / was[k].percentile(50):>6.2f}x"
                    for k in ("one", "many")
                )
            else:
                ratios = f"{'':>7} {'':>7}"
            goals = []
            if name in GOALS_MS:
                goals.append(f"median < {GOALS_MS[name]:g} ms")
            if scale != 1:
                goals.append(f"≤ {GOAL_RATIO:g}x of x1" + ("" if base else " (x1 not run)"))
            verdict = ""
            if scale == 30:
                met = name not in GOALS_MS or route["one"].percentile(50) < GOALS_MS[name]
                if base is not None:
                    was = base["routes"][name]
                    met = met and all(
                        route[k].percentile(50) <= GOAL_RATIO * was[k].percentile(50)
                        for k in ("one", "many")
                    )
                verdict = ": met" if met else ": NOT met"
            lines.append(
                f"{scale:>5} {name:<9} {first_ms} | {_cell(route['one'])} | "
                f"{_cell(route['many']):>16} | {ratios}  {', '.join(goals)}{verdict}"
            )
        lines.append(
            f"{'':>5} {f['errors']} non-200 answers; idle {f['settle_s']:.0f} s after the first "
            "requests; load average "
            f"{f['load_before']:.2f} -> {f['load_after']:.2f}"
        )
    return "\n".join(lines)
