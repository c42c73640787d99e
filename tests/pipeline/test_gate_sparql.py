"""SPARQL-based constraints the fast gate evaluates itself (pipeline/sparql_gate.py) agree with
pySHACL on shapes beyond the repository's: a blank property shape, a warning, a node shape's
own constraint, targets of every kind; and the structures it leaves to ``shacl`` are left."""

from __future__ import annotations

from collections import Counter

import pyoxigraph as ox
import pytest

from shezhire.errors import ShezhireError
from shezhire.pipeline import gate, sparql_gate

pytestmark = pytest.mark.filterwarnings("ignore:Dataset.default_context:DeprecationWarning")

PREFIXES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
DECLARE = """
<http://example.org/shapes> sh:declare
    [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .
"""
SAME_AGE = """
    sh:sparql [ sh:prefixes <http://example.org/shapes> ;
        sh:message "{$this} and {?value} share age {?age}" ;
        sh:select '''SELECT $this ?value ?age
            WHERE { $this $PATH ?value . $this ex:age ?age . ?value ex:age ?age }''' ] ;
"""
DATA = """
ex:a a ex:Child ; ex:friend ex:b , ex:c ; ex:age 3 .
ex:b a ex:Person ; ex:friend ex:a ; ex:age 3 .
ex:c ex:age 4 ; ex:friend ex:a .
ex:d ex:knows ex:b ; ex:age 3 ; ex:friend ex:b .
ex:Child rdfs:subClassOf ex:Person .
"""
SHAPES = {
    "class target, blank property shape, warning": f"""
        ex:S a sh:NodeShape ; sh:targetClass ex:Person ;
            sh:property [ sh:path ex:friend ; sh:severity sh:Warning ; {SAME_AGE} ] .""",
    "node and subjects-of targets, named shape": f"""
        ex:S a sh:NodeShape ; sh:targetNode ex:c , ex:a ; sh:targetSubjectsOf ex:knows ;
            sh:property ex:P .
        ex:P a sh:PropertyShape ; sh:path ex:friend ; {SAME_AGE} .""",
    "objects-of target, inverse path": f"""
        ex:S a sh:NodeShape ; sh:targetObjectsOf ex:knows ; sh:property ex:P .
        ex:P a sh:PropertyShape ; sh:path [ sh:inversePath ex:friend ] ; {SAME_AGE} .""",
    "a node shape's own constraint": """
        ex:S a sh:NodeShape ; sh:targetClass ex:Person ;
            sh:sparql [ sh:prefixes <http://example.org/shapes> ; sh:message "too young" ;
                sh:select "SELECT $this WHERE { $this ex:age ?age FILTER (?age < 4) }" ] .""",
}
# Structures the fast gate leaves to the ``shacl`` package.
LEFT = {
    "reached by sh:node": f"""
        ex:S a sh:NodeShape ; sh:targetClass ex:Person ; sh:node ex:N .
        ex:N a sh:NodeShape ; sh:property ex:P .
        ex:P a sh:PropertyShape ; sh:path ex:friend ; {SAME_AGE} .""",
    "two parents": f"""
        ex:S a sh:NodeShape ; sh:targetClass ex:Person ; sh:property ex:P .
        ex:T a sh:NodeShape ; sh:targetClass ex:Child ; sh:property ex:P .
        ex:P a sh:PropertyShape ; sh:path ex:friend ; {SAME_AGE} .""",
    "$this only in OPTIONAL": """
        ex:S a sh:NodeShape ; sh:targetClass ex:Person ;
            sh:sparql [ sh:prefixes <http://example.org/shapes> ;
                sh:select '''SELECT $this
                    WHERE { ?x ex:age 3 OPTIONAL { $this ex:friend ?x } }''' ] .""",
    "deactivated": f"""
        ex:S a sh:NodeShape ; sh:targetClass ex:Person ; sh:property ex:P .
        ex:P a sh:PropertyShape ; sh:deactivated true ; sh:path ex:friend ; {SAME_AGE} .""",
}


def _key(result: gate.ShaclResult) -> tuple[str, ...]:
    # pySHACL's report does not link a blank property shape to its parent (it names it
    # "? / property <path>"; the repository's shapes all have IRIs): the path part must agree.
    focus, path, shape, component, severity = result.key()
    return focus, path, shape.rsplit(" / ", 1)[-1], component, severity


def _store(shapes: str) -> ox.Store:
    store = ox.Store()
    store.load(PREFIXES + DATA, format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("urn:data"))
    store.load(
        PREFIXES + DECLARE + shapes, format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("urn:s")
    )
    return store


@pytest.mark.parametrize("shapes", SHAPES.values(), ids=SHAPES.keys())
def test_same_results_as_pyshacl(shapes: str) -> None:
    store = _store(shapes)
    _triples, taken = sparql_gate.split(store, ["urn:s"])
    assert len(taken) == 1
    fast = gate.run("fast", store, ["urn:data"], ["urn:s"])
    reference = gate.run("pyshacl", store, ["urn:data"], ["urn:s"])
    assert fast.results, "the case breaks its constraint"
    assert fast.conforms == reference.conforms
    assert Counter(map(_key, fast.results)) == Counter(map(_key, reference.results))
    assert all("{" not in r.message for r in fast.results)


@pytest.mark.parametrize("shapes", LEFT.values(), ids=LEFT.keys())
def test_left_to_shacl(shapes: str) -> None:
    _triples, taken = sparql_gate.split(_store(shapes), ["urn:s"])
    assert taken == []


def test_failure_stops_the_gate() -> None:
    store = _store("""
        ex:S a sh:NodeShape ; sh:targetClass ex:Person ;
            sh:sparql [ sh:select '''SELECT $this ?failure
                WHERE { $this ?p ?o BIND (true AS ?failure) }''' ] .""")
    with pytest.raises(ShezhireError, match="failed"):
        gate.run("fast", store, ["urn:data"], ["urn:s"])
