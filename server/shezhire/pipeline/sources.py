"""Find the build's inputs and the named graph each one becomes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from shezhire.config import GRAPH_BASE, Settings
from shezhire.errors import TreeError

RDF_SUFFIXES = {".ttl": "turtle", ".trig": "trig", ".nt": "n-triples", ".nq": "n-quads"}


class InputKind(StrEnum):
    ONTOLOGY = "ontology"
    SHAPES = "shapes"
    DATA = "data"


@dataclass(frozen=True)
class InputFile:
    """One RDF file of the build and the named graph it is loaded into."""

    path: Path
    kind: InputKind

    @property
    def graph_iri(self) -> str:
        stem = self.path.name.split(".")[0]
        if self.kind is InputKind.ONTOLOGY and stem == "shezhire":
            return GRAPH_BASE + "ontology"
        if self.kind is InputKind.SHAPES and stem == "shezhire":
            return GRAPH_BASE + "shapes"
        return GRAPH_BASE + stem


def _rdf_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in RDF_SUFFIXES)


def discover(settings: Settings) -> list[InputFile]:
    """Every input in a stable order: ontology, shapes, then data.

    A kind with no file at all is an error, not an empty graph: without shapes the gate would
    pass anything, and without data the build would publish (and serve) an empty graph.
    """
    files: list[InputFile] = []
    for kind, folder in (
        (InputKind.ONTOLOGY, settings.ontology_dir),
        (InputKind.SHAPES, settings.shapes_dir),
        (InputKind.DATA, settings.data_dir),
    ):
        found = [InputFile(p, kind) for p in _rdf_files(folder)]
        if not found:
            suffixes = ", ".join(sorted(RDF_SUFFIXES))
            raise TreeError(
                f"no {kind} files ({suffixes}) in {folder}: "
                "name the tree with --root or SHEZHIRE_ROOT"
            )
        files += found
    graphs: dict[str, Path] = {}
    for item in files:
        if item.graph_iri in graphs:
            raise TreeError(f"{item.path} and {graphs[item.graph_iri]} map to one named graph")
        graphs[item.graph_iri] = item.path
    return files


def inputs_digest(files: list[InputFile]) -> str:
    """A content hash of all inputs (mtimes are useless after a git clone)."""
    digest = hashlib.sha256()
    for item in files:
        digest.update(str(item.path.name).encode())
        digest.update(item.kind.value.encode())
        digest.update(item.path.read_bytes())
    return digest.hexdigest()
