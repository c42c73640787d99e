"""`shezhire publish`: copy the validated, materialized build into a remote SPARQL 1.1 store.

Only a build that passed the gate exists to be published (the published version folder of
`shezhire build`); this copies it graph for graph, with SPARQL 1.1 Update (which Virtuoso and
Oxigraph's server both take from an anonymous client once it is granted) and, where the
remote has one, the SPARQL 1.1 Graph Store Protocol:

1. Unless the remote's manifest already names this build (then nothing changes), each graph
   is written into a fresh staging graph (``<STAGING_PREFIX><build>/<n>``), serialized by
   pyoxigraph as N-Triples: with a graph store URL, in one ``PUT`` per graph; without one, in
   ``INSERT DATA`` requests of :data:`BATCH_TRIPLES` triples.
2. The staged counts are read back and compared with the build's: an engine that drops or
   merges triples stops the publish here. (A literal the engine rewrites keeps the count:
   Virtuoso's ``xsd:duration``, see ``tests/remote/test_parity.py``.)
3. One update request switches: it drops the graphs of the previous build that this one no
   longer has, moves every staging graph onto its published IRI and rewrites the manifest
   graph (:data:`MANIFEST_GRAPH`: build id, time, quads per graph). Oxigraph's server runs one
   update request as one transaction, so its readers see the old build or the new one, never
   a mix. Virtuoso does not: a reader counted triples between the two builds' totals during
   the switch (``tests/remote/test_publish.py``, a strict xfail), so on Virtuoso a switch is
   not yet isolated from readers.

A failure before the switch drops the staging graphs and leaves the served graphs as they were.
The published IRIs stay the build's own, so queries, pages and links never change with a build.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox

from shezhire.backend.manifest import DCT, MANIFEST_GRAPH, VOID, read_manifest
from shezhire.backend.remote import RemoteError, RemoteStore
from shezhire.errors import ShezhireError
from shezhire.linked_data.graph import build_identity
from shezhire.pipeline.store import open_read_only, version_counts

STAGING_PREFIX = "https://w3id.org/shezhire/staging/"
XSD = "http://www.w3.org/2001/XMLSchema#"
# Triples per INSERT DATA request: Virtuoso 7.2's SPARQL compiler ran out of memory
# ("SP030 memory exhausted") near line 5,000 of one request; 1,000 leaves room.
BATCH_TRIPLES = 1_000


class PublishError(ShezhireError):
    """The publish stopped; the remote still serves what it served before."""


@dataclass(frozen=True)
class PublishSummary:
    build_id: str
    graphs: int
    triples: int
    seconds: float
    changed: bool


def publish(
    store_link: Path,
    query_url: str,
    update_url: str,
    graph_store_url: str | None = None,
    *,
    timeout_s: float = 300.0,
) -> PublishSummary:
    """Publish the build at ``store_link`` (the link `shezhire build` writes) to the remote;
    ``graph_store_url``: its Graph Store Protocol endpoint, the faster way to stage graphs."""
    began = time.perf_counter()
    target = store_link.resolve()
    if not target.is_dir():
        raise PublishError(f"no store at {store_link}: run `shezhire build` first")
    built, build_id = build_identity(store_link, target)
    with httpx.Client(timeout=timeout_s, trust_env=False) as client:
        try:
            current = read_manifest(query_url, client)
        except RemoteError as error:
            raise PublishError(f"cannot read the remote's manifest: {error}") from error
        with open_read_only(target) as store:
            # A published version keeps nothing in the default graph (the build writes none).
            graphs = version_counts(target, store)[0]
            if current is not None and current.build_id == build_id and current.graphs == graphs:
                return PublishSummary(
                    build_id, len(graphs), sum(graphs.values()), time.perf_counter() - began, False
                )
            staging = {g: f"{STAGING_PREFIX}{build_id}/{n}" for n, g in enumerate(graphs)}
            writer = _Updates(client, update_url)
            try:
                writer.run(" ;\n".join(f"DROP SILENT GRAPH <{s}>" for s in staging.values()))
                for graph, stage in staging.items():
                    if graph_store_url is not None:
                        writer.put(graph_store_url, stage, _graph_bytes(store, graph))
                        continue
                    for batch in _batches(store, graph):
                        writer.run(f"INSERT DATA {{ GRAPH <{stage}> {{\n{batch}}} }}")
                _check_staged(query_url, client, staging, graphs)
                old = set(current.graphs) if current is not None else set()
                writer.run(_switch(staging, old - set(graphs), build_id, built, graphs))
            except (RemoteError, PublishError) as error:
                _drop_quietly(writer, staging.values())
                raise PublishError(
                    f"publishing build {build_id} stopped: {error}; the remote still serves "
                    f"{'build ' + current.build_id if current else 'nothing'}"
                ) from error
    return PublishSummary(
        build_id, len(graphs), sum(graphs.values()), time.perf_counter() - began, True
    )


def _batches(store: ox.Store, graph: str) -> Iterator[str]:
    """The triples of ``graph`` as N-Triples text, :data:`BATCH_TRIPLES` at a time."""
    quads = store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
    while batch := list(itertools.islice(quads, BATCH_TRIPLES)):
        yield _n_triples([q.triple for q in batch])


def _graph_bytes(store: ox.Store, graph: str) -> bytes:
    """One graph as N-Triples, written by pyoxigraph."""
    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
    assert data is not None  # no output given: pyoxigraph returns the bytes
    return data


def _n_triples(triples: list[ox.Triple]) -> str:
    text = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    assert text is not None  # no output given: pyoxigraph returns the bytes
    return text.decode()


def _switch(
    staging: dict[str, str], dropped: set[str], build_id: str, built: float, graphs: dict[str, int]
) -> str:
    """One update request: the new build replaces the old one, manifest included."""
    manifest = ox.NamedNode(MANIFEST_GRAPH)
    triples = [
        ox.Triple(manifest, ox.NamedNode(DCT + "identifier"), ox.Literal(build_id)),
        ox.Triple(
            manifest,
            ox.NamedNode(DCT + "issued"),
            ox.Literal(repr(built), datatype=ox.NamedNode(XSD + "double")),
        ),
        ox.Triple(
            manifest,
            ox.NamedNode(VOID + "triples"),
            ox.Literal(str(sum(graphs.values())), datatype=ox.NamedNode(XSD + "integer")),
        ),
    ]
    for graph, count in graphs.items():
        node = ox.NamedNode(graph)
        triples.append(ox.Triple(manifest, ox.NamedNode(DCT + "hasPart"), node))
        triples.append(
            ox.Triple(
                node,
                ox.NamedNode(VOID + "triples"),
                ox.Literal(str(count), datatype=ox.NamedNode(XSD + "integer")),
            )
        )
    body = _n_triples(triples)
    operations = [f"DROP SILENT GRAPH <{g}>" for g in sorted(dropped)]
    operations += [f"MOVE SILENT GRAPH <{s}> TO GRAPH <{g}>" for g, s in staging.items()]
    operations.append(f"DROP SILENT GRAPH <{MANIFEST_GRAPH}>")
    operations.append(f"INSERT DATA {{ GRAPH <{MANIFEST_GRAPH}> {{\n{body}}} }}")
    return " ;\n".join(operations)


def _check_staged(
    query_url: str, client: httpx.Client, staging: dict[str, str], graphs: dict[str, int]
) -> None:
    store = RemoteStore(query_url, graphs=staging.values(), client=client)
    values = " ".join(f"<{g}>" for g in staging.values())
    solutions = store.query(
        f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }} "
        "GROUP BY ?g"
    )
    assert isinstance(solutions, ox.QuerySolutions)
    staged = {
        row["g"].value: int(row["n"].value)
        for row in solutions
        if isinstance(row["g"], ox.NamedNode) and isinstance(row["n"], ox.Literal)
    }
    for graph, stage in staging.items():
        if staged.get(stage, 0) != graphs[graph]:
            raise PublishError(
                f"the remote holds {staged.get(stage, 0)} triples of {graph} where the build "
                f"has {graphs[graph]}"
            )


def _drop_quietly(writer: _Updates, graphs: Iterable[str]) -> None:
    # Best effort: staging graphs are never served, and the next publish drops them first.
    with contextlib.suppress(RemoteError):
        writer.run(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs))


class _Updates:
    """Writes to the remote: SPARQL 1.1 Update requests (``update=`` form posts) and Graph
    Store Protocol ``PUT``s."""

    def __init__(self, client: httpx.Client, update_url: str) -> None:
        self.client = client
        self.update_url = update_url

    def run(self, update: str) -> None:
        if not update.strip():
            return
        try:
            response = self.client.post(self.update_url, data={"update": update})
        except httpx.HTTPError as error:
            raise RemoteError(f"cannot reach {self.update_url}: {error}") from error
        if response.status_code not in (200, 201, 204):
            text = " ".join(response.text.strip().splitlines()[:5])[:1000]
            raise RemoteError(
                f"{self.update_url} refused an update ({response.status_code}): {text}"
            )

    def put(self, graph_store_url: str, graph: str, body: bytes) -> None:
        """Replace ``graph`` with ``body`` (N-Triples, sent as Turtle, which Virtuoso's graph
        store takes; N-Triples is Turtle)."""
        try:
            response = self.client.put(
                graph_store_url,
                params={"graph": graph},
                content=body,
                headers={"content-type": "text/turtle"},
            )
        except httpx.HTTPError as error:
            raise RemoteError(f"cannot reach {graph_store_url}: {error}") from error
        if response.status_code not in (200, 201, 204):
            text = " ".join(response.text.strip().splitlines()[:5])[:1000]
            raise RemoteError(f"{graph_store_url} refused a graph ({response.status_code}): {text}")
