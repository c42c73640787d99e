"""Content negotiation tables: Accept header -> content type (or 406), per query form."""

from __future__ import annotations

import httpx
import pyoxigraph as ox
import pytest
from http_support import PERSON

SELECT = f"SELECT ?o WHERE {{ <{PERSON}5> ?p ?o }}"
ASK = f"ASK {{ <{PERSON}5> ?p ?o }}"
CONSTRUCT = f"CONSTRUCT WHERE {{ <{PERSON}5> ?p ?o }}"
DESCRIBE = f"DESCRIBE <{PERSON}5>"

JSON = "application/sparql-results+json"
XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
TTL = "text/turtle"
NT = "application/n-triples"
NQ = "application/n-quads"
TRIG = "application/trig"
JSONLD = "application/ld+json"
RDFXML = "application/rdf+xml"

RESULTS_TABLE = [
    (None, JSON),
    ("*/*", JSON),
    ("application/*", JSON),
    (JSON, JSON),
    (XML, XML),
    (CSV, CSV),
    (TSV, TSV),
    ("application/json", JSON),
    ("application/xml", XML),
    ("text/*", CSV),
    (f"{XML};q=0.9, {JSON};q=0.1", XML),
    (f"{JSON};q=0.5, {TSV}", TSV),
    (f"{CSV};q=0, */*;q=0.1", JSON),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", XML),
    (f"{TTL}, {JSON};q=0.2", JSON),
    ("image/png", None),
    (f"{JSON};q=0", None),
]

GRAPH_TABLE = [
    (None, TTL),
    ("*/*", TTL),
    (TTL, TTL),
    (NT, NT),
    (NQ, NQ),
    (TRIG, TRIG),
    (JSONLD, JSONLD),
    (RDFXML, RDFXML),
    ("text/plain", NT),
    ("application/*", NT),
    (f"{RDFXML};q=0.5, {JSONLD};q=0.7", JSONLD),
    (f"{TTL};q=0.1, {NT};q=0.1", TTL),
    (f"{JSON}, {NT};q=0.3", NT),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", RDFXML),
    ("image/png", None),
    (JSON, None),
]

OX_RESULTS = {
    JSON: ox.QueryResultsFormat.JSON,
    XML: ox.QueryResultsFormat.XML,
    CSV: ox.QueryResultsFormat.CSV,
    TSV: ox.QueryResultsFormat.TSV,
}
OX_GRAPHS = {
    TTL: ox.RdfFormat.TURTLE,
    NT: ox.RdfFormat.N_TRIPLES,
    NQ: ox.RdfFormat.N_QUADS,
    TRIG: ox.RdfFormat.TRIG,
    JSONLD: ox.RdfFormat.JSON_LD,
    RDFXML: ox.RdfFormat.RDF_XML,
}


def _get(client: httpx.Client, query: str, accept: str | None) -> httpx.Response:
    headers = {"accept": accept} if accept is not None else {}
    if accept is None:
        # httpx adds "Accept: */*" by default; send none at all.
        request = client.build_request("GET", "/sparql", params={"query": query})
        del request.headers["accept"]
        return client.send(request)
    return client.get("/sparql", params={"query": query}, headers=headers)


def _media(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


@pytest.mark.parametrize(("accept", "expected"), RESULTS_TABLE)
def test_select(client: httpx.Client, accept: str | None, expected: str | None) -> None:
    response = _get(client, SELECT, accept)
    if expected is None:
        assert response.status_code == 406
        assert "Supported" in response.text
        return
    assert response.status_code == 200, response.text
    assert _media(response) == expected
    if expected == CSV:  # CSV is lossy: pyoxigraph does not parse it back
        assert len(response.text.strip().splitlines()) == 6
        return
    solutions = list(ox.parse_query_results(response.content, OX_RESULTS[expected]))
    assert len(solutions) == 5


@pytest.mark.parametrize(("accept", "expected"), RESULTS_TABLE)
def test_ask(client: httpx.Client, accept: str | None, expected: str | None) -> None:
    response = _get(client, ASK, accept)
    if expected is None:
        assert response.status_code == 406
        return
    assert response.status_code == 200, response.text
    assert _media(response) == expected
    if expected in (JSON, XML):
        assert bool(ox.parse_query_results(response.content, OX_RESULTS[expected])) is True
    else:
        assert response.text.split()[-1] == "true"


@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE], ids=["construct", "describe"])
@pytest.mark.parametrize(("accept", "expected"), GRAPH_TABLE)
def test_graph(client: httpx.Client, query: str, accept: str | None, expected: str | None) -> None:
    response = _get(client, query, accept)
    if expected is None:
        assert response.status_code == 406
        return
    assert response.status_code == 200, response.text
    assert _media(response) == expected
    triples = list(ox.parse(response.content, OX_GRAPHS[expected]))
    assert len(triples) == 5


@pytest.mark.parametrize(
    ("format_param", "query", "expected"),
    [
        ("json", SELECT, JSON),
        ("xml", SELECT, XML),
        ("csv", SELECT, CSV),
        ("tsv", SELECT, TSV),
        ("turtle", CONSTRUCT, TTL),
        ("xml", CONSTRUCT, RDFXML),
        ("json-ld", CONSTRUCT, JSONLD),
        (NT, CONSTRUCT, NT),
        ("png", SELECT, None),
    ],
)
def test_format_parameter_overrides_accept(
    client: httpx.Client, format_param: str, query: str, expected: str | None
) -> None:
    response = client.get(
        "/sparql", params={"query": query, "format": format_param}, headers={"accept": "image/gif"}
    )
    if expected is None:
        assert response.status_code == 406
    else:
        assert response.status_code == 200
        assert _media(response) == expected
