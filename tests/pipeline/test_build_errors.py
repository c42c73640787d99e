"""End-to-end tests of `shezhire validate` and `shezhire build` on a temporary project root.

Each test copies ontology/ and shapes/ into tmp_path, writes a small valid data file, and runs
the `shezhire` command in a subprocess with --root and --store pointing into tmp_path.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import SH
from tree_support import (
    CLAIM,
    PREFIXES,
    VIOLATING,
    make_tree,
    run,
    store_snapshot,
    write_data,
)

INFERRED = "https://w3id.org/shezhire/graph/inferred"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project root with the real ontology and shapes and one small valid data file."""
    return make_tree(tmp_path)


BROKEN = """
ex:x a shz:Person ;
    rdfs:label "X"@en ;
    shz:nameAsWritten "X" ;
    shz:citation foo:missing-prefix .
"""
BROKEN_LINE = PREFIXES.count("\n") + 5  # the line with foo:missing-prefix


def ask(store: ox.Store, query: str) -> bool:
    prefixes = {
        "schema": "https://schema.org/",
        "foaf": "http://xmlns.com/foaf/0.1/",
        "shz": "https://w3id.org/shezhire/ontology#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "ex": "https://example.org/",
    }
    result = store.query(query, prefixes=prefixes, use_default_graph_as_union=True)
    assert isinstance(result, ox.QueryBoolean)
    return bool(result)


def test_valid_project_validates(project: Path) -> None:
    done = run(project, "validate")
    assert done.returncode == 0, done.stderr
    assert "SHACL: conforms" in done.stdout


def test_syntax_error_names_file_and_line(project: Path) -> None:
    broken = write_data(project, "002-broken.ttl", BROKEN)
    assert "foo:missing-prefix" in broken.read_text().splitlines()[BROKEN_LINE - 1]
    for command in ("validate", "build"):
        done = run(project, command)
        assert done.returncode == 1, done.stdout
        assert f"002-broken.ttl:{BROKEN_LINE}" in done.stderr, done.stderr
        assert "syntax error" in done.stderr
        assert "Traceback" not in done.stderr
    assert not (project / "var" / "store").exists()


def test_violation_names_focus_path_shape_and_file(project: Path) -> None:
    write_data(project, "002-violating.ttl", VIOLATING)
    report_path = project / "var" / "shacl-report.ttl"
    done = run(project, "validate")
    assert done.returncode == 1, done.stdout
    lines = [line for line in done.stderr.splitlines() if "<https://example.org/self-tie>" in line]
    assert len(lines) == 1, done.stderr
    line = lines[0]
    assert "data/ttl/002-violating.ttl" in line
    assert "focus <https://example.org/self-tie>" in line
    assert "path <https://w3id.org/shezhire/ontology#tieSubject>" in line
    assert "shape <https://w3id.org/shezhire/shapes#Tie-noSelfTie>" in line
    assert "1 SHACL violation(s)" in done.stderr
    assert str(report_path) in done.stderr

    report = rdflib.Graph().parse(report_path, format="turtle")
    reports = list(report.subjects(rdflib.RDF.type, SH.ValidationReport))
    assert len(reports) == 1
    assert report.value(reports[0], SH.conforms) == rdflib.Literal(False)
    results = list(report.objects(reports[0], SH.result))
    assert len(results) == 1
    assert report.value(results[0], SH.focusNode) == rdflib.URIRef("https://example.org/self-tie")
    assert report.value(results[0], SH.sourceShape) == rdflib.URIRef(
        "https://w3id.org/shezhire/shapes#Tie-noSelfTie"
    )
    assert not (project / "var" / "store").exists()


def test_failed_builds_leave_the_published_store_untouched(project: Path) -> None:
    store_link = project / "var" / "store"
    done = run(project, "build")
    assert done.returncode == 0, done.stderr
    assert store_link.is_symlink()
    before = store_snapshot(store_link)
    info_before = store_link.with_name("store.build.json").read_text()
    assert before[1], "the published store is empty"

    broken = write_data(project, "002-broken.ttl", BROKEN)
    done = run(project, "build")
    assert done.returncode == 1
    assert "002-broken.ttl" in done.stderr
    assert store_snapshot(store_link) == before

    broken.unlink()
    write_data(project, "002-violating.ttl", VIOLATING)
    done = run(project, "build")
    assert done.returncode == 1
    assert "Tie-noSelfTie" in done.stderr
    assert store_snapshot(store_link) == before
    assert store_link.with_name("store.build.json").read_text() == info_before


@pytest.mark.parametrize("command", ["build", "validate"])
def test_invalid_calendar_date_fails(project: Path, command: str) -> None:
    write_data(
        project,
        "002-bad-date.ttl",
        f"""
ex:bad-date a shz:Event ; rdfs:label "An event on 30 February"@en ;
    shz:eventType evt:release ; shz:date "1954-02-30"^^edtf:EDTF ; {CLAIM} .
""",
    )
    done = run(project, command)
    assert done.returncode == 1, done.stdout
    assert "1954-02-30" in done.stderr
    assert "https://example.org/bad-date" in done.stderr
    assert "002-bad-date.ttl" in done.stderr
    assert not (project / "var" / "store").exists()


def test_validate_publishes_nothing(project: Path) -> None:
    done = run(project, "validate")
    assert done.returncode == 0, done.stderr
    var = project / "var"
    assert not (var / "store").exists()
    assert not (var / "store").is_symlink()
    assert not (var / "store.versions").exists()
    assert not (var / "store.build.json").exists()


def test_validate_does_not_touch_a_published_store(project: Path) -> None:
    assert run(project, "build").returncode == 0
    store_link = project / "var" / "store"
    before = store_snapshot(store_link)
    write_data(
        project,
        "002-more.ttl",
        """
ex:more a shz:Person ; rdfs:label "More"@en ; shz:nameAsWritten "More" ;
    shz:citation [ a shz:Citation ; shz:publication ex:pub ; shz:page "4" ; oa:exact "more" ] .
""",
    )
    done = run(project, "validate")
    assert done.returncode == 0, done.stderr
    assert store_snapshot(store_link) == before


@pytest.fixture(scope="module")
def built_store(tmp_path_factory: pytest.TempPathFactory) -> ox.Store:
    root = make_tree(tmp_path_factory.mktemp("built"))
    done = run(root, "build")
    assert done.returncode == 0, done.stderr
    assert "published" in done.stdout
    memory = ox.Store()
    disk = ox.Store.read_only(str((root / "var" / "store").resolve()))
    memory.extend(disk.quads_for_pattern(None, None, None, None))
    del disk
    return memory


@pytest.mark.parametrize(
    "pattern",
    [
        # persons get the generic types
        "ex:father a schema:Person, foaf:Person",
        "ex:wife a schema:Person, foaf:Person",
        # a kin tie: schema:relatedTo both ways
        "ex:father schema:relatedTo ex:son . ex:son schema:relatedTo ex:father",
        # a social tie: schema:knows both ways
        "ex:teacher schema:knows ex:son . ex:son schema:knows ex:teacher",
        # kin:father: the subject is the object's parent
        "ex:son schema:parent ex:father . ex:father schema:children ex:son",
        # kin:wife: spouses both ways
        "ex:wife schema:spouse ex:son . ex:son schema:spouse ex:wife",
        # the participant of an event
        "ex:release shz:participant ex:son",
        # EDTF bounds as xsd:date
        'ex:release shz:earliestDate "1954-07-01"^^xsd:date ;'
        ' shz:latestDate "1954-07-31"^^xsd:date',
        'ex:deportation shz:earliestDate "1943-01-01"^^xsd:date ;'
        ' shz:latestDate "1944-02-29"^^xsd:date',
    ],
)
def test_build_materializes(built_store: ox.Store, pattern: str) -> None:
    assert ask(built_store, f"ASK {{ GRAPH <{INFERRED}> {{ {pattern} }} }}"), pattern


@pytest.mark.parametrize(
    "pattern",
    [
        "ex:son schema:parent ex:teacher",  # a social tie implies no kinship
        "ex:son schema:relatedTo ex:teacher",
        "ex:father schema:parent ex:son",  # not the wrong way round
        "ex:son schema:spouse ex:father",
        "ex:father schema:knows ex:son",  # knows is for social ties
    ],
)
def test_build_materializes_nothing_more(built_store: ox.Store, pattern: str) -> None:
    assert not ask(built_store, f"ASK {{ {pattern} }}"), pattern


def test_build_keeps_one_graph_per_file(built_store: ox.Store) -> None:
    graphs = {g.value for g in built_store.named_graphs() if isinstance(g, ox.NamedNode)}
    assert {
        "https://w3id.org/shezhire/graph/ontology",
        "https://w3id.org/shezhire/graph/vocabularies",
        "https://w3id.org/shezhire/graph/001-test",
        "https://w3id.org/shezhire/graph/shapes",  # published for clients, not validated as data
        INFERRED,
    } <= graphs
