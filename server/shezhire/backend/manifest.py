"""The manifest graph: which build a remote store serves, and where each of its graphs is kept.

A build is published into graphs of its own (:data:`BUILD_PREFIX` ``<build>/<n>``, "stored
graphs"), each a version of one published graph (``dct:isVersionOf``): the published IRIs never
change, and no quad is ever moved. The manifest graph (:data:`MANIFEST_GRAPH`) describes every
build the remote holds (``<BUILD_PREFIX><build>``: identifier, time, triples, stored graphs) and
names the one served with a single triple, ``<manifest> shzm:serves <build>``: switching builds
rewrites that triple and nothing else (`shezhire publish`).

A build may also have a union graph (``<build>/union``, ``shzm:union``): every triple of the
build once. Readers ask for the served build's graphs by name, so they see one build whole,
whatever the engine's isolation: a build being written, or one retired, is in graphs they never
name. The default graph of a read is the union graph when the build has one, else the stored
graphs listed (``default-graph-uri``), whose default graph keeps a triple once per graph that
holds it, as the embedded store's union does. `shezhire publish` writes a union graph for
engines that need one (measured at x1: over the 27 listed graphs Oxigraph's server took 16.6 s
for competency query 14, over one union graph 0.85 s, as over its own union default graph;
Virtuoso answers a listed default graph as fast, and refused some queries over the union graph
by its cost estimate, 776 s estimated for a query that ran in 0.07 s).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
import pyoxigraph as ox

from shezhire.backend.remote import RemoteError, RemoteStore

MANIFEST_GRAPH = "https://w3id.org/shezhire/manifest"
BUILD_PREFIX = "https://w3id.org/shezhire/build/"
SERVES = "https://w3id.org/shezhire/manifest#serves"
UNION = "https://w3id.org/shezhire/manifest#union"
ENGINE = "https://w3id.org/shezhire/manifest#engine"
DCT = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"
XSD = "http://www.w3.org/2001/XMLSchema#"
# A reader that catches the switch between its two halves (Virtuoso does not isolate them)
# sees no served build or two; it asks again this many times, this long apart.
READ_ATTEMPTS = 20
READ_PAUSE_S = 0.05


class ManifestError(RemoteError):
    """The manifest could not be read."""


@dataclass(frozen=True)
class Manifest:
    """One build as the manifest graph describes it."""

    build_id: str
    built: float
    #: published graph IRI -> triples
    graphs: dict[str, int]
    #: published graph IRI -> the stored graph that holds it in this build
    stored: dict[str, str]
    #: the triples of the union graph (each triple of the build once); None: no union graph
    distinct_triples: int | None
    #: the engine's ``Server`` header when the build was published (backend.engines)
    engine: str = ""

    @property
    def union(self) -> str | None:
        return union_graph(self.build_id) if self.distinct_triples is not None else None

    @property
    def triples(self) -> int:
        return sum(self.graphs.values())

    @property
    def node(self) -> str:
        return build_node(self.build_id)


def build_node(build_id: str) -> str:
    return BUILD_PREFIX + build_id


def stored_graph(build_id: str, number: int) -> str:
    return f"{BUILD_PREFIX}{build_id}/{number}"


def union_graph(build_id: str) -> str:
    return f"{BUILD_PREFIX}{build_id}/union"


def describe(manifest: Manifest) -> list[ox.Triple]:
    """The triples that describe ``manifest``'s build (not whether it is served)."""
    node = ox.NamedNode(manifest.node)
    triples = [
        ox.Triple(node, ox.NamedNode(DCT + "identifier"), ox.Literal(manifest.build_id)),
        ox.Triple(
            node,
            ox.NamedNode(DCT + "issued"),
            ox.Literal(repr(manifest.built), datatype=ox.NamedNode(XSD + "double")),
        ),
        ox.Triple(node, ox.NamedNode(VOID + "triples"), _integer(manifest.triples)),
        ox.Triple(node, ox.NamedNode(ENGINE), ox.Literal(manifest.engine)),
    ]
    if manifest.union is not None and manifest.distinct_triples is not None:
        union = ox.NamedNode(manifest.union)
        triples.append(ox.Triple(node, ox.NamedNode(UNION), union))
        triples.append(
            ox.Triple(union, ox.NamedNode(VOID + "triples"), _integer(manifest.distinct_triples))
        )
    for published, count in manifest.graphs.items():
        stored = ox.NamedNode(manifest.stored[published])
        triples += [
            ox.Triple(node, ox.NamedNode(DCT + "hasPart"), stored),
            ox.Triple(stored, ox.NamedNode(DCT + "isVersionOf"), ox.NamedNode(published)),
            ox.Triple(stored, ox.NamedNode(VOID + "triples"), _integer(count)),
        ]
    return triples


def _integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))


def read_manifest(query_url: str, client: httpx.Client | None = None) -> Manifest | None:
    """The build the remote serves, or None when it serves none (nothing published yet)."""
    for _ in range(READ_ATTEMPTS):
        served = _served(query_url, client)
        if len(served) == 1:
            return served[0]
        if not served and not _has_manifest(query_url, client):
            return None
        time.sleep(READ_PAUSE_S)  # between the two halves of a switch
    raise ManifestError(
        f"the manifest of {query_url} named {len(served)} served builds in {READ_ATTEMPTS} reads"
    )


def held_builds(query_url: str, client: httpx.Client | None = None) -> set[str]:
    """Every build the manifest describes, served or not."""
    rows = _select(
        query_url,
        client,
        f"SELECT DISTINCT ?build WHERE {{ GRAPH <{MANIFEST_GRAPH}> {{ "
        f"?node <{DCT}identifier> ?build ; <{DCT}hasPart> ?g }} }}",
    )
    return {row["build"].value for row in rows if isinstance(row["build"], ox.Literal)}


def described_graphs(query_url: str, build_id: str, client: httpx.Client | None = None) -> set[str]:
    """The stored graphs and the union graph the manifest lists for ``build_id``."""
    rows = _select(
        query_url,
        client,
        f"SELECT ?g WHERE {{ GRAPH <{MANIFEST_GRAPH}> {{ <{build_node(build_id)}> "
        f"<{DCT}hasPart>|<{UNION}> ?g }} }}",
    )
    return {row["g"].value for row in rows if isinstance(row["g"], ox.NamedNode)}


def _served(query_url: str, client: httpx.Client | None) -> list[Manifest]:
    rows = _select(
        query_url,
        client,
        f"SELECT ?node ?build ?built ?engine ?distinct ?stored ?graph ?n WHERE {{ "
        f"GRAPH <{MANIFEST_GRAPH}> {{ <{MANIFEST_GRAPH}> <{SERVES}> ?node . "
        f"?node <{DCT}identifier> ?build ; <{DCT}issued> ?built . "
        f"OPTIONAL {{ ?node <{UNION}> ?union . ?union <{VOID}triples> ?distinct }} "
        f"OPTIONAL {{ ?node <{ENGINE}> ?engine }} "
        f"OPTIONAL {{ ?node <{DCT}hasPart> ?stored . ?stored <{DCT}isVersionOf> ?graph ; "
        f"<{VOID}triples> ?n }} }} }}",
    )
    builds: dict[str, tuple[str, float, dict[str, int], dict[str, str], int | None, str]] = {}
    for row in rows:
        build, issued, distinct, engine = row["build"], row["built"], row["distinct"], row["engine"]
        if not (isinstance(build, ox.Literal) and isinstance(issued, ox.Literal)):
            continue
        union_triples = int(distinct.value) if isinstance(distinct, ox.Literal) else None
        server = engine.value if isinstance(engine, ox.Literal) else ""
        _, _, graphs, stored, _, _ = builds.setdefault(
            build.value, (build.value, float(issued.value), {}, {}, union_triples, server)
        )
        graph, place, n = row["graph"], row["stored"], row["n"]
        if (
            isinstance(graph, ox.NamedNode)
            and isinstance(place, ox.NamedNode)
            and isinstance(n, ox.Literal)
        ):
            graphs[graph.value] = int(n.value)
            stored[graph.value] = place.value
    return [
        Manifest(build_id, built, dict(sorted(graphs.items())), stored, distinct, server)
        for build_id, built, graphs, stored, distinct, server in builds.values()
    ]


def _has_manifest(query_url: str, client: httpx.Client | None) -> bool:
    rows = _select(
        query_url,
        client,
        f"SELECT ?s WHERE {{ GRAPH <{MANIFEST_GRAPH}> {{ ?s ?p ?o }} }} LIMIT 1",
    )
    return any(True for _ in rows)


def _select(query_url: str, client: httpx.Client | None, query: str) -> ox.QuerySolutions:
    """A SELECT over the manifest graph, by name (what the remote holds besides is not read)."""
    store = RemoteStore(query_url, client=client)
    try:
        solutions = store.query(query, named_graphs=[ox.NamedNode(MANIFEST_GRAPH)])
    finally:
        store.close()
    assert isinstance(solutions, ox.QuerySolutions)
    return solutions
