"""SPARQL-based constraints of the fast gate, one query per constraint over the staged store.

The ``shacl`` package runs an ``sh:sparql`` query once per focus node: at x30 (76,000
citations) that was 38 of the gate's 46 s for shape:Citation-referenceFootnote alone. Here each
such constraint is one pyoxigraph query for all focus nodes, and the ``shacl`` package gets the
shapes graph without it (:func:`split`).

The query is the constraint's ``sh:select`` as a sub-query, evaluated with ``$this`` unbound,
its ``$PATH`` replaced by the shape's path in SPARQL syntax (:func:`gate.path_text`), its
prefixes (``sh:prefixes`` / ``sh:declare``) passed to pyoxigraph, its default graph the union
of exactly the graphs the gate validates, and its rows kept when ``?this`` is a target of the
shape (``FILTER EXISTS`` over the target patterns: only the rows are checked, not every target).
That is what pre-binding ``$this`` gives when every expression of the query is evaluated where
``$this`` is already bound, which :func:`_unbound_is_prebound` requires (the differential test,
tests/pipeline/test_gate_differential.py, holds the result to pySHACL's). Each distinct row is
one result, as pySHACL reports them (it drops repeated rows): focus ``?this``, the shape's
path, the shape, sh:SPARQLConstraintComponent, the shape's severity, and the message with its
``{?var}`` / ``{$var}`` filled in (``?message``, when the query binds it, replaces it). A row
with ``?failure true`` is a failure of the validation, not a result: the gate stops
(``ShezhireError``).

A constraint is taken over only when its structure is one these rules cover; anything else
stays with the ``shacl`` package, as before:

* one ``sh:select`` (no ``sh:ask``), nothing ``sh:deactivated`` (constraint, shape, parent);
* its shape is either a property shape (one ``sh:path``) reached by ``sh:property`` from exactly
  one node shape that nothing references and that has targets, or a shape with targets that
  nothing references; targets are ``sh:targetClass`` (and the implicit class target),
  ``sh:targetNode`` (IRIs and literals), ``sh:targetSubjectsOf``, ``sh:targetObjectsOf`` (no
  ``sh:target``: custom targets);
* the query uses neither ``$shapesGraph`` nor ``$currentShape``, projects ``?this`` and not
  ``?path``, and its WHERE clause is one basic graph pattern that binds ``$this`` (not only
  through a path that can be zero-length), under FILTERs (any EXISTS inside them), BINDs of
  the projection, DISTINCT and ORDER BY: no OPTIONAL, UNION, MINUS, VALUES, sub-query, GRAPH,
  SERVICE, GROUP BY or LIMIT at its top, and no sub-query, GRAPH, SERVICE, grouping or LIMIT
  anywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, RDFS, SH
from rdflib.util import from_n3

from shezhire.errors import ShezhireError
from shezhire.pipeline.gate import ShaclResult, local_name, path_text

COMPONENT = str(SH.SPARQLConstraintComponent)
_SHAPE_VARIABLES = re.compile(r"[?$](shapesGraph|currentShape)\b")
_PATH_VARIABLE = re.compile(r"\$PATH\b")
_MESSAGE_VARIABLE = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")
# Wrappers of the WHERE clause over which every solution keeps the bindings of their input.
_WRAPPERS = {"Project", "Distinct", "Reduced", "OrderBy", "Filter", "Extend"}
# Algebra that, anywhere in the query, opens another scope (sub-query, VALUES), another
# graph, or changes solutions across focus nodes (grouping, LIMIT).
_UNSUPPORTED = {
    "ToMultiSet",
    "Slice",
    "Group",
    "AggregateJoin",
    "Graph",
    "GraphGraphPattern",
    "ServiceGraphPattern",
    "Service",
}


@dataclass(frozen=True)
class Constraint:
    """One SPARQL-based constraint taken over from the ``shacl`` package."""

    link: ox.Triple  # the ``sh:sparql`` triple, left out of the shapes given to the package
    query: str  # one query for every focus node
    prefixes: dict[str, str]
    shape: str  # as results name it
    path: str
    severity: str
    messages: tuple[str, ...]


def _prefixes(graph: rdflib.Graph, constraint: rdflib.term.Node) -> dict[str, str] | None:
    """Prefix -> namespace of the ``sh:declare``s its ``sh:prefixes`` name; None on a clash."""
    found: dict[str, str] = {}
    for ontology in graph.objects(constraint, SH.prefixes):
        for declared in graph.objects(ontology, SH.declare):
            prefix = graph.value(declared, SH.prefix)
            namespace = graph.value(declared, SH.namespace)
            if prefix is None or namespace is None:
                return None
            if found.setdefault(str(prefix), str(namespace)) != str(namespace):
                return None
    return found


def _never_empty(path: object) -> bool:
    """Whether a path (rdflib's) has no zero-length match, so it binds only nodes of the data
    (pre-bound, a zero-length path also matches a focus node the data does not hold)."""
    from rdflib.paths import (  # noqa: PLC0415 - only with sh:sparql
        AlternativePath,
        InvPath,
        MulPath,
        NegatedPath,
        SequencePath,
    )

    if isinstance(path, rdflib.URIRef | rdflib.Variable | NegatedPath):
        return True
    if isinstance(path, InvPath):
        return _never_empty(path.arg)
    if isinstance(path, MulPath):
        return path.mod == "+" and _never_empty(path.path)
    if isinstance(path, SequencePath):
        return any(_never_empty(p) for p in path.args)
    if isinstance(path, AlternativePath):
        return all(_never_empty(p) for p in path.args)
    return False


def _unbound_is_prebound(text: str, prefixes: dict[str, str]) -> bool:
    """Whether `text` evaluated with ``$this`` unbound, its rows then kept when ``?this`` is a
    focus node, gives what pre-binding ``$this`` gives: the query projects ``?this`` (and not
    ``?path``) and every expression of it is evaluated over one BGP that binds ``$this``.
    """
    from rdflib.plugins.sparql import prepareQuery  # noqa: PLC0415 - only with sh:sparql
    from rdflib.plugins.sparql.parserutils import CompValue  # noqa: PLC0415

    try:
        algebra = prepareQuery(text, initNs=prefixes).algebra
    except Exception:  # a query rdflib cannot read: the ``shacl`` package judges it
        return False
    this = rdflib.Variable("this")
    projected = set(algebra.get("PV") or [])
    if algebra.name != "SelectQuery" or this not in projected:
        return False
    if rdflib.Variable("path") in projected:  # it would name a path other than the shape's
        return False
    todo: list[object] = [algebra]
    while todo:
        item = todo.pop()
        if isinstance(item, CompValue):
            if item.name in _UNSUPPORTED:
                return False
            todo.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            todo.extend(item)
    node = algebra["p"]
    while isinstance(node, CompValue) and node.name in _WRAPPERS:
        node = node["p"]
    if not isinstance(node, CompValue) or node.name != "BGP":
        return False
    return any(this in (s, o) and _never_empty(p) for s, p, o in node.get("triples") or [])


def _target_patterns(graph: rdflib.Graph, shape: rdflib.term.Node) -> list[str] | None:
    """SPARQL patterns that bind ``?this`` to the targets of `shape`; None if unsupported."""
    if graph.value(shape, SH.target) is not None:
        return None
    patterns = []
    classes = set(graph.objects(shape, SH.targetClass))
    if (shape, RDF.type, RDFS.Class) in graph:  # an implicit class target
        classes.add(shape)
    for cls in sorted(classes, key=str):
        if not isinstance(cls, rdflib.URIRef):
            return None
        patterns.append(f"?this a/<{RDFS.subClassOf}>* {cls.n3()} .")
    for node in sorted(graph.objects(shape, SH.targetNode), key=str):
        if isinstance(node, rdflib.BNode):  # not a term VALUES can name
            return None
        patterns.append(f"VALUES ?this {{ {node.n3()} }}")
    for predicate, template in (
        (SH.targetSubjectsOf, "?this {} [] ."),
        (SH.targetObjectsOf, "[] {} ?this ."),
    ):
        for p in sorted(graph.objects(shape, predicate), key=str):
            if not isinstance(p, rdflib.URIRef):
                return None
            patterns.append(template.format(p.n3()))
    return patterns


def _constraint(
    graph: rdflib.Graph, link: ox.Triple, shape: rdflib.term.Node, node: rdflib.term.Node
) -> Constraint | None:
    """The constraint `node` of `shape` as one query, or None to leave it to ``shacl``."""
    selects = list(graph.objects(node, SH.select))
    if (
        len(selects) != 1
        or graph.value(node, SH.ask) is not None
        or _SHAPE_VARIABLES.search(str(selects[0]))
    ):
        return None
    paths = list(graph.objects(shape, SH.path))
    references = list(graph.subject_predicates(shape))
    if len(paths) > 1 or any(p != SH.property for _s, p in references):
        return None
    if references:  # a property shape: the focus nodes are its one parent's targets
        source = references[0][0]
        if (
            len(references) != 1
            or not paths
            or graph.value(source, SH.path) is not None
            or next(iter(graph.subject_predicates(source)), None) is not None
            or _target_patterns(graph, shape) != []
        ):
            return None
    else:
        source = shape
    patterns = _target_patterns(graph, source)
    prefixes = _prefixes(graph, node)
    if (
        not patterns
        or prefixes is None
        or any(graph.value(n, SH.deactivated) is not None for n in (node, shape, source))
    ):
        return None
    path = path_text(graph, paths[0]) if paths else "-"
    text = str(selects[0])
    if _PATH_VARIABLE.search(text):
        if not paths:
            return None
        text = _PATH_VARIABLE.sub(lambda _m: path, text)
    if not _unbound_is_prebound(text, prefixes):
        return None
    targets = " UNION ".join(f"{{ {p} }}" for p in patterns)
    query = f"SELECT DISTINCT * WHERE {{\n{{\n{text}\n}}\nFILTER EXISTS {{ {targets} }}\n}}"
    if isinstance(shape, rdflib.URIRef):
        name = f"<{shape}>"
    else:  # as run_fast names a blank shape
        name = f"{f'<{source}>' if isinstance(source, rdflib.URIRef) else '?'} / property {path}"
    severity = graph.value(shape, SH.severity)
    messages = sorted(graph.objects(node, SH.message), key=str) or sorted(
        graph.objects(shape, SH.message), key=str
    )
    return Constraint(
        link,
        query,
        prefixes,
        name,
        path,
        local_name(str(severity)) if severity is not None else "Violation",
        tuple(str(m) for m in messages),
    )


def split(store: ox.Store, shapes_graphs: list[str]) -> tuple[list[ox.Triple], list[Constraint]]:
    """The triples of `shapes_graphs` to give the ``shacl`` package, and the constraints taken
    from it (whose ``sh:sparql`` triple is left out of those)."""
    triples = [
        q.triple
        for g in shapes_graphs
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(g))
    ]
    sparql = ox.NamedNode(str(SH.sparql))
    links = [t for t in triples if t.predicate == sparql]
    if not links:
        return triples, []
    # rdflib reads the structure (lists, paths, queries); `nodes` maps labels to its nodes.
    nodes: dict[str, rdflib.BNode] = {}
    graph = rdflib.Graph()
    graph.parse(
        data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES),
        format="nt",
        bnode_context=nodes,
    )

    def term(node: object) -> rdflib.term.Node | None:
        if isinstance(node, ox.BlankNode):
            return nodes[node.value]
        return rdflib.URIRef(node.value) if isinstance(node, ox.NamedNode) else None

    taken = []
    for link in links:
        shape, node = term(link.subject), term(link.object)
        found = None if shape is None or node is None else _constraint(graph, link, shape, node)
        if found is not None:
            taken.append(found)
    left_out = {c.link for c in taken}
    return [t for t in triples if t not in left_out], taken


def _text(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
    return term.value if isinstance(term, ox.Literal) else str(term)


def _message(template: str, row: dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]) -> str:
    """`template` with each ``{?var}`` / ``{$var}`` of a bound variable replaced by its value."""
    return _MESSAGE_VARIABLE.sub(lambda m: _text(row[m[1]]) if m[1] in row else m[0], template)


def _default_graph(
    store: ox.Store, data_graphs: list[str], shapes_graphs: list[str]
) -> list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] | None:
    """The query's default graph, the union of `data_graphs`; None for the store's union.

    Given as a list, pyoxigraph looks each pattern up in every graph (x30, 692 graphs: 33 s
    against 0.15 s), so the store's union is used when it reads the same: its only other
    graphs are shapes graphs, and no subject of theirs occurs in the data, so that no walk from
    a data node reaches their triples.
    """
    data = set(data_graphs)
    others = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)} - data
    if others <= set(shapes_graphs):
        subjects = {
            q.subject
            for g in others
            for q in store.quads_for_pattern(None, None, None, ox.NamedNode(g))
        }
        if not any(
            getattr(q.graph_name, "value", None) in data
            for s in subjects
            for q in (
                *store.quads_for_pattern(s, None, None),
                *store.quads_for_pattern(None, None, s),
            )
        ):
            return None
    return [ox.NamedNode(g) for g in data_graphs]


def evaluate(
    store: ox.Store, data_graphs: list[str], shapes_graphs: list[str], constraint: Constraint
) -> list[ShaclResult]:
    """The results of `constraint` over the union of `data_graphs`, one per distinct row."""
    graphs = _default_graph(store, data_graphs, shapes_graphs)
    solutions = store.query(
        constraint.query,
        prefixes=constraint.prefixes,
        use_default_graph_as_union=graphs is None,
        default_graph=graphs,
    )
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    results = []
    for solution in solutions:
        row = {n: t for n in names if (t := solution[n]) is not None}
        failure = row.get("failure")
        if isinstance(failure, ox.Literal) and failure.value in ("true", "1"):
            raise ShezhireError(
                f"the SPARQL constraint of {constraint.shape} failed (?failure) on {row['this']}"
            )
        if "message" in row:
            message = _text(row["message"])
        else:
            message = _message(
                constraint.messages[0] if constraint.messages else local_name(COMPONENT), row
            )
        results.append(
            ShaclResult(
                focus=str(row["this"]),
                path=constraint.path,
                shape=constraint.shape,
                component=COMPONENT,
                severity=constraint.severity,
                message=message,
            )
        )
    return results


def report(turtle: str, results: list[ShaclResult], conforms: bool) -> bytes:
    """The ``shacl`` package's report (Turtle) with `results` added to it and its verdict."""
    if not results:
        return turtle.encode()
    graph = rdflib.Graph().parse(data=turtle, format="turtle")
    node = graph.value(predicate=RDF.type, object=SH.ValidationReport) or rdflib.BNode()
    graph.set((node, SH.conforms, rdflib.Literal(conforms)))
    for result in results:
        entry = rdflib.BNode()
        graph.add((node, SH.result, entry))
        graph.add((entry, RDF.type, SH.ValidationResult))
        focus = from_n3(result.focus)
        if isinstance(focus, rdflib.term.Node):
            graph.add((entry, SH.focusNode, focus))
        graph.add((entry, SH.sourceConstraintComponent, rdflib.URIRef(result.component)))
        graph.add((entry, SH.resultSeverity, SH[result.severity]))
        graph.add((entry, SH.resultMessage, rdflib.Literal(result.message)))
        # A path or a blank shape is written as text elsewhere; an IRI is written as itself.
        for predicate, text in ((SH.resultPath, result.path), (SH.sourceShape, result.shape)):
            if text.startswith("<") and text.endswith(">") and " " not in text:
                graph.add((entry, predicate, rdflib.URIRef(text[1:-1])))
    return graph.serialize(format="turtle").encode()
