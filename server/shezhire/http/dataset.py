"""What the service knows about the store it serves: named graphs, counts, the dump workers load."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from shezhire.pipeline.store import open_read_only

DUMP_NAME = "store.nq"


@dataclass
class DatasetInfo:
    """The served dataset: where its N-Quads dump is and what it holds."""

    store_path: Path
    dump_path: Path
    graphs: dict[str, int]  # named graph IRI -> triples
    default_graph_triples: int

    @property
    def triples(self) -> int:
        return sum(self.graphs.values()) + self.default_graph_triples


def snapshot(store_path: Path, workdir: Path | None = None) -> DatasetInfo:
    """Dump the built store to N-Quads (what workers load) and count its graphs."""
    directory = Path(tempfile.mkdtemp(prefix="shezhire-serve-", dir=workdir))
    dump = directory / DUMP_NAME
    graphs: dict[str, int] = {}
    default = 0
    with open_read_only(store_path) as store:
        store.dump(str(dump), ox.RdfFormat.N_QUADS)
        for quad in store.quads_for_pattern(None, None, None, None):
            graph = quad.graph_name
            if isinstance(graph, ox.NamedNode):
                graphs[graph.value] = graphs.get(graph.value, 0) + 1
            else:
                default += 1
    return DatasetInfo(store_path, dump, dict(sorted(graphs.items())), default)


def discard(info: DatasetInfo) -> None:
    shutil.rmtree(info.dump_path.parent, ignore_errors=True)
