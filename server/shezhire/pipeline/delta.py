"""Rebuild after a change: validate, materialize and publish only what the change can affect.

The published store's record (``<store>.build.json``) names the content hash of every data
file it holds and a digest of everything else it depends on (ontology, shapes, texts, engine,
the build's code). When that digest is unchanged and the gate's record holds the links of each
file version (pipeline/incremental.py), a build redoes only the *affected* files: the changed,
added and removed ones grown by whole components of linked files, before and after the change,
to a fixpoint (:func:`incremental.closure`). Every other file is the same before and after and
forms whole components of both.

Why this is sound: the gate, by the argument of pipeline/incremental.py. The materialization
rules (pipeline/materialize.py) are patterns connected through their nodes, joined through a
link or through a term of the ontology, shapes or a global file (``?k
shz:impliesSchemaRelation``, ``?class rdfs:subClassOf+``: the class or concept is the
subject), and their NOT EXISTS reads the same node; so what they derive from the whole graph is
the union of what they derive from each component with the ontology and the shapes, and what
they derive from unaffected components does not change. A derived triple that the old affected
files gave and the new ones do not is removed only when it holds a term that is a link of the
old affected files (so no unaffected component can give it); otherwise the build is full, as it
is with global files or shapes the gate's rule does not bound.

Evidence and blank nodes: the rebuild names the evidence of the affected files as the full
build does (pipeline/evidence.py), before the gate: a citation's IRI and its number among the
citations of its fact that share its locator depend only on the fact's citations, which are
all in files that use the fact's IRI, so in its component (a ``*-structured.ttl`` file that
adds citations to a fact of another file is linked to it by the fact's IRI). The links of the
affected files are taken again after the naming, and a rebuild whose closure they would grow
(a data file that writes a derived IRI itself) is a full build. After materializing, the
remaining blank nodes (the ontology's and the shapes' lists) get their genid IRIs as in the full
build, old and new alike, so no blank node reaches the comparison or the published store.

The new version starts as a copy of the published one (``Store.backup``: hard links to its
immutable files), then drops the affected graphs and their derived triples and adds the new
ones, and is swapped in like any build (pipeline/build.py): a failed rebuild leaves the
published store as it was. ``tests/pipeline/test_build_scale.py`` holds a rebuild to the same
quads as a full build.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from shezhire import __version__
from shezhire.config import INFERRED_GRAPH, Settings
from shezhire.pipeline import evidence, gate, incremental, load, materialize, quotes, sparql_gate
from shezhire.pipeline.phases import phase
from shezhire.pipeline.quotes import QuoteCount
from shezhire.pipeline.sources import InputFile, InputKind


def gate_code() -> str:
    """The code whose change invalidates the incremental gate's record."""
    code = hashlib.sha256(__version__.encode())
    for module in (gate, sparql_gate, incremental, load, evidence):
        code.update(Path(str(module.__file__)).read_bytes())
    return code.hexdigest()


@dataclass
class Rebuilt:
    """A validated change, ready to be written as a new version of the store."""

    write: Callable[[Path], None]
    gate: str
    note: str
    quotes: QuoteCount | None = None


class _Full(Exception):
    """This change needs a full build (the reason is the message)."""


def _display_path(path: Path, root: Path) -> Path:
    return path.relative_to(root) if path.is_relative_to(root) else path


def _lines(data: bytes) -> set[bytes]:
    return {line for line in data.split(b"\n") if line.strip()}


def _inferred(store: ox.Store, graph_files: dict[str, Path]) -> bytes:
    """Materialize `store` (date bounds included), then give its blank nodes their genid IRIs
    as the full build does; graph/inferred as N-Triples."""
    materialize.materialize(store, materialize.date_bounds(store, graph_files))
    evidence.skolemize(store)
    return store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(INFERRED_GRAPH)) or b""


def _info(settings: Settings) -> dict[str, object]:
    path = settings.store.with_name(settings.store.name + ".build.json")
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def rebuild(settings: Settings, items: list[InputFile], context: str) -> Rebuilt | None:
    """Validate and prepare the change since the published store, or None: build in full."""
    info = _info(settings)
    previous = Path(str(info.get("target", "")))
    files = info.get("files")
    if (
        info.get("context") != context
        or not isinstance(files, dict)
        or not settings.store.is_symlink()
        or settings.store.resolve() != previous
        or not previous.is_dir()
    ):
        return None
    try:
        return _rebuild(settings, items, previous, {str(g): str(h) for g, h in files.items()})
    except _Full:
        return None


def _rebuild(
    settings: Settings, items: list[InputFile], previous: Path, old_files: dict[str, str]
) -> Rebuilt:
    state = incremental.State.load(settings.gate_state)
    if any(h not in state.links for h in old_files.values()):
        raise _Full("no record of the links of the published files")
    data_items = {item.graph_iri: item for item in items if item.kind is InputKind.DATA}
    other_items = [item for item in items if item.kind is not InputKind.DATA]
    graph_files = {item.graph_iri: _display_path(item.path, settings.root) for item in items}
    shape_graphs = [item.graph_iri for item in items if item.kind is InputKind.SHAPES]
    ontology_graphs = [item.graph_iri for item in items if item.kind is InputKind.ONTOLOGY]
    with phase("parse"):
        data = {g: incremental.file_hash(item.path) for g, item in data_items.items()}
        staging = ox.Store()
        for item in other_items:
            load.parse_into(staging, item)
        ctx = incremental.context(staging, items, settings.gate, gate_code())
        if ctx.digest != state.context or not ctx.bounded:
            raise _Full("the gate's record is of other shapes or code")
        changed = {g for g, h in data.items() if old_files.get(g) != h}
        removed = set(old_files) - set(data)
        for g in sorted(changed):
            load.parse_into(staging, data_items[g])
        links = dict(state.links)
        # The changed files' links before their evidence is named (it is named below, with
        # every file of their components): the owner of each evidence node is a link of its
        # file already, so the closure is the same; it is checked again after the naming.
        links.update(
            {
                data[g]: found
                for g, found in incremental.links_of_all(staging, sorted(changed), ctx).items()
            }
        )
        old_links = {g: links[h] for g, h in old_files.items()}
        new_links = {g: links[h] for g, h in data.items()}
        if any(v.is_global for v in (*old_links.values(), *new_links.values())):
            raise _Full("a data file describes ontology terms")
        affected = incremental.closure(old_links, new_links, changed | removed)
        if 4 * len(affected) > 3 * len(data):
            raise _Full("the change reaches most files: a full build is quicker")
        affected_new = sorted(affected & set(data))
        affected_old = sorted(affected & set(old_files))
        for g in affected_new:
            if g not in changed:
                load.parse_into(staging, data_items[g])
        # Evidence IRIs as the full build gives them: every citation of a fact is in a file
        # that uses the fact's IRI, so in the fact's component, so here (their numbering too).
        evidence.name_evidence(staging)
        named = incremental.links_of_all(staging, affected_new, ctx)
        links.update({data[g]: found for g, found in named.items()})
        new_links.update(named)
        if incremental.closure(old_links, new_links, changed | removed) - affected:
            # A derived IRI that an unaffected file writes itself (a clash the naming reports).
            raise _Full("the evidence IRIs link a file outside the change")
    with phase("gate"):
        if affected_new:
            gate.validate(
                staging,
                ontology_graphs + affected_new,
                shape_graphs,
                graph_files,
                settings.report,
                engine=settings.gate,
            )
        incremental.State(ctx.digest, data, {h: links[h] for h in data.values()}).save(
            settings.gate_state
        )
        quoted = None
        if settings.texts_dir is not None:
            quoted = quotes.check(
                staging, {g: graph_files[g] for g in affected_new}, settings.texts_dir
            )
    with phase("materialize"):
        new_inferred = _inferred(staging, graph_files)
        old_store = ox.Store()
        for item in other_items:
            load.parse_into(old_store, item)
        published = ox.Store.read_only(str(previous))
        try:
            for g in affected_old:
                graph = ox.NamedNode(g)
                dumped = published.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
                if dumped:
                    old_store.load(dumped, format=ox.RdfFormat.N_TRIPLES, to_graph=graph)
        finally:
            del published
        old_inferred = _inferred(old_store, graph_files)
        # Both are skolemized (no blank node is left): the lines compare as the quads do.
        new_lines, old_lines = _lines(new_inferred), _lines(old_inferred)
        gone = sorted(old_lines - new_lines)
        added = sorted(new_lines - old_lines)
        old_keys: set[str] = set()
        for g in affected_old:
            old_keys.update(old_links[g].keys)
        for quad in ox.parse(b"\n".join(gone), format=ox.RdfFormat.N_TRIPLES):
            if not {incremental.term_key(quad.subject), incremental.term_key(quad.object)} & (
                old_keys
            ):
                raise _Full("a derived triple to remove may come from another component")
        payload = [
            q
            for g in affected_new
            for q in staging.quads_for_pattern(None, None, None, ox.NamedNode(g))
        ]
        inferred = ox.NamedNode(INFERRED_GRAPH)
        added_text = b"\n".join(added)

    def write(target: Path) -> None:
        source = ox.Store.read_only(str(previous))
        try:
            target.rmdir()  # the empty folder _publish made: a backup makes its own
            source.backup(str(target))
        finally:
            del source
        disk = ox.Store(str(target))
        try:
            for g in affected_old:
                disk.remove_graph(ox.NamedNode(g))
            if gone:
                body = b"\n".join(gone).decode()
                disk.update(f"DELETE DATA {{ GRAPH <{INFERRED_GRAPH}> {{ {body} }} }}")
            disk.extend(payload)
            if added_text:
                disk.load(
                    added_text, format=ox.RdfFormat.N_TRIPLES, to_graph=inferred, lenient=True
                )
            disk.flush()
        finally:
            del disk

    what = (
        f"{len(changed)} changed or added, {len(removed)} removed"
        if changed or removed
        else "nothing changed"
    )
    gate_note = f"incremental gate, {len(affected_new)} of {len(data)} data files (rebuild): {what}"
    note = f"rebuild: {len(gone)} derived triples removed, {len(added)} added"
    return Rebuilt(write, gate_note, note, quoted)
