"""Content negotiation for linked-data resources: Accept with q-values, or ``?format=``.

``negotiate(accept, format_param, offers)`` returns the chosen :class:`Format`, or ``None`` when
nothing the client accepts is offered (the caller answers 406), and raises
:class:`UnknownFormat` for a ``?format=`` value that names no format (400).
A range's quality comes from the most specific range that matches (``text/turtle`` beats
``text/*`` beats ``*/*``); ``q=0`` excludes; ties go to the server's order, whose first entry
is its default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from shezhire.http.negotiation import AcceptRange, match, parse_accept


@dataclass(frozen=True)
class Format:
    name: str  # the ?format= value and the file extension of dumps
    media_type: str
    content_type: str
    rdf: ox.RdfFormat | None  # None for HTML
    aliases: tuple[str, ...] = ()
    label: str = ""


HTML = Format("html", "text/html", "text/html; charset=utf-8", None, ("application/xhtml+xml",))
TURTLE = Format(
    "ttl",
    "text/turtle",
    "text/turtle; charset=utf-8",
    ox.RdfFormat.TURTLE,
    ("application/x-turtle",),
    "Turtle",
)
JSONLD = Format(
    "jsonld",
    "application/ld+json",
    "application/ld+json",
    ox.RdfFormat.JSON_LD,
    ("application/json",),
    "JSON-LD",
)
NTRIPLES = Format(
    "nt",
    "application/n-triples",
    "application/n-triples; charset=utf-8",
    ox.RdfFormat.N_TRIPLES,
    (),
    "N-Triples",
)
RDFXML = Format(
    "rdf",
    "application/rdf+xml",
    "application/rdf+xml; charset=utf-8",
    ox.RdfFormat.RDF_XML,
    ("application/xml", "text/xml"),
    "RDF/XML",
)
NQUADS = Format(
    "nq",
    "application/n-quads",
    "application/n-quads; charset=utf-8",
    ox.RdfFormat.N_QUADS,
    (),
    "N-Quads",
)
TRIG = Format("trig", "application/trig", "application/trig; charset=utf-8", ox.RdfFormat.TRIG)

# What a resource (an entity, a concept, the ontology, a named graph) can be had as.
RESOURCE_OFFERS: tuple[Format, ...] = (HTML, TURTLE, JSONLD, NTRIPLES, RDFXML)
# The dataset description: RDF only, Turtle first.
VOID_OFFERS: tuple[Format, ...] = (TURTLE, JSONLD, NTRIPLES, RDFXML)
FORMAT_NAMES: dict[str, Format] = {
    **{f.name: f for f in (HTML, TURTLE, JSONLD, NTRIPLES, RDFXML, NQUADS, TRIG)},
    "turtle": TURTLE,
    "json-ld": JSONLD,
    "json": JSONLD,
    "ntriples": NTRIPLES,
    "xml": RDFXML,
    "rdfxml": RDFXML,
}


class UnknownFormat(ValueError):
    """A ``?format=`` value that names no format."""


def offer_quality(ranges: Sequence[AcceptRange], offer: Format) -> float:
    """The most specific range naming the offer or one of its aliases decides."""
    best = max(match(ranges, m) for m in (offer.media_type, *offer.aliases))
    return best[1] if best[0] >= 0 else 0.0


def negotiate(
    accept: str | None, format_param: str | None, offers: Sequence[Format]
) -> Format | None:
    if format_param:
        chosen = FORMAT_NAMES.get(format_param.strip().lower())
        if chosen is None:
            for offer in offers:
                if format_param.strip().lower() in (offer.media_type, *offer.aliases):
                    return offer
            raise UnknownFormat(format_param)
        return chosen if chosen in offers else None
    if not accept or not accept.strip():
        return offers[0]
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0]
    best: Format | None = None
    best_q = 0.0
    for offer in offers:
        q = offer_quality(ranges, offer)
        if q > best_q:
            best, best_q = offer, q
    return best


def describe_offers(offers: Sequence[Format]) -> str:
    return ", ".join(o.media_type for o in offers)
