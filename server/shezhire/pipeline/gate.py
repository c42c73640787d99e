"""The SHACL gate over the staging store; nothing invalid is ever published.

Two engines give the same verdicts (a differential test holds them to it, tests/pipeline/
test_gate_differential.py): ``fast`` (the default), the Rust validator of the PyPI package
``shacl``, fed the staged quads as N-Triples (its SPARQL-based constraints, where their
structure allows, are one pyoxigraph query each over the store instead: sparql_gate.py), and
``pyshacl``, the reference, over an rdflib copy of them. Choose with ``--gate`` or
``SHEZHIRE_GATE``. Why ``shacl``: README.md, "The build at scale" (measured against pySHACL
and pyshacl-turbo).

Every result is reported alike: the focus node and the value as N-Triples terms, the path in
SPARQL property-path syntax, the shape (its IRI; a blank shape as ``<named ancestor> / property
<path>``), the constraint component, the severity and the message, and the data files the
focus node comes from.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import SH

from shezhire.errors import ValidationProblem

GATES = ("fast", "pyshacl")
DEFAULT_GATE = "fast"


@dataclass(frozen=True)
class ShaclResult:
    """One validation result, with the data file(s) its focus node comes from."""

    focus: str
    path: str
    shape: str
    component: str
    severity: str
    message: str
    files: tuple[str, ...] = ()

    def key(self) -> tuple[str, str, str, str, str]:
        """What the two engines must agree on: focus, path, shape, component, severity."""
        return (self.focus, self.path, self.shape, self.component, self.severity)

    def describe(self) -> str:
        where = ", ".join(self.files) or "?"
        return (
            f"{where}: focus {self.focus} | path {self.path} | shape {self.shape} | "
            f"{self.severity}: {self.message}"
        )


@dataclass
class Outcome:
    """What one engine said: the verdict, its results, and the full report on demand."""

    conforms: bool
    results: list[ShaclResult]
    report: Callable[[], bytes]


# ----------------------------------------------------------------------- shared helpers


def local_name(iri: str) -> str:
    """The last segment of an IRI (after # or /)."""
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def graph_ntriples(store: ox.Store, graphs: Iterable[str]) -> Iterable[bytes]:
    """The quads of `graphs` as N-Triples, graph by graph (blank-node labels kept)."""
    for graph in graphs:
        yield store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph)) or b""


def _ox_term(text: str) -> ox.NamedNode | ox.BlankNode | None:
    if text.startswith("<") and text.endswith(">"):
        return ox.NamedNode(text[1:-1])
    if text.startswith("_:"):
        return ox.BlankNode(text[2:])
    return None


def owner_graphs(store: ox.Store, focus: str, graphs: set[str]) -> set[str]:
    """Graphs (of `graphs`) that describe `focus`; for a node only used as an object, those."""
    term = _ox_term(focus)
    if term is None:
        return set()
    found = {
        q.graph_name.value
        for q in store.quads_for_pattern(term, None, None, None)
        if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in graphs
    }
    if not found:
        found = {
            q.graph_name.value
            for q in store.quads_for_pattern(None, None, term, None)
            if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in graphs
        }
    return found


# ----------------------------------------------------------------------- fast: shacl (Rust)


def _has_blank_focus(results: Iterable[ShaclResult]) -> bool:
    return any(r.focus.startswith("_:") for r in results)


def run_fast(store: ox.Store, data_graphs: list[str], shapes_graphs: list[str]) -> Outcome:
    """The ``shacl`` package over the union of `data_graphs` (no rdflib copy)."""
    import shacl  # noqa: PLC0415 - a compiled extension, loaded only by the fast gate

    from shezhire.pipeline import sparql_gate  # noqa: PLC0415 - it imports this module

    # SPARQL-based constraints it can, one query each over the store (sparql_gate.py): the
    # ``shacl`` package runs them once per focus node.
    shape_triples, constraints = sparql_gate.split(store, shapes_graphs)
    shapes_text = ox.serialize(shape_triples, format=ox.RdfFormat.N_TRIPLES) or b""
    shapes = shacl.Shapes.from_text(shapes_text.decode(), format="ntriples")
    # A file, not a string: the data is written once and read by Rust, never held as a str.
    descriptor, name = tempfile.mkstemp(suffix=".nt", prefix="shezhire-gate-")
    try:
        with os.fdopen(descriptor, "wb") as out:
            for chunk in graph_ntriples(store, data_graphs):
                out.write(chunk)
        report = shapes.validate_file(name, inference="none", allow_warnings=True)
    finally:
        os.unlink(name)
    results = []
    for r in report.results:
        shape = r.source_shape or "-"
        if shape.startswith("_:"):
            shape = f"{r.root_shape or '?'} / property {r.path or '-'}"
        results.append(
            ShaclResult(
                focus=r.focus_node,
                path=r.path or "-",
                shape=shape,
                component=r.component_iri.strip("<>"),
                severity=r.severity or local_name(r.severity_iri),
                message=r.message or r.component,
            )
        )
    answered = [
        r for c in constraints for r in sparql_gate.evaluate(store, data_graphs, shapes_graphs, c)
    ]
    results.extend(answered)
    conforms = bool(report.conforms) and not any(r.severity == "Violation" for r in answered)
    return Outcome(
        conforms,
        results,
        lambda: sparql_gate.report(report.serialize("turtle"), answered, conforms),
    )


# ----------------------------------------------------------------------- reference: pySHACL


def as_dataset(
    store: ox.Store,
    exclude: set[str] | frozenset[str] = frozenset(),
    include: Iterable[str] | None = None,
    blank_labels: dict[rdflib.BNode, str] | None = None,
) -> rdflib.Dataset:
    """The staging store as an rdflib Dataset whose default graph is the union.

    One blank-node label is one node across graphs, as in the store; `blank_labels`, when
    given, receives the staged label of each blank node (rdflib names its own), so that a
    result names the staged node. pySHACL accepts a pyoxigraph.Store directly, but over this
    graph it ran 17x slower (11.2 s against 0.65 s, measured on the first 3,600 quads), so the
    reference gate hands it the same quads in rdflib's memory store.
    """
    dataset = rdflib.Dataset(default_union=True)
    if include is None:
        include = sorted(
            g.value
            for g in store.named_graphs()
            if isinstance(g, ox.NamedNode) and g.value not in exclude
        )
    nodes: dict[str, rdflib.BNode] = {}
    for graph in include:
        data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
        dataset.graph(rdflib.URIRef(graph)).parse(
            data=data or b"", format="nt", bnode_context=nodes
        )
    if blank_labels is not None:
        blank_labels.update({node: label for label, node in nodes.items()})
    return dataset


def path_text(graph: rdflib.Graph, node: rdflib.term.Node | None) -> str:
    """A SHACL path node in SPARQL property-path syntax, as the ``shacl`` package writes it."""
    if node is None:
        return "-"
    if isinstance(node, rdflib.URIRef):
        return f"<{node}>"
    if graph.value(node, rdflib.RDF.first) is not None:
        return "(" + "/".join(path_text(graph, item) for item in Collection(graph, node)) + ")"
    for kind, template in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "{}*"),
        (SH.oneOrMorePath, "{}+"),
        (SH.zeroOrOnePath, "{}?"),
    ):
        inner = graph.value(node, kind)
        if inner is not None:
            return template.format(path_text(graph, inner))
    alternatives = graph.value(node, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(path_text(graph, i) for i in Collection(graph, alternatives)) + ")"
    return "?"


def _term_text(term: rdflib.term.Node | None, labels: dict[rdflib.BNode, str] | None = None) -> str:
    if term is None:
        return "-"
    if isinstance(term, rdflib.URIRef):
        return f"<{term}>"
    if isinstance(term, rdflib.BNode):
        return f"_:{(labels or {}).get(term, str(term))}"
    return term.n3()


def _shape_text(report: rdflib.Graph, shape: rdflib.term.Node | None) -> str:
    """An IRI shape by its IRI; a blank-node shape by its named ancestor and its path."""
    if shape is None or isinstance(shape, rdflib.URIRef):
        return _term_text(shape)
    node: rdflib.term.Node = shape
    for _ in range(10):
        parents = list(report.subjects(SH.property, node)) + list(report.subjects(SH.node, node))
        if not parents:
            break
        node = parents[0]
        if isinstance(node, rdflib.URIRef):
            break
    parent = _term_text(node) if isinstance(node, rdflib.URIRef) else "?"
    return f"{parent} / property {path_text(report, report.value(shape, SH.path))}"


def run_pyshacl(store: ox.Store, data_graphs: list[str], shapes_graphs: list[str]) -> Outcome:
    """pySHACL (the reference) over an rdflib copy of the union of `data_graphs`."""
    import pyshacl  # noqa: PLC0415 - the reference engine; the fast gate does without it

    shapes = rdflib.Graph()
    shapes.parse(data=b"".join(graph_ntriples(store, shapes_graphs)), format="nt")
    labels: dict[rdflib.BNode, str] = {}
    dataset = as_dataset(store, include=data_graphs, blank_labels=labels)
    conforms, report, _text = pyshacl.validate(
        dataset, shacl_graph=shapes, inference="none", allow_warnings=True
    )
    assert isinstance(report, rdflib.Graph)
    results = []
    for report_node in report.subjects(rdflib.RDF.type, SH.ValidationReport):
        for result in report.objects(report_node, SH.result):
            severity = report.value(result, SH.resultSeverity)
            component = report.value(result, SH.sourceConstraintComponent)
            results.append(
                ShaclResult(
                    focus=_term_text(report.value(result, SH.focusNode), labels),
                    path=path_text(report, report.value(result, SH.resultPath)),
                    shape=_shape_text(report, report.value(result, SH.sourceShape)),
                    component=str(component) if component else "-",
                    severity=local_name(str(severity)) if severity else "Violation",
                    message=str(report.value(result, SH.resultMessage) or ""),
                )
            )
    return Outcome(bool(conforms), results, lambda: report.serialize(format="turtle").encode())


ENGINES: dict[str, Callable[[ox.Store, list[str], list[str]], Outcome]] = {
    "fast": run_fast,
    "pyshacl": run_pyshacl,
}


def run(engine: str, store: ox.Store, data_graphs: list[str], shapes_graphs: list[str]) -> Outcome:
    """Validate the union of `data_graphs` against the shapes in `shapes_graphs`."""
    if engine not in ENGINES:
        raise ValueError(f"unknown gate {engine!r}: choose one of {', '.join(GATES)}")
    return ENGINES[engine](store, data_graphs, shapes_graphs)


def validate(
    store: ox.Store,
    data_graphs: list[str],
    shapes_graphs: list[str],
    graph_files: dict[str, Path],
    report_path: Path | None = None,
    *,
    engine: str = DEFAULT_GATE,
) -> None:
    """Validate the staged quads against the shapes; raise ValidationProblem on any violation.

    On failure the full report is written as Turtle to `report_path` (if given), and each
    result names the focus node, the path, the shape and the data file it came from.
    """
    outcome = run(engine, store, data_graphs, shapes_graphs)
    if outcome.conforms:
        return
    if report_path is not None:
        try:
            report_path.parent.mkdir(parents=True, exist_ok=True)
            report_path.write_bytes(outcome.report())
        except OSError:
            # The violations below are the answer; a report that cannot be written (full
            # disk, read-only folder) must not replace them with a traceback.
            report_path = None
    graphs = set(data_graphs)
    named = outcome.results
    if engine != "pyshacl" and _has_blank_focus(named):
        # ``shacl`` names blank nodes its own way (_:0_b7), so the data file of a blank focus
        # node (a citation) cannot be found from it: the reference names them. Same results
        # (the differential test), only on a failed gate, over the graphs validated.
        named = run_pyshacl(store, data_graphs, shapes_graphs).results
    results = []
    for result in named:
        owners = owner_graphs(store, result.focus, graphs)
        files = tuple(sorted(str(graph_files.get(g, g)) for g in owners))
        results.append(replace(result, files=files))
    results.sort(key=lambda r: (r.files, r.focus, r.path, r.shape))
    raise ValidationProblem([r.describe() for r in results], report_path)
