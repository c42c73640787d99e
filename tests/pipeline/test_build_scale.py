"""Issue 11 (build): the same inferred quads as before, and the incremental gate's rule."""

from __future__ import annotations

import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from tree_support import CLAIM, ROOT, make_tree, run, write_data

from shezhire.config import INFERRED_GRAPH, Settings
from shezhire.pipeline import evidence, incremental, load, materialize
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
        # a file that adds a citation to a fact of another file, with the locator and the
        # publication of one it has: both are numbered now (-1, -2), the unchanged file's too
        lambda: (data / "zz-cite.nt").write_bytes(second_citation),
        # ... and removed again: the first one gets its unnumbered IRI back
        (data / "zz-cite.nt").unlink,
    ]
    fact, first = _a_citation(nt_file := data / "000-bolatkhan-2023-a-c1.nt")
    second_citation = _second_citation(nt_file, fact, first)
    for number, change in enumerate(changes):
        change()
        note = _build(root, rebuilt)
        assert "(rebuild)" in note, note
        full = tmp_path / f"full-{number}" / "store"
        _build(root, full, gate_incremental=False)
        contents = _contents(full)
        assert _contents(rebuilt) == contents, note
        # The minted IRIs are compared too: no blank node is left to hide a difference.
        assert not any("_:" in q.split('"')[0] for q in contents)
        cited = _citations_of(full, fact)
        assert _citations_of(rebuilt, fact) == cited
        assert all(c.startswith(evidence.CITATION_BASE) for c in cited), cited
        numbered = sorted(c for c in cited if c.endswith(("-1", "-2")))
        if (data / "zz-cite.nt").exists():
            assert len(numbered) == 2 and numbered[0][:-2] == numbered[1][:-2], cited
        else:
            assert not numbered, cited


_CITATION = "https://w3id.org/shezhire/ontology#citation"
_EXACT = "http://www.w3.org/ns/oa#exact"


def _a_citation(path: Path) -> tuple[ox.NamedNode, ox.BlankNode]:
    """A fact of the N-Triples file `path` and one of its blank-node citations."""
    for triple in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES):
        if triple.predicate.value == _CITATION and isinstance(triple.object, ox.BlankNode):
            assert isinstance(triple.subject, ox.NamedNode)
            return triple.subject, triple.object
    raise AssertionError(f"no blank citation in {path}")


def _second_citation(path: Path, fact: ox.NamedNode, first: ox.BlankNode) -> bytes:
    """Another citation of `fact` with the locator and the publication of `first` (another
    quote), as N-Triples of a file of its own."""
    second = ox.BlankNode("zzsecond")
    triples = [ox.Triple(fact, ox.NamedNode(_CITATION), second)]
    for triple in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES):
        if triple.subject == first:
            obj = triple.object
            if triple.predicate.value == _EXACT:
                obj = ox.Literal("another quote of the same page")
            triples.append(ox.Triple(second, triple.predicate, obj))
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""


def _citations_of(store_link: Path, fact: ox.NamedNode) -> list[str]:
    store = ox.Store.read_only(str(store_link.resolve()))
    try:
        return sorted(
            str(q.object.value)
            for q in store.quads_for_pattern(fact, ox.NamedNode(_CITATION), None, None)
        )
    finally:
        del store


def test_sparql_constraints_the_incremental_rule_bounds() -> None:
    """The shapes' SPARQL constraints are walks from $this; other queries validate in full."""
    shapes = ox.Store()
    graph = ox.NamedNode("https://w3id.org/shezhire/graph/shapes")
    shapes.load(
        path=str(ROOT / "shapes" / "shezhire.ttl"), format=ox.RdfFormat.TURTLE, to_graph=graph
    )
    reach = incremental.sparql_reach(shapes, graph)
    assert len(reach) >= 3 and all(r is not None for r in reach), reach
    # shape:IdentityQuestion-reconstruction walks shz:question backwards
    assert any(r and "https://w3id.org/shezhire/ontology#question" in r for r in reach)
    prefix = "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .\n"
    for query, bounded in (
        (
            "SELECT $this WHERE { $this $PATH ?v . ?v ex:p ?w . FILTER NOT EXISTS { ?w ex:q 1 } }",
            True,
        ),
        ("SELECT $this WHERE { $this $PATH ?v . ?other a ex:Thing }", False),
        ("SELECT $this WHERE { $this $PATH ?v . GRAPH ?g { ?v ex:p ?w } }", False),
        ("SELECT $this WHERE { $this ?anything ?v }", False),
        ("SELECT $this WHERE { $this ex:p* ?v }", False),
    ):
        store = ox.Store()
        # The query's prefixes come from sh:declare, as in the shapes file.
        declare = '[ sh:prefix "ex" ; sh:namespace "http://example.org/" ]'
        shape = f'ex:s sh:path ex:p ; sh:sparql [ sh:select """{query}""" ] ; '
        store.load(
            (prefix + shape + f"sh:declare {declare} .").encode(),
            format=ox.RdfFormat.TURTLE,
            to_graph=graph,
        )
        assert (incremental.sparql_reach(store, graph)[0] is not None) is bounded, query
