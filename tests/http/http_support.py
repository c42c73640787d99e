"""Constants and data shared by the HTTP tests (imported as a plain module)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from shezhire.config import BASE_IRI, DEFAULT_ROOT, GRAPH_BASE

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
