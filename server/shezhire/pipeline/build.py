"""The build: parse strictly, gate with SHACL, materialize, publish atomically.

The published store is `settings.store`, a symlink to a versioned directory beside it; a
new version is written completely and then swapped in with one atomic rename, so a failed
build (syntax error, violation, crash) leaves the previous store exactly as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import rdflib

from shezhire import __version__
from shezhire.config import Settings
from shezhire.errors import StoreError
from shezhire.pipeline import gate, load, materialize, stats
from shezhire.pipeline.sources import InputFile, InputKind, discover, inputs_digest


@dataclass
class BuildSummary:
    """What a validation or a build did, for the CLI and the closing notes."""

    files: int
    quads: int
    published: Path | None = None
    materialized: dict[str, int] = field(default_factory=dict)
    entities: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        lines = [f"{self.files} files, {self.quads} quads parsed; SHACL: conforms"]
        if self.materialized:
            lines.append(f"materialized {sum(self.materialized.values())} quads:")
            lines += [f"  {name}: {n}" for name, n in self.materialized.items()]
        if self.entities:
            lines.append("entities: " + ", ".join(f"{k} {v}" for k, v in self.entities.items()))
        if self.published is not None:
            lines.append(
                f"published {self.quads + sum(self.materialized.values())} quads "
                f"to {self.published}"
            )
        return "\n".join(lines)


def _shapes_graph(store: ox.Store, items: list[InputFile]) -> rdflib.Graph:
    shapes = rdflib.Graph()
    for item in items:
        if item.kind is InputKind.SHAPES:
            data = store.dump(
                format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(item.graph_iri)
            )
            shapes.parse(data=data or b"", format="nt")
    return shapes


def _display_path(path: Path, root: Path) -> Path:
    return path.relative_to(root) if path.is_relative_to(root) else path


@dataclass
class _Staged:
    """Everything the gate accepted, ready to be materialized and published."""

    store: ox.Store
    items: list[InputFile]
    quads: int
    date_bounds: list[ox.Quad]


def _stage(settings: Settings) -> _Staged:
    """Parse every input; validate the ontology and data (not the shapes) against the shapes."""
    items = discover(settings)
    staging, counts = load.parse_all(items)
    shapes = _shapes_graph(staging, items)
    graph_files = {item.graph_iri: _display_path(item.path, settings.root) for item in items}
    # The shapes are published with the data (graph/shapes) but are not data to validate.
    shape_graphs = {item.graph_iri for item in items if item.kind is InputKind.SHAPES}
    gate.validate(
        gate.as_dataset(staging, exclude=shape_graphs), shapes, graph_files, settings.report
    )
    return _Staged(
        staging, items, sum(counts.values()), materialize.date_bounds(staging, graph_files)
    )


def validate_inputs(settings: Settings) -> BuildSummary:
    """`shezhire validate`: strict parse and SHACL; publishes nothing."""
    staged = _stage(settings)
    return BuildSummary(files=len(staged.items), quads=staged.quads)


def _build_digest(items: list[InputFile]) -> str:
    """Inputs and the code that turns them into a store: a change to either means rebuild."""
    code = hashlib.sha256(__version__.encode())
    for module in (materialize, load):
        code.update(Path(str(module.__file__)).read_bytes())
    return inputs_digest(items) + code.hexdigest()[:16]


def _info_path(store_link: Path) -> Path:
    return store_link.with_name(store_link.name + ".build.json")


def _publish(staging: ox.Store, store_link: Path) -> Path:
    versions = store_link.with_name(store_link.name + ".versions")
    versions.mkdir(parents=True, exist_ok=True)
    target = versions / f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
    disk = ox.Store(str(target))
    disk.bulk_extend(staging.quads_for_pattern(None, None, None, None))
    disk.flush()
    del disk
    if store_link.exists() and not store_link.is_symlink():
        raise StoreError(f"{store_link} exists and is not a store link; move it away")
    temporary_link = store_link.with_name(f".{store_link.name}.{os.getpid()}.link")
    temporary_link.unlink(missing_ok=True)
    temporary_link.symlink_to(target.relative_to(store_link.parent))
    previous = store_link.resolve() if store_link.is_symlink() else None
    os.replace(temporary_link, store_link)  # the one atomic step
    for old in versions.iterdir():
        # Keep the previous version: a server started on it may still be reading it.
        if old not in (target, previous) and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
    return target


def build(settings: Settings) -> BuildSummary:
    """`shezhire build`: validate, materialize, publish."""
    staged = _stage(settings)
    added = materialize.materialize(staged.store, staged.date_bounds)
    target = _publish(staged.store, settings.store)
    info = {"digest": _build_digest(staged.items), "target": str(target), "built": time.time()}
    info_path = _info_path(settings.store)
    info_path.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return BuildSummary(
        files=len(staged.items),
        quads=staged.quads,
        published=settings.store,
        materialized=added,
        entities=stats.counts(staged.store),
    )


def is_stale(settings: Settings) -> bool:
    """True when the store is missing or was built from other inputs or other build code."""
    info_path = _info_path(settings.store)
    if not settings.store.exists() or not info_path.exists():
        return True
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True
    return bool(info.get("digest") != _build_digest(discover(settings)))


def ensure_built(settings: Settings) -> BuildSummary | None:
    """Build when the store is missing or stale (what `shezhire serve` does first)."""
    if is_stale(settings):
        return build(settings)
    return None
