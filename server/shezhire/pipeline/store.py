"""Opening the published store and running queries against it from the command line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox

from shezhire.errors import StoreError

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
    """
    with open_read_only(path) as store:
        quads = len(store)
    if quads == 0:
        raise StoreError(f"the store at {path} holds no triples: rebuild it with `shezhire build`")
    return quads


def load_in_memory(path: Path) -> ox.Store:
    """An in-memory copy of the published store (2–5x faster to query than the on-disk one)."""
    memory = ox.Store()
    with open_read_only(path) as disk:
        memory.extend(disk.quads_for_pattern(None, None, None, None))
    return memory


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
