"""The whole store as three files, written by pyoxigraph: N-Quads, TriG, Turtle.

The server writes them once per snapshot, into the snapshot's working folder, in a process of
their own: ``python -m shezhire.pipeline.dumps VERSION FOLDER``. pyoxigraph holds the GIL while
it dumps, so a dump written on a thread of the server stalled its event loop for as long
(about 80 s at 30 times the data, every request waiting); a process of its own, at a lower
priority, leaves the server's core to requests.

A remote build (:class:`~shezhire.backend.remote.RemoteStore`) is streamed graph by graph, one
request per published graph for all three files, never copied whole into memory.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from shezhire.backend.interface import GraphStore
from shezhire.backend.location import open_store
from shezhire.backend.remote import RemoteStore
from shezhire.linked_data.graph import PREFIXES

DUMP_FORMATS = ("nq", "trig", "ttl")


def dump_path(folder: Path, ext: str) -> Path:
    return folder / f"dump.{ext}"


def write_dump(store: GraphStore, path: Path, ext: str) -> None:
    """The whole store as one file: N-Quads or TriG (every named graph), or Turtle (the union
    of the named graphs). Written beside ``path`` and renamed,
    so a reader never sees half a file."""
    write_dumps(store, {ext: path})


def write_dumps(store: GraphStore, paths: Mapping[str, Path]) -> None:
    """Several dump files (format -> path), each written beside its path and renamed. A
    remote store is read once for all of them, graph by graph."""
    for ext in paths:
        if ext not in DUMP_FORMATS:
            raise ValueError(f"no dump format {ext!r}")
    pid = os.getpid()
    partials = {ext: path.with_name(f"{path.name}.{pid}.partial") for ext, path in paths.items()}
    try:
        if isinstance(store, ox.Store):
            for ext, partial in partials.items():
                _write_embedded(store, partial, ext)
        else:
            with contextlib.ExitStack() as files:
                outs = {ext: files.enter_context(p.open("wb")) for ext, p in partials.items()}
                _write_remote(store, outs)
        for ext, partial in partials.items():
            partial.replace(paths[ext])
    finally:
        for partial in partials.values():
            partial.unlink(missing_ok=True)


def _write_embedded(store: ox.Store, partial: Path, ext: str) -> None:
    if ext == "nq":
        store.dump(str(partial), ox.RdfFormat.N_QUADS)
    elif ext == "trig":
        store.dump(str(partial), ox.RdfFormat.TRIG, prefixes=PREFIXES)
    else:
        # Graph after graph, each grouped by subject, all written by pyoxigraph (Turtle may
        # declare its prefixes again). A triple asserted in several graphs is written once
        # per graph: the graph a reader gets is the same, and merging a million triples
        # into one sorted set first took longer than the whole build.
        with partial.open("wb") as out:
            for graph in sorted(store.named_graphs(), key=str):
                store.dump(out, ox.RdfFormat.TURTLE, from_graph=graph, prefixes=PREFIXES)


def _write_remote(store: RemoteStore, outs: Mapping[str, BinaryIO]) -> None:
    """A remote build streamed graph by graph (its published graphs, one request each, in IRI
    order): at most one graph in memory, held in a store of its own so that pyoxigraph writes
    it as it writes an embedded one (grouped by subject, with the same prefixes). TriG
    declares its prefixes once, before the first graph; Turtle before each, as above."""
    for n, iri in enumerate(sorted(store.graphs)):
        graph = ox.NamedNode(iri)
        one = ox.Store()
        one.bulk_extend(store.quads_for_pattern(None, None, None, graph))
        for ext, out in outs.items():
            if ext == "nq":
                one.dump(out, ox.RdfFormat.N_QUADS)
            elif ext == "ttl":
                one.dump(out, ox.RdfFormat.TURTLE, from_graph=graph, prefixes=PREFIXES)
            else:
                written = one.dump(format=ox.RdfFormat.TRIG, prefixes=PREFIXES)
                assert written is not None
                out.write(written if n == 0 else _without_prefixes(written))
        del one


def _without_prefixes(trig: bytes) -> bytes:
    """A TriG document without its leading ``@prefix`` lines (declared once, at the top)."""
    lines = trig.splitlines(keepends=True)
    start = 0
    while start < len(lines) and lines[start].startswith(b"@prefix "):
        start += 1
    return b"".join(lines[start:])


def main(argv: list[str]) -> int:
    version, folder = argv[0], Path(argv[1])
    os.nice(10)  # serving comes first
    write_dumps(open_store(version), {ext: dump_path(folder, ext) for ext in DUMP_FORMATS})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
