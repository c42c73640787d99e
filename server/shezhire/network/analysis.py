"""Ego networks, explained paths ("relational search"), components and centrality.

Every analysis takes the full graph of :func:`~shezhire.network.build.build_network` and a
:class:`~shezhire.network.model.NetworkFilter`; ``filters=None`` means ``NetworkFilter()``:
every person-to-person tie, without the institution/place layer. Direction is ignored.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from shezhire.network.build import filter_network
from shezhire.network.model import (
    NetworkError,
    NetworkFilter,
    TooLargeError,
    UnknownPersonError,
    expand,
)

#: Limits the HTTP routes enforce (the Python API enforces MAX_PATHS only).
MAX_HOPS = 4
MAX_PATH_LENGTH = 6
MAX_K = 100
MAX_PATHS = 1000


def resolve_person(graph: nx.MultiDiGraph, ref: str) -> str:
    """The node id of a person given as IRI, ``person:slug`` or ``slug``."""
    iri = expand(ref, "person")
    if iri not in graph:
        raise UnknownPersonError(f"no person {iri} in the network")
    return iri


def _view(graph: nx.MultiDiGraph, filters: NetworkFilter | None) -> nx.MultiDiGraph:
    """The graph under the filter; a graph already filtered with it is used as it is."""
    filters = filters or NetworkFilter()
    if graph.graph.get("filters") == filters.as_params():
        return graph
    return filter_network(graph, filters)


def _undirected(graph: nx.MultiDiGraph) -> nx.MultiGraph:
    return graph.to_undirected(as_view=True)


def ego_network(
    graph: nx.MultiDiGraph,
    person: str,
    hops: int = 2,
    filters: NetworkFilter | None = None,
) -> nx.MultiDiGraph:
    """Everyone within ``hops`` ties of ``person`` (ignoring direction), with every tie
    among them. Node attribute ``distance`` is the number of hops from the person."""
    center = resolve_person(graph, person)
    if hops < 0:
        raise NetworkError("hops must be 0 or more")
    view = _view(graph, filters)
    if center not in view:
        view = view.copy()
        view.add_node(center, **graph.nodes[center])
    distances = nx.single_source_shortest_path_length(_undirected(view), center, cutoff=hops)
    ego = view.subgraph(distances).copy()
    for node, distance in distances.items():
        ego.nodes[node]["distance"] = distance
    ego.graph.update(center=center, hops=hops)
    return ego


def _edge_view(graph: nx.MultiDiGraph, a: str, b: str) -> list[dict[str, Any]]:
    """Every tie between a and b, either direction, each with its key and direction."""
    ties: list[dict[str, Any]] = []
    for u, v in ((a, b), (b, a)) if a != b else ((a, b),):
        for key, data in (graph.get_edge_data(u, v) or {}).items():
            ties.append({"key": key, "source": u, "target": v, **data})
    return sorted(ties, key=lambda t: (t["kind"], t["type"], t["key"]))


def _cite(citation: dict[str, Any]) -> str:
    parts = [citation.get("publication_label") or citation.get("publication") or "?"]
    if citation.get("footnote"):
        parts.append(f"fn. {citation['footnote']}")
    if citation.get("page"):
        parts.append(f"p. {citation['page']}")
    if citation.get("section") and not citation.get("footnote"):
        parts.append(f"§ “{citation['section']}”")
    text = ", ".join(parts)
    for ref in citation.get("archival_references", []):
        text += f" [{ref.get('printed_citation') or ref.get('reference')}]"
    if citation.get("quote"):
        text += f": “{citation['quote']}”"
    return text


@dataclass
class Step:
    """One step of a path: the ties (one or several) between two consecutive persons."""

    source: str
    target: str
    source_label: str
    target_label: str
    ties: list[dict[str, Any]]

    def explain(self) -> str:
        lines = [f"{self.source_label} — {self.target_label}"]
        for tie in self.ties:
            lines.append(
                f"  {tie['label'] or tie['type']} "
                f"[{tie['kind']}: {tie['type']}; {tie['mode'] or '?'}, {tie['certainty'] or '?'}"
                + (f"; {tie['date']}" if tie.get("date") else "")
                + "]"
            )
            lines += [f"    {_cite(c)}" for c in tie["citations"]]
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "source_label": self.source_label,
            "target_label": self.target_label,
            "ties": self.ties,
        }


@dataclass
class Path:
    """A chain of persons, each step explained by its evidence."""

    nodes: list[str]
    labels: list[str]
    steps: list[Step] = field(default_factory=list)

    @property
    def length(self) -> int:
        return len(self.nodes) - 1

    def explain(self) -> str:
        head = " → ".join(self.labels) + f"  ({self.length} step{'s' * (self.length != 1)})"
        return "\n".join([head, *(step.explain() for step in self.steps)])

    def as_json(self) -> dict[str, Any]:
        return {
            "nodes": self.nodes,
            "labels": self.labels,
            "length": self.length,
            "steps": [s.as_json() for s in self.steps],
        }


def _explain_path(graph: nx.MultiDiGraph, nodes: list[str]) -> Path:
    labels = [str(graph.nodes[n].get("label") or n) for n in nodes]
    steps = [
        Step(a, b, labels[i], labels[i + 1], _edge_view(graph, a, b))
        for i, (a, b) in enumerate(itertools.pairwise(nodes))
    ]
    return Path(nodes, labels, steps)


def find_paths(
    graph: nx.MultiDiGraph,
    source: str,
    target: str,
    max_length: int = 4,
    *,
    k: int | None = None,
    filters: NetworkFilter | None = None,
    limit: int = MAX_PATHS,
) -> list[Path]:
    """Paths between two persons of at most ``max_length`` ties, direction ignored.

    ``k=None``: all simple paths, shortest first (raises :class:`TooLargeError` past
    ``limit``); ``k=n``: the n shortest simple paths. Several ties between the same two
    persons make one step that lists them all.
    """
    a = resolve_person(graph, source)
    b = resolve_person(graph, target)
    if max_length < 1:
        raise NetworkError("the maximum path length must be 1 or more")
    if k is not None and k < 1:
        raise NetworkError("k must be 1 or more")
    view = _view(graph, filters)
    if a not in view or b not in view or a == b:
        return []
    simple = nx.Graph(_undirected(view))
    found: list[list[str]] = []
    if k is not None:
        try:
            for nodes in nx.shortest_simple_paths(simple, a, b):
                if len(nodes) - 1 > max_length or len(found) >= k:
                    break
                found.append(nodes)
        except nx.NetworkXNoPath:
            return []
    else:
        for nodes in nx.all_simple_paths(simple, a, b, cutoff=max_length):
            found.append(nodes)
            if len(found) > limit:
                raise TooLargeError(
                    f"more than {limit} paths of up to {max_length} steps; "
                    "lower the maximum length or ask for the k shortest"
                )

    def order(nodes: list[str]) -> tuple[int, list[str]]:
        return len(nodes), [str(view.nodes[n].get("label", n)) for n in nodes]

    found.sort(key=order)
    return [_explain_path(view, nodes) for nodes in found]


def paths_subgraph(graph: nx.MultiDiGraph, paths: list[Path]) -> nx.MultiDiGraph:
    """The persons on the paths and the ties of their steps (for drawing and exporting)."""
    sub = nx.MultiDiGraph()
    sub.graph.update(graph.graph)
    for path in paths:
        for node in path.nodes:
            if node not in sub:
                sub.add_node(node, **graph.nodes[node])
        for step in path.steps:
            for tie in step.ties:
                data = {k: v for k, v in tie.items() if k not in ("key", "source", "target")}
                sub.add_edge(tie["source"], tie["target"], key=tie["key"], **data)
    return sub


def components(graph: nx.MultiDiGraph, filters: NetworkFilter | None = None) -> list[set[str]]:
    """Connected components (direction ignored), largest first."""
    view = _view(graph, filters)
    found = [set(c) for c in nx.connected_components(_undirected(view))]
    return sorted(found, key=lambda c: (-len(c), min(c)))


def centrality(
    graph: nx.MultiDiGraph, filters: NetworkFilter | None = None, *, top: int | None = None
) -> list[dict[str, Any]]:
    """Per node: ties (edges, multi-ties counted), neighbours, degree and betweenness
    centrality (normalized, on the simple undirected graph); sorted by betweenness, then
    degree."""
    view = _view(graph, filters)
    simple = nx.Graph(_undirected(view))
    degree = nx.degree_centrality(simple) if len(simple) > 1 else dict.fromkeys(simple, 0.0)
    betweenness = nx.betweenness_centrality(simple, normalized=True)
    rows = [
        {
            "node": node,
            "label": view.nodes[node].get("label", node),
            "kind": view.nodes[node].get("kind", ""),
            "ties": view.degree(node),
            "neighbours": simple.degree(node),
            "degree": round(degree[node], 6),
            "betweenness": round(betweenness[node], 6),
        }
        for node in simple
    ]
    rows.sort(key=lambda r: (-r["betweenness"], -r["degree"], r["label"]))
    return rows[:top] if top is not None else rows


def format_table(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    """A plain-text table (for notebooks and the terminal; no pandas needed)."""
    if not rows:
        return "(empty)"
    columns = columns or [c for c in rows[0] if c != "node"]
    cells = [[str(r.get(c, "")) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(out)
