"""The ``serve`` part: start-up time and memory of our server, beside ``oxigraph serve-read-only``.

Ours (``python -m shezhire.http.server`` on the built store): seconds from the process start
until ``/health`` answers 200; memory (PSS and RSS of the server and all its descendants,
:mod:`.servers`) at that moment, the peak while it is used (sampled every 0.25 s) and after
the use: 20 person pages (HTML), ``/network/ego`` (2 hops) and ``/network/path`` (max 4), a
search, and the three dumps (``/dump.nq``, ``/dump.trig``, ``/dump.ttl``, read whole).
Oxigraph on a copy of the same store (its load is timed apart, not part of its start-up): the
same start-up and memory figures, used by the 20 persons' lookups, a two-hop query and the whole
dataset read through the Graph Store Protocol (``GET /store``, N-Quads), its dump.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from . import load, pages, servers

GOAL_START_S = 3.0  # at x30
GOAL_MEMORY_MB = 800.0  # at x30
PAGES = 20
SEARCH = "Хомутников"


def _timed_get(client: httpx.Client, path: str, **kwargs: Any) -> tuple[float, int]:
    """Seconds and bytes of one GET read whole; anything but 200 raises."""
    began = time.perf_counter()
    size = 0
    with client.stream("GET", path, **kwargs) as answer:
        for piece in answer.iter_bytes(1 << 20):
            size += len(piece)
    if answer.status_code != 200:
        raise RuntimeError(f"GET {path} {kwargs.get('params', '')}: {answer.status_code}")
    return time.perf_counter() - began, size


def _step(steps: dict[str, Any], name: str, action: Any) -> None:
    """Run one step of a use; a failed step is recorded (and shown), not fatal."""
    try:
        steps[name] = action()
    except (httpx.HTTPError, RuntimeError) as error:
        steps[name] = {"error": f"{type(error).__name__}: {error}"}
        print(f"  serve: {name} failed: {steps[name]['error']}", flush=True)


def _get(client: httpx.Client, path: str, **kwargs: Any) -> dict[str, Any]:
    seconds, size = _timed_get(client, path, **kwargs)
    return {"seconds": seconds, "mb": size / 1e6}


def use_ours(server: servers.Server) -> dict[str, Any]:
    """The use of ours between its two memory readings; seconds (and MB) of each step."""
    steps: dict[str, Any] = {}
    persons = load.persons(server.endpoint, PAGES, first_copy=True)
    html = {"accept": "text/html"}
    with httpx.Client(base_url=server.url, timeout=600) as client:

        def pages_() -> dict[str, Any]:
            times = [
                _timed_get(client, "/id/" + p.removeprefix(load.ID_BASE), headers=html)[0]
                for p in persons
            ]
            return {"seconds": sum(times), "count": len(times)}

        _step(steps, f"{len(persons)} pages", pages_)
        for name, (path, params) in pages.NETWORK.items():
            _step(steps, name, lambda p=path, q=params: _get(client, p, params=q))
        _step(steps, "search", lambda: _get(client, "/search", params={"q": SEARCH}))
        for ext in ("nq", "trig", "ttl"):
            _step(steps, f"dump.{ext}", lambda e=ext: _get(client, f"/dump.{e}"))
    return steps


def use_oxigraph(server: servers.Server) -> dict[str, Any]:
    steps: dict[str, Any] = {}
    persons = load.persons(server.endpoint, PAGES, first_copy=True)
    sparql = {"accept": load.SPARQL_JSON}
    with httpx.Client(timeout=600) as client:

        def lookups() -> dict[str, Any]:
            times = [
                _timed_get(
                    client, server.endpoint, params={"query": load.lookup_query(p)}, headers=sparql
                )[0]
                for p in persons
            ]
            return {"seconds": sum(times), "count": len(times)}

        _step(steps, f"{len(persons)} lookups", lookups)
        two_hop = {"query": load.two_hop_query(persons[0])}
        _step(
            steps, "two-hop", lambda: _get(client, server.endpoint, params=two_hop, headers=sparql)
        )
        nquads = {"accept": "application/n-quads"}
        _step(
            steps,
            "dump.nq (GET /store)",
            lambda: _get(client, server.url + "/store", headers=nquads),
        )
    return steps


def _measure(server: servers.Server, use: Any) -> dict[str, Any]:
    figures: dict[str, Any] = {"start_s": server.start_s, "start": server.memory()}
    with servers.PeakMemory(server.pid) as peak:
        figures["steps"] = use(server)
    figures["used"] = server.memory()
    figures["peak"] = peak.peak
    return figures


def run(ctx: servers.Context) -> dict[str, Any]:
    figures: dict[str, Any] = {"load_before": servers.load_average()}
    work = ctx.work / "serve"
    ours = servers.start_ours(ctx.store, work / "ours")
    with servers.running(ours):
        figures["ours"] = _measure(ours, use_ours)
    print(f"  serve ours: up in {ours.start_s:.2f} s, {figures['ours']['start']}", flush=True)
    location, load_s, _, _ = ctx.oxigraph_copy()
    theirs = servers.serve_oxigraph(location, work / "oxigraph")
    with servers.running(theirs):
        figures["oxigraph"] = _measure(theirs, use_oxigraph)
    figures["oxigraph"]["load_s"] = load_s
    print(f"  serve oxigraph: up in {theirs.start_s:.2f} s (load {load_s:.1f} s)", flush=True)
    figures["load_after"] = servers.load_average()
    return figures


def _goal(value: float, goal: float, scale: int) -> str:
    if scale != 30:
        return f"(goal ≤ {goal:g} at x30)"
    return f"goal ≤ {goal:g}: {'met' if value <= goal else 'NOT met'}"


def _steps(steps: dict[str, Any]) -> str:
    return ", ".join(
        f"{name} FAILED ({s['error']})"
        if "error" in s
        else f"{name} {s['seconds']:.2f} s" + (f" ({s['mb']:.0f} MB)" if s.get("mb", 0) > 1 else "")
        for name, s in steps.items()
    )


def table(results: dict[int, dict[str, Any]]) -> str:
    lines = [
        "serve: start-up = process start to first 200 (ours /health, oxigraph ASK); memory = PSS"
        " of the process and all its descendants in MB [RSS]",
    ]
    head = f"{'scale':>5} {'what':<10} {'ours':>14} {'oxigraph':>14} {'ours/ox':>8}  goal"
    lines += [head, "-" * (len(head) + 26)]
    for scale, f in results.items():
        ours, theirs = f["ours"], f["oxigraph"]
        a_start, b_start = ours["start_s"], theirs["start_s"]
        lines.append(
            f"{scale:>5} {'start s':<10} {a_start:>14.2f} {b_start:>14.2f} "
            f"{a_start / max(b_start, 1e-9):>7.1f}x  {_goal(a_start, GOAL_START_S, scale)}"
        )
        for when in ("start", "peak", "used"):
            a, b = ours[when], theirs[when]
            cells = " ".join(f"{f'{m.pss_mb:.0f} [{m.rss_mb:.0f}]':>14}" for m in (a, b))
            lines.append(
                f"{scale:>5} {f'MB {when}':<10} {cells} {a.pss_mb / max(b.pss_mb, 1e-9):>7.1f}x  "
                f"{_goal(a.pss_mb, GOAL_MEMORY_MB, scale)}"
            )
        lines.append(f"{'':>5} used: ours by {_steps(ours['steps'])}")
        lines.append(
            f"{'':>5} used: oxigraph by {_steps(theirs['steps'])}; "
            f"its load (not in its start-up) {theirs['load_s']:.1f} s"
        )
        lines.append(
            f"{'':>5} peak = largest PSS sampled while used; processes: ours "
            f"{ours['used'].processes}, oxigraph {theirs['used'].processes}; load average "
            f"{f['load_before']:.2f} -> {f['load_after']:.2f}"
        )
    return "\n".join(lines)
