"""Where Virtuoso 7.2 (Debian's virtuoso-opensource) departs from SPARQL 1.1, measured.

Each test asserts what the engines actually answer: ``EXPECTED[name]`` for Virtuoso and for the
Oxigraph server, the conformant reference. A docstring names the deviation and what the client
(server/shezhire/backend/) must do about it. tests/remote/README.md tabulates them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pyoxigraph as ox
import pytest

from .engines import RemoteEngine, start_virtuoso

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
JSON = "application/sparql-results+json"
XML = "application/sparql-results+xml"
#: The graph the tests write; other graphs may hold what other tests of the session wrote.
GRAPH = "urn:shezhire:test:deviations"
T = "urn:shezhire:test:"
#: Virtuoso's own graphs, present in a fresh database (measured).
VIRTUOSO_SYSTEM_GRAPHS = {
    "http://www.openlinksw.com/schemas/virtrdf#",
    "http://www.w3.org/ns/ldp#",
    "http://localuriqaserver/sparql",
}

DATA = f"""
PREFIX xsd: <{XSD}>
PREFIX t: <{T}>
INSERT DATA {{ GRAPH <{GRAPH}> {{
  t:s1 t:plain "x" ; t:typed "x"^^xsd:string .
  t:s2 t:both "x", "x"^^xsd:string .
  t:s3 t:lang "x"@en .
  t:s4 t:lang "y"@EN .
  t:s5 t:int 5 .
  t:a t:next t:b . t:b t:next t:c . t:c t:other t:d .
  t:team1 t:member t:m1, t:m2, t:m3 .
  t:team2 t:member t:m4 .
}} }}
"""
# Virtuoso refuses blank nodes in INSERT DATA (test_insert_data_refuses_blank_nodes).
BLANK_NODE_DATA = f'INSERT {{ GRAPH <{GRAPH}> {{ <{T}s6> <{T}bn> [ <{T}q> "b" ] }} }} WHERE {{}}'

Binding = dict[str, dict[str, str]]


def query(engine: RemoteEngine, text: str, accept: str = JSON) -> httpx.Response:
    return httpx.post(
        engine.query_url, data={"query": text}, headers={"Accept": accept}, timeout=60
    )


def bindings(engine: RemoteEngine, text: str) -> list[Binding]:
    """The raw JSON bindings of a SELECT that must succeed."""
    answer = query(engine, text)
    assert answer.status_code == 200, answer.text
    rows: list[Binding] = answer.json()["results"]["bindings"]
    return rows


def column(engine: RemoteEngine, text: str, name: str) -> list[str | None]:
    """One variable's values (None where unbound), in the order answered."""
    return [row[name]["value"] if name in row else None for row in bindings(engine, text)]


def update(engine: RemoteEngine, text: str) -> httpx.Response:
    return httpx.post(engine.update_url, data={"update": text}, timeout=60)


def in_graph(pattern: str) -> str:
    return f"GRAPH <{GRAPH}> {{ {pattern} }}"


@pytest.fixture(scope="module", params=["virtuoso", "oxigraph"])
def engine(request: pytest.FixtureRequest) -> RemoteEngine:
    """Each engine with the test graph written over SPARQL Update."""
    name = request.param
    remote: RemoteEngine = request.getfixturevalue(
        "virtuoso" if name == "virtuoso" else "oxigraph_server"
    )
    for text in (f"DROP SILENT GRAPH <{GRAPH}>", DATA, BLANK_NODE_DATA):
        answer = update(remote, text)
        assert answer.is_success, answer.text
    return remote


@pytest.fixture(scope="module")
def virtuoso_lifted(
    virtuoso: RemoteEngine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RemoteEngine]:
    """A second Virtuoso: no ResultSetMaxRows, MaxSortedTopRows 100,000, no write grant."""
    with start_virtuoso(
        tmp_path_factory.mktemp("virtuoso-lifted"),
        max_rows=None,
        max_sorted_top_rows=100_000,
        grant_update=False,
    ) as lifted:
        yield lifted


# (a) ----------------------------------------------------------------------------------------


def test_typed_string_is_a_distinct_term(engine: RemoteEngine) -> None:
    """RDF 1.1: ``"x"`` IS ``"x"^^xsd:string``. Virtuoso keeps them as two terms: both triples
    of s2 are stored, a pattern with one form misses the other, sameTerm says false (though
    ``=`` on two constants says true), and the typed one comes back typed (JSON "typed-literal"
    with the datatype, XML ``datatype=``).

    Client: publish through pyoxigraph's serialisers, which never write ``^^xsd:string``, so
    Virtuoso only ever holds the plain form; parse results with pyoxigraph, which reads both
    forms as one term (then DISTINCT server-side may leave duplicates: deduplicate after
    parsing if data from elsewhere is loaded)."""
    s2 = f"SELECT ?o {{ {in_graph(f'<{T}s2> <{T}both> ?o')} }}"
    by_plain = "SELECT ?p { " + in_graph(f'<{T}s1> ?p "x"') + " }"
    by_filter = "SELECT ?p { " + in_graph(f"<{T}s1> ?p ?o") + ' FILTER(?o = "x") }'
    typed_x = f'"x"^^<{XSD}string>'
    constants = f'SELECT ("x" = {typed_x} AS ?eq) (sameTerm("x", {typed_x}) AS ?same) {{}}'
    typed = f"SELECT ?o {{ {in_graph(f'<{T}s1> <{T}typed> ?o')} }}"
    observed = {
        "s2 triples": len(bindings(engine, s2)),
        "match plain": sorted(v or "" for v in column(engine, by_plain, "p")),
        "filter =": sorted(v or "" for v in column(engine, by_filter, "p")),
        "constants": {k: v["value"] for k, v in bindings(engine, constants)[0].items()},
        "typed json": bindings(engine, typed)[0]["o"],
        "typed xml": "datatype=" in query(engine, typed, XML).text,
    }
    expected: dict[str, dict[str, Any]] = {
        "virtuoso": {
            "s2 triples": 2,
            "match plain": [f"{T}plain"],
            "filter =": [f"{T}plain"],
            # Booleans come back as xsd:integer (test_booleans_are_integers).
            "constants": {"eq": "1", "same": "0"},
            "typed json": {"type": "typed-literal", "datatype": f"{XSD}string", "value": "x"},
            "typed xml": True,
        },
        "oxigraph": {
            "s2 triples": 1,
            "match plain": [f"{T}plain", f"{T}typed"],
            "filter =": [f"{T}plain", f"{T}typed"],
            "constants": {"eq": "true", "same": "true"},
            "typed json": {"type": "literal", "value": "x"},
            "typed xml": False,
        },
    }
    assert observed == expected[engine.name]


# (b) ----------------------------------------------------------------------------------------


def test_datatype_of_a_language_string(engine: RemoteEngine) -> None:
    """SPARQL 1.1 (RDF 1.1): ``DATATYPE("x"@en)`` is rdf:langString. Virtuoso leaves it
    unbound, for stored values and for constants alike.

    Client: never test for language strings with DATATYPE; use ``LANG(?o) != ""``."""
    stored = f"SELECT ?d {{ {in_graph(f'<{T}s3> <{T}lang> ?o')} BIND(DATATYPE(?o) AS ?d) }}"
    constant = 'SELECT (DATATYPE("x"@en) AS ?d) {}'
    by_lang = "SELECT ?s { " + in_graph("?s ?p ?o") + ' FILTER(isLiteral(?o) && LANG(?o) != "") }'
    observed = (
        column(engine, stored, "d"),
        column(engine, constant, "d"),
        sorted(v or "" for v in column(engine, by_lang, "s")),
    )
    expected = {
        "virtuoso": ([None], [None], [f"{T}s3", f"{T}s4"]),
        "oxigraph": ([RDF_LANG_STRING], [RDF_LANG_STRING], [f"{T}s3", f"{T}s4"]),
    }
    assert observed == expected[engine.name]


# (c) ----------------------------------------------------------------------------------------


def test_values_with_several_variables_and_undef(engine: RemoteEngine) -> None:
    """No deviation: multi-variable VALUES with UNDEF, inline or after the WHERE clause, joins
    as SPARQL 1.1 says on both engines. Client: VALUES may be used freely."""
    inline = "SELECT ?x ?y { VALUES (?x ?y) { (1 2) (3 UNDEF) (UNDEF 4) } }"
    rows = {tuple(row.get(v, {}).get("value") for v in "xy") for row in bindings(engine, inline)}
    assert rows == {("1", "2"), ("3", None), (None, "4")}
    trailing = (
        f"SELECT ?s ?o {{ {in_graph(f'?s <{T}next> ?o')} }}"
        f" VALUES (?s ?o) {{ (<{T}a> UNDEF) (UNDEF <{T}c>) }}"
    )
    rows = {(row["s"]["value"], row["o"]["value"]) for row in bindings(engine, trailing)}
    assert rows == {(f"{T}a", f"{T}b"), (f"{T}b", f"{T}c")}


@pytest.mark.parametrize(
    ("path", "start", "ends"),
    [
        ("t:next+", "t:a", ["b", "c"]),
        ("t:next*", "t:a", ["a", "b", "c"]),
        ("t:next?", "t:a", ["a", "b"]),
        ("^t:next", "t:c", ["b"]),
        ("^t:next/^t:next", "t:c", ["a"]),
        ("t:next|t:other|^t:next", "t:c", ["b", "d"]),
        ("(t:next|t:other)+", "t:a", ["b", "c", "d"]),
        ("!t:other", "t:a", ["b"]),
    ],
)
def test_property_paths_from_a_bound_start(
    engine: RemoteEngine, path: str, start: str, ends: list[str]
) -> None:
    """No deviation once one end of the path is bound: ``+ * ? ^ / | !`` all answer as SPARQL
    1.1 says on both engines."""
    text = f"PREFIX t: <{T}> SELECT ?y {{ {in_graph(f'{start} {path} ?y')} }}"
    assert sorted(v or "" for v in column(engine, text, "y")) == [f"{T}{e}" for e in ends]


def test_zero_length_path_from_a_term_in_no_triple(engine: RemoteEngine) -> None:
    """``<absent> :p* ?y`` inside ``GRAPH <g>``, <absent> in no triple: by SPARQL 1.1's
    zero-length path it binds ?y to <absent>, which Virtuoso does; Oxigraph answers nothing.

    Client: do not rely on the zero-length match of a term the graph does not hold."""
    text = f"PREFIX t: <{T}> SELECT ?y {{ {in_graph('t:absent t:next* ?y')} }}"
    expected = {"virtuoso": [f"{T}absent"], "oxigraph": []}
    assert column(engine, text, "y") == expected[engine.name]


def test_transitive_path_with_both_ends_unbound(engine: RemoteEngine) -> None:
    """SPARQL 1.1 allows ``?x :p+ ?y`` with neither end bound. Virtuoso refuses it: HTTP 500,
    "TR...: transitive start not given" (also for ``*`` and alternatives under ``+``). A triple
    pattern binding the start first makes it work.

    Client: give every ``+``/``*`` path a bound end (a constant, VALUES or a preceding pattern
    on the start variable)."""
    free = f"PREFIX t: <{T}> SELECT ?x ?y {{ {in_graph('?x t:next+ ?y')} }}"
    answer = query(engine, free)
    anchored = f"PREFIX t: <{T}> SELECT ?x ?y {{ {in_graph('?x t:next [] . ?x t:next+ ?y')} }}"
    pairs = sorted((row["x"]["value"], row["y"]["value"]) for row in bindings(engine, anchored))
    assert pairs == [(f"{T}a", f"{T}b"), (f"{T}a", f"{T}c"), (f"{T}b", f"{T}c")]
    if engine.name == "virtuoso":
        assert answer.status_code == 500
        assert "transitive start not given" in answer.text
    else:
        assert answer.status_code == 200
        assert len(answer.json()["results"]["bindings"]) == 3


# (d) ----------------------------------------------------------------------------------------

TWELVE_THOUSAND = (
    "SELECT ?a ?b {"
    f" VALUES ?a {{ {' '.join(map(str, range(1, 121)))} }}"
    f" VALUES ?b {{ {' '.join(map(str, range(1, 101)))} }} }}"
)
SORTED_PAGE = TWELVE_THOUSAND + " ORDER BY ?a ?b OFFSET 10500 LIMIT 3"


def _row_count(engine: RemoteEngine, text: str, accept: str = JSON) -> tuple[int, str | None]:
    answer = query(engine, text, accept)
    assert answer.status_code == 200, answer.text[:500]
    if accept == XML:
        count = answer.text.count("<result>")
    else:
        count = len(answer.json()["results"]["bindings"])
    return count, answer.headers.get("X-SPARQL-MaxRows")


def test_result_rows_are_capped(engine: RemoteEngine) -> None:
    """SPARQL 1.1 has no row cap. Debian's virtuoso.ini sets ResultSetMaxRows = 10000: a
    12,000-row SELECT answers 200 with the first 10,000 rows, in JSON and in XML, an explicit
    LIMIT 12000 included; only the response header ``X-SPARQL-MaxRows: 10000`` tells. (Without
    the key, virtuoso-t caps nothing: test_max_rows_lifts_the_caps.)

    Client: check for ``X-SPARQL-MaxRows`` on every answer and fail (or page) rather than
    serve a silently truncated result; the harness's ``max_rows=None`` lifts the cap."""
    observed = [
        _row_count(engine, TWELVE_THOUSAND),
        _row_count(engine, TWELVE_THOUSAND, XML),
        _row_count(engine, TWELVE_THOUSAND + " LIMIT 12000"),
    ]
    expected = {"virtuoso": [(10_000, "10000")] * 3, "oxigraph": [(12_000, None)] * 3}
    assert observed == expected[engine.name]


def test_sorted_page_beyond_ten_thousand_rows(engine: RemoteEngine) -> None:
    """SPARQL 1.1 allows any OFFSET. Virtuoso's MaxSortedTopRows (10,000 by default) refuses
    ORDER BY with OFFSET + LIMIT above it: HTTP 500 "SR353: Sorted TOP clause specifies more
    then 10503 rows to sort".

    Client: page by a key (``FILTER(?key > last) ORDER BY ?key LIMIT n``), not by deep
    OFFSET; the harness's ``max_sorted_top_rows`` raises the limit."""
    answer = query(engine, SORTED_PAGE)
    if engine.name == "virtuoso":
        assert answer.status_code == 500
        assert "SR353" in answer.text
    else:
        assert answer.status_code == 200
        first = answer.json()["results"]["bindings"][0]
        assert (first["a"]["value"], first["b"]["value"]) == ("106", "1")


def test_max_rows_lifts_the_caps(virtuoso_lifted: RemoteEngine) -> None:
    """``start_virtuoso(max_rows=None, max_sorted_top_rows=100_000)``: every row, no header,
    and the deep sorted page answers."""
    assert _row_count(virtuoso_lifted, TWELVE_THOUSAND) == (12_000, None)
    assert _row_count(virtuoso_lifted, TWELVE_THOUSAND, XML) == (12_000, None)
    first = bindings(virtuoso_lifted, SORTED_PAGE)[0]
    assert (first["a"]["value"], first["b"]["value"]) == ("106", "1")


# (e) ----------------------------------------------------------------------------------------


def test_json_typed_literal(engine: RemoteEngine) -> None:
    """SPARQL 1.1 JSON results have ``"type": "literal"`` with a ``datatype``; Virtuoso sends
    the SPARQL 1.0 draft's ``"type": "typed-literal"``. pyoxigraph's parser accepts it: JSON
    and XML (which has no such type) parse to the same terms.

    Client: either format parses with pyoxigraph.parse_query_results; XML never carries
    "typed-literal", JSON is smaller (but see test_blank_node_labels: both need rewriting)."""
    text = f"SELECT ?o {{ {in_graph(f'<{T}s5> <{T}int> ?o')} }}"
    json_type = {"virtuoso": "typed-literal", "oxigraph": "literal"}[engine.name]
    assert bindings(engine, text)[0]["o"]["type"] == json_type
    assert "typed-literal" not in query(engine, text, XML).text
    every = f"SELECT ?s ?p ?o {{ {in_graph('?s ?p ?o')} FILTER(!isBlank(?s) && !isBlank(?o)) }}"
    parsed = {}
    for accept, fmt in ((JSON, ox.QueryResultsFormat.JSON), (XML, ox.QueryResultsFormat.XML)):
        answer = query(engine, every, accept)
        assert answer.status_code == 200
        solutions = ox.parse_query_results(answer.content, format=fmt)
        assert isinstance(solutions, ox.QuerySolutions)
        parsed[accept] = sorted(" ".join(str(term) for term in row) for row in solutions)
    assert parsed[JSON] == parsed[XML]
    assert f'<{T}s5> <{T}int> "5"^^<{XSD}integer>' in parsed[JSON]


# (f) ----------------------------------------------------------------------------------------


def test_having_on_a_projected_alias(engine: RemoteEngine) -> None:
    """``SELECT ?s (COUNT(?o) AS ?n) … GROUP BY ?s HAVING (?n > 1)``: in SPARQL 1.1's algebra
    HAVING is evaluated before the projection binds ?n, so ?n is unbound there and the filter
    drops every group (Oxigraph: 200, no rows). Virtuoso refuses the query: HTTP 400, "SP031:
    … Variable ?n is used in the result set outside aggregate". Neither gives what is meant.

    Client: repeat the aggregate in HAVING: ``HAVING (COUNT(?o) > 1)`` works on both."""
    group = in_graph(f"?s <{T}member> ?o")
    alias = f"SELECT ?s (COUNT(?o) AS ?n) {{ {group} }} GROUP BY ?s HAVING (?n > 1)"
    answer = query(engine, alias)
    if engine.name == "virtuoso":
        assert answer.status_code == 400
        assert "SP031" in answer.text
    else:
        assert answer.status_code == 200
        assert answer.json()["results"]["bindings"] == []
    repeated = f"SELECT ?s (COUNT(?o) AS ?n) {{ {group} }} GROUP BY ?s HAVING (COUNT(?o) > 1)"
    rows = [(row["s"]["value"], row["n"]["value"]) for row in bindings(engine, repeated)]
    assert rows == [(f"{T}team1", "3")]


# (g) ----------------------------------------------------------------------------------------


def test_default_graph_is_the_union_with_system_graphs(engine: RemoteEngine) -> None:
    """SPARQL 1.1 leaves the default graph to the service. Virtuoso's, without FROM, is the
    union of ALL graphs, its own system graphs included (virtrdf#, ldp#, localuriqaserver:
    ~2,500 triples in a fresh database); Oxigraph's is its (empty) default graph. And
    ``GRAPH ?g {}`` gives Virtuoso one solution with ?g unbound instead of one per graph.

    Client: name its graphs in every query (``FROM``/``FROM NAMED``, ``GRAPH <g>`` or the
    protocol's ``default-graph-uri``), never read the bare default graph, and list graphs
    with ``GRAPH ?g { ?s ?p ?o }`` filtered to its own IRIs."""
    mine = query(engine, f"ASK {{ <{T}s1> ?p ?o }}")
    assert mine.status_code == 200
    graphs_empty = column(engine, "SELECT DISTINCT ?g { GRAPH ?g {} }", "g")
    counts = {
        row["g"]["value"]: int(row["n"]["value"])
        for row in bindings(
            engine, "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        )
    }
    total = column(engine, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", "n")
    from_graph = column(engine, f"SELECT (COUNT(*) AS ?n) FROM <{GRAPH}> {{ ?s ?p ?o }}", "n")
    assert from_graph == [str(counts[GRAPH])]
    protocol = httpx.post(
        engine.query_url,
        data={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", "default-graph-uri": GRAPH},
        headers={"Accept": JSON},
        timeout=60,
    )
    assert protocol.json()["results"]["bindings"][0]["n"]["value"] == str(counts[GRAPH])
    if engine.name == "virtuoso":
        assert mine.json()["boolean"] is True
        assert graphs_empty == [None]
        assert set(counts) >= VIRTUOSO_SYSTEM_GRAPHS
        assert counts["http://www.openlinksw.com/schemas/virtrdf#"] > 1_000
        assert total == [str(sum(counts.values()))]
    else:
        assert mine.json()["boolean"] is False
        assert GRAPH in graphs_empty
        assert not set(counts) & VIRTUOSO_SYSTEM_GRAPHS
        assert total == ["0"]


# (h) ----------------------------------------------------------------------------------------


def test_service_is_executed(engine: RemoteEngine) -> None:
    """Virtuoso executes SERVICE for the anonymous user: it calls the remote endpoint itself
    (here 127.0.0.1:1, which refuses: HTTP 500 "HC001: Connection Error in HTTP Client"), and
    SERVICE SILENT fails the same way instead of yielding one empty solution. Oxigraph's
    server refuses port 1 mid-stream: 200, then the error text inside a broken JSON body;
    SILENT gives the empty solution.

    Client: never send SERVICE to the store, and refuse user queries with SERVICE before
    forwarding them (Virtuoso would make requests from the store's network). With Oxigraph,
    a 200 whose body does not parse is an error."""
    plain = query(engine, "SELECT * { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }")
    silent = query(engine, "SELECT * { SERVICE SILENT <http://127.0.0.1:1/sparql> { ?s ?p ?o } }")
    if engine.name == "virtuoso":
        for answer in (plain, silent):
            assert answer.status_code == 500
            assert "HC001: Connection Error in HTTP Client" in answer.text
    else:
        assert plain.status_code == 200
        assert "port 1 is not allowed" in plain.text
        with pytest.raises(ValueError):
            plain.json()
        assert silent.status_code == 200
        assert silent.json()["results"]["bindings"] == [{}]


# (i) ----------------------------------------------------------------------------------------


def test_blank_node_labels(engine: RemoteEngine) -> None:
    """Virtuoso labels blank nodes ``nodeID://b10000`` in JSON and XML results (the label also
    works as an IRI, ``<nodeID://b10000>``, in a later query). pyoxigraph's result parsers
    reject the label: SyntaxError "blank node identifier is invalid", in both formats.

    Client: publish no blank nodes (skolemise to IRIs before publishing), or rewrite
    ``nodeID://`` labels (e.g. to ``_:b10000`` form by dropping the prefix) before parsing."""
    text = f"SELECT ?o {{ {in_graph(f'<{T}s6> <{T}bn> ?o')} }}"
    node = bindings(engine, text)[0]["o"]
    assert node["type"] == "bnode"
    outcomes = []
    for accept, fmt in ((JSON, ox.QueryResultsFormat.JSON), (XML, ox.QueryResultsFormat.XML)):
        solutions = ox.parse_query_results(query(engine, text, accept).content, format=fmt)
        assert isinstance(solutions, ox.QuerySolutions)
        try:  # the parser is lazy: the error comes with the row
            outcomes.append(type(next(iter(solutions))["o"]).__name__)
        except SyntaxError as error:
            outcomes.append(str(error))
    if engine.name == "virtuoso":
        assert node["value"].startswith("nodeID://b")
        assert all("blank node" in outcome.lower() for outcome in outcomes), outcomes
        again = f"SELECT ?v {{ <{node['value']}> <{T}q> ?v }}"
        assert column(engine, again, "v") == ["b"]
    else:
        assert ":" not in node["value"]
        assert outcomes == ["BlankNode", "BlankNode"]


def test_insert_data_refuses_blank_nodes(engine: RemoteEngine) -> None:
    """SPARQL 1.1 allows blank nodes in INSERT DATA. Virtuoso refuses them: HTTP 400, "SP031:
    … Blank node '_:b' is not allowed in a constant clause"; ``INSERT {…} WHERE {}`` and the
    Graph Store Protocol take them.

    Client: publish with the Graph Store Protocol, or skolemise first."""
    answer = update(engine, f"INSERT DATA {{ GRAPH <{GRAPH}-bnode> {{ <{T}s> <{T}p> _:b }} }}")
    if engine.name == "virtuoso":
        assert answer.status_code == 400
        assert "is not allowed in a constant clause" in answer.text
    else:
        assert answer.status_code == 204


# (j) ----------------------------------------------------------------------------------------


def test_language_tag_case(engine: RemoteEngine) -> None:
    """Tags are case-insensitive; both engines store ``"y"@EN`` as ``@en`` and a pattern with
    either case matches it. But Virtuoso's LANG on a constant keeps the case (``"EN"``),
    Oxigraph lowercases.

    Client: compare tags lowercased (langMatches, or LCASE(LANG(?o)))."""
    stored = bindings(engine, f"SELECT ?o {{ {in_graph(f'<{T}s4> <{T}lang> ?o')} }}")
    assert stored[0]["o"]["xml:lang"] == "en"
    for tag in ("en", "EN"):
        found = "SELECT ?s { " + in_graph(f'?s ?p "y"@{tag}') + " }"
        assert column(engine, found, "s") == [f"{T}s4"]
    constant = column(engine, 'SELECT (LANG("x"@EN) AS ?l) {}', "l")
    assert constant == {"virtuoso": ["EN"], "oxigraph": ["en"]}[engine.name]


# beyond the list ----------------------------------------------------------------------------


def test_booleans_are_integers(engine: RemoteEngine) -> None:
    """A projected boolean expression comes back from Virtuoso as ``1``/``0`` xsd:integer, not
    xsd:boolean (ASK answers a real boolean).

    Client: do not project boolean expressions (use ASK or FILTER), or read 1/0 as well."""
    row = bindings(engine, "SELECT (1 < 2 AS ?b) {}")[0]["b"]
    ask = query(engine, "ASK {}").json()["boolean"]
    expected = {
        "virtuoso": {"type": "typed-literal", "datatype": f"{XSD}integer", "value": "1"},
        "oxigraph": {"type": "literal", "datatype": f"{XSD}boolean", "value": "true"},
    }
    assert (row, ask) == (expected[engine.name], True)


def _write_routes(engine: RemoteEngine, graph: str) -> dict[str, int]:
    nt = {"Content-Type": "application/n-triples"}
    ttl = {"Content-Type": "text/turtle"}
    triple = f"<{T}a> <{T}p> <{T}b> .\n".encode()
    store = engine.graph_store_url
    statuses = {
        "update form": update(engine, f"INSERT DATA {{ GRAPH <{graph}> {{ {triple.decode()} }} }}"),
        "update body": httpx.post(
            engine.update_url,
            content=f"INSERT DATA {{ GRAPH <{graph}-2> {{ {triple.decode()} }} }}",
            headers={"Content-Type": "application/sparql-update"},
        ),
        "gsp PUT new": httpx.put(store, params={"graph": f"{graph}-3"}, content=triple, headers=nt),
        "gsp PUT again": httpx.put(
            store, params={"graph": f"{graph}-3"}, content=triple, headers=ttl
        ),
        "gsp POST": httpx.post(store, params={"graph": f"{graph}-3"}, content=triple, headers=nt),
        "gsp GET": httpx.get(store, params={"graph": f"{graph}-3"}),
        "gsp DELETE": httpx.delete(store, params={"graph": f"{graph}-3"}),
        "gsp GET deleted": httpx.get(store, params={"graph": f"{graph}-3"}),
        "gsp POST default": httpx.post(store, params={"default": ""}, content=triple, headers=nt),
    }
    return {name: answer.status_code for name, answer in statuses.items()}


def test_write_routes(engine: RemoteEngine) -> None:
    """After ``grant SPARQL_UPDATE to "SPARQL"`` Virtuoso takes anonymous SPARQL Update on
    /sparql (form ``update=`` or an ``application/sparql-update`` body; 200 with an XML
    "Insert into <g> … done" body) and the Graph Store Protocol on /sparql-graph-crud with
    ``?graph=`` (or its own ``?graph-uri=``): PUT 201 new / 200 replaced, POST, GET, DELETE.
    It has no GSP default graph: ``?default`` answers 500.

    Client: publish into named graphs only; expect 200 or 201 (Oxigraph: 204) from writes."""
    expected = {
        "virtuoso": {
            "update form": 200,
            "update body": 200,
            "gsp PUT new": 201,
            "gsp PUT again": 200,
            "gsp POST": 200,
            "gsp GET": 200,
            "gsp DELETE": 200,
            "gsp GET deleted": 404,
            "gsp POST default": 500,
        },
        "oxigraph": {
            "update form": 204,
            "update body": 204,
            "gsp PUT new": 201,
            "gsp PUT again": 204,
            "gsp POST": 204,
            "gsp GET": 200,
            "gsp DELETE": 204,
            "gsp GET deleted": 404,
            "gsp POST default": 204,
        },
    }
    assert _write_routes(engine, f"{GRAPH}-writes") == expected[engine.name]


def test_writes_need_the_grant(virtuoso_lifted: RemoteEngine) -> None:
    """Without the grant Virtuoso refuses anonymous writes: SPARQL Update 500 ("SR186:
    SECURITY: No permission to execute procedure DB.DBA.SPARQL_INSERT_DICT_CONTENT"), Graph
    Store Protocol writes 403. Reads stay open."""
    statuses = _write_routes(virtuoso_lifted, f"{GRAPH}-refused")
    assert statuses == {
        "update form": 500,
        "update body": 500,
        "gsp PUT new": 403,
        "gsp PUT again": 403,
        "gsp POST": 403,
        "gsp GET": 404,
        "gsp DELETE": 404,
        "gsp GET deleted": 404,
        "gsp POST default": 500,
    }
    refused = update(virtuoso_lifted, f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <{T}a> <{T}p> 1 }} }}")
    assert "SR186" in refused.text


# found by the parity test (test_parity.py) ---------------------------------------------------


def _fill(engine: RemoteEngine, graph: str, triples: str) -> None:
    """``graph`` holding exactly ``triples`` (N-Triples, written with INSERT DATA)."""
    for text in (
        f"DROP SILENT GRAPH <{graph}>",
        f"INSERT DATA {{ GRAPH <{graph}> {{ {triples} }} }}",
    ):
        answer = update(engine, text)
        assert answer.is_success, answer.text


def test_alternative_path_keeps_duplicates(engine: RemoteEngine) -> None:
    """``<a> (:p|:q) ?o`` where both <a> :p <b> and <a> :q <b> hold: SPARQL 1.1 evaluates an
    alternative as a union, so <b> comes twice, as in Virtuoso (and as with an explicit
    UNION on both engines). Oxigraph, and the embedded pyoxigraph store, give <b> once.

    Client: SELECT DISTINCT where a pair may be linked by several of the alternatives
    (queries/02)."""
    graph = f"{GRAPH}-alternatives"
    _fill(engine, graph, f"<{T}a> <{T}p> <{T}b> . <{T}a> <{T}q> <{T}b> .")
    path = f"SELECT ?o FROM <{graph}> {{ <{T}a> <{T}p>|<{T}q> ?o }}"
    union = f"SELECT ?o FROM <{graph}> {{ {{ <{T}a> <{T}p> ?o }} UNION {{ <{T}a> <{T}q> ?o }} }}"
    observed = (len(bindings(engine, path)), len(bindings(engine, union)))
    assert observed == {"virtuoso": (2, 2), "oxigraph": (1, 2)}[engine.name]


def test_concat_of_an_unbound_argument(engine: RemoteEngine) -> None:
    """SPARQL 1.1: an unbound variable in CONCAT is an error, so the expression is unbound and
    COALESCE moves on. Virtuoso reads it as "": ``CONCAT("a ", STR(?u))`` is "a ", and the
    COALESCE never reaches its fallback. (It binds so even inside an OPTIONAL whose pattern
    matched nothing: ``OPTIONAL { <absent> :p ?n BIND(CONCAT("a", ?n) AS ?x) }``.)

    Client: test BOUND first: ``IF(BOUND(?u), CONCAT("a ", STR(?u)), …)`` (queries/15)."""
    text = (
        'SELECT (CONCAT("a ", STR(?u)) AS ?concat) (COALESCE(CONCAT("a ", ?u), "b") AS ?first)'
        ' (IF(BOUND(?u), CONCAT("a ", ?u), "b") AS ?tested) {}'
    )
    row = {name: value["value"] for name, value in bindings(engine, text)[0].items()}
    optional = f'SELECT ?x {{ OPTIONAL {{ <{T}absent> <{T}p> ?n BIND(CONCAT("a", ?n) AS ?x) }} }}'
    expected = {
        "virtuoso": ({"concat": "a ", "first": "a ", "tested": "b"}, ["a"]),
        "oxigraph": ({"first": "b", "tested": "b"}, [None]),
    }
    assert (row, column(engine, optional, "x")) == expected[engine.name]


def test_group_concat(engine: RemoteEngine) -> None:
    """GROUP_CONCAT of values that share a language tag keeps it (SPARQL 1.1 joins as CONCAT
    does; Oxigraph: ``"b,a"@en``); Virtuoso drops it. Virtuoso joins DISTINCT values sorted,
    the others as met, where Oxigraph joins as met (SPARQL 1.1 leaves the order open). Over no
    value (all unbound) Virtuoso gives "", Oxigraph no value; and Virtuoso skips an unbound
    value where Oxigraph's whole aggregate fails.

    Client: join ``STR(…)`` and re-tag with STRLANG (queries/14); never compare joined lists
    as strings across engines, nor rely on their order."""
    texts = {
        "lang": 'VALUES ?x { "b"@en "a"@en }',
        "distinct": 'VALUES ?x { "c" "b" "a" "b" }',
        "all": 'VALUES ?x { "c" "b" "a" "b" }',
        "none": f"OPTIONAL {{ <{T}absent> <{T}p> ?x }}",
        "some unbound": 'VALUES ?x { "a" UNDEF "b" }',
    }
    observed = {}
    for name, pattern in texts.items():
        distinct = "DISTINCT " if name == "distinct" else ""
        text = f'SELECT (GROUP_CONCAT({distinct}?x; separator=",") AS ?c) {{ {pattern} }}'
        observed[name] = bindings(engine, text)[0].get("c")
    retagged = (
        'SELECT (STRLANG(GROUP_CONCAT(STR(?x); separator=","), "en") AS ?c)'
        ' { VALUES ?x { "b"@en } }'
    )
    observed["retagged"] = bindings(engine, retagged)[0].get("c")
    plain = {"type": "literal"}
    expected = {
        "virtuoso": {
            "lang": {**plain, "value": "b,a"},
            "distinct": {**plain, "value": "a,b,c"},
            "all": {**plain, "value": "c,b,a,b"},
            "none": {**plain, "value": ""},
            "some unbound": {**plain, "value": "a,b"},
            "retagged": {**plain, "xml:lang": "en", "value": "b"},
        },
        "oxigraph": {
            "lang": {**plain, "xml:lang": "en", "value": "b,a"},
            "distinct": {**plain, "value": "c,b,a"},
            "all": {**plain, "value": "c,b,a,b"},
            "none": None,
            "some unbound": None,
            "retagged": {**plain, "xml:lang": "en", "value": "b"},
        },
    }
    assert observed == expected[engine.name]


def test_order_by_an_aggregates_alias(engine: RemoteEngine) -> None:
    """``SELECT ?m (MIN(?x) AS ?name) … GROUP BY ?m ORDER BY ?name``: Virtuoso misorders the
    aggregate's values once they differ in length (measured in a fresh database: Aa, Alpha…,
    Beta…, Mid…, Zeta…, Kappa…; SAMPLE does the same, and so does an outer query ordering a
    subquery's alias), while ``ORDER BY ?x`` of the same strings ungrouped is right. Ordering
    by an expression over the aggregate, ``STR(MIN(?x))``, is right on both engines;
    ``ORDER BY STR(?name)`` is refused by Virtuoso (400 SP031, as in
    test_having_on_a_projected_alias).

    Client: ORDER BY ``STR(MIN(?x))``, not the alias (queries/54)."""
    graph = f"{GRAPH}-order"
    names = [
        "Zeta long label of some unnamed person number one",
        "Alpha long label of some unnamed person number two",
        "Mid short",
        "Beta short",
        "Kappa long label of some unnamed person number three",
        "Aa",
    ]
    _fill(engine, graph, " ".join(f'<{T}m{i}> <{T}n> "{n}" .' for i, n in enumerate(names)))
    grouped = f"SELECT ?m (MIN(?x) AS ?name) FROM <{graph}> {{ ?m <{T}n> ?x }} GROUP BY ?m"
    by_alias = column(engine, grouped + " ORDER BY ?name", "name")
    by_expression = column(engine, grouped + " ORDER BY STR(MIN(?x))", "name")
    ungrouped = f"SELECT ?x FROM <{graph}> {{ ?m <{T}n> ?x }} ORDER BY ?x"
    assert by_expression == sorted(names)
    assert column(engine, ungrouped, "x") == sorted(names)
    assert sorted(v or "" for v in by_alias) == sorted(names)
    assert (by_alias == sorted(names)) is (engine.name == "oxigraph")


def test_min_of_strings_in_one_group(engine: RemoteEngine) -> None:
    """``MIN(?x)`` over one group's strings: Virtuoso gave the later of two quotes of the data
    ("The second wave…" before "According to…"); ``MIN(STR(?x))`` is right on both engines.

    Client: MIN of STR(…) (queries/18)."""
    graph = f"{GRAPH}-min"
    quotes = [
        "The second wave consisted of refugees hoping to escape from famine",
        'According to A.S. Zhanbossinova, "migration was one of the most popular behavioral '
        "reactions of Kazakhs during this period.",
    ]
    _fill(engine, graph, " ".join(f"<{T}q> <{T}exact> {ox.Literal(q)} ." for q in quotes))
    grouped = f"FROM <{graph}> {{ ?s <{T}exact> ?x }} GROUP BY ?s"
    assert column(engine, f"SELECT (MIN(STR(?x)) AS ?m) {grouped}", "m") == [min(quotes)]
    plain = column(engine, f"SELECT (MIN(?x) AS ?m) {grouped}", "m")
    assert (plain == [min(quotes)]) is (engine.name == "oxigraph")


DURATIONS = {
    # lexical form (xsd:duration unless given): what Virtuoso returns after a GSP PUT
    "P20Y": "240",
    "P4Y8M": "56",
    "-P1Y": "-12",
    "P1Y1D": "12",  # the day is lost
    "P0Y": "0.0",
    "P1D": "86400.0",
    "-PT1S": "-0.9",  # not -1
    "P10000D": "8.64e+08",
    "P1Y2M3DT4H": "P1Y2M3DT4H",  # kept verbatim
    "PT0.1S": "PT0.1S",
}


def test_durations_are_rewritten(engine: RemoteEngine) -> None:
    """RDF keeps a literal's lexical form; Virtuoso rewrites the durations it parses: a
    duration with years or months becomes the integer number of months, losing any day/time
    part (``"P20Y"`` → ``"240"``, ``"P1Y1D"`` → ``"12"``), and a day/time duration becomes a
    floating-point number of seconds, not always the right one (``"-PT1S"`` → ``"-0.9"``);
    the datatype stays xsd:duration. A few forms stay verbatim. INSERT DATA stores months too.
    (Oxigraph returns every form as written, canonicalised.)

    Client: publish with the Graph Store Protocol and restore the months on reading
    (backend/literals.py); durations with a day/time part cannot be served from Virtuoso."""
    graph = f"{GRAPH}-durations"
    body = "".join(f'<{T}d{i}> <{T}v> "{d}"^^<{XSD}duration> .\n' for i, d in enumerate(DURATIONS))
    put = httpx.put(
        engine.graph_store_url,
        params={"graph": graph},
        content=body.encode(),
        headers={"Content-Type": "application/n-triples"},
        timeout=60,
    )
    assert put.is_success, put.text
    rows = bindings(engine, f"SELECT ?s ?o FROM <{graph}> {{ ?s <{T}v> ?o }}")
    got = {row["s"]["value"]: (row["o"]["value"], row["o"].get("datatype")) for row in rows}
    returned = {d: got[f"{T}d{i}"] for i, d in enumerate(DURATIONS)}
    assert {d: datatype for d, (_, datatype) in returned.items()} == dict.fromkeys(
        DURATIONS, f"{XSD}duration"
    )
    lexical = {d: value for d, (value, _) in returned.items()}
    inserted = update(
        engine, f'INSERT DATA {{ GRAPH <{graph}> {{ <{T}s> <{T}v> "P2Y"^^<{XSD}duration> }} }}'
    )
    assert inserted.is_success, inserted.text
    by_update = column(engine, f"SELECT ?o FROM <{graph}> {{ <{T}s> <{T}v> ?o }}", "o")
    if engine.name == "virtuoso":
        assert (lexical, by_update) == (DURATIONS, ["24"])
    else:
        assert lexical == {d: d for d in DURATIONS} | {"P0Y": "PT0S"}  # canonical
        assert by_update == ["P2Y"]


def test_construct_with_results_first_in_accept(engine: RemoteEngine) -> None:
    """A CONSTRUCT asked with ``Accept: application/sparql-results+xml,
    application/n-triples;q=0.9`` (results first, a graph format acceptable): Virtuoso answers
    406 Not Acceptable (an HTML page); listing N-Triples first, or alone, gives 200 N-Triples.
    Oxigraph picks N-Triples.

    Client: send an Accept header that suits the query form (graph formats first for
    CONSTRUCT and DESCRIBE)."""
    text = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {in_graph(f'<{T}s5> ?p ?o BIND(<{T}s5> AS ?s)')} }}"
    statuses = {}
    for accept in (
        "application/sparql-results+xml, application/n-triples;q=0.9",
        "application/n-triples, application/sparql-results+xml;q=0.9",
    ):
        answer = query(engine, text, accept)
        statuses[accept.split(",")[0]] = (
            answer.status_code,
            answer.headers.get("content-type", "").split(";")[0],
        )
    nt = (200, "application/n-triples")
    expected = {
        "virtuoso": {
            "application/sparql-results+xml": (406, "text/html"),
            "application/n-triples": nt,
        },
        "oxigraph": {"application/sparql-results+xml": nt, "application/n-triples": nt},
    }
    assert statuses == expected[engine.name]
