"""The routes' ego networks and paths, read from the store around the persons
(``shezhire.network.local``), against the whole-graph implementation (``build_network`` +
``filter_network`` + ``ego_network`` / ``find_paths``, kept as the reference) on the real data.

Compared: every node with its attributes, every tie with its attributes and evidence, the
graph attributes (but ``built_at``/``build_seconds``: when and how long the answer read the
store), the paths with their steps, ties and citations, in order.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pyoxigraph as ox
import pytest
from network_support import P

from shezhire.network import (
    NetworkFilter,
    TooLargeError,
    UnknownPersonError,
    ego_network,
    filter_network,
    find_paths,
    local,
    paths_subgraph,
)

FILTERS = [
    NetworkFilter(),
    NetworkFilter(kinds=("social",)),
    NetworkFilter(kinds=("kin",), min_certainty="probable"),
    NetworkFilter(institutions=True),
    NetworkFilter(sources=("work:bolatkhan-2023",)),
    NetworkFilter(since="1950", until="1960"),
]
NAMED = [
    P + "petr-vasilievich-khomutnikov",
    P + "aduchi",
    P + "tseden",
    P + "mergen",
    P + "sanji-kalyaev",
    P + "oka-ivanovich-gorodovikov",
    P + "vasilii-alekseevich-khomutnikov",
]
PAIRS = [
    (P + "aduchi", P + "vasilii-alekseevich-khomutnikov"),
    (P + "tseden", P + "oka-ivanovich-gorodovikov"),
    (P + "sanji-kalyaev", P + "tseren-dorzhi-nominkhanov"),
    (P + "mergen", P + "tseden"),
]


@pytest.fixture(scope="module")
def store(store_path: Path) -> Iterator[ox.Store]:
    opened = ox.Store.read_only(str(store_path.resolve()))
    yield opened
    del opened


@pytest.fixture(scope="module")
def warmed(store: ox.Store) -> local.ReadCache:
    return local.warm(store, local.ReadCache())


@pytest.fixture(scope="module")
def views(network: nx.MultiDiGraph) -> dict[NetworkFilter, nx.MultiDiGraph]:
    return {f: filter_network(network, f) for f in FILTERS}


def content(graph: nx.MultiDiGraph) -> tuple[Any, ...]:
    nodes = dict(graph.nodes(data=True))
    edges = {(u, v, k): d for u, v, k, d in graph.edges(keys=True, data=True)}
    attrs = {k: v for k, v in graph.graph.items() if k not in ("built_at", "build_seconds")}
    return nodes, edges, attrs, list(graph.graph)


def reference_ego(
    network: nx.MultiDiGraph, view: nx.MultiDiGraph, person: str, hops: int, f: NetworkFilter
) -> nx.MultiDiGraph:
    """What /network/ego answered from the whole graph."""
    if person in view:
        graph = ego_network(view, person, hops, f)
    else:
        graph = nx.MultiDiGraph()
        graph.add_node(person, **network.nodes[person], distance=0)
        graph.graph.update(network.graph, center=person, hops=hops)
    graph.graph["filters"] = f.as_params()
    return graph


def persons(network: nx.MultiDiGraph) -> list[str]:
    return sorted(n for n, kind in network.nodes(data="kind") if kind == "person")


def test_ego_of_every_person_is_the_whole_graph_answer(network, views, store, warmed):
    view = views[NetworkFilter()]
    for person, hops in itertools.product(persons(network), (1, 2)):
        expected = content(reference_ego(network, view, person, hops, NetworkFilter()))
        for cache in (None, warmed):  # cold: read from the store; warm: from the cache
            got = local.ego(store, person, hops, cache=cache, description=network.graph["source"])
            got.graph["filters"] = NetworkFilter().as_params()
            assert content(got) == expected, (person, hops, cache)


def test_ego_under_every_filter_is_the_whole_graph_answer(network, views, store, warmed):
    chosen = NAMED + random.Random(11).sample(persons(network), 20)
    for person, hops, f in itertools.product(chosen, (0, 1, 2, 3), FILTERS):
        expected = content(reference_ego(network, views[f], person, hops, f))
        got = local.ego(store, person, hops, f, cache=warmed, description=network.graph["source"])
        got.graph["filters"] = f.as_params()
        assert content(got) == expected, (person, hops, f)
    cold = local.ego(
        store, NAMED[0], 2, FILTERS[3], description=network.graph["source"]
    )  # the institution layer, not cached
    assert (
        content(cold)[:2]
        == content(reference_ego(network, views[FILTERS[3]], NAMED[0], 2, FILTERS[3]))[:2]
    )


def _answer(paths: list[Any], view: nx.MultiDiGraph) -> tuple[Any, ...]:
    return [p.as_json() for p in paths], content(paths_subgraph(view, paths))[:2]


def _pairs(network: nx.MultiDiGraph) -> list[tuple[str, str]]:
    rng = random.Random(5)
    everyone = persons(network)
    return PAIRS + [(rng.choice(NAMED), rng.choice(everyone)) for _ in range(25)]


def test_all_paths_are_the_whole_graph_answer(network, views, store, warmed):
    for (a, b), length, f in itertools.product(_pairs(network), (2, 4, 6), FILTERS[:4]):
        view = views[f]
        try:
            expected: Any = _answer(
                find_paths(view, a, b, length, filters=f) if a in view and b in view else [],
                view,
            )
        except TooLargeError:
            expected = "too large"
        try:
            found = local.paths(
                store, a, b, length, filters=f, cache=warmed, description=network.graph["source"]
            )
            got: Any = _answer(found.paths, found.view)
        except TooLargeError:
            got = "too large"
        assert got == expected, (a, b, length, f)


def test_k_shortest_paths_are_the_whole_graph_answer_but_for_ties_at_the_kth_length(
    network, views, store, warmed
):
    """Among several paths of the k-th length the whole-graph search took the ones Yen's
    algorithm met first; the routes take the first in the answer's order (labels)."""
    ties = 0
    for (a, b), length, k, f in itertools.product(_pairs(network), (2, 4, 6), (1, 3), FILTERS[:4]):
        view = views[f]
        expected = find_paths(view, a, b, length, k=k, filters=f) if a in view and b in view else []
        found = local.paths(
            store, a, b, length, k=k, filters=f, cache=warmed, description=network.graph["source"]
        )
        if [p.length for p in found.paths] != [p.length for p in expected]:
            pytest.fail(f"lengths differ: {(a, b, length, k, f)}")
        if _answer(found.paths, found.view) == _answer(expected, view):
            continue
        ties += 1
        # a tie at the k-th length: the answer is the first k of every path up to that length
        cutoff = expected[-1].length
        every = find_paths(view, a, b, cutoff, filters=f, limit=10**6)
        every.sort(key=lambda p: (p.length, p.labels, p.nodes))
        assert [p.as_json() for p in found.paths] == [p.as_json() for p in every[:k]]
        assert len([p for p in every if p.length == cutoff]) > len(
            [p for p in expected if p.length == cutoff]
        )
    assert ties < 40


def test_unknown_persons_and_bad_parameters(store):
    with pytest.raises(UnknownPersonError):
        local.ego(store, "person:nobody-at-all")
    with pytest.raises(UnknownPersonError):
        local.paths(store, "person:aduchi", "https://example.org/x")
    with pytest.raises(TooLargeError):
        local.paths(store, "person:aduchi", "person:vasilii-alekseevich-khomutnikov", 4, limit=2)
