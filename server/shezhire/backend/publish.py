"""`shezhire publish`: copy the validated, materialized build into a remote SPARQL 1.1 store.

Only a build that passed the gate exists to be published (the published version folder of
`shezhire build`); this copies it graph for graph, with SPARQL 1.1 Update (which Virtuoso and
Oxigraph's server both take from an anonymous client once it is granted) and, where the
remote has one, the SPARQL 1.1 Graph Store Protocol. Readers never see a half-published build,
on any engine, because nothing they read is ever written (fresh graph IRIs and a switch, not
the engine's transaction: Virtuoso 7.2 let a reader see a mix of two builds while one update
request moved graphs, and at REPEATABLE READ the switch deadlocked with its readers; measured):

1. Unless the remote already serves this build (then nothing changes), each graph is written
   into a stored graph of this build (:func:`~shezhire.backend.manifest.stored_graph`),
   serialized by pyoxigraph as N-Triples: with a graph store URL, in one ``PUT`` per graph;
   without one, in ``INSERT DATA`` requests of :data:`BATCH_TRIPLES` triples; then the
   build's union graph where the engine needs one (every triple once; streamed from a
   temporary file; :mod:`~shezhire.backend.manifest` says when). Readers name the
   served build's graphs in every request, so they never see these.
2. The stored counts are read back and compared with the build's: an engine that drops or
   merges triples stops the publish here.
3. The build's description is added to the manifest graph, and one update switches the served
   build: it rewrites the single triple ``<manifest> shzm:serves <build>``.
4. Builds other than the new one and the one it replaced are dropped, with their description
   (the replaced build stays until the next publish, for readers that began on it).

A failure before the switch drops this build's graphs and leaves the served build as it was.
The published IRIs never change: readers translate them (:mod:`shezhire.backend.graph_names`).
"""

from __future__ import annotations

import contextlib
import itertools
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox

from shezhire.backend.engines import traits
from shezhire.backend.manifest import (
    MANIFEST_GRAPH,
    SERVES,
    Manifest,
    build_node,
    describe,
    described_graphs,
    held_builds,
    read_manifest,
    stored_graph,
)
from shezhire.backend.remote import NO_GRAPH, RemoteError, RemoteStore
from shezhire.errors import ShezhireError
from shezhire.linked_data.graph import build_identity
from shezhire.pipeline.store import open_read_only, version_counts

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
    union_graph: bool | None = None,
    timeout_s: float = 300.0,
) -> PublishSummary:
    """Publish the build at ``store_link`` (the link `shezhire build` writes) to the remote;
    ``graph_store_url``: its Graph Store Protocol endpoint, the faster way to write graphs;
    ``union_graph``: whether to write the build's union graph (None: as the engine's
    :class:`~shezhire.backend.engines.Traits` say)."""
    began = time.perf_counter()
    target = store_link.resolve()
    if not target.is_dir():
        raise PublishError(f"no store at {store_link}: run `shezhire build` first")
    built, build_id = build_identity(store_link, target)
    with httpx.Client(timeout=timeout_s, trust_env=False) as client:
        try:
            current = read_manifest(query_url, client)
            server = server_header(query_url, client)
            if union_graph is None:
                union_graph = traits(server).union_graph
        except RemoteError as error:
            raise PublishError(f"cannot read the remote's manifest: {error}") from error
        with open_read_only(target) as store:
            # A published version keeps nothing in the default graph (the build writes none).
            graphs = version_counts(target, store)[0]
            if current is not None and current.build_id == build_id:
                if current.graphs != graphs:
                    raise PublishError(
                        f"the remote serves build {build_id} with other counts than this "
                        "store's: publish a new build"
                    )
                return PublishSummary(
                    build_id, len(graphs), sum(graphs.values()), time.perf_counter() - began, False
                )
            new = Manifest(
                build_id,
                built,
                graphs,
                {g: stored_graph(build_id, n) for n, g in enumerate(graphs)},
                _distinct_triples(store) if union_graph else None,
                server,
            )
            writer = _Updates(client, update_url)
            try:
                _forget(writer, query_url, client, build_id)
                # Described first, so a publish that stops anywhere leaves nothing the next
                # one cannot find and drop.
                writer.run(
                    f"INSERT DATA {{ GRAPH <{MANIFEST_GRAPH}> {{\n{_n_triples(describe(new))}}} }}"
                )
                for graph, place in new.stored.items():
                    if graph_store_url is not None:
                        writer.put(graph_store_url, place, _graph_bytes(store, graph))
                        continue
                    for batch in _batches(store, graph):
                        writer.run(f"INSERT DATA {{ GRAPH <{place}> {{\n{batch}}} }}")
                if new.union is not None and graph_store_url is not None:
                    with _union_file(store, graphs) as union:
                        writer.put(graph_store_url, new.union, union)
                elif new.union is not None:
                    for batch in _batches(store, None):
                        writer.run(f"INSERT DATA {{ GRAPH <{new.union}> {{\n{batch}}} }}")
                _check_stored(query_url, client, new)
                writer.run(_switch(new))
            except (RemoteError, PublishError) as error:
                with contextlib.suppress(RemoteError, PublishError):
                    _forget(writer, query_url, client, build_id)
                raise PublishError(
                    f"publishing build {build_id} stopped: {error}; the remote still serves "
                    f"{'build ' + current.build_id if current else 'nothing'}"
                ) from error
        keep = {build_id} | ({current.build_id} if current is not None else set())
        try:
            for held in held_builds(query_url, client) - keep:
                _forget(writer, query_url, client, held)
        except RemoteError as error:
            raise PublishError(
                f"build {build_id} is served, but dropping older builds failed: {error}"
            ) from error
    return PublishSummary(
        build_id, len(graphs), sum(graphs.values()), time.perf_counter() - began, True
    )


def _batches(store: ox.Store, graph: str | None) -> Iterator[str]:
    """The triples of ``graph`` (None: of every graph) as N-Triples text, :data:`BATCH_TRIPLES`
    at a time."""
    quads = store.quads_for_pattern(
        None, None, None, ox.NamedNode(graph) if graph is not None else None
    )
    while batch := list(itertools.islice(quads, BATCH_TRIPLES)):
        yield _n_triples([q.triple for q in batch])


def _graph_bytes(store: ox.Store, graph: str) -> bytes:
    """One graph as N-Triples, written by pyoxigraph."""
    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
    assert data is not None  # no output given: pyoxigraph returns the bytes
    return data


def server_header(query_url: str, client: httpx.Client) -> str:
    """The engine's ``Server`` header, read from an ``ASK {}`` (:mod:`shezhire.backend.engines`
    says what it means)."""
    try:
        response = client.get(query_url, params={"query": "ASK {}"})
    except httpx.HTTPError as error:
        raise RemoteError(f"cannot reach the SPARQL endpoint {query_url}: {error}") from error
    server: str = response.headers.get("server", "")
    return server


@contextlib.contextmanager
def _union_file(store: ox.Store, graphs: dict[str, int]) -> Iterator[Path]:
    """Every graph's triples, one after the other, in a temporary N-Triples file (the engine
    keeps each triple once): one graph in memory at a time, not the whole build."""
    with tempfile.TemporaryDirectory(prefix="shezhire-publish-") as folder:
        path = Path(folder) / "union.nt"
        with path.open("wb") as out:
            for graph in graphs:
                store.dump(out, ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
        yield path


def _distinct_triples(store: ox.Store) -> int:
    """How many distinct triples the build has: what its union graph holds."""
    solutions = store.query(
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }"
    )
    assert isinstance(solutions, ox.QuerySolutions)
    count = next(iter(solutions))["n"]
    assert isinstance(count, ox.Literal)
    return int(count.value)


def _n_triples(triples: list[ox.Triple]) -> str:
    text = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    assert text is not None  # no output given: pyoxigraph returns the bytes
    return text.decode()


def _switch(new: Manifest) -> str:
    """One update: the manifest serves ``new`` (one triple replaced, nothing else touched).

    Two operations, the new triple first: a reader between them (Virtuoso does not isolate
    them) sees two served builds and reads again, never none. (Virtuoso 7.2 inserted nothing
    for one DELETE/INSERT whose WHERE is an OPTIONAL that matches nothing; measured.)
    """
    manifest, serves, node = f"<{MANIFEST_GRAPH}>", f"<{SERVES}>", f"<{new.node}>"
    return (
        f"INSERT DATA {{ GRAPH {manifest} {{ {manifest} {serves} {node} }} }} ;\n"
        f"DELETE {{ GRAPH {manifest} {{ {manifest} {serves} ?old }} }} "
        f"WHERE {{ GRAPH {manifest} {{ {manifest} {serves} ?old }} FILTER(?old != {node}) }}"
    )


def _forget(writer: _Updates, query_url: str, client: httpx.Client, build_id: str) -> None:
    """Drop a build that is not served: the stored graphs its description lists, and the
    description."""
    graphs = described_graphs(query_url, build_id, client)
    node = f"<{build_node(build_id)}>"
    manifest = f"<{MANIFEST_GRAPH}>"
    operations = [f"DROP SILENT GRAPH <{g}>" for g in sorted(graphs)]
    operations.append(
        f"DELETE {{ GRAPH {manifest} {{ ?g ?gp ?go }} }} WHERE {{ GRAPH {manifest} {{ "
        f"{node} <http://purl.org/dc/terms/hasPart> ?g . ?g ?gp ?go }} }}"
    )
    operations.append(
        f"DELETE {{ GRAPH {manifest} {{ {node} ?p ?o }} }} "
        f"WHERE {{ GRAPH {manifest} {{ {node} ?p ?o }} }}"
    )
    writer.run(" ;\n".join(operations))


def _check_stored(query_url: str, client: httpx.Client, new: Manifest) -> None:
    store = RemoteStore(query_url, client=client)
    try:
        solutions = store.query(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
            default_graph=[ox.NamedNode(NO_GRAPH)],
            named_graphs=[ox.NamedNode(g) for g in [*new.stored.values(), new.union] if g],
        )
    finally:
        store.close()
    assert isinstance(solutions, ox.QuerySolutions)
    stored = {
        row["g"].value: int(row["n"].value)
        for row in solutions
        if isinstance(row["g"], ox.NamedNode) and isinstance(row["n"], ox.Literal)
    }
    expected = {place: new.graphs[graph] for graph, place in new.stored.items()}
    if new.union is not None and new.distinct_triples is not None:
        expected[new.union] = new.distinct_triples
    for place, count in expected.items():
        if stored.get(place, 0) != count:
            raise PublishError(
                f"the remote holds {stored.get(place, 0)} triples in {place} where the build "
                f"has {count}"
            )


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

    def put(self, graph_store_url: str, graph: str, body: bytes | Path) -> None:
        """Replace ``graph`` with ``body`` (N-Triples, in memory or a file streamed from disk,
        sent as Turtle, which Virtuoso's graph store takes; N-Triples is Turtle)."""
        headers = {"content-type": "text/turtle"}
        try:
            if isinstance(body, Path):
                headers["content-length"] = str(body.stat().st_size)
                with body.open("rb") as stream:
                    response = self.client.put(
                        graph_store_url, params={"graph": graph}, content=stream, headers=headers
                    )
            else:
                response = self.client.put(
                    graph_store_url, params={"graph": graph}, content=body, headers=headers
                )
        except httpx.HTTPError as error:
            raise RemoteError(f"cannot reach {graph_store_url}: {error}") from error
        if response.status_code not in (200, 201, 204):
            text = " ".join(response.text.strip().splitlines()[:5])[:1000]
            raise RemoteError(f"{graph_store_url} refused a graph ({response.status_code}): {text}")
