"""Prefixes used when the endpoint writes Turtle/TriG (and HTML pages)."""

from __future__ import annotations

from shezhire.config import BASE_IRI

PREFIXES: dict[str, str] = {
    "shz": BASE_IRI + "ontology#",
    "person": BASE_IRI + "id/person/",
    "schema": "https://schema.org/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
}
