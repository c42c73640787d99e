"""HTTP routes ``/network/ego`` and ``/network/path`` (a FastAPI ``APIRouter``: ``router``).

Include it with ``app.include_router(shezhire.network.http.router)``. What it needs from the
app, all optional:

- ``app.state.network_provider``: a callable ``() -> networkx.MultiDiGraph`` returning the
  full network (e.g. ``lambda: build_network(url)``); called on each request, so it should
  cache. The routes then answer from that graph.
- Otherwise the routes never build the whole network: they read the store around the persons
  of the request (:mod:`shezhire.network.local`; the same answers), from the request's
  snapshot (the whole service puts one in ``request.scope[SNAPSHOT_KEY]``: every route reads
  the same build; its read cache is filled when the snapshot is loaded, before it serves), or
  in an app without snapshots from ``app.state.settings.store`` (a
  :class:`shezhire.config.Settings`; ``Settings()`` if absent), opened read-only on the first
  request and reopened when the store link points at a new build.

Handlers are plain ``def`` (they run in the thread pool, never on the event loop).

Answers: ``?format=`` ``json`` (default), ``cytoscape``, ``graphml``, ``gexf``, ``csv``, or
the ``Accept`` header (``application/json``, ``application/vnd.cytoscape+json``,
``application/graphml+xml``, ``application/gexf+xml``, ``text/csv``). JSON is networkx
node-link data (``{"directed": true, "multigraph": true, "graph": {...}, "nodes": [{"id",
"label", "kind", ...}], "links": [{"source", "target", "key", "tie", "kind", "type",
"mode", "certainty", "citations": [...], ...}]}``), which d3 reads as is and
``networkx.node_link_graph(data, edges="links")`` loads; ``cytoscape`` is cytoscape.js
``{"elements": {"nodes": [{"data": ...}], "edges": [{"data": ...}]}}``. In GraphML, GEXF
and CSV the list attributes ``citations`` and ``sources`` are JSON strings (and GEXF, which
reserves the edge attribute ``type``, names the tie type ``tie_type``). ``graph`` holds
``center``, ``hops`` and ``filters`` (ego) or ``from``, ``to``, ``max``, ``k`` and ``filters``
(path); ego nodes carry ``distance``. The path route adds ``"paths": [{"nodes", "labels",
"length", "steps": [{"source", "target", "source_label", "target_label", "ties"}]}]`` to the
JSON answers, shortest first.

Errors (the message says which parameter and why): 400 bad parameter value (unknown
certainty, kind, format, malformed date, since after until, hops < 0, max or k < 1); 404
unknown person; 406 unsupported ``Accept``; 422 request too large (hops > MAX_HOPS = 4,
max > MAX_PATH_LENGTH = 6, k > MAX_K = 100, more than MAX_PATHS = 1000 paths). A missing
or non-integer parameter is FastAPI's request validation error (422 in a bare FastAPI app,
whatever status the app's handler gives it otherwise: 400 in ``shezhire.http.app``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import networkx as nx
import pyoxigraph as ox
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from shezhire.backend.interface import GraphStore
from shezhire.config import Settings
from shezhire.errors import ShezhireError, StoreError
from shezhire.http.negotiation import choose
from shezhire.http.snapshot import SNAPSHOT_KEY, Snapshot, network_cache
from shezhire.network import local
from shezhire.network.analysis import (
    MAX_HOPS,
    MAX_K,
    MAX_PATH_LENGTH,
    ego_network,
    find_paths,
    paths_subgraph,
    resolve_person,
)
from shezhire.network.build import build_network, filter_network
from shezhire.network.export import FORMATS, MEDIA_TYPES, to_bytes
from shezhire.network.model import NetworkError, NetworkFilter

router = APIRouter(prefix="/network", tags=["network"])

# Offers in the server's order of preference (json first: */* and application/* get it).
_OFFERS = [
    *((media, fmt) for fmt, media in MEDIA_TYPES.items()),
    ("application/xml", "graphml"),
    ("text/xml", "graphml"),
]
_FILTERED_CACHE_SIZE = 32
_GRAPH_CACHE_SIZE = 4


class NetworkCache:
    """The full network of each store (a few), built once and rebuilt when the store link
    points at a new build, and the most recently used filtered views of any full network."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._graphs: OrderedDict[str, tuple[tuple[str, float], nx.MultiDiGraph]] = OrderedDict()
        self._filtered: OrderedDict[
            tuple[int, NetworkFilter], tuple[nx.MultiDiGraph, nx.MultiDiGraph]
        ] = OrderedDict()
        self._stores: OrderedDict[str, tuple[tuple[str, float], ox.Store, local.ReadCache]] = (
            OrderedDict()
        )

    @staticmethod
    def _store_key(store: Path) -> tuple[str, float]:
        target = store.resolve()
        try:
            return str(target), target.stat().st_mtime
        except OSError:
            return str(target), 0.0

    def graph(self, store: Path) -> nx.MultiDiGraph:
        key = self._store_key(store)
        with self._lock:  # one build at a time; later requests wait for it
            cached = self._graphs.get(str(store))
            if cached is None or cached[0] != key:
                cached = (key, build_network(store))
                self._graphs[str(store)] = cached
            self._graphs.move_to_end(str(store))
            while len(self._graphs) > _GRAPH_CACHE_SIZE:
                self._graphs.popitem(last=False)
            return cached[1]

    def store(self, store: Path) -> tuple[ox.Store, local.ReadCache]:
        """The published store opened read-only and its read cache (filled by a background
        thread), both renewed when the link points at a new build; nothing is read from the
        store on a request but what the request needs."""
        key = self._store_key(store)
        with self._lock:
            cached = self._stores.get(str(store))
            if cached is None or cached[0] != key:
                if not store.exists():
                    raise StoreError(f"no store at {store}: run `shezhire build` first")
                try:
                    opened = ox.Store.read_only(key[0])
                except OSError as error:
                    raise StoreError(f"cannot open the store at {store}: {error}") from error
                cache = local.ReadCache()
                threading.Thread(
                    target=local.warm, args=(opened, cache), name="network-warm", daemon=True
                ).start()
                cached = (key, opened, cache)
                self._stores[str(store)] = cached
            self._stores.move_to_end(str(store))
            while len(self._stores) > _GRAPH_CACHE_SIZE:
                self._stores.popitem(last=False)
            return cached[1], cached[2]

    def filtered(self, graph: nx.MultiDiGraph, filters: NetworkFilter) -> nx.MultiDiGraph:
        key = (id(graph), filters)
        with self._lock:
            cached = self._filtered.get(key)
            if cached is not None and cached[0] is graph:
                self._filtered.move_to_end(key)
                return cached[1]
        view = filter_network(graph, filters)
        with self._lock:
            self._filtered[key] = (graph, view)  # the graph is kept: its id stays unique
            while len(self._filtered) > _FILTERED_CACHE_SIZE:
                self._filtered.popitem(last=False)
        return view


_CACHE = NetworkCache()


def _full_network(request: Request) -> nx.MultiDiGraph | None:
    """The app's own full network (``app.state.network_provider``), else None: the routes
    then read the store around the persons asked about (:mod:`shezhire.network.local`)."""
    provider: Callable[[], nx.MultiDiGraph] | None = getattr(
        request.app.state, "network_provider", None
    )
    return provider() if provider is not None else None


def _store(request: Request) -> tuple[GraphStore, str, local.ReadCache]:
    """The store the request reads and how answers name it: the request's snapshot (the
    whole service), else ``app.state.settings.store`` (or ``Settings().store``) opened
    read-only once per build."""
    snapshot = request.scope.get(SNAPSHOT_KEY)
    if isinstance(snapshot, Snapshot):  # the whole service: the build this request reads
        return snapshot.dataset.store, "in-memory store", network_cache(snapshot.dataset)
    settings: Settings = getattr(request.app.state, "settings", None) or Settings()
    store, cache = _CACHE.store(settings.store)
    return store, f"store {settings.store}", cache


def _format(request: Request, requested: str | None) -> str:
    if requested is not None:
        if requested not in FORMATS:
            raise HTTPException(400, f"format must be one of {', '.join(FORMATS)}: {requested!r}")
        return requested
    chosen = choose(request.headers.get("accept"), _OFFERS)
    if chosen is None:
        raise HTTPException(
            406, "acceptable: " + ", ".join(MEDIA_TYPES.values()) + " (or ?format=)"
        )
    return chosen


def _respond(
    graph: nx.MultiDiGraph, fmt: str, name: str, extra: dict[str, Any] | None = None
) -> Response:
    body = to_bytes(graph, fmt, extra=extra)
    headers = {"Vary": "Accept"}
    if fmt in ("graphml", "gexf", "csv"):
        headers["Content-Disposition"] = f'inline; filename="{name}.{fmt}"'
    media = MEDIA_TYPES[fmt] + ("; charset=utf-8" if fmt == "csv" else "")
    return Response(body, media_type=media, headers=headers)


Format = Annotated[
    str | None, Query(alias="format", description="json | cytoscape | graphml | gexf | csv")
]


Source = Annotated[
    list[str] | None,
    Query(description="keep ties cited to this publication (IRI or work:slug); repeatable"),
]
MinCertainty = Annotated[
    str | None,
    Query(description="certain | probable | possible | uncertain: keep ties at least this sure"),
]
Kind = Annotated[list[str] | None, Query(description="kin | social; repeatable")]
Since = Annotated[str | None, Query(description="keep ties dated on or after YYYY[-MM[-DD]]")]
Until = Annotated[str | None, Query(description="keep ties dated on or before YYYY[-MM[-DD]]")]
Institutions = Annotated[bool, Query(description="add institutions and places (bipartite)")]


def _filters(
    *,
    source: Source = None,
    min_certainty: MinCertainty = None,
    kind: Kind = None,
    since: Since = None,
    until: Until = None,
    institutions: Institutions = False,
) -> NetworkFilter:
    """The filters both routes take, as one dependency."""
    try:
        return NetworkFilter(
            sources=tuple(source or ()),
            min_certainty=min_certainty,
            kinds=tuple(kind or ()),
            since=since,
            until=until,
            institutions=institutions,
        )
    except NetworkError as error:
        raise HTTPException(400, str(error)) from error


Filters = Annotated[NetworkFilter, Depends(_filters)]


def _slug(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


@router.get("/ego", summary="A person's ego network to N hops, every tie with its evidence")
def ego(
    request: Request,
    *,
    person: Annotated[str, Query(description="person IRI, person:slug or slug")],
    hops: Annotated[int, Query(description=f"0..{MAX_HOPS}")] = 2,
    filters: Filters,
    fmt: Format = None,
) -> Response:
    out = _format(request, fmt)
    _check_range("hops", hops, 0, MAX_HOPS)
    try:
        full = _full_network(request)
        if full is None:
            store, description, cache = _store(request)
            graph = local.ego(store, person, hops, filters, description=description, cache=cache)
        else:
            center = resolve_person(full, person)
            view = _CACHE.filtered(full, filters)
            if center in view:
                graph = ego_network(view, center, hops, filters)
            else:  # the person has no tie that passes the filters
                graph = nx.MultiDiGraph()
                graph.add_node(center, **full.nodes[center], distance=0)
                graph.graph.update(full.graph, center=center, hops=hops)
    except ShezhireError as error:
        raise _http_error(error) from error
    graph.graph["filters"] = filters.as_params()
    return _respond(graph, out, f"ego-{_slug(graph.graph['center'])}-{hops}")


@router.get("/path", summary="Paths between two persons, each step explained by its evidence")
def path(
    request: Request,
    *,
    from_: Annotated[str, Query(alias="from", description="person IRI, person:slug or slug")],
    to: Annotated[str, Query(description="person IRI, person:slug or slug")],
    max_length: Annotated[int, Query(alias="max", description=f"1..{MAX_PATH_LENGTH}")] = 4,
    k: Annotated[int | None, Query(description=f"the k shortest only, 1..{MAX_K}")] = None,
    filters: Filters,
    fmt: Format = None,
) -> Response:
    out = _format(request, fmt)
    _check_range("max", max_length, 1, MAX_PATH_LENGTH)
    if k is not None:
        _check_range("k", k, 1, MAX_K)
    try:
        full = _full_network(request)
        if full is None:
            store, description, cache = _store(request)
            paths, view, a, b, ends = local.paths(
                store,
                from_,
                to,
                max_length,
                k=k,
                filters=filters,
                description=description,
                cache=cache,
            )
        else:
            view = _CACHE.filtered(full, filters)
            # unknown persons are unknown in the full network, not just in the filtered view
            a, b = resolve_person(full, from_), resolve_person(full, to)
            ends = {node: dict(full.nodes[node]) for node in (a, b)}
            paths = (
                find_paths(view, a, b, max_length, k=k, filters=filters)
                if (a in view and b in view)
                else []
            )
    except ShezhireError as error:
        raise _http_error(error) from error
    graph = paths_subgraph(view, paths)
    for node in (a, b):
        if node not in graph:
            graph.add_node(node, **ends[node])
    graph.graph.update(
        {"from": a, "to": b, "max": max_length, "k": k, "filters": filters.as_params()}
    )
    return _respond(
        graph, out, f"path-{_slug(a)}-{_slug(b)}", {"paths": [p.as_json() for p in paths]}
    )


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if value < low:
        raise HTTPException(400, f"{name} must be at least {low}: {value}")
    if value > high:
        raise HTTPException(422, f"{name} must be at most {high} (request too large): {value}")


def _http_error(error: ShezhireError) -> HTTPException:
    if isinstance(error, NetworkError):
        return HTTPException(error.status, str(error))
    return HTTPException(503, f"the network is not available: {error}")
