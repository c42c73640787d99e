"""The build: parse strictly, gate with SHACL, materialize, publish atomically.

The published store is `settings.store`, a symlink to a versioned directory beside it; a
new version is written completely and then swapped in with one atomic rename, so a failed
build (syntax error, violation, full disk, crash) leaves the previous store exactly as it was.
Builds of one store take turns: each holds an exclusive lock on `<store>.lock` from the start
of staging to the end of clean-up, so one build never removes what another is writing.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from shezhire import __version__
from shezhire.config import Settings
from shezhire.errors import StoreError, TreeError
from shezhire.pipeline import gate, incremental, load, materialize, quotes, stats
from shezhire.pipeline.quotes import QuoteCount
from shezhire.pipeline.sources import InputFile, InputKind, discover, inputs_digest
from shezhire.pipeline.store import require_triples

PhaseObserver = Callable[[str, bool], None]
# Called with (phase, True) when a phase starts and (phase, False) when it ends: the scale
# benchmark (bench/scale/) measures each phase's time and peak memory through it.
PHASE_OBSERVERS: list[PhaseObserver] = []
PHASES = ("parse", "gate", "materialize", "publish", "stats")


@contextmanager
def phase(name: str) -> Iterator[None]:
    for observer in PHASE_OBSERVERS:
        observer(name, True)
    try:
        yield
    finally:
        for observer in PHASE_OBSERVERS:
            observer(name, False)


@dataclass
class BuildSummary:
    """What a validation or a build did, for the CLI and the closing notes."""

    files: int
    quads: int
    published: Path | None = None
    materialized: dict[str, int] = field(default_factory=dict)
    entities: dict[str, int] = field(default_factory=dict)
    quotes: QuoteCount | None = None
    gate: str = ""

    def describe(self) -> str:
        gate_note = f" ({self.gate})" if self.gate else ""
        lines = [f"{self.files} files, {self.quads} quads parsed; SHACL: conforms{gate_note}"]
        if self.quotes is not None:
            lines.append(self.quotes.describe())
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


def _display_path(path: Path, root: Path) -> Path:
    return path.relative_to(root) if path.is_relative_to(root) else path


@dataclass
class _Staged:
    """Everything the gate accepted, ready to be materialized and published."""

    store: ox.Store
    items: list[InputFile]
    quads: int
    date_bounds: list[ox.Quad]
    quotes: QuoteCount | None
    gate: str = ""


def _gate_code() -> str:
    """The code whose change invalidates the incremental gate's record."""
    code = hashlib.sha256(__version__.encode())
    for module in (gate, incremental, load):
        code.update(Path(str(module.__file__)).read_bytes())
    return code.hexdigest()


def _gate(
    settings: Settings, staging: ox.Store, items: list[InputFile], files: dict[str, Path]
) -> str:
    """The SHACL gate over what changed since the last clean validation (or everything)."""
    shape_graphs = [item.graph_iri for item in items if item.kind is InputKind.SHAPES]
    ontology_graphs = [item.graph_iri for item in items if item.kind is InputKind.ONTOLOGY]
    data = {
        item.graph_iri: incremental.file_hash(item.path)
        for item in items
        if item.kind is InputKind.DATA
    }
    ctx = incremental.context(staging, items, settings.gate, _gate_code())
    old = incremental.State.load(settings.gate_state) if settings.gate_incremental else None
    plan = incremental.plan(staging, data, old or incremental.State(), ctx)
    if old is None:
        plan = incremental.Plan(sorted(data), True, "asked for", plan.new_state)
    if plan.full or plan.graphs:
        gate.validate(
            staging,
            ontology_graphs + plan.graphs,
            shape_graphs,
            files,
            settings.report,
            engine=settings.gate,
        )
    plan.new_state.save(settings.gate_state)
    return plan.describe(len(data))


def _stage(settings: Settings) -> _Staged:
    """Parse every input; validate the ontology and data (not the shapes) against the shapes."""
    with phase("parse"):
        items = discover(settings)
        staging, counts = load.parse_all(items)
    graph_files = {item.graph_iri: _display_path(item.path, settings.root) for item in items}
    data_quads = sum(counts[item.graph_iri] for item in items if item.kind is InputKind.DATA)
    if data_quads == 0:
        raise TreeError(f"the data files in {settings.data_dir} hold no triples")
    with phase("gate"):
        gate_note = _gate(settings, staging, items, graph_files)
        quoted = None
        if settings.texts_dir is not None:
            # After the gate: it has made sure every quote names one publication.
            data_files = {
                item.graph_iri: graph_files[item.graph_iri]
                for item in items
                if item.kind is InputKind.DATA
            }
            quoted = quotes.check(staging, data_files, settings.texts_dir)
        bounds = materialize.date_bounds(staging, graph_files)
    return _Staged(staging, items, sum(counts.values()), bounds, quoted, gate_note)


def validate_inputs(settings: Settings) -> BuildSummary:
    """`shezhire validate`: strict parse and SHACL; publishes nothing."""
    staged = _stage(settings)
    return BuildSummary(
        files=len(staged.items), quads=staged.quads, quotes=staged.quotes, gate=staged.gate
    )


def _build_digest(settings: Settings, items: list[InputFile]) -> str:
    """Inputs and the code that turns them into a store: a change to either means rebuild.

    With a texts folder, the texts and the quote check count too: a store whose quotes were
    checked against other texts is rebuilt (and so checked again).
    """
    code = hashlib.sha256(__version__.encode())
    for module in (materialize, load):
        code.update(Path(str(module.__file__)).read_bytes())
    texts = settings.texts_dir
    if texts is not None:
        code.update(Path(str(quotes.__file__)).read_bytes())
        code.update(str(texts.resolve()).encode())
        if texts.is_dir():
            for text in sorted(p for p in texts.iterdir() if p.is_file()):
                code.update(text.name.encode())
                code.update(text.read_bytes())
    return inputs_digest(items) + code.hexdigest()[:16]


def _info_path(store_link: Path) -> Path:
    return store_link.with_name(store_link.name + ".build.json")


def _reason(error: OSError) -> str:
    """The errno text of an OSError ("No space left on device"), also for RocksDB's messages."""
    if error.strerror:
        return error.strerror
    # pyoxigraph passes RocksDB's text ("IO error: While appending to file: X: File too
    # large"), which ends with the errno text.
    return str(error).rsplit(": ", 1)[-1].strip() or type(error).__name__


@contextmanager
def build_lock(store_link: Path) -> Iterator[None]:
    """Hold the exclusive lock of the store at `store_link`; wait (and say so) if it is taken.

    The lock file holds the pid of the build that has it, so the waiting build can name it.
    flock locks die with their process, so a crashed build never leaves the store locked.
    """
    lock_path = store_link.with_name(store_link.name + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise StoreError(f"cannot create the build lock {lock_path}: {_reason(error)}") from error
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 32, 0).decode(errors="replace").strip() or "?"
            print(
                f"waiting for the other build of {store_link} (pid {holder}) to finish",
                file=sys.stderr,
                flush=True,
            )
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(descriptor, 0)
    finally:
        os.close(descriptor)  # releases the lock


def _write_store(staging: ox.Store, target: Path) -> None:
    """Write every staged quad into a new on-disk store at `target`.

    Through one N-Quads file and RocksDB's bulk loader (sorted files ingested whole): at 30
    copies of the data 2-4x faster than inserting the quads one transaction batch at a time.
    The file sits beside `target` and is removed whatever happens.
    """
    dump = target.with_name(target.name + ".nq")
    try:
        with dump.open("wb") as out:
            staging.dump(out, format=ox.RdfFormat.N_QUADS)
        disk = ox.Store(str(target))
        try:
            disk.bulk_load(path=str(dump), format=ox.RdfFormat.N_QUADS)
            disk.flush()
        finally:
            # pyoxigraph closes the RocksDB files when the last reference goes.
            del disk
    finally:
        dump.unlink(missing_ok=True)


def _publish(staging: ox.Store, store_link: Path) -> Path:
    """Write `staging` as a new version beside `store_link` and swap the link to it.

    Must be called with the build lock held: clean-up removes every version but the new one
    and the one it replaces, which is only safe when no other build is writing one.
    """
    if store_link.exists() and not store_link.is_symlink():
        raise StoreError(f"{store_link} exists and is not a store link; move it away")
    versions = store_link.with_name(store_link.name + ".versions")
    unchanged = "the published store is unchanged"
    try:
        versions.mkdir(parents=True, exist_ok=True)
        # mkdtemp: a fresh, unique folder even for two builds in one second in one process.
        prefix = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-"
        target = Path(tempfile.mkdtemp(prefix=prefix, dir=versions))
        # mkdtemp makes it private (0700); a store is served by whoever may read its link.
        target.chmod(0o755)
    except OSError as error:
        raise StoreError(f"cannot write under {versions}: {_reason(error)}; {unchanged}") from error
    temporary_link = store_link.with_name(f".{store_link.name}.{os.getpid()}.link")
    previous = store_link.resolve() if store_link.is_symlink() else None
    swapped = False
    try:
        _write_store(staging, target)
        temporary_link.unlink(missing_ok=True)
        temporary_link.symlink_to(target.relative_to(store_link.parent))
        os.replace(temporary_link, store_link)  # the one atomic step
        swapped = True
    except OSError as error:
        raise StoreError(
            f"cannot write the new store in {target.parent}: {_reason(error)}; {unchanged}"
        ) from error
    finally:
        if not swapped:  # a failed write, or an interrupt: remove what this build started
            temporary_link.unlink(missing_ok=True)
            shutil.rmtree(target, ignore_errors=True)
    for old in versions.iterdir():
        # Keep the previous version: a server started on it may still be reading it. Anything
        # else is an older version or what a killed build left (the lock is ours).
        if old not in (target, previous) and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
    return target


def _write_info(store_link: Path, info: dict[str, object]) -> None:
    """Record what the store was built from; atomically, so a reader never sees half a file."""
    info_path = _info_path(store_link)
    temporary = info_path.with_name(f".{info_path.name}.{os.getpid()}")
    try:
        temporary.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, info_path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        # The store itself is published; without its record the next serve rebuilds it.
        raise StoreError(f"cannot write {info_path}: {_reason(error)}") from error


def _build_locked(settings: Settings) -> BuildSummary:
    staged = _stage(settings)
    with phase("materialize"):
        added = materialize.materialize(staged.store, staged.date_bounds)
    with phase("publish"):
        target = _publish(staged.store, settings.store)
        info = {
            "digest": _build_digest(settings, staged.items),
            "target": str(target),
            "built": time.time(),
        }
        _write_info(settings.store, info)
    with phase("stats"):
        entities = stats.counts(staged.store)
    return BuildSummary(
        files=len(staged.items),
        quads=staged.quads,
        published=settings.store,
        materialized=added,
        entities=entities,
        quotes=staged.quotes,
        gate=staged.gate,
    )


def build(settings: Settings) -> BuildSummary:
    """`shezhire build`: validate, materialize, publish (one build of a store at a time)."""
    with build_lock(settings.store):
        return _build_locked(settings)


def is_stale(settings: Settings) -> bool:
    """True when the store is missing or was built from other inputs or other build code."""
    info_path = _info_path(settings.store)
    if not settings.store.exists() or not info_path.exists():
        return True
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True
    return bool(info.get("digest") != _build_digest(settings, discover(settings)))


def ensure_built(settings: Settings) -> BuildSummary | None:
    """Build when the store is missing or stale (what `shezhire serve` does first).

    Raises StoreError when the store, built now or before, holds no triples.
    """
    summary = None
    if is_stale(settings):
        with build_lock(settings.store):
            # Another build may have published these very inputs while we waited.
            if is_stale(settings):
                summary = _build_locked(settings)
    require_triples(settings.store)
    return summary
