"""The FastAPI routes answer exactly like the ASGI fast path (served with it turned off, and
with the result cache off); and the cache, when on, answers repeated queries."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pyoxigraph as ox
import pytest
from http_support import PERSON, PERSONS, TEST_GRAPH

from shezhire.config import Settings
from shezhire.http.testing import LiveServer

LOOKUP = f"SELECT ?p ?o WHERE {{ <{PERSON}5> ?p ?o }}"


@pytest.fixture(scope="module")
def plain_client(settings: Settings) -> Iterator[httpx.Client]:
    plain = settings.model_copy(
        update={"sparql_fast_path": False, "result_cache_entries": 0, "port": 8000}
    )
    with LiveServer(plain) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture(params=["front", "routes"])
def either(request: pytest.FixtureRequest, client: httpx.Client) -> httpx.Client:
    if request.param == "front":
        return client
    plain: httpx.Client = request.getfixturevalue("plain_client")
    return plain


def test_get_post_direct(either: httpx.Client) -> None:
    for response in (
        either.get("/sparql", params={"query": LOOKUP}),
        either.post("/sparql", data={"query": LOOKUP}),
        either.post("/query", content=LOOKUP, headers={"content-type": "application/sparql-query"}),
    ):
        assert response.status_code == 200
        assert len(response.json()["results"]["bindings"]) == 5
        assert response.headers["vary"].startswith("Accept")


def test_errors(either: httpx.Client, settings: Settings) -> None:
    assert either.get("/sparql", params={"query": "SELECT"}).status_code == 400
    assert (
        either.get("/sparql", params={"query": LOOKUP}, headers={"accept": "image/png"}).status_code
        == 406
    )
    big = either.post(
        "/sparql",
        content=b" " * (settings.max_body_bytes + 1),
        headers={"content-type": "application/sparql-query"},
    )
    assert big.status_code == 413
    assert either.post("/sparql", data={"update": "CLEAR ALL"}).status_code == 403
    assert either.put("/sparql", params={"query": "ASK {}"}).status_code == 405


def test_service_description_and_stream(either: httpx.Client) -> None:
    sd = either.get("/sparql", headers={"accept": "text/turtle"})
    assert sd.status_code == 200
    assert len(list(ox.parse(sd.content, ox.RdfFormat.TURTLE))) > 10
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{TEST_GRAPH}> {{ ?s ?p ?o }} }}"
    response = either.get(
        "/sparql", params={"query": query}, headers={"accept": "application/n-triples"}
    )
    assert response.status_code == 200
    assert len(list(ox.parse(response.content, ox.RdfFormat.N_TRIPLES))) == PERSONS * 5


def test_cors_simple_request(either: httpx.Client) -> None:
    response = either.get(
        "/sparql", params={"query": "ASK {}"}, headers={"origin": "https://x.org"}
    )
    assert response.headers["access-control-allow-origin"] == "*"


def test_result_cache_answers_repeats(client: httpx.Client) -> None:
    query = f"SELECT ?o WHERE {{ <{PERSON}17> ?p ?o }} # cache test"
    before = client.get("/health").json()["result_cache"]
    first = client.get("/sparql", params={"query": query})
    second = client.get("/sparql", params={"query": query})
    assert first.content == second.content
    after = client.get("/health").json()["result_cache"]
    assert after["hits"] == before["hits"] + 1
    # another format is another entry
    client.get("/sparql", params={"query": query}, headers={"accept": "text/csv"})
    assert client.get("/health").json()["result_cache"]["misses"] == after["misses"] + 1
