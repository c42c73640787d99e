"""Real SPARQL clients against the live server: SPARQLWrapper, rdflib's SPARQLStore, raw sockets."""

from __future__ import annotations

import socket
from urllib.parse import quote, urlsplit

import pytest
import rdflib
from http_support import PERSON, PERSONS, TEST_GRAPH
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, TSV, TURTLE, XML, SPARQLWrapper

LOOKUP = f"SELECT ?p ?o WHERE {{ <{PERSON}5> ?p ?o }}"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_json(base_url: str, method: str) -> None:
    wrapper = SPARQLWrapper(base_url + "/sparql")
    wrapper.setMethod(method)
    wrapper.setQuery(LOOKUP)
    wrapper.setReturnFormat(JSON)
    result = wrapper.query().convert()
    assert len(result["results"]["bindings"]) == 5  # type: ignore[index]


@pytest.mark.parametrize("fmt", [XML, CSV, TSV])
def test_sparqlwrapper_other_formats(base_url: str, fmt: str) -> None:
    wrapper = SPARQLWrapper(base_url + "/sparql")
    wrapper.setQuery(LOOKUP)
    wrapper.setReturnFormat(fmt)
    response = wrapper.query()
    assert response.response.status == 200
    converted = response.convert()
    if fmt == XML:
        assert len(converted.getElementsByTagName("result")) == 5  # type: ignore[union-attr]
    else:
        assert len(converted.strip().splitlines()) == 6  # type: ignore[union-attr]


def test_sparqlwrapper_construct(base_url: str) -> None:
    wrapper = SPARQLWrapper(base_url + "/sparql")
    wrapper.setQuery(f"CONSTRUCT WHERE {{ <{PERSON}5> ?p ?o }}")
    wrapper.setReturnFormat(TURTLE)
    data = wrapper.query().convert()
    graph = rdflib.Graph().parse(data=data, format="turtle")  # type: ignore[arg-type]
    assert len(graph) == 5


def test_sparqlwrapper_construct_default_rdfxml(base_url: str) -> None:
    wrapper = SPARQLWrapper(base_url + "/sparql")
    wrapper.setQuery(f"DESCRIBE <{PERSON}5>")
    graph = wrapper.queryAndConvert()  # SPARQLWrapper's default for graphs is RDF/XML
    assert isinstance(graph, rdflib.Graph)
    assert len(graph) == 5


def test_sparqlwrapper_ask(base_url: str) -> None:
    wrapper = SPARQLWrapper(base_url + "/sparql")
    wrapper.setQuery(f"ASK {{ GRAPH <{TEST_GRAPH}> {{ ?s ?p ?o }} }}")
    wrapper.setReturnFormat(JSON)
    assert wrapper.query().convert()["boolean"] is True  # type: ignore[index]


def test_rdflib_sparqlstore(base_url: str) -> None:
    store = SPARQLStore(base_url + "/sparql", returnFormat="json")
    graph = rdflib.Graph(store=store)
    rows = list(
        graph.query(
            "SELECT (COUNT(?p) AS ?n) WHERE { ?p a <https://schema.org/Person> "
            f"FILTER(STRSTARTS(STR(?p), '{PERSON}')) }}"
        )
    )
    assert int(rows[0][0]) == PERSONS  # type: ignore[index, arg-type]
    knows = rdflib.URIRef("https://schema.org/knows")
    friends = set(graph.objects(rdflib.URIRef(f"{PERSON}5"), knows))
    assert friends == {rdflib.URIRef(f"{PERSON}6"), rdflib.URIRef(f"{PERSON}12")}


def _raw(base_url: str, request: bytes) -> bytes:
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_raw_http10_get(base_url: str) -> None:
    target = "/sparql?query=" + quote("ASK {}")
    answer = _raw(base_url, f"GET {target} HTTP/1.0\r\nAccept: text/csv\r\n\r\n".encode())
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"content-type: text/csv" in head.lower()
    assert body.strip().endswith(b"true")


def test_raw_pipelined_keepalive(base_url: str) -> None:
    host = urlsplit(base_url).netloc
    one = (
        f"GET /sparql?query={quote('ASK {}')} HTTP/1.1\r\nHost: {host}\r\n"
        "Accept: application/sparql-results+json\r\n\r\n"
    )
    last = f"GET /health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    answer = _raw(base_url, (one + one + last).encode())
    assert answer.count(b"HTTP/1.1 200") == 3
    assert answer.count(b'"boolean":true') == 2


def test_raw_garbage_is_not_a_500(base_url: str) -> None:
    answer = _raw(
        base_url,
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: "
        b"application/x-www-form-urlencoded\r\nContent-Length: 9\r\n"
        b"Connection: close\r\n\r\nquery=%zz",
    )
    assert answer.startswith(b"HTTP/1.1 400")
