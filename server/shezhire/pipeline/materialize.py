"""Materialize what generic clients query without our vocabulary, into graph/inferred.

Each rule is one SPARQL CONSTRUCT over the union of every named graph (graph/inferred
included, so a rule sees what earlier rules added), its quads added to graph/inferred in bulk;
named, so the build can report what each one added. (Until issue 11 each rule was one
``INSERT ... USING <g>`` per named graph, which grew with the square of the files: 115 s for
30 copies of the data against 2 s now; :func:`materialize_by_update` keeps it for the test
that compares the two.) The rules:
schema:Person/foaf:Person on persons, superclass types, schema:name, a direct edge for every
tie (schema:relatedTo for kin, schema:knows for social ties, plus schema:parent/children/
sibling/spouse where the kin type implies it), shz:participant from participations,
shz:contradicts between conflicting claims, and xsd:date bounds of every EDTF date.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from shezhire.config import INFERRED_GRAPH
from shezhire.errors import ValidationProblem
from shezhire.pipeline.dates import edtf_bounds

SHZ = "https://w3id.org/shezhire/ontology#"
_PREFIXES = f"""
PREFIX shz: <{SHZ}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX schema: <https://schema.org/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""


@dataclass(frozen=True)
class Rule:
    """One materialization: what to insert into graph/inferred for each match of `where`."""

    name: str
    insert: str
    where: str

    def construct(self) -> str:
        return f"{_PREFIXES} CONSTRUCT {{ {self.insert} }} WHERE {{ {self.where} }}"

    def update(self, graphs: list[str]) -> str:
        # USING makes WHERE see the merge of every named graph, the inferred one included,
        # so that a rule sees what earlier rules added.
        using = " ".join(f"USING <{g}>" for g in graphs)
        return (
            f"{_PREFIXES} INSERT {{ GRAPH <{INFERRED_GRAPH}> {{ {self.insert} }} }} "
            f"{using} WHERE {{ {self.where} }}"
        )


RULES: list[Rule] = [
    # Types first: every later rule may rely on superclass types of shz classes.
    Rule(
        "superclass types",
        "?x a ?super",
        """?x a ?class . FILTER(STRSTARTS(STR(?class), STR(shz:)))
           ?class rdfs:subClassOf+ ?super . FILTER(isIRI(?super))
           FILTER NOT EXISTS { ?x a ?super }""",
    ),
    Rule(
        "schema:name on persons",
        "?p schema:name ?label",
        '?p a shz:Person ; rdfs:label ?label . FILTER(LANGMATCHES(LANG(?label), "en"))',
    ),
    Rule(
        "schema:relatedTo for kin ties",
        "?a schema:relatedTo ?b . ?b schema:relatedTo ?a . ?t shz:tieType ?k",
        "?t a shz:KinTie ; shz:tieSubject ?a ; shz:tieObject ?b ; shz:kinType ?k",
    ),
    Rule(
        "schema:knows for social ties",
        "?a schema:knows ?b . ?b schema:knows ?a . ?t shz:tieType ?k",
        "?t a shz:SocialTie ; shz:tieSubject ?a ; shz:tieObject ?b ; shz:socialTieType ?k",
    ),
    Rule(
        "schema:parent and schema:children",
        "?child schema:parent ?parent . ?parent schema:children ?child",
        """?t a shz:KinTie ; shz:tieSubject ?a ; shz:tieObject ?b ; shz:kinType ?k .
           ?k shz:impliesSchemaRelation ?rel . FILTER(?rel IN ("parent", "child"))
           BIND(IF(?rel = "parent", ?a, ?b) AS ?parent)
           BIND(IF(?rel = "parent", ?b, ?a) AS ?child)""",
    ),
    Rule(
        "schema:sibling and schema:spouse",
        "?a ?p ?b . ?b ?p ?a",
        """?t a shz:KinTie ; shz:tieSubject ?a ; shz:tieObject ?b ; shz:kinType ?k .
           ?k shz:impliesSchemaRelation ?rel . FILTER(?rel IN ("sibling", "spouse"))
           BIND(IRI(CONCAT(STR(schema:), ?rel)) AS ?p)""",
    ),
    Rule(
        "shz:participant from participations",
        "?e shz:participant ?agent",
        "?e shz:participation/shz:agent ?agent",
    ),
    Rule(
        "shz:contradicts between conflicting claims",
        "?a shz:contradicts ?b",
        "?c a shz:Contradiction ; shz:conflictingClaim ?a, ?b . FILTER(?a != ?b)",
    ),
]

_DATE_PROPERTIES = (SHZ + "date", SHZ + "refPeriod")
_XSD_DATE = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")


def date_bounds(store: ox.Store, graph_files: dict[str, Path]) -> list[ox.Quad]:
    """xsd:date bounds of every EDTF value; a value with no calendar meaning is a violation.

    The SHACL pattern checks a date's form; only a calendar knows that 1954-02-30 does not
    exist, so the gate calls this too (`shezhire validate` rejects what `build` would).
    """
    inferred = ox.NamedNode(INFERRED_GRAPH)
    quads: list[ox.Quad] = []
    problems: list[str] = []
    for prop in _DATE_PROPERTIES:
        for quad in store.quads_for_pattern(None, ox.NamedNode(prop), None):
            if not isinstance(quad.object, ox.Literal):
                continue
            bounds = edtf_bounds(quad.object.value)
            if bounds is None:
                graph = quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else ""
                problems.append(
                    f"{graph_files.get(graph, graph)}: focus {quad.subject} | path <{prop}> | "
                    "shape dates.edtf_bounds | "
                    f"Violation: {quad.object.value!r} is no calendar date"
                )
                continue
            earliest, latest = bounds
            if earliest is not None:
                quads.append(
                    ox.Quad(
                        quad.subject,
                        ox.NamedNode(SHZ + "earliestDate"),
                        ox.Literal(earliest.isoformat(), datatype=_XSD_DATE),
                        inferred,
                    )
                )
            if latest is not None:
                quads.append(
                    ox.Quad(
                        quad.subject,
                        ox.NamedNode(SHZ + "latestDate"),
                        ox.Literal(latest.isoformat(), datatype=_XSD_DATE),
                        inferred,
                    )
                )
    if problems:
        raise ValidationProblem(problems, None)
    return quads


def inferred_size(store: ox.Store) -> int:
    solutions = store.query(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} }}"
    )
    assert isinstance(solutions, ox.QuerySolutions)
    count = next(iter(solutions))["n"]
    return int(count.value) if isinstance(count, ox.Literal) else 0


def add_ntriples(store: ox.Store, data: bytes, graph: ox.NamedNode) -> None:
    """Add N-Triples `data` (written from `store` itself) to `graph`, blank nodes kept.

    ``Store.load`` gives the blank nodes of what it loads new names, which would cut a
    derived triple off the node it is about; ``ox.parse`` keeps labels. So lines that hold a
    blank node (``_:``; a literal that merely contains it only takes the slower way) go
    through Python objects, and every other line is loaded in Rust (lenient: these IRIs were
    checked when their files were parsed).
    """
    if not data:
        return
    if b"_:" not in data:
        store.load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=graph, lenient=True)
        return
    lines = data.split(b"\n")
    blank = b"\n".join(line for line in lines if b"_:" in line)
    plain = b"\n".join(line for line in lines if b"_:" not in line)
    if plain.strip():
        store.load(plain, format=ox.RdfFormat.N_TRIPLES, to_graph=graph, lenient=True)
    store.extend(
        ox.Quad(q.subject, q.predicate, q.object, graph)
        for q in ox.parse(blank, format=ox.RdfFormat.N_TRIPLES)
    )


def materialize(store: ox.Store, bounds: list[ox.Quad]) -> dict[str, int]:
    """Apply every rule to the staging store, add the date bounds; return what each added.

    Each rule is a CONSTRUCT over the union default graph, run to its end before its triples
    are loaded into graph/inferred (as an INSERT ... WHERE evaluates its WHERE first), so each
    rule sees what the earlier ones added, as before. Its result is serialized and loaded in
    Rust (:func:`add_ntriples`): no Python object per triple unless it holds a blank node.
    """
    inferred = ox.NamedNode(INFERRED_GRAPH)
    added: dict[str, int] = {}
    size = inferred_size(store)
    for rule in RULES:
        triples = store.query(rule.construct(), use_default_graph_as_union=True)
        assert isinstance(triples, ox.QueryTriples)
        add_ntriples(store, triples.serialize(format=ox.RdfFormat.N_TRIPLES) or b"", inferred)
        before, size = size, inferred_size(store)
        added[rule.name] = size - before
    store.extend(bounds)
    added["EDTF date bounds"] = len(bounds)
    return added


def materialize_by_update(store: ox.Store, bounds: list[ox.Quad]) -> dict[str, int]:
    """The materialization before issue 11 (one INSERT ... USING every named graph per rule).

    Quadratic in the number of files; kept only so that a test can hold :func:`materialize`
    to the same quads.
    """
    inferred = ox.NamedNode(INFERRED_GRAPH)

    def size() -> int:
        return sum(1 for _ in store.quads_for_pattern(None, None, None, inferred))

    named = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
    graphs = sorted(named | {INFERRED_GRAPH})
    added: dict[str, int] = {}
    for rule in RULES:
        before = size()
        store.update(rule.update(graphs))
        added[rule.name] = size() - before
    store.extend(bounds)
    added["EDTF date bounds"] = len(bounds)
    return added
