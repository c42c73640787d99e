"""The manifest graph: which build a remote store holds, when it was built, quads per graph.

`shezhire publish` rewrites it in the same update request that switches the graphs, so it
always names the build the remote serves; the server reads it to know what it serves.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pyoxigraph as ox

from shezhire.backend.remote import RemoteStore

MANIFEST_GRAPH = "https://w3id.org/shezhire/manifest"
DCT = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"


@dataclass(frozen=True)
class Manifest:
    """What the manifest graph of a remote store says of the build it holds."""

    build_id: str
    built: float
    graphs: dict[str, int]

    @property
    def triples(self) -> int:
        return sum(self.graphs.values())


def read_manifest(query_url: str, client: httpx.Client | None = None) -> Manifest | None:
    """The remote's manifest, or None when it has none (nothing published yet)."""
    store = RemoteStore(query_url, graphs=[MANIFEST_GRAPH], client=client)
    try:
        solutions = store.query(
            f"SELECT ?build ?built ?graph ?n WHERE {{ GRAPH <{MANIFEST_GRAPH}> {{ "
            f"<{MANIFEST_GRAPH}> <{DCT}identifier> ?build ; <{DCT}issued> ?built . "
            f"OPTIONAL {{ <{MANIFEST_GRAPH}> <{DCT}hasPart> ?graph . ?graph <{VOID}triples> ?n }} "
            "} }"
        )
    finally:
        store.close()
    assert isinstance(solutions, ox.QuerySolutions)
    build_id, built, graphs = None, 0.0, {}
    for row in solutions:
        build, issued, graph, n = row["build"], row["built"], row["graph"], row["n"]
        if isinstance(build, ox.Literal) and isinstance(issued, ox.Literal):
            build_id = build.value
            built = float(issued.value)
        if isinstance(graph, ox.NamedNode) and isinstance(n, ox.Literal):
            graphs[graph.value] = int(n.value)
    if build_id is None:
        return None
    return Manifest(build_id, built, dict(sorted(graphs.items())))
