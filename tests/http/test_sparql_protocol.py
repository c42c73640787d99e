"""The SPARQL 1.1 Protocol over a real server: methods, datasets, errors and limits."""

from __future__ import annotations

import json
import socket
import threading

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from http_support import ALLOWED_SERVICE, PERSON, PERSONS, TEST_GRAPH, TRICKY_LABEL

from shezhire.config import Settings
from shezhire.http.routers.queries import read_examples
from shezhire.http.wire import WHOLE_ANSWER_BYTES

COUNT_PERSONS = (
    "SELECT (COUNT(?p) AS ?n) WHERE { ?p a <https://schema.org/Person> "
    f"FILTER(STRSTARTS(STR(?p), '{PERSON}')) }}"
)
LOOKUP = f"SELECT ?p ?o WHERE {{ <{PERSON}5> ?p ?o }}"


def bindings(response: httpx.Response) -> list[dict[str, dict[str, str]]]:
    assert response.status_code == 200, response.text
    rows: list[dict[str, dict[str, str]]] = response.json()["results"]["bindings"]
    return rows


@pytest.mark.parametrize("path", ["/sparql", "/query"])
def test_get_query(client: httpx.Client, path: str) -> None:
    rows = bindings(client.get(path, params={"query": COUNT_PERSONS}))
    assert rows == [
        {
            "n": {
                "type": "literal",
                "value": str(PERSONS),
                "datatype": "http://www.w3.org/2001/XMLSchema#integer",
            }
        }
    ]


def test_post_form(client: httpx.Client) -> None:
    rows = bindings(client.post("/sparql", data={"query": LOOKUP}))
    assert len(rows) == 5


def test_post_direct(client: httpx.Client) -> None:
    response = client.post(
        "/sparql", content=LOOKUP.encode(), headers={"content-type": "application/sparql-query"}
    )
    assert len(bindings(response)) == 5


def test_default_graph_is_union_of_named_graphs(client: httpx.Client) -> None:
    rows = bindings(
        client.get(
            "/sparql",
            params={"query": "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"},
        )
    )
    graphs = int(rows[0]["n"]["value"])
    assert graphs >= 2  # the test graph and at least the ontology
    union = bindings(client.get("/sparql", params={"query": LOOKUP}))
    assert len(union) == 5  # found without naming the test graph


def test_default_graph_uri_restricts_the_default_graph(client: httpx.Client) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    only_test = bindings(
        client.get("/sparql", params={"query": query, "default-graph-uri": TEST_GRAPH})
    )
    assert only_test[0]["n"]["value"] == str(PERSONS * 5)
    nothing = bindings(
        client.get(
            "/sparql",
            params={"query": query, "default-graph-uri": "http://example.org/no-such-graph"},
        )
    )
    assert nothing[0]["n"]["value"] == "0"


def test_a_query_s_own_from_is_its_dataset(client: httpx.Client) -> None:
    """FROM in the text restricts the default graph (pyoxigraph's union flag would override it,
    so the worker leaves the flag off for such a query); the protocol's parameters win over it."""
    query = f"SELECT (COUNT(*) AS ?n) FROM <{TEST_GRAPH}> WHERE {{ ?s ?p ?o }}"
    assert bindings(client.get("/sparql", params={"query": query}))[0]["n"]["value"] == str(
        PERSONS * 5
    )
    lowercase = query.replace("FROM", "from")
    assert bindings(client.get("/sparql", params={"query": lowercase}))[0]["n"]["value"] == str(
        PERSONS * 5
    )
    overridden = bindings(
        client.get(
            "/sparql",
            params={"query": query, "default-graph-uri": "http://example.org/no-such-graph"},
        )
    )
    assert overridden[0]["n"]["value"] == "0"


def test_named_graph_uri_limits_graph_clause(client: httpx.Client) -> None:
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    rows = bindings(
        client.post(
            "/sparql",
            params={"named-graph-uri": TEST_GRAPH},
            content=query,
            headers={"content-type": "application/sparql-query"},
        )
    )
    assert rows == [{"g": {"type": "uri", "value": TEST_GRAPH}}]


def test_syntax_error_is_400_with_parser_message(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": "SELECT ?s WHERE { ?s ?p "})
    assert response.status_code == 400
    assert "syntax error" in response.text.lower()
    assert "error at 1:" in response.text  # pyoxigraph's position


@pytest.mark.parametrize(
    ("method", "kwargs", "status"),
    [
        ("PUT", {"params": {"query": "ASK {}"}}, 405),
        ("DELETE", {"params": {"query": "ASK {}"}}, 405),
        ("GET", {"params": [("query", "ASK {}"), ("query", "ASK {}")]}, 400),
        ("POST", {"content": b"ASK {}", "headers": {"content-type": "text/plain"}}, 415),
        ("POST", {"content": b"query=ASK%20%7B%7D"}, 415),
        (
            "POST",
            {
                "content": "ASK {}".encode("utf-16"),
                "headers": {"content-type": "application/sparql-query; charset=UTF-16"},
            },
            415,
        ),
        (
            "POST",
            {"content": b"ASK { \xff }", "headers": {"content-type": "application/sparql-query"}},
            400,
        ),
        ("GET", {"params": {"query": "ASK {}", "timeout": "soon"}}, 400),
        ("GET", {"params": {"query": "ASK {}", "timeout": "-1"}}, 400),
        ("POST", {"data": {"format": "json"}}, 400),
        ("GET", {"params": {"query": "ASK {}", "default-graph-uri": "not an iri"}}, 400),
    ],
)
def test_bad_requests(
    client: httpx.Client, method: str, kwargs: dict[str, object], status: int
) -> None:
    response = client.request(method, "/sparql", **kwargs)  # type: ignore[arg-type]
    assert response.status_code == status, response.text
    assert response.text.strip()  # always a reason


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/sparql", {"params": {"update": "CLEAR ALL"}}),
        ("POST", "/sparql", {"data": {"update": "CLEAR ALL"}}),
        (
            "POST",
            "/sparql",
            {"content": b"CLEAR ALL", "headers": {"content-type": "application/sparql-update"}},
        ),
        (
            "POST",
            "/update",
            {"content": b"CLEAR ALL", "headers": {"content-type": "application/sparql-update"}},
        ),
        ("PUT", "/store", {"params": {"graph": TEST_GRAPH}, "content": b"<a> <b> <c> ."}),
        ("DELETE", "/store", {"params": {"graph": TEST_GRAPH}}),
    ],
)
def test_writes_are_refused(
    client: httpx.Client, method: str, path: str, kwargs: dict[str, object]
) -> None:
    response = client.request(method, path, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 403
    assert "read-only" in response.text
    # and nothing changed
    rows = bindings(client.get("/sparql", params={"query": COUNT_PERSONS}))
    assert rows[0]["n"]["value"] == str(PERSONS)


def test_graph_store_read(client: httpx.Client) -> None:
    response = client.get(
        "/store", params={"graph": TEST_GRAPH}, headers={"accept": "application/n-triples"}
    )
    assert response.status_code == 200
    assert len(list(ox.parse(response.content, ox.RdfFormat.N_TRIPLES))) == PERSONS * 5


def test_body_limit(client: httpx.Client, settings: Settings) -> None:
    big = "ASK {}" + " " * settings.max_body_bytes
    response = client.post(
        "/sparql", content=big, headers={"content-type": "application/sparql-query"}
    )
    assert response.status_code == 413
    assert str(settings.max_body_bytes) in response.text


def test_query_length_limit(client: httpx.Client, settings: Settings) -> None:
    long_query = "ASK {}" + "#" * settings.max_query_length
    response = client.post("/sparql", data={"query": long_query})
    assert response.status_code == 413
    assert str(settings.max_query_length) in response.text


def test_result_size_limit(client: httpx.Client, settings: Settings) -> None:
    # A cross product of the test graph with itself: 2.25 million rows, refused at the limit.
    pattern = f"GRAPH <{TEST_GRAPH}> {{ ?s ?p ?o }} GRAPH <{TEST_GRAPH}> {{ ?a ?b ?c }}"
    response = client.get("/sparql", params={"query": f"SELECT * WHERE {{ {pattern} }}"})
    assert response.status_code == 400
    assert "max_result_bytes" in response.text and str(settings.max_result_bytes) in response.text
    construct = client.get(
        "/sparql", params={"query": f"CONSTRUCT {{ ?s ?p ?a }} WHERE {{ {pattern} }}"}
    )
    assert construct.status_code == 400
    assert "max_result_bytes" in construct.text


def test_large_result_streams_whole(client: httpx.Client) -> None:
    # 6,000 rows of a cross product (about 1.5 MB of JSON) is over the one-frame size
    # (wire.WHOLE_ANSWER_BYTES): it travels as a chunked stream.
    pattern = f"GRAPH <{TEST_GRAPH}> {{ ?s ?p ?o }} GRAPH <{TEST_GRAPH}> {{ ?a ?b ?c }}"
    query = f"SELECT * WHERE {{ {pattern} }} LIMIT 6000"
    with client.stream("GET", "/sparql", params={"query": query}) as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers
        body = response.read()
    assert len(body) > WHOLE_ANSWER_BYTES
    assert len(json.loads(body)["results"]["bindings"]) == 6000


def test_an_answer_up_to_one_frame_is_whole_and_cached(client: httpx.Client) -> None:
    # 800 rows of JSON (over one 64 KiB chunk, under WHOLE_ANSWER_BYTES): one frame, sent
    # with its length, and answered from the result cache the second time.
    query = f"SELECT ?s ?p ?o WHERE {{ GRAPH <{TEST_GRAPH}> {{ ?s ?p ?o }} }} LIMIT 800"
    hits = client.get("/health").json()["result_cache"]["hits"]
    for _ in range(2):
        response = client.get("/sparql", params={"query": query})
        assert response.status_code == 200
        assert response.headers.get("content-length") == str(len(response.content))
        assert 64 * 1024 < len(response.content) <= WHOLE_ANSWER_BYTES
        assert len(response.json()["results"]["bindings"]) == 800
    assert client.get("/health").json()["result_cache"]["hits"] == hits + 1


def test_escaping_round_trip(client: httpx.Client) -> None:
    query = f"SELECT ?l WHERE {{ <{PERSON}0> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}"
    for accept in ("application/sparql-results+json", "application/sparql-results+xml"):
        response = client.get("/sparql", params={"query": query}, headers={"accept": accept})
        fmt = ox.QueryResultsFormat.JSON if "json" in accept else ox.QueryResultsFormat.XML
        parsed = list(ox.parse_query_results(response.content, fmt))
        assert parsed[0]["l"] == ox.Literal(TRICKY_LABEL, language="en")
    tsv = client.get(
        "/sparql", params={"query": query}, headers={"accept": "text/tab-separated-values"}
    )
    parsed_tsv = list(ox.parse_query_results(tsv.content, ox.QueryResultsFormat.TSV))
    assert parsed_tsv[0]["l"] == ox.Literal(TRICKY_LABEL, language="en")
    csv = client.get("/sparql", params={"query": query}, headers={"accept": "text/csv"})
    assert csv.text.splitlines()[0] == "l"
    assert '""' in csv.text  # the quote was doubled inside a quoted field


class _Listener:
    """A TCP listener on 127.0.0.1 that records whether anyone connected."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.sock.close()


@pytest.mark.parametrize(
    "template",
    [
        "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
        "PREFIX remote: <{url}#>\nSELECT * WHERE {{ service remote:x {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ BIND(<{url}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
        "# SERVICE in a comment\nSELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    ],
)
def test_service_is_refused_and_makes_no_request(client: httpx.Client, template: str) -> None:
    listener = _Listener()
    try:
        url = f"http://127.0.0.1:{listener.port}/sparql"
        response = client.get("/sparql", params={"query": template.format(url=url)})
        assert response.status_code == 403, response.text
        assert "SERVICE" in response.text and "allow-list" in response.text
    finally:
        listener.close()
    assert listener.connections == 0


def test_service_word_in_strings_and_iris_is_not_federation(client: httpx.Client) -> None:
    query = (
        'SELECT ?x WHERE { BIND("SERVICE <http://evil.example/>" AS ?x) '
        "FILTER(?x != <http://example.org/SERVICE>) }"
    )
    assert client.get("/sparql", params={"query": query}).status_code == 200


def test_allowlisted_service_is_attempted(client: httpx.Client) -> None:
    # The allow-listed endpoint passes the check; nothing listens on port 9, so the call fails:
    # a 502 that names the endpoint and repeats none of the failure's details.
    response = client.get(
        "/sparql",
        params={"query": f"SELECT * WHERE {{ SERVICE <{ALLOWED_SERVICE}> {{ ?s ?p ?o }} }}"},
    )
    assert response.status_code == 502
    assert f"the SERVICE call to <{ALLOWED_SERVICE}> failed" in response.text


def test_service_description(client: httpx.Client, base_url: str) -> None:
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    for accept, fmt in (
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
    ):
        response = client.get("/sparql", headers={"accept": accept})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(accept)
        graph = rdflib.Graph().parse(data=response.content, format=fmt)
        assert (None, sd.endpoint, rdflib.URIRef(base_url + "/sparql")) in graph
        names = set(graph.objects(None, sd.name))
        assert rdflib.URIRef(TEST_GRAPH) in names
        formats = set(graph.objects(None, sd.resultFormat))
        assert rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON") in formats


def test_health(client: httpx.Client) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["query_workers"] == 2
    assert body["triples"] > PERSONS * 5


def test_queries_route(client: httpx.Client, settings: Settings) -> None:
    listed = client.get("/queries").json()
    expected = read_examples(settings.queries_dir)
    assert [q["name"] for q in listed] == [e.name for e in expected]
    for entry in listed:
        assert entry["title"]
        text = client.get(entry["url"]).text
        assert text == entry["query"]
    assert client.get("/queries/no-such-query").status_code == 404


def test_cors(client: httpx.Client) -> None:
    response = client.get(
        "/sparql", params={"query": "ASK {}"}, headers={"origin": "https://example.org"}
    )
    assert response.headers["access-control-allow-origin"] == "*"
    preflight = client.options(
        "/sparql",
        headers={
            "origin": "https://example.org",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]
