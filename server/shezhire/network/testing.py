"""For tests, benchmarks and notebooks: a store of the current data, even mid-curation.

The data under ``data/ttl/`` is curated while the code is written, so a file may be
mid-edit. :func:`build_current_store` copies the project's inputs and runs the real build
(strict parse, SHACL gate, materialization, publication). When the gate fails it builds the
same copy *ungated* instead (strict parse, materialization, publication), dropping only the
files that do not parse or whose dates materialization rejects, and records which files
the gate rejected, so a test can say what it saw and what it did not.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from shezhire.config import Settings
from shezhire.errors import SyntaxProblem, ValidationProblem
from shezhire.pipeline import load, materialize
from shezhire.pipeline.build import build
from shezhire.pipeline.sources import InputKind, discover

MAX_ATTEMPTS = 12
_FILE_IN_RESULT = re.compile(r"^(data/ttl/[^:]+\.ttl):")


@dataclass
class BuiltCopy:
    settings: Settings
    gated: bool = True
    rejected: dict[str, str] = field(default_factory=dict)  # SHACL gate: file -> first problem
    dropped: dict[str, str] = field(default_factory=dict)  # not loaded at all: file -> reason

    @property
    def data_files(self) -> list[str]:
        return sorted(p.name for p in self.settings.data_dir.glob("*.ttl"))

    def describe(self) -> str:
        lines = [f"store {self.settings.store} ({'validated' if self.gated else 'UNGATED'})"]
        lines += [f"  gate rejected {name}: {why}" for name, why in self.rejected.items()]
        lines += [f"  dropped {name}: {why}" for name, why in self.dropped.items()]
        return "\n".join(lines)


def _files_named(problem: ValidationProblem) -> dict[str, str]:
    named: dict[str, str] = {}
    for line in problem.results:
        match = _FILE_IN_RESULT.match(line)
        if match:
            named.setdefault(Path(match.group(1)).name, line)
    return named


def _build_ungated(copy: BuiltCopy) -> None:
    settings = copy.settings
    for _attempt in range(MAX_ATTEMPTS):
        items = discover(settings)
        staging = ox.Store()
        graph_files: dict[str, Path] = {}
        for item in items:
            try:
                load.parse_into(staging, item)
            except SyntaxProblem as problem:
                if item.kind is not InputKind.DATA:
                    raise
                item.path.unlink()
                copy.dropped[item.path.name] = str(problem)
                continue
            graph_files[item.graph_iri] = Path("data/ttl") / item.path.name
        try:
            bounds = materialize.date_bounds(staging, graph_files)
        except ValidationProblem as problem:
            for name, reason in _files_named(problem).items():
                (settings.data_dir / name).unlink(missing_ok=True)
                copy.dropped[name] = reason
            continue
        materialize.materialize(staging, bounds)
        settings.store.parent.mkdir(parents=True, exist_ok=True)
        target = settings.store.with_name(settings.store.name + ".ungated")
        disk = ox.Store(str(target))
        disk.bulk_extend(staging.quads_for_pattern(None, None, None, None))
        disk.flush()
        del disk
        settings.store.unlink(missing_ok=True)
        settings.store.symlink_to(target.name)
        return
    raise RuntimeError(f"no loadable subset after {MAX_ATTEMPTS} attempts: {copy.dropped}")


def build_current_store(source_root: Path, destination: Path) -> BuiltCopy:
    """Copy ontology/, shapes/ and data/ttl/ of ``source_root`` to ``destination`` and build
    the store at ``destination/var/store``: validated if the gate passes, else ungated."""
    for name in ("ontology", "shapes"):
        shutil.copytree(source_root / name, destination / name, dirs_exist_ok=True)
    data = destination / "data" / "ttl"
    data.mkdir(parents=True, exist_ok=True)
    for path in sorted((source_root / "data" / "ttl").glob("*.ttl")):
        shutil.copy2(path, data / path.name)
    settings = Settings(
        root=destination,
        store_path=destination / "var" / "store",
        report_path=destination / "var" / "shacl-report.ttl",
    )
    copy = BuiltCopy(settings)
    try:
        build(settings)
        return copy
    except SyntaxProblem as problem:
        copy.rejected[Path(problem.path).name] = str(problem)
    except ValidationProblem as problem:
        copy.rejected.update(_files_named(problem))
    copy.gated = False
    _build_ungated(copy)
    return copy
