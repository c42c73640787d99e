"""GraphNames: published graph IRIs into a query's text, stored ones out of its answer."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
import pytest

from shezhire.backend.graph_names import GraphNames
from shezhire.backend.location import open_store
from shezhire.config import Settings
from shezhire.http import query_guard
from shezhire.pipeline.store import open_read_only

from .engines import RemoteEngine

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


@pytest.mark.parametrize(
    ("query", "may"),
    [
        ("SELECT * FROM <urn:g> {}", True),
        ("select * from\n  named <urn:g> {}", True),
        ("SELECT * FROM # the graph\n g:x {}", True),
        ("SELECT * FROM :x {}", True),
        ("# From the bound person, each branch\nSELECT ?from WHERE { ?from ?p ?o }", False),
        ('SELECT * WHERE { ?s ?p "released from exile" }', False),
    ],
)
def test_only_a_query_that_may_name_a_dataset_is_parsed(query: str, may: bool) -> None:
    assert query_guard.may_name_a_dataset(query) is may


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


# -- against the engines: a published build read by graph name --------------------------------

ONTOLOGY = GRAPH + "ontology"
NAMED_QUERIES = {
    "graph-variable": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "graph-constant": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{ONTOLOGY}> {{ ?s ?p ?o }} }}",
    "from": f"SELECT (COUNT(*) AS ?n) FROM <{ONTOLOGY}> WHERE {{ ?s ?p ?o }}",
    "from-named-prefixed": (
        f"PREFIX g: <{GRAPH}> SELECT ?g (COUNT(*) AS ?n) FROM NAMED g:ontology "
        "WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    ),
    "filter": (
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
        f"FILTER(?g IN (<{ONTOLOGY}>, <{GRAPH}inferred>)) }}"
    ),
}


@pytest.fixture(scope="module")
def published(published_engine: RemoteEngine) -> str:
    """The query URL of an engine holding the published build."""
    return published_engine.query_url


def _answer(store: Any, query: str, **dataset: Any) -> list[tuple[str, ...]]:
    if not dataset and not query_guard.names_dataset(query, None):
        dataset = {"use_default_graph_as_union": True}  # as the query worker does
    rows = store.query(query, **dataset)
    names = [v.value for v in rows.variables]
    return sorted(tuple(str(row[n]) for n in names) for row in rows)


@pytest.mark.parametrize("case", sorted(NAMED_QUERIES))
def test_graphs_named_in_a_query_answer_as_embedded(
    case: str, published: str, built_settings: Settings
) -> None:
    remote = open_store(published)
    try:
        with open_read_only(built_settings.store.resolve()) as embedded:
            assert _answer(remote, NAMED_QUERIES[case]) == _answer(embedded, NAMED_QUERIES[case])
    finally:
        remote.close()  # type: ignore[union-attr]


def test_graphs_named_as_a_dataset_answer_as_embedded(
    published: str, built_settings: Settings
) -> None:
    query = NAMED_QUERIES["graph-variable"]
    dataset = {"default_graph": [], "named_graphs": [ox.NamedNode(ONTOLOGY)]}
    remote = open_store(published)
    try:
        with open_read_only(built_settings.store.resolve()) as embedded:
            assert _answer(remote, query, **dataset) == _answer(embedded, query, **dataset)
            assert _answer(remote, query, **dataset) != []
    finally:
        remote.close()  # type: ignore[union-attr]
