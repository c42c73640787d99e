"""Constants and the small hostile store shared by the linked-data tests (a plain module)."""

from __future__ import annotations

import pyoxigraph as ox

from shezhire.config import BASE_IRI, GRAPH_BASE

PETR = BASE_IRI + "id/person/petr-vasilievich-khomutnikov"
ADUCHI = BASE_IRI + "id/person/aduchi"
SHZ = "https://w3id.org/shezhire/ontology#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
OA_EXACT = "http://www.w3.org/ns/oa#exact"
VOID = "http://rdfs.org/ns/void#"

EVIL = BASE_IRI + "id/person/test-evil"
EVIL_LABEL = '<script>alert("label")</script> & <b>bold</b>'
EVIL_QUOTE = "</blockquote><script>alert('quote')</script>"
EVIL_TIE = BASE_IRI + "id/tie/test-evil-knows-friend"
FRIEND = BASE_IRI + "id/person/test-friend"
TINY_GRAPH = GRAPH_BASE + "test-tiny"


def tiny_store_quads() -> list[ox.Quad]:
    g = ox.NamedNode(TINY_GRAPH)

    def n(iri: str) -> ox.NamedNode:
        return ox.NamedNode(iri)

    evil, friend, tie = n(EVIL), n(FRIEND), n(EVIL_TIE)
    citation = ox.BlankNode()
    label = n(RDFS + "label")
    return [
        ox.Quad(evil, n(RDF_TYPE), n(SHZ + "Person"), g),
        ox.Quad(evil, label, ox.Literal(EVIL_LABEL, language="en"), g),
        ox.Quad(evil, n(SHZ + "nameAsWritten"), ox.Literal("<img src=x onerror=alert(1)>"), g),
        ox.Quad(evil, n(SHZ + "citation"), citation, g),
        ox.Quad(citation, n(RDF_TYPE), n(SHZ + "Citation"), g),
        ox.Quad(
            citation,
            n(SHZ + "footnote"),
            ox.Literal("7", datatype=n("http://www.w3.org/2001/XMLSchema#integer")),
            g,
        ),
        ox.Quad(citation, n(OA_EXACT), ox.Literal(EVIL_QUOTE), g),
        ox.Quad(friend, n(RDF_TYPE), n(SHZ + "Person"), g),
        ox.Quad(friend, label, ox.Literal('Friend "quoted" <i>', language="en"), g),
        ox.Quad(tie, n(RDF_TYPE), n(SHZ + "SocialTie"), g),
        ox.Quad(tie, label, ox.Literal("<svg onload=alert(2)> knows friend", language="en"), g),
        ox.Quad(tie, n(SHZ + "tieSubject"), evil, g),
        ox.Quad(tie, n(SHZ + "tieObject"), friend, g),
    ]
