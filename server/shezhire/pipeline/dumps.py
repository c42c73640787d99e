"""The whole store as three files, written by pyoxigraph: N-Quads, TriG, Turtle.

The server writes them once per snapshot, into the snapshot's working folder, in a process of
their own: ``python -m shezhire.pipeline.dumps VERSION FOLDER``. pyoxigraph holds the GIL while
it dumps, so a dump written on a thread of the server stalled its event loop for as long
(about 80 s at 30 times the data, every request waiting); a process of its own, at a lower
priority, leaves the server's core to requests.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pyoxigraph as ox

from shezhire.backend.interface import GraphStore
from shezhire.backend.location import open_store
from shezhire.linked_data.graph import PREFIXES

DUMP_FORMATS = ("nq", "trig", "ttl")


def dump_path(folder: Path, ext: str) -> Path:
    return folder / f"dump.{ext}"


def dumpable(store: GraphStore) -> ox.Store:
    """``store`` itself when embedded; a remote one copied into memory (pyoxigraph writes the
    dump files from a store of its own)."""
    if isinstance(store, ox.Store):
        return store
    copy = ox.Store()
    copy.bulk_extend(store.quads_for_pattern(None, None, None, None))
    return copy


def write_dump(store: ox.Store, path: Path, ext: str) -> None:
    """The whole store as one file: N-Quads or TriG (every named graph), or Turtle (the union
    of the named graphs). Written beside ``path`` and renamed,
    so a reader never sees half a file."""
    partial = path.with_name(path.name + f".{os.getpid()}.partial")
    try:
        if ext == "nq":
            store.dump(str(partial), ox.RdfFormat.N_QUADS)
        elif ext == "trig":
            store.dump(str(partial), ox.RdfFormat.TRIG, prefixes=PREFIXES)
        elif ext == "ttl":
            # Graph after graph, each grouped by subject, all written by pyoxigraph (Turtle may
            # declare its prefixes again). A triple asserted in several graphs is written once
            # per graph: the graph a reader gets is the same, and merging a million triples
            # into one sorted set first took longer than the whole build.
            with partial.open("wb") as out:
                for graph in sorted(store.named_graphs(), key=str):
                    store.dump(out, ox.RdfFormat.TURTLE, from_graph=graph, prefixes=PREFIXES)
        else:
            raise ValueError(f"no dump format {ext!r}")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def main(argv: list[str]) -> int:
    version, folder = argv[0], Path(argv[1])
    os.nice(10)  # serving comes first
    store = dumpable(open_store(version))
    for ext in DUMP_FORMATS:
        write_dump(store, dump_path(folder, ext), ext)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
