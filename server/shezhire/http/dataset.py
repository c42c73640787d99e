"""What the service knows about the store it serves: named graphs, counts, the dump workers load."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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
