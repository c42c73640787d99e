"""GraphNames: published graph IRIs into a query's text, stored ones out of its answer."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from shezhire.backend.graph_names import GraphNames

GRAPH = "https://w3id.org/shezhire/graph/"
STORED = "https://w3id.org/shezhire/build/b1/"
NAMES = GraphNames({GRAPH + "ontology": STORED + "0", GRAPH + "inferred": STORED + "1"})


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            f"SELECT * WHERE {{ GRAPH <{GRAPH}ontology> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ GRAPH <{STORED}0> {{ ?s ?p ?o }} }}",
        ),
        (
            f"PREFIX g: <{GRAPH}> SELECT * FROM g:inferred WHERE {{ ?s ?p ?o }}",
            f"PREFIX g: <{GRAPH}> SELECT * FROM <{STORED}1> WHERE {{ ?s ?p ?o }}",
        ),
        (
            f"BASE <{GRAPH}> SELECT * WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g = <inferred>) }}",
            f"BASE <{GRAPH}> SELECT * WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g = <{STORED}1>) }}",
        ),
    ],
    ids=["graph", "from-prefixed", "filter-relative"],
)
def test_published_graph_constants_become_stored(query: str, expected: str) -> None:
    assert NAMES.query(query, None)[0] == expected


def test_strings_comments_and_other_iris_stay() -> None:
    query = (
        f"PREFIX : <{GRAPH}>\n# GRAPH <{GRAPH}ontology>\n"
        f'SELECT * WHERE {{ GRAPH ?g {{ _:ontology :x "<{GRAPH}ontology>" }} '
        f"FILTER(?g != <{GRAPH}elsewhere>) }}"
    )
    assert NAMES.query(query, None) == (query, False)


def test_a_query_naming_its_dataset_says_so() -> None:
    assert NAMES.query(f"ASK FROM NAMED <{GRAPH}ontology> {{ }}", None) == (
        f"ASK FROM NAMED <{STORED}0> {{ }}",
        True,
    )


def test_answers_name_the_published_graphs() -> None:
    xml = (
        '<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
        '<head><variable name="g"/></head><results>'
        f'<result><binding name="g"><uri>{STORED}1</uri></binding></result>'
        f'<result><binding name="g"><literal>{STORED}1</literal></binding></result>'
        "</results></sparql>"
    ).encode()
    rows = ox.parse_query_results(NAMES.results_xml(xml), ox.QueryResultsFormat.XML)
    assert isinstance(rows, ox.QuerySolutions)
    assert [str(r["g"]) for r in rows] == [f"<{GRAPH}inferred>", f'"{STORED}1"']
    triple = ox.Triple(ox.NamedNode(STORED + "0"), ox.NamedNode("x:p"), ox.NamedNode(STORED + "1"))
    assert list(NAMES.triples(iter([triple]))) == [
        ox.Triple(
            ox.NamedNode(GRAPH + "ontology"), ox.NamedNode("x:p"), ox.NamedNode(GRAPH + "inferred")
        )
    ]
