"""Result formats: the media types the endpoint speaks, and pyoxigraph's format for each.

Every answer is written by pyoxigraph's serializers (in the query worker); this module only
names the formats and negotiates between them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import pyoxigraph as ox

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class ResultsFormat(IntEnum):
    """Formats for SELECT and ASK results (the value travels to the worker)."""

    JSON = 0
    XML = 1
    CSV = 2
    TSV = 3


class GraphFormat(IntEnum):
    """Formats for CONSTRUCT and DESCRIBE results."""

    TURTLE = 0
    NTRIPLES = 1
    NQUADS = 2
    TRIG = 3
    JSONLD = 4
    RDFXML = 5


@dataclass(frozen=True)
class MediaType:
    media_type: str
    content_type: str
    names: tuple[str, ...]  # short names accepted in ?format=


# The first entry of each table is the default.
RESULTS_MEDIA: dict[ResultsFormat, MediaType] = {
    ResultsFormat.JSON: MediaType(
        "application/sparql-results+json",
        "application/sparql-results+json; charset=utf-8",
        ("json", "srj"),
    ),
    ResultsFormat.XML: MediaType(
        "application/sparql-results+xml",
        "application/sparql-results+xml; charset=utf-8",
        ("xml", "srx"),
    ),
    ResultsFormat.CSV: MediaType("text/csv", "text/csv; charset=utf-8", ("csv",)),
    ResultsFormat.TSV: MediaType(
        "text/tab-separated-values", "text/tab-separated-values; charset=utf-8", ("tsv",)
    ),
}
# Other names clients use for the same formats (matched by negotiation, never preferred).
RESULTS_ALIASES: dict[str, ResultsFormat] = {
    "application/json": ResultsFormat.JSON,
    "application/xml": ResultsFormat.XML,
    "text/xml": ResultsFormat.XML,
}

GRAPH_MEDIA: dict[GraphFormat, MediaType] = {
    GraphFormat.TURTLE: MediaType(
        "text/turtle", "text/turtle; charset=utf-8", ("ttl", "turtle", "n3")
    ),
    GraphFormat.NTRIPLES: MediaType(
        "application/n-triples",
        "application/n-triples; charset=utf-8",
        ("nt", "ntriples", "n-triples"),
    ),
    GraphFormat.NQUADS: MediaType(
        "application/n-quads", "application/n-quads; charset=utf-8", ("nq", "nquads", "n-quads")
    ),
    GraphFormat.TRIG: MediaType("application/trig", "application/trig; charset=utf-8", ("trig",)),
    GraphFormat.JSONLD: MediaType(
        "application/ld+json", "application/ld+json; charset=utf-8", ("jsonld", "json-ld", "json")
    ),
    GraphFormat.RDFXML: MediaType(
        "application/rdf+xml",
        "application/rdf+xml; charset=utf-8",
        ("rdf", "rdfxml", "rdf+xml", "xml"),
    ),
}
GRAPH_ALIASES: dict[str, GraphFormat] = {
    "application/x-turtle": GraphFormat.TURTLE,
    "text/n3": GraphFormat.TURTLE,
    "text/plain": GraphFormat.NTRIPLES,
    "application/json": GraphFormat.JSONLD,
    "application/xml": GraphFormat.RDFXML,
    "text/xml": GraphFormat.RDFXML,
}

OX_GRAPH_FORMAT: dict[GraphFormat, ox.RdfFormat] = {
    GraphFormat.TURTLE: ox.RdfFormat.TURTLE,
    GraphFormat.NTRIPLES: ox.RdfFormat.N_TRIPLES,
    GraphFormat.NQUADS: ox.RdfFormat.N_QUADS,
    GraphFormat.TRIG: ox.RdfFormat.TRIG,
    GraphFormat.JSONLD: ox.RdfFormat.JSON_LD,
    GraphFormat.RDFXML: ox.RdfFormat.RDF_XML,
}

OX_RESULTS_FORMAT: dict[ResultsFormat, ox.QueryResultsFormat] = {
    ResultsFormat.JSON: ox.QueryResultsFormat.JSON,
    ResultsFormat.XML: ox.QueryResultsFormat.XML,
    ResultsFormat.CSV: ox.QueryResultsFormat.CSV,
    ResultsFormat.TSV: ox.QueryResultsFormat.TSV,
}
