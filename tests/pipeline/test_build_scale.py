"""Issue 11 (build): the same inferred quads as before, and the incremental gate's rule."""

from __future__ import annotations

import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from tree_support import CLAIM, ROOT, make_tree, run, write_data

from shezhire.config import INFERRED_GRAPH, Settings
from shezhire.pipeline import load, materialize
from shezhire.pipeline.sources import discover

sys.path.insert(0, str(ROOT / "bench"))
from scale.data import make_tree as make_scaled_tree


def _inferred(staged: ox.Store, how: str) -> frozenset[str]:
    store = ox.Store()
    store.extend(staged.quads_for_pattern(None, None, None, None))  # the same blank nodes
    bounds = materialize.date_bounds(store, {})
    getattr(materialize, how)(store, bounds)
    graph = ox.NamedNode(INFERRED_GRAPH)
    return frozenset(str(q) for q in store.quads_for_pattern(None, None, None, graph))


@pytest.mark.slow
@pytest.mark.parametrize("scale", [1, 3])
def test_materialize_as_before(tmp_path: Path, scale: int) -> None:
    root = make_scaled_tree(ROOT, tmp_path / "tree", scale)
    items = discover(Settings(root=root, store_path=root / "var" / "store"))
    store, _counts = load.parse_all(items)
    new = _inferred(store, "materialize")
    assert new == _inferred(store, "materialize_by_update")
    assert len(new) > 13_000 * scale


def test_incremental_gate(tmp_path: Path) -> None:
    root = make_tree(tmp_path)
    write_data(
        root,
        "002-other.ttl",
        f'ex:lonely a shz:Person ; rdfs:label "L"@en ; '
        f'shz:nameAsWritten "L" ; {CLAIM.split(" ; ", 2)[2]} .\n'
        'ex:pub2 a shz:Publication ; rdfs:label "P"@en ; dcterms:title "P"@en ; '
        f"{CLAIM.split(' ; ', 2)[2]} .\n",
    )
    first = run(root, "build")
    assert first.returncode == 0, first.stderr
    assert "full gate: no earlier validation" in first.stdout
    again = run(root, "build")
    assert "nothing changed" in again.stdout
    # A change in one file: only its component is validated (002-other shares ex:pub).
    path = root / "data" / "ttl" / "002-other.ttl"
    path.write_text(path.read_text() + 'ex:lonely shz:patronymic "P" .\n', encoding="utf-8")
    edited = run(root, "build")
    assert edited.returncode == 0, edited.stderr
    assert "incremental gate" in edited.stdout
    # A change that breaks a node described in another file is found: the tie of 001 now
    # points at a person whose type 002 removes... 002 redefines ex:son without the name.
    write_data(
        root,
        "003-break.ttl",
        f'ex:ghost-tie a shz:KinTie ; rdfs:label "x"@en ; '
        f"shz:tieSubject ex:son ; shz:kinType <https://w3id.org/shezhire/vocab/kin/father> ;"
        f" shz:tieObject ex:nobody ; {CLAIM} .\n",
    )
    broken = run(root, "build")
    assert broken.returncode == 1
    assert "Tie-object" in broken.stderr + broken.stdout
    # Removing the file that typed a node another file needs is caught too.
    (root / "data" / "ttl" / "003-break.ttl").unlink()
    fixed = run(root, "build")
    assert fixed.returncode == 0, fixed.stderr
    (root / "data" / "ttl" / "001-test.ttl").write_text(
        (root / "data" / "ttl" / "001-test.ttl")
        .read_text()
        .replace("ex:pub a shz:Publication", "ex:pub a shz:Person"),
        encoding="utf-8",
    )
    removed_type = run(root, "build")
    assert removed_type.returncode == 1
    assert "002-other.ttl" in removed_type.stderr + removed_type.stdout
    full = run(root, "build", "--gate", "pyshacl", "--full")
    assert full.returncode == 1


def _contents(store_link: Path) -> frozenset[str]:
    """Every quad of a published store, blank nodes canonically named (a load renames them)."""
    store = ox.Store.read_only(str(store_link.resolve()))
    try:
        dataset = ox.Dataset(store)
    finally:
        del store
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return frozenset(str(q) for q in dataset)


def _build(root: Path, store: Path, **options: object) -> str:
    from shezhire.pipeline import build  # noqa: PLC0415

    summary = build.build(Settings(root=root, store_path=store, **options))  # type: ignore[arg-type]
    return summary.gate


@pytest.mark.slow
def test_rebuild_publishes_what_a_full_build_does(tmp_path: Path) -> None:
    """After each change, the rebuilt store holds exactly the quads of a full build."""
    root = make_scaled_tree(ROOT, tmp_path / "tree", 2)
    data = root / "data" / "ttl"
    rebuilt = tmp_path / "rebuilt" / "store"
    assert "full gate" in _build(root, rebuilt)
    nt = sorted(data.glob("*-c1.nt"))
    person = "<https://w3id.org/shezhire/id/person/aduchi-c1>"
    changes = [
        # a triple added to one file
        lambda: nt[0].write_text(
            nt[0].read_text() + f'{person} <http://www.w3.org/2000/01/rdf-schema#label> "X"@fr .\n'
        ),
        # a file added, linked to copy 1 (a second label of one of its persons)...
        lambda: (data / "zz-extra.nt").write_text(
            f'{person} <http://www.w3.org/2000/01/rdf-schema#label> "Y"@de .\n'
        ),
        # ... and removed again
        (data / "zz-extra.nt").unlink,
        # a Turtle file of copy 0 edited (a person's label: its derived schema:name changes)
        lambda: (data / "000-bolatkhan-2023-a.ttl").write_text(
            (data / "000-bolatkhan-2023-a.ttl")
            .read_text()
            .replace('"Aduchi (pseudonym)"@en', '"Aduchi (a pseudonym)"@en', 1)
        ),
        # nothing changed
        lambda: None,
    ]
    for number, change in enumerate(changes):
        change()
        note = _build(root, rebuilt)
        assert "(rebuild)" in note, note
        full = tmp_path / f"full-{number}" / "store"
        _build(root, full, gate_incremental=False)
        assert _contents(rebuilt) == _contents(full), note
