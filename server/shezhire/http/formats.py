"""Result formats: the media types the endpoint speaks and how SELECT/ASK rows are written.

SELECT and ASK results are written here, in Python, rather than by pyoxigraph's serializer,
because the worker must count the rows (``max_result_rows``) before it commits to a status; the
rows are materialized (bounded by the limit) and then streamed out in chunks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any
from xml.sax.saxutils import escape, quoteattr

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

Term = Any  # a pyoxigraph term: NamedNode | BlankNode | Literal | Triple


# --- SELECT / ASK writers: each returns an iterator of str pieces -----------------------------


def _json_term(term: Term) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    return {
        "type": "triple",
        "value": {
            "subject": _json_term(term.subject),
            "predicate": _json_term(term.predicate),
            "object": _json_term(term.object),
        },
    }


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)
# Rows are written in batches: one encoder call (and one piece of output) per batch.
BATCH_ROWS = 256


def _batches(rows: Sequence[Sequence[Term]]) -> Iterable[Sequence[Sequence[Term]]]:
    for start in range(0, len(rows), BATCH_ROWS):
        yield rows[start : start + BATCH_ROWS]


def _json_rows(variables: Sequence[str], rows: Sequence[Sequence[Term]]) -> Iterable[str]:
    encode = _JSON.encode
    yield '{"head":{"vars":' + encode(list(variables)) + '},"results":{"bindings":['
    separator = ""
    for batch in _batches(rows):
        bindings = [
            {v: _json_term(t) for v, t in zip(variables, row, strict=True) if t is not None}
            for row in batch
        ]
        yield separator + encode(bindings)[1:-1]
        separator = ","
    yield "]}}"


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return "<uri>" + escape(term.value) + "</uri>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            attr = quoteattr(term.datatype.value)
            return f"<literal datatype={attr}>{escape(term.value)}</literal>"
        return "<literal>" + escape(term.value) + "</literal>"
    if isinstance(term, ox.BlankNode):
        return "<bnode>" + escape(term.value) + "</bnode>"
    return (
        "<triple><subject>"
        + _xml_term(term.subject)
        + "</subject><predicate>"
        + _xml_term(term.predicate)
        + "</predicate><object>"
        + _xml_term(term.object)
        + "</object></triple>"
    )


XML_HEAD = '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'


def _xml_rows(variables: Sequence[str], rows: Sequence[Sequence[Term]]) -> Iterable[str]:
    names = [quoteattr(v) for v in variables]
    yield XML_HEAD + "<head>" + "".join(f"<variable name={n}/>" for n in names)
    yield "</head><results>"
    for batch in _batches(rows):
        parts = []
        for row in batch:
            parts.append("<result>")
            for name, term in zip(names, row, strict=True):
                if term is not None:
                    parts.append(f"<binding name={name}>{_xml_term(term)}</binding>")
            parts.append("</result>")
        yield "".join(parts)
    yield "</results></sparql>\n"


def _csv_value(term: Term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode | ox.Literal):
        value = term.value
    elif isinstance(term, ox.BlankNode):
        value = "_:" + term.value
    else:
        value = str(term)
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _csv_rows(variables: Sequence[str], rows: Sequence[Sequence[Term]]) -> Iterable[str]:
    yield ",".join(variables) + "\r\n"
    for batch in _batches(rows):
        yield "".join(",".join([_csv_value(t) for t in row]) + "\r\n" for row in batch)


def _tsv_rows(variables: Sequence[str], rows: Sequence[Sequence[Term]]) -> Iterable[str]:
    yield "\t".join("?" + v for v in variables) + "\n"
    for batch in _batches(rows):
        yield "".join("\t".join(["" if t is None else str(t) for t in row]) + "\n" for row in batch)


RowWriter = Callable[[Sequence[str], Sequence[Sequence[Term]]], Iterable[str]]
ROW_WRITERS: dict[ResultsFormat, RowWriter] = {
    ResultsFormat.JSON: _json_rows,
    ResultsFormat.XML: _xml_rows,
    ResultsFormat.CSV: _csv_rows,
    ResultsFormat.TSV: _tsv_rows,
}


def write_boolean(fmt: ResultsFormat, value: bool) -> str:
    text = "true" if value else "false"
    if fmt is ResultsFormat.JSON:
        return '{"head":{},"boolean":' + text + "}"
    if fmt is ResultsFormat.XML:
        return XML_HEAD + "<head/><boolean>" + text + "</boolean></sparql>\n"
    if fmt is ResultsFormat.CSV:
        return "_askResult\r\n" + text + "\r\n"
    return "?_askResult\n" + text + "\n"
