"""Opening the published store and running queries against it from the command line.

A published version folder is a RocksDB directory that is never written after it is published;
the build also writes into it, before the link points at it, what serving should not count at
every start: :data:`VERSION_META` (quads per named graph). RocksDB ignores files whose names are
not its own, and nothing opens a published version for writing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from shezhire.errors import StoreError
from shezhire.pipeline.load import graph_sizes

RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "xml": ox.RdfFormat.RDF_XML,
}


@contextmanager
def open_read_only(path: Path) -> Iterator[ox.Store]:
    """The published store, read-only (several processes may open it at once)."""
    if not path.exists():
        raise StoreError(f"no store at {path}: run `shezhire build` first")
    try:
        store = ox.Store.read_only(str(path.resolve()))
    except OSError as error:
        raise StoreError(f"cannot open the store at {path}: {error}") from error
    try:
        yield store
    finally:
        del store


def require_triples(path: Path) -> int:
    """The quad count of the published store at `path`; StoreError when it is missing or empty.

    An empty store is never a graph to serve: it means the build read no data (a wrong root,
    an install without its data), and answering every query with nothing would hide that.
    The count comes from the version's :data:`VERSION_META` when the build wrote one (counting
    a million quads one by one takes a second).
    """
    meta = read_version_meta(path.resolve()) if path.exists() else None
    if meta is not None:
        quads = int(meta["triples"])
    else:
        with open_read_only(path) as store:
            quads = len(store)
    if quads == 0:
        raise StoreError(f"the store at {path} holds no triples: rebuild it with `shezhire build`")
    return quads


def load_in_memory(path: Path) -> ox.Store:
    """An in-memory copy of the published store (faster for queries that read many strings:
    sorting, 1000-row answers)."""
    memory = ox.Store()
    with open_read_only(path) as disk:
        memory.extend(disk.quads_for_pattern(None, None, None, None))
    return memory


def open_for_serving(path: Path, mode: str = "read-only") -> ox.Store:
    """The published version at ``path`` as a server process holds it: opened read-only (the
    page cache holds it once for every process), or copied into memory (``memory``)."""
    if mode == "memory":
        return load_in_memory(path)
    return ox.Store.read_only(str(path))


def query_to_bytes(store: ox.Store, query: str, fmt: str) -> bytes:
    """Run a query over the union of the named graphs; serialize results in `fmt`."""
    results = store.query(query, use_default_graph_as_union=True)
    if isinstance(results, ox.QueryBoolean):
        return (str(bool(results)).lower() + "\n").encode()
    if isinstance(results, ox.QuerySolutions):
        out = results.serialize(format=RESULT_FORMATS.get(fmt, ox.QueryResultsFormat.TSV))
    else:
        out = results.serialize(format=GRAPH_FORMATS.get(fmt, ox.RdfFormat.TURTLE))
    return out or b""


# -- what the build writes into a version folder for the server ------------------------------

# Quads per named graph ("graphs": {iri: n}), in the default graph, and in all.
VERSION_META = "shezhire-version.json"


_DEFAULT_GRAPH_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"  # the default graph alone


def graph_counts(store: ox.Store) -> tuple[dict[str, int], int]:
    """(named graph IRI -> quads, sorted by IRI; quads in the default graph), counted by the
    store (a million quads one by one in Python took seconds)."""
    graphs = graph_sizes(store)
    default = 0
    solutions = store.query(_DEFAULT_GRAPH_COUNT)
    assert isinstance(solutions, ox.QuerySolutions)
    for row in solutions:
        count = row["n"]
        if isinstance(count, ox.Literal):
            default = int(count.value)
    return dict(sorted(graphs.items())), default


def read_version_meta(target: Path) -> dict[str, Any] | None:
    """What the build recorded in ``target`` (see :data:`VERSION_META`); None without it."""
    try:
        meta = json.loads((target / VERSION_META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or not isinstance(meta.get("graphs"), dict):
        return None
    return meta


def version_counts(target: Path, store: ox.Store) -> tuple[dict[str, int], int]:
    """(named graph IRI -> quads, quads in the default graph) of the published version
    ``target``: what the build recorded in it, else counted in ``store`` (its store)."""
    meta = read_version_meta(target)
    if meta is None:
        return graph_counts(store)
    graphs = {str(g): int(n) for g, n in meta["graphs"].items()}
    return graphs, int(meta.get("default_graph_triples", 0))


def write_version_meta(store: ox.Store, target: Path) -> None:
    """Write into the version folder ``target`` (not yet published) the counts of ``store``,
    the same quads as the RocksDB store in it."""
    graphs, default = graph_counts(store)
    meta = {
        "graphs": graphs,
        "default_graph_triples": default,
        "triples": sum(graphs.values()) + default,
    }
    (target / VERSION_META).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
