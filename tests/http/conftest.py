"""Session fixtures for the HTTP tests: a store built from the repository's Turtle files plus a
synthetic test graph, and a real uvicorn server on 127.0.0.1 serving it in a subprocess."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from shezhire.config import BASE_IRI, DEFAULT_ROOT, GRAPH_BASE, Settings
from shezhire.http.testing import LiveServer, build_plain_store

TEST_GRAPH = GRAPH_BASE + "test-fixture"
PERSON = BASE_IRI + "id/person/test-person-"
SCHEMA = "https://schema.org/"
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
PERSONS = 300
# A label with every character the serializers and HTML pages must escape.
TRICKY_LABEL = 'Quote " <b>bold</b> & amp, comma; tab\there\nnewline'

ALLOWED_SERVICE = "http://127.0.0.1:9/allowed-but-unreachable"


def fixture_quads() -> list[ox.Quad]:
    graph = ox.NamedNode(TEST_GRAPH)
    knows = ox.NamedNode(SCHEMA + "knows")
    related = ox.NamedNode(SCHEMA + "relatedTo")
    person_class = ox.NamedNode(SCHEMA + "Person")
    quads = []
    for i in range(PERSONS):
        person = ox.NamedNode(f"{PERSON}{i}")
        label = TRICKY_LABEL if i == 0 else f"Test person {i}"
        quads += [
            ox.Quad(person, RDF_TYPE, person_class, graph),
            ox.Quad(person, RDFS_LABEL, ox.Literal(label, language="en"), graph),
            ox.Quad(person, knows, ox.NamedNode(f"{PERSON}{(i + 1) % PERSONS}"), graph),
            ox.Quad(person, knows, ox.NamedNode(f"{PERSON}{(i + 7) % PERSONS}"), graph),
            ox.Quad(person, related, ox.NamedNode(f"{PERSON}{(i + 3) % PERSONS}"), graph),
        ]
    return quads


def repository_turtle(root: Path = DEFAULT_ROOT) -> list[Path]:
    return sorted((root / "ontology").glob("*.ttl")) + sorted((root / "data" / "ttl").glob("*.ttl"))


@pytest.fixture(scope="session")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("http") / "store"
    build_plain_store(path, repository_turtle(), fixture_quads())
    return path


@pytest.fixture(scope="session")
def settings(store_path: Path) -> Settings:
    return Settings(
        store_path=store_path,
        query_timeout_s=20.0,
        max_result_rows=2000,
        max_body_bytes=200_000,
        max_query_length=50_000,
        query_workers=2,
        service_allowlist=[ALLOWED_SERVICE],
    )


@pytest.fixture(scope="session")
def server(settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(settings) as live:
        yield live


@pytest.fixture(scope="session")
def base_url(server: LiveServer) -> str:
    return server.url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        yield http
