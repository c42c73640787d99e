"""Dereferencing an entity IRI: content negotiation, 404, 406, caching headers, RDF that parses."""

from __future__ import annotations

import httpx
import pytest
import rdflib
from ld_support import ADUCHI, OA_EXACT, PETR, RDFS, SHZ

from shezhire.linked_data.negotiation import (
    HTML,
    JSONLD,
    NTRIPLES,
    RDFXML,
    RESOURCE_OFFERS,
    TURTLE,
    UnknownFormat,
    negotiate,
)

PETR_PATH = "/id/person/petr-vasilievich-khomutnikov"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"

# (Accept header, the media type the answer must have)
TABLE = [
    (None, "text/html"),
    ("*/*", "text/html"),
    (BROWSER, "text/html"),
    ("text/html", "text/html"),
    ("text/turtle", "text/turtle"),
    ("application/ld+json", "application/ld+json"),
    ("application/n-triples", "application/n-triples"),
    ("application/rdf+xml", "application/rdf+xml"),
    ("text/turtle;q=0.5, application/ld+json", "application/ld+json"),
    ("text/turtle;q=0.9, application/ld+json;q=0.4, */*;q=0.1", "text/turtle"),
    ("text/html;q=0.1, application/rdf+xml;q=0.8", "application/rdf+xml"),
    ("application/n-triples;q=1.0, text/turtle;q=1.0", "text/turtle"),  # tie: server order
    ("text/*", "text/html"),
    ("text/*;q=0.3, text/turtle", "text/turtle"),
    ("text/html;q=0, */*;q=0.5", "text/turtle"),
    ("application/json", "application/ld+json"),
    ("image/png, application/ld+json;q=0.2", "application/ld+json"),
]


@pytest.mark.parametrize(("accept", "expected"), TABLE)
def test_accept_table(client: httpx.Client, accept: str | None, expected: str) -> None:
    headers = {"accept": accept} if accept is not None else {}
    response = client.get(PETR_PATH, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == expected
    assert "accept" in response.headers["vary"].lower()


@pytest.mark.parametrize(
    ("param", "expected"),
    [
        ("ttl", "text/turtle"),
        ("jsonld", "application/ld+json"),
        ("nt", "application/n-triples"),
        ("rdf", "application/rdf+xml"),
        ("html", "text/html"),
    ],
)
def test_format_parameter_wins_over_accept(client: httpx.Client, param: str, expected: str) -> None:
    response = client.get(PETR_PATH, params={"format": param}, headers={"accept": "image/png"})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == expected


def test_unknown_format_parameter_is_a_bad_request(client: httpx.Client) -> None:
    response = client.get(PETR_PATH, params={"format": "pdf"})
    assert response.status_code == 400
    assert "ttl" in response.text


@pytest.mark.parametrize(
    "accept", ["image/png", "application/pdf", "text/turtle;q=0, text/html;q=0"]
)
def test_unsatisfiable_accept_is_406(client: httpx.Client, accept: str) -> None:
    response = client.get(PETR_PATH, headers={"accept": accept})
    assert response.status_code == 406
    assert "text/turtle" in response.text
    assert "accept" in response.headers["vary"].lower()


def test_unknown_iri_is_404_in_html_and_in_rdf(client: httpx.Client) -> None:
    page = client.get("/id/person/no-such-person", headers={"accept": "text/html"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "https://w3id.org/shezhire/id/person/no-such-person" in page.text
    assert "Not found" in page.text
    rdf = client.get("/id/person/no-such-person", headers={"accept": "text/turtle"})
    assert rdf.status_code == 404
    assert client.get("/vocab/kin/no-such-kin").status_code == 404
    assert client.get("/graph/no-such-graph").status_code == 404


def test_not_found_page_suggests_near_iris(client: httpx.Client) -> None:
    page = client.get("/id/person/petr-khomutnikov", headers={"accept": "text/html"})
    assert page.status_code == 404
    assert "/id/person/petr-vasilievich-khomutnikov" in page.text


def _parse(response: httpx.Response, fmt: str) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(data=response.content, format=fmt)
    return graph


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
    ],
)
def test_description_parses_and_holds_the_entity(
    client: httpx.Client, accept: str, rdflib_format: str
) -> None:
    response = client.get(PETR_PATH, headers={"accept": accept})
    graph = _parse(response, rdflib_format)
    petr = rdflib.URIRef(PETR)
    label = rdflib.URIRef(RDFS + "label")
    assert (petr, label, rdflib.Literal("Petr Vasilievich Khomutnikov", lang="en")) in graph
    # Its citations (IRIs the build gives them, below /id/citation/person/...) come with their
    # quotes, each also an oa:TextQuoteSelector of its own; no blank node anywhere.
    citations = list(graph.objects(petr, rdflib.URIRef(SHZ + "citation")))
    assert citations
    prefix = "https://w3id.org/shezhire/id/citation/person/petr-vasilievich-khomutnikov/"
    assert all(isinstance(c, rdflib.URIRef) and str(c).startswith(prefix) for c in citations)
    quotes = [str(q) for c in citations for q in graph.objects(c, rdflib.URIRef(OA_EXACT))]
    assert any("Petr Vasilievich Khomutnikov" in q for q in quotes)
    selector = rdflib.URIRef("http://www.w3.org/ns/oa#hasSelector")
    for citation in citations:
        assert list(graph.objects(citation, selector)) == [rdflib.URIRef(f"{citation}/quote")]
    assert not any(isinstance(t, rdflib.BNode) for triple in graph for t in triple)
    # Ties that mention him, with their labels, and an event's participation of him.
    father = rdflib.URIRef("https://w3id.org/shezhire/id/tie/b2023-vasilii-father-of-petr")
    assert (father, rdflib.URIRef(SHZ + "tieObject"), petr) in graph
    assert any(graph.objects(father, label))
    participations = list(graph.subjects(rdflib.URIRef(SHZ + "agent"), petr))
    assert participations
    events = {
        e for p in participations for e in graph.subjects(rdflib.URIRef(SHZ + "participation"), p)
    }
    assert (
        rdflib.URIRef("https://w3id.org/shezhire/id/event/b2023-release-petr-khomutnikov-1954")
        in events
    )
    assert all(any(graph.objects(e, label)) for e in events)
    # Objects are labelled too (the kin type of a tie, the publication of a citation).
    assert any(graph.objects(rdflib.URIRef("https://w3id.org/shezhire/vocab/kin/father"), label))


def test_all_formats_carry_the_same_triples(client: httpx.Client) -> None:
    sizes = {}
    for accept, fmt in [
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
    ]:
        sizes[fmt] = len(_parse(client.get(PETR_PATH, headers={"accept": accept}), fmt))
    assert len(set(sizes.values())) == 1, sizes


def test_pseudonym_description_keeps_the_declaration(client: httpx.Client) -> None:
    graph = _parse(client.get("/id/person/aduchi", headers={"accept": "text/turtle"}), "turtle")
    aduchi = rdflib.URIRef(ADUCHI)
    assert (aduchi, rdflib.RDF.type, rdflib.URIRef(SHZ + "EditorialPseudonym")) in graph
    notes = list(graph.objects(aduchi, rdflib.URIRef(SHZ + "pseudonymDeclaredIn")))
    assert notes
    assert any(
        "ethical reasons" in str(q)
        for n in notes
        for q in graph.objects(n, rdflib.URIRef(OA_EXACT))
    )


def test_vocabulary_concepts_and_schemes_dereference(client: httpx.Client) -> None:
    concept = _parse(client.get("/vocab/kin/father", params={"format": "ttl"}), "turtle")
    father = rdflib.URIRef("https://w3id.org/shezhire/vocab/kin/father")
    assert (father, rdflib.URIRef("http://www.w3.org/2004/02/skos/core#inScheme"), None) in concept
    scheme = _parse(client.get("/vocab/kin/", params={"format": "ttl"}), "turtle")
    assert (
        father,
        rdflib.URIRef("http://www.w3.org/2004/02/skos/core#inScheme"),
        rdflib.URIRef("https://w3id.org/shezhire/vocab/kin/"),
    ) in scheme


def test_ontology_document_and_fragments(client: httpx.Client) -> None:
    graph = _parse(client.get("/ontology", headers={"accept": "text/turtle"}), "turtle")
    assert (
        rdflib.URIRef("https://w3id.org/shezhire/ontology"),
        rdflib.RDF.type,
        rdflib.OWL.Ontology,
    ) in graph
    assert (rdflib.URIRef(SHZ + "Person"), rdflib.RDF.type, rdflib.OWL.Class) in graph
    page = client.get("/ontology", headers={"accept": "text/html"})
    assert page.status_code == 200
    for term in ("Person", "KinTie", "citation", "tieSubject"):
        assert f'id="{term}"' in page.text
    redirect = client.get("/ontology/Person")
    assert redirect.status_code == 303
    assert redirect.headers["location"].endswith("/ontology#Person")


def test_etag_last_modified_and_conditional_get(client: httpx.Client) -> None:
    first = client.get(PETR_PATH, headers={"accept": "text/turtle"})
    etag = first.headers["etag"]
    assert first.headers["last-modified"].endswith("GMT")
    again = client.get(PETR_PATH, headers={"accept": "text/turtle", "if-none-match": etag})
    assert again.status_code == 304
    other = client.get(PETR_PATH, headers={"accept": "application/ld+json", "if-none-match": etag})
    assert other.status_code == 200, "each representation has its own ETag"


def test_link_header_and_head(client: httpx.Client) -> None:
    response = client.get(PETR_PATH, headers={"accept": "text/html"})
    link = response.headers["link"]
    for media in (
        "text/turtle",
        "application/ld+json",
        "application/n-triples",
        "application/rdf+xml",
    ):
        assert f'type="{media}"' in link
    head = client.head(PETR_PATH, headers={"accept": "text/turtle"})
    assert head.status_code == 200
    assert head.headers["content-type"].startswith("text/turtle")


@pytest.mark.parametrize(
    ("accept", "param", "expected"),
    [
        (None, None, HTML),
        ("", None, HTML),
        ("garbage", None, HTML),
        ("text/turtle; q=0.2, application/ld+json; q=0.3", None, JSONLD),
        ("application/n-triples", None, NTRIPLES),
        ("application/xml", None, RDFXML),
        ("*/*;q=0.1, text/html;q=0", None, TURTLE),
        ("text/html", "ttl", TURTLE),
        ("image/png", None, None),
    ],
)
def test_negotiate_function(accept: str | None, param: str | None, expected: object) -> None:
    assert negotiate(accept, param, RESOURCE_OFFERS) is expected


def test_negotiate_rejects_unknown_format_names() -> None:
    with pytest.raises(UnknownFormat):
        negotiate(None, "docx", RESOURCE_OFFERS)
