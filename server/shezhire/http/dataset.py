"""What the service knows about the store it serves: named graphs and their counts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shezhire.backend.location import RemoteTarget


@dataclass
class DatasetInfo:
    """The served dataset: where it is and what it holds."""

    store_path: Path | RemoteTarget  # the version folder, or a remote store's build
    graphs: dict[str, int]  # named graph IRI -> triples
    default_graph_triples: int

    @property
    def triples(self) -> int:
        return sum(self.graphs.values()) + self.default_graph_triples
