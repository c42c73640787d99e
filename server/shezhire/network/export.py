"""Exports: node-link JSON (d3, networkx), cytoscape.js elements, GraphML, GEXF, CSV.

GraphML and GEXF attributes are scalars, so the list-valued edge attributes
(``citations``: a list of citation objects, ``sources``: publication IRIs) are written as
JSON strings there and in CSV; :func:`decode` (and the ``read_*`` helpers) turn them back
into lists. Node-link JSON keeps them as JSON arrays. Missing values are ``""`` everywhere,
so every edge has every attribute in every format.

GEXF reserves the edge attribute ``type`` (directed/undirected), so the tie type is written
there as ``tie_type`` (:data:`GEXF_EDGE_RENAMES`); :func:`read_gexf` renames it back.

Loading back elsewhere: ``networkx.read_graphml(p, force_multigraph=True)``,
``networkx.read_gexf(p)``, ``networkx.node_link_graph(d, edges="links")``,
``igraph.Graph.Read_GraphML(p)``; then ``json.loads`` the ``citations`` and ``sources``
attributes.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import networkx as nx

from shezhire.network.model import EDGE_LIST_ATTRS, EDGE_STRING_ATTRS, NODE_ATTRS

FORMATS = ("json", "cytoscape", "graphml", "gexf", "csv")
MEDIA_TYPES = {
    "json": "application/json",
    "cytoscape": "application/vnd.cytoscape+json",
    "graphml": "application/graphml+xml",
    "gexf": "application/gexf+xml",
    "csv": "text/csv",
}
EXTENSIONS = {
    "json": "json",
    "cytoscape": "cyjs",
    "graphml": "graphml",
    "gexf": "gexf",
    "csv": "csv",
}
#: CSV columns: the edge, its two ends' labels, then every edge attribute.
CSV_COLUMNS = [
    "source",
    "target",
    "source_label",
    "target_label",
    "key",
    *EDGE_STRING_ATTRS,
    *EDGE_LIST_ATTRS,
]

_GRAPH_SCALARS = (str, int, float, bool)
#: Edge attributes renamed in GEXF, where these names are reserved XML attributes.
GEXF_EDGE_RENAMES = {"type": "tie_type"}


def _scalar_graph_attrs(graph: nx.MultiDiGraph) -> dict[str, Any]:
    return {
        k: v if isinstance(v, _GRAPH_SCALARS) else json.dumps(v, ensure_ascii=False)
        for k, v in graph.graph.items()
        if v is not None
    }


def flatten(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy whose list-valued attributes are JSON strings (for GraphML, GEXF, CSV)."""
    flat = nx.MultiDiGraph()
    flat.graph.update(_scalar_graph_attrs(graph))
    for node, attrs in graph.nodes(data=True):
        flat.add_node(
            node,
            **{
                k: v if isinstance(v, _GRAPH_SCALARS) else json.dumps(v, ensure_ascii=False)
                for k, v in attrs.items()
                if v is not None
            },
        )
    for u, v, key, attrs in graph.edges(keys=True, data=True):
        flat.add_edge(
            u,
            v,
            key=key,
            **{
                k: json.dumps(val, ensure_ascii=False)
                if k in EDGE_LIST_ATTRS
                else ("" if val is None else val)
                for k, val in attrs.items()
            },
        )
    return flat


def decode(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """In place: JSON strings of list-valued edge attributes back to lists; drops the
    ``id`` attribute GEXF readers add. Returns the graph."""
    for _u, _v, attrs in graph.edges(data=True):
        attrs.pop("id", None)
        for name in EDGE_LIST_ATTRS:
            value = attrs.get(name)
            if isinstance(value, str):
                attrs[name] = json.loads(value) if value else []
    return graph


def node_link(graph: nx.MultiDiGraph) -> dict[str, Any]:
    """``{"directed", "multigraph", "graph", "nodes": [{"id", ...}], "links": [{"source",
    "target", "key", ...}]}``: what d3 and ``networkx.node_link_graph(d, edges="links")``
    read."""
    data: dict[str, Any] = nx.node_link_data(graph, edges="links")
    data["graph"] = dict(graph.graph)
    return data


def cytoscape(graph: nx.MultiDiGraph) -> dict[str, Any]:
    """cytoscape.js ``{"elements": {"nodes": [{"data": {...}}], "edges": [...]}}``;
    edge ids are the edge keys (the tie IRIs)."""
    nodes = [{"data": {"id": n, **attrs}} for n, attrs in graph.nodes(data=True)]
    edges = [
        {"data": {"id": key, "source": u, "target": v, **attrs}}
        for u, v, key, attrs in graph.edges(keys=True, data=True)
    ]
    return {"data": dict(graph.graph), "elements": {"nodes": nodes, "edges": edges}}


def _csv_text(graph: nx.MultiDiGraph) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for u, v, key, attrs in graph.edges(keys=True, data=True):
        row = {name: attrs.get(name, "") for name in EDGE_STRING_ATTRS}
        for name in EDGE_LIST_ATTRS:
            row[name] = json.dumps(attrs.get(name, []), ensure_ascii=False)
        row.update(
            source=u,
            target=v,
            key=key,
            source_label=graph.nodes[u].get("label", ""),
            target_label=graph.nodes[v].get("label", ""),
        )
        writer.writerow(row)
    return out.getvalue()


def to_bytes(graph: nx.MultiDiGraph, fmt: str, *, extra: dict[str, Any] | None = None) -> bytes:
    """The graph in one of :data:`FORMATS`; ``extra`` top-level keys go into the JSON ones
    (``paths`` for the path route)."""
    if fmt == "json":
        return json.dumps({**node_link(graph), **(extra or {})}, ensure_ascii=False).encode()
    if fmt == "cytoscape":
        return json.dumps({**cytoscape(graph), **(extra or {})}, ensure_ascii=False).encode()
    if fmt == "graphml":
        return "\n".join(nx.generate_graphml(flatten(graph))).encode()
    if fmt == "gexf":
        flat = flatten(graph)
        for _u, _v, attrs in flat.edges(data=True):
            for name, renamed in GEXF_EDGE_RENAMES.items():
                if name in attrs:
                    attrs[renamed] = attrs.pop(name)
        return "\n".join(nx.generate_gexf(flat)).encode()
    if fmt == "csv":
        return _csv_text(graph).encode()
    raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")


def write(graph: nx.MultiDiGraph, fmt: str, path: Path) -> None:
    path.write_bytes(to_bytes(graph, fmt))


# ---- reading back (for the tests and for notebooks that load an export) ----


def read_graphml(path: Path | str) -> nx.MultiDiGraph:
    return decode(nx.read_graphml(str(path), force_multigraph=True))


def read_gexf(path: Path | str) -> nx.MultiDiGraph:
    graph: nx.MultiDiGraph = nx.read_gexf(str(path))
    for _u, _v, attrs in graph.edges(data=True):
        for name, renamed in GEXF_EDGE_RENAMES.items():
            if renamed in attrs:
                attrs[name] = attrs.pop(renamed)
    return decode(graph)


def read_node_link(path: Path | str) -> nx.MultiDiGraph:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    graph: nx.MultiDiGraph = nx.node_link_graph(data, edges="links")
    return graph


def read_csv(path: Path | str) -> nx.MultiDiGraph:
    """An edge list CSV back to a graph (node labels from the label columns)."""
    graph = nx.MultiDiGraph()
    with Path(path).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            for end, label in (
                (row["source"], row["source_label"]),
                (row["target"], row["target_label"]),
            ):
                if end not in graph:
                    graph.add_node(end, label=label)
            attrs: dict[str, Any] = {name: row[name] for name in EDGE_STRING_ATTRS}
            for name in EDGE_LIST_ATTRS:
                attrs[name] = json.loads(row[name]) if row[name] else []
            graph.add_edge(row["source"], row["target"], key=row["key"], **attrs)
    return graph


__all__ = [
    "CSV_COLUMNS",
    "EXTENSIONS",
    "FORMATS",
    "GEXF_EDGE_RENAMES",
    "MEDIA_TYPES",
    "NODE_ATTRS",
    "cytoscape",
    "decode",
    "flatten",
    "node_link",
    "read_csv",
    "read_gexf",
    "read_graphml",
    "read_node_link",
    "to_bytes",
    "write",
]
