"""One conforming and one violating case per shape rule (W3C data-shapes style).

Each file in cases/ holds the data of one case and, in the same file, the expected validation
report (`<> sht:expected [ a sh:ValidationReport ; ... ]`). The test splits the report from the
data, loads the data together with ontology/*.ttl into an rdflib Dataset whose default graph is
the union (as the SHACL gate does), validates it against shapes/shezhire.ttl with pySHACL
(inference "none") and compares the outcome with the expected report. See README.md here.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH

from shezhire.config import GRAPH_BASE
from shezhire.pipeline import evidence, gate, load
from shezhire.pipeline.sources import InputFile, InputKind

ROOT = Path(__file__).resolve().parents[2]
CASES_DIR = Path(__file__).resolve().with_name("cases")
SHAPES_FILE = ROOT / "shapes" / "shezhire.ttl"
ONTOLOGY_DIR = ROOT / "ontology"

SHT = Namespace("http://www.w3.org/ns/shacl-test#")
SHAPE = Namespace("https://w3id.org/shezhire/shapes#")
KINDS = ("conforming", "violating")

CASE_FILES = sorted(CASES_DIR.glob("*.ttl"))

# rdflib's Dataset warns about its own deprecated default_context on every lookup pySHACL makes.
pytestmark = pytest.mark.filterwarnings("ignore:Dataset.default_context:DeprecationWarning")

# Predicates of a node shape that are not constraints (targets, structure, documentation).
_NOT_CONSTRAINTS = {
    SH.targetClass,
    SH.targetNode,
    SH.targetObjectsOf,
    SH.targetSubjectsOf,
    SH.target,
    SH.property,
    SH.message,
    SH.severity,
    SH.deactivated,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    SH.rule,
}

# A result as compared: focus node (any blank node as one placeholder), source shape,
# result path (normalized), constraint component.
Result = tuple[object, object, object, object]
Outcome = tuple[bool, set[Result], dict[Result, set[Result]]]
_BLANK = "_:blank"


def rule_and_kind(path: Path) -> tuple[str, str]:
    """`Tie-noSelfTie.violating.ttl` -> ("Tie-noSelfTie", "violating")."""
    rule, kind, suffix = path.name.rsplit(".", 2)
    assert suffix == "ttl", f"{path.name}: not a Turtle file"
    assert kind in KINDS, f"{path.name}: name it <Rule>.conforming.ttl or <Rule>.violating.ttl"
    return rule, kind


@functools.cache
def shapes_graph() -> Graph:
    return Graph().parse(SHAPES_FILE, format="turtle")


@functools.cache
def ontology_quads() -> tuple[tuple[rdflib.term.Node, ...], ...]:
    """ontology/*.ttl as the gate stages them: strictly parsed, one named graph per file."""
    items = [InputFile(p, InputKind.ONTOLOGY) for p in sorted(ONTOLOGY_DIR.glob("*.ttl"))]
    store, _counts = load.parse_all(items)
    dataset = gate.as_dataset(store)
    return tuple((s, p, o, g) for s, p, o, g in dataset.quads((None, None, None, None)))


def node_text(graph: Graph, node: rdflib.term.Node | None) -> object:
    """A comparable form of a focus node, shape or path (blank nodes by structure or presence)."""
    if node is None or isinstance(node, URIRef | Literal):
        return node
    if graph.value(node, RDF.first) is not None or node == RDF.nil:
        return tuple(node_text(graph, item) for item in Collection(graph, node))
    for kind in (
        SH.inversePath,
        SH.alternativePath,
        SH.zeroOrMorePath,
        SH.oneOrMorePath,
        SH.zeroOrOnePath,
    ):
        inner = graph.value(node, kind)
        if inner is not None:
            return (str(kind), node_text(graph, inner))
    return _BLANK


def split_case(graph: Graph) -> tuple[Graph, Graph, rdflib.term.Node]:
    """Separate the test description and expected report from the data of a case file.

    The description is everything reachable from the node with `sht:expected` through blank
    nodes, except what a focus node or value (which belong to the data) leads to.
    """
    cases = list(graph.subjects(SHT.expected, None))
    assert len(cases) == 1, "a case file describes exactly one case (one sht:expected)"
    case = cases[0]
    description = Graph()
    todo: list[rdflib.term.Node] = [case]
    seen: set[rdflib.term.Node] = set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in graph.predicate_objects(node):
            description.add((node, p, o))
            if isinstance(o, BNode) and p not in (SH.focusNode, SH.value):
                todo.append(o)
    data = Graph()
    for triple in graph:
        if triple not in description:
            data.add(triple)
    report = graph.value(case, SHT.expected)
    assert report is not None
    return data, description, report


def results_of(graph: Graph, report: rdflib.term.Node, link: URIRef = SH.result) -> set[Result]:
    """The results of a report (or the sh:detail results of a result)."""
    return {result_key(graph, result) for result in graph.objects(report, link)}


def result_key(graph: Graph, result: rdflib.term.Node) -> Result:
    return (
        node_text(graph, graph.value(result, SH.focusNode)),
        graph.value(result, SH.sourceShape),
        node_text(graph, graph.value(result, SH.resultPath)),
        graph.value(result, SH.sourceConstraintComponent),
    )


def dataset_for(data: Graph, name: str) -> rdflib.Dataset:
    """The case data plus the ontology, each in its named graph, default graph = union."""
    dataset = rdflib.Dataset(default_union=True)
    graphs: dict[rdflib.term.Node, Graph] = {}
    for s, p, o, g in ontology_quads():
        if g not in graphs:
            graphs[g] = dataset.graph(g)
        graphs[g].add((s, p, o))
    target = dataset.graph(URIRef(GRAPH_BASE + name))
    for triple in named_evidence(data):
        target.add(triple)
    return dataset


def named_evidence(data: Graph) -> Graph:
    """The case data as the gate sees it: the build's evidence IRIs given (citations, quotes,
    participations), by the build's own step on a pyoxigraph store."""
    store = ox.Store()
    graph = ox.NamedNode(GRAPH_BASE + "case")
    store.extend(
        ox.Quad(t.subject, t.predicate, t.object, graph)
        for t in ox.parse(data.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES)
    )
    evidence.name_evidence(store)
    named = Graph()
    named.parse(data=store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph), format="nt")
    return named


def validate(dataset: rdflib.Dataset) -> Outcome:
    """pySHACL as the gate runs it; the results, and the sh:detail results under each."""
    conforms, report, _text = pyshacl.validate(
        dataset, shacl_graph=shapes_graph(), inference="none", allow_warnings=True
    )
    assert isinstance(report, Graph)
    actual: set[Result] = set()
    details: dict[Result, set[Result]] = {}
    for report_node in report.subjects(RDF.type, SH.ValidationReport):
        for result in report.objects(report_node, SH.result):
            key = result_key(report, result)
            actual.add(key)
            details.setdefault(key, set()).update(results_of(report, result, SH.detail))
    return bool(conforms), actual, details


def outcome(path: Path) -> Outcome:
    """Parse one case, split it, validate its data; picklable, for the worker processes."""
    data, _description, _report = split_case(Graph().parse(path, format="turtle"))
    conforms, actual, details = validate(dataset_for(data, path.name.split(".")[0]))
    return conforms, actual, details


@pytest.fixture(scope="session")
def outcomes(request: pytest.FixtureRequest) -> dict[Path, Outcome]:
    """Validate every selected case up front, one process per core (about 2x on 2 cores)."""
    selected = sorted(
        {
            item.callspec.params["path"]
            for item in request.session.items
            if getattr(item, "originalname", None) == "test_shape_case"
            and hasattr(item, "callspec")
        }
    )
    workers = min(len(selected), os.cpu_count() or 1)
    if workers <= 1:
        return {path: outcome(path) for path in selected}
    # spawn, not fork: the session may already run threads (the HTTP tests' servers).
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return dict(zip(selected, pool.map(outcome, selected, chunksize=4), strict=True))


def describe(results: Iterable[Result]) -> str:
    return "\n".join(sorted(" | ".join(str(part) for part in r) for r in results)) or "(none)"


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.name.removesuffix(".ttl") for p in CASE_FILES])
def test_shape_case(path: Path, outcomes: dict[Path, Outcome]) -> None:
    rule, kind = rule_and_kind(path)
    _data, description, report = split_case(Graph().parse(path, format="turtle"))
    expected_conforms = description.value(report, SH.conforms)
    assert expected_conforms == Literal(kind == "conforming"), "sh:conforms does not match the name"
    expected = results_of(description, report)
    conforms, actual, actual_details = outcomes[path]

    if kind == "conforming":
        assert conforms, f"{path.name} should conform; got:\n{describe(actual)}"
        assert not expected, "a conforming case expects no results"
        return
    assert not conforms, f"{path.name} should violate shape:{rule} but conforms"
    assert expected, "a violating case lists its expected results"
    assert (None, SH.sourceShape, SHAPE[rule]) in description, (
        f"no expected result (or sh:detail) names shape:{rule}"
    )

    # The comparison the suite is about: the (focus node, source shape) pairs.
    pairs = {(focus, shape) for focus, shape, _p, _c in actual}
    expected_pairs = {(focus, shape) for focus, shape, _p, _c in expected}
    assert pairs == expected_pairs, f"expected:\n{describe(expected)}\nactual:\n{describe(actual)}"

    # Where the expected report gives a path, a component or details, they match too.
    for result in description.objects(report, SH.result):
        key = result_key(description, result)
        matches = [r for r in actual if matches_expected(key, r)]
        assert matches, f"no actual result matches {describe([key])}:\n{describe(actual)}"
        expected_details = results_of(description, result, SH.detail)
        for detail in expected_details:
            assert any(
                matches_expected(detail, d) for r in matches for d in actual_details.get(r, ())
            ), f"no sh:detail matches {describe([detail])}"


def matches_expected(expected: Result, actual: Result) -> bool:
    return all(e is None or e == a for e, a in zip(expected, actual, strict=True))


def shape_rules() -> set[str]:
    """Every IRI property shape, and every IRI node shape with a node-level constraint."""
    shapes = shapes_graph()
    rules = set()
    property_shapes = set(shapes.subjects(RDF.type, SH.PropertyShape)) | set(
        shapes.subjects(SH.path, None)
    )
    for shape in property_shapes:
        if isinstance(shape, URIRef):
            rules.add(shape)
    for shape in shapes.subjects(RDF.type, SH.NodeShape):
        constraints = {
            p
            for p in shapes.predicates(shape)
            if str(p).startswith(str(SH)) and p not in _NOT_CONSTRAINTS
        }
        if isinstance(shape, URIRef) and constraints:
            rules.add(shape)
    return {str(r).removeprefix(str(SHAPE)) for r in rules}


def test_every_rule_has_both_cases() -> None:
    present: dict[str, set[str]] = {}
    for path in CASE_FILES:
        rule, kind = rule_and_kind(path)
        present.setdefault(rule, set()).add(kind)
    rules = shape_rules()
    missing = sorted(
        f"{rule}.{kind}.ttl"
        for rule in rules
        for kind in KINDS
        if kind not in present.get(rule, set())
    )
    assert not missing, f"shape rules without a test case in {CASES_DIR}: {missing}"
    orphans = sorted(set(present) - rules)
    assert not orphans, f"cases for rules that are not in shapes/shezhire.ttl: {orphans}"


def test_every_property_shape_is_named() -> None:
    """A blank property shape would escape the suite (and violations could not name it)."""
    shapes = shapes_graph()
    blank = [
        (str(node), str(shapes.value(prop, SH.path)))
        for node, prop in shapes.subject_objects(SH.property)
        if isinstance(prop, BNode)
    ]
    assert not blank, f"give these property shapes an IRI shape:...: {blank}"


def test_case_files_parse_strictly() -> None:
    """Each case is Turtle the build's strict parser (pyoxigraph) accepts, not only rdflib."""
    for path in CASE_FILES:
        quads = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=path.as_uri()))
        assert quads, path.name
