"""Build the networkx graph from SPARQL rows, and filter it.

The full graph is an ``nx.MultiDiGraph``: one node per person, institution or place (IRI as
node id), one edge per tie ``subject -> object`` with the tie IRI as edge key, so that two
ties between the same pair (a guarantee and an acquaintance) stay two edges and the reading
"subject is *type* of object" survives every export. Analyses use the undirected view.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import networkx as nx
import pyoxigraph as ox

from shezhire.network import queries
from shezhire.network.model import (
    EDGE_STRING_ATTRS,
    LAYER_KINDS,
    NODE_KINDS,
    NetworkFilter,
    local_name,
)
from shezhire.network.source import Row, SparqlSource, open_source

Edge = dict[str, Any]


def _citations(rows: list[Row]) -> dict[str, list[dict[str, Any]]]:
    """fact IRI -> its citations, each with its archival references, in a stable order."""
    by_fact: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in rows:
        fact, cid = row["fact"], row["citation"]
        citation = by_fact[fact].get(cid)
        if citation is None:
            citation = {
                "publication": row.get("publication", ""),
                "publication_label": row.get("publicationLabel", ""),
                "footnote": row.get("footnote", ""),
                "page": row.get("page", ""),
                "section": row.get("section", ""),
                "quote": row.get("quote", ""),
                "archival_references": [],
            }
            by_fact[fact][cid] = citation
        for name, key in (("footnote", "footnote"), ("page", "page"), ("quote", "quote")):
            # several values of one locator: keep them all, joined (rare: misprints)
            value = row.get(key, "")
            if value and value not in str(citation[name]).split(" | "):
                citation[name] = f"{citation[name]} | {value}" if citation[name] else value
        reference = row.get("reference")
        if reference and all(r["reference"] != reference for r in citation["archival_references"]):
            citation["archival_references"].append(
                {
                    "reference": reference,
                    "printed_citation": row.get("printed", ""),
                    "item": row.get("item", ""),
                    "item_label": row.get("itemLabel", ""),
                    "folios": row.get("folios", ""),
                }
            )
    result: dict[str, list[dict[str, Any]]] = {}
    for fact, citations in by_fact.items():
        ordered = sorted(
            citations.values(),
            key=lambda c: (c["publication"], _num(c["footnote"]), c["page"], c["quote"]),
        )
        for citation in ordered:
            citation["archival_references"].sort(key=lambda r: r["reference"])
        result[fact] = ordered
    return result


def _num(text: str) -> tuple[int, str]:
    head = text.split(" | ", maxsplit=1)[0]
    return (int(head), text) if head.isdigit() else (1 << 30, text)


def _edges(rows: list[Row], citations: dict[str, list[dict[str, Any]]]) -> list[Edge]:
    edges: dict[tuple[str, str, str], Edge] = {}
    for row in rows:
        fact = row["fact"]
        key = (fact, row["subject"], row["object"])
        edge = edges.get(key)
        if edge is None:
            kind = row["kind"]
            # An event touches several persons and places: one edge each, keyed uniquely.
            tie_key = (
                fact
                if kind not in ("event-place",)
                else (f"{fact}#{local_name(row['subject'])}@{local_name(row['object'])}")
            )
            edge = dict.fromkeys(EDGE_STRING_ATTRS, "")
            edge.update(
                key=tie_key,
                tie=fact,
                kind=kind,
                type_iri=row.get("type", ""),
                type=local_name(row.get("type", "")),
                type_label=row.get("typeLabel", ""),
                subject=row["subject"],
                object=row["object"],
                label=row.get("label", ""),
                mode=local_name(row.get("mode", "")),
                certainty=local_name(row.get("certainty", "")),
                date=row.get("date", ""),
                earliest=row.get("earliest", ""),
                latest=row.get("latest", ""),
                comment=row.get("comment", ""),
            )
            cited = citations.get(fact, [])
            edge["citations"] = cited
            edge["sources"] = sorted({c["publication"] for c in cited if c["publication"]})
            edges[key] = edge
        else:
            # Several dates or comments on one fact: widest interval, comments joined.
            for name, pick in (("earliest", min), ("latest", max)):
                value = row.get(name, "")
                if value:
                    edge[name] = pick(edge[name], value) if edge[name] else value
            comment = row.get("comment", "")
            if comment and comment not in edge["comment"]:
                edge["comment"] = f"{edge['comment']} | {comment}" if edge["comment"] else comment
    return sorted(edges.values(), key=lambda e: (e["key"], e["subject"], e["object"]))


def build_network(
    source: SparqlSource | ox.Store | Path | str,
    *,
    isolates: bool = False,
) -> nx.MultiDiGraph:
    """The full network (persons, institutions, places; every tie) from a store or endpoint.

    ``source``: a :class:`~shezhire.network.source.SparqlSource`, an ``ox.Store``, the path
    of a built store, or an ``http(s)://`` SPARQL endpoint URL. With ``isolates`` persons
    without any tie are nodes too. Apply :func:`filter_network` for a view.
    Graph attributes: ``source`` (where it came from), ``built_at``, ``build_seconds``.
    """
    started = time.perf_counter()
    src = open_source(source)
    node_rows = src.select(queries.NODES)
    tie_rows = src.select(queries.TIES)
    layer_rows = src.select(queries.AFFILIATIONS)
    citation_rows = src.select(queries.CITATIONS)
    citations = _citations(citation_rows)

    nodes: dict[str, dict[str, Any]] = {}
    for row in node_rows:
        node = row["node"]
        kind = row["nodeKind"]
        attrs = nodes.setdefault(
            node,
            {"label": "", "kind": kind, "pseudonym": False, "unnamed": False, "bipartite": 0},
        )
        # a node that is a person and something else is a person
        if NODE_KINDS.index(kind) < NODE_KINDS.index(str(attrs["kind"])):
            attrs["kind"] = kind
        attrs["bipartite"] = 0 if attrs["kind"] == "person" else 1
        if row.get("label") and not attrs["label"]:
            attrs["label"] = row["label"]
        if row.get("pseudonym") == "true":
            attrs["pseudonym"] = True
        if row.get("unnamed") in ("true", "1"):
            attrs["unnamed"] = True

    graph = nx.MultiDiGraph()
    for edge in _edges(tie_rows + layer_rows, citations):
        for end in (edge["subject"], edge["object"]):
            if end not in graph:
                attrs = nodes.get(end) or {
                    "label": "",
                    "kind": "person" if edge["kind"] not in LAYER_KINDS else "place",
                    "pseudonym": False,
                    "unnamed": False,
                    "bipartite": 0,
                }
                graph.add_node(end, **{**attrs, "label": attrs["label"] or local_name(end)})
        key = edge.pop("key")
        graph.add_edge(edge["subject"], edge["object"], key=key, **edge)
    if isolates:
        for node, attrs in nodes.items():
            if attrs["kind"] == "person" and node not in graph:
                graph.add_node(node, **{**attrs, "label": attrs["label"] or local_name(node)})
    graph.graph.update(
        source=src.describe(),
        built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        build_seconds=round(time.perf_counter() - started, 4),
    )
    return graph


def filter_network(graph: nx.MultiDiGraph, filters: NetworkFilter | None) -> nx.MultiDiGraph:
    """A copy with only the edges the filter keeps.

    Nodes of a kind the filter excludes go; nodes that lose all their edges go; nodes that
    had no edge in ``graph`` (isolates) stay.
    """
    filters = filters or NetworkFilter()
    kept = nx.MultiDiGraph()
    kept.graph.update(graph.graph)
    kept.graph["filters"] = filters.as_params()
    for u, v, key, data in graph.edges(keys=True, data=True):
        if filters.keeps(data) and all(
            filters.keeps_node_kind(graph.nodes[n]["kind"]) for n in (u, v)
        ):
            for n in (u, v):
                if n not in kept:
                    kept.add_node(n, **graph.nodes[n])
            kept.add_edge(u, v, key=key, **data)
    for node, attrs in graph.nodes(data=True):
        if graph.degree(node) == 0 and filters.keeps_node_kind(attrs["kind"]):
            kept.add_node(node, **attrs)
    return kept
