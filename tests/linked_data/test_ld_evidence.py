"""Evidence you can cite: every citation and quote dereferences to its own negotiated page, the
fact's page links to it, its HTML has a "Cite this evidence" box, and JSON-LD answers use the
project's compact @context (served at /context.jsonld) and read back to the same triples as
Turtle."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from html_tree import Element, parse

from shezhire.config import BASE_IRI, GRAPH_BASE, Settings
from shezhire.http.testing import LiveServer, build_plain_store
from shezhire.linked_data.graph import PREFIXES

ROOT = Path(__file__).resolve().parents[2]
CONTEXT_FILE = ROOT / "ontology" / "context.jsonld"
HTML = {"accept": "text/html"}
SHZ = "https://w3id.org/shezhire/ontology#"
OA = "http://www.w3.org/ns/oa#"
TIE = BASE_IRI + "id/tie/b2023-aduchi-petr-relative-or-fictive-kin"
FN30 = BASE_IRI + "id/citation/tie/b2023-aduchi-petr-relative-or-fictive-kin/b2023-fn30"
FN30_PATH = FN30.removeprefix(BASE_IRI.rstrip("/"))
PETR = BASE_IRI + "id/person/petr-vasilievich-khomutnikov"


def _page(client: httpx.Client, url: str) -> Element:
    response = client.get(url, headers=HTML)
    assert response.status_code == 200, response.text[:500]
    return parse(response.text)


def _text(el: Element) -> str:
    return "".join(t if isinstance(t, str) else _text(t) for t in el.children)


# -- negotiation -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [FN30_PATH, FN30_PATH + "/quote"])
@pytest.mark.parametrize(
    ("accept", "param", "media"),
    [
        ("text/html", None, "text/html"),
        ("text/turtle", None, "text/turtle"),
        ("application/ld+json", None, "application/ld+json"),
        (None, "ttl", "text/turtle"),
        (None, "jsonld", "application/ld+json"),
        (None, "nt", "application/n-triples"),
    ],
)
def test_citation_and_quote_are_negotiated(
    client: httpx.Client, path: str, accept: str | None, param: str | None, media: str
) -> None:
    response = client.get(
        path,
        headers={"accept": accept} if accept else {},
        params={"format": param} if param else {},
    )
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith(media)
    assert "Accept" in response.headers["vary"]
    assert 'rel="alternate"' in response.headers["link"]


def test_unknown_citation_is_404(client: httpx.Client) -> None:
    response = client.get(FN30_PATH + "-9", headers={"accept": "text/turtle"})
    assert response.status_code == 404


def test_citation_description_holds_its_quote_source_and_fact(client: httpx.Client) -> None:
    graph = rdflib.Graph().parse(
        data=client.get(FN30_PATH, headers={"accept": "text/turtle"}).content, format="turtle"
    )
    cit, quote = rdflib.URIRef(FN30), rdflib.URIRef(FN30 + "/quote")
    assert (cit, rdflib.RDF.type, rdflib.URIRef(SHZ + "Citation")) in graph
    assert (cit, rdflib.URIRef(OA + "hasSelector"), quote) in graph
    assert (quote, rdflib.RDF.type, rdflib.URIRef(OA + "TextQuoteSelector")) in graph
    exact = rdflib.URIRef(OA + "exact")
    assert graph.value(quote, exact) == graph.value(cit, exact)
    assert "Khomutnikov" in str(graph.value(quote, exact))
    work = rdflib.URIRef(BASE_IRI + "id/work/bolatkhan-2023")
    assert (cit, rdflib.URIRef(OA + "hasSource"), work) in graph
    assert (rdflib.URIRef(TIE), rdflib.URIRef(SHZ + "citation"), cit) in graph
    assert (cit, rdflib.URIRef(SHZ + "footnote"), rdflib.Literal(30)) in graph


# -- the HTML pages -------------------------------------------------------------------------------


def test_citation_page(client: httpx.Client) -> None:
    response = client.get(FN30_PATH, headers=HTML)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    doc = parse(response.text)
    assert _text(doc.find("h1")) == "Citation: Bolatkhan 2023, fn. 30"
    section = doc.find("section", cls="evidence-page")
    assert "to visit his relatives" in _text(section.find("blockquote", cls="quote"))
    assert section.find("span", cls="pub").find("a").get("href") == "/id/work/bolatkhan-2023"
    assert "footnote 30" in _text(section)
    refs = section.find_all("div", cls="archref")
    assert len(refs) == 2
    assert refs[0].find("a").get("href") == "/id/ref/b2023-fn30-1"
    fact = section.find("dl", cls="supports").find("a")
    assert fact.get("href") == "/id/tie/b2023-aduchi-petr-relative-or-fictive-kin"
    box = section.find("aside", cls="cite-evidence")
    assert _text(box.find("p", cls="permalink").find("code")) == FN30
    assert box.find("p", cls="permalink").find("a").get("href") == FN30_PATH
    footnote = _text(box.find("p", cls="footnote-text"))
    assert re.fullmatch(
        rf"Bolatkhan 2023, fn\. 30, quoted in Shezhire, <{re.escape(FN30)}>, accessed "
        r"\d{1,2} [A-Z][a-z]+ \d{4}\.",
        footnote,
    ), footnote
    # nothing inline: scripts and styles come from the project's static files only
    assert not [s for s in doc.find_all("script") if not s.get("src")]
    assert not doc.find_all("style")
    assert not [el for el in doc.iter() if "style" in el.attrs]


def test_quote_page_links_its_citation(client: httpx.Client) -> None:
    doc = _page(client, FN30_PATH + "/quote")
    assert _text(doc.find("h1")) == "Quote: Bolatkhan 2023, fn. 30"
    section = doc.find("section", cls="evidence-page")
    assert "to visit his relatives" in _text(section.find("blockquote", cls="quote"))
    assert section.find("p", cls="evidence-of").find("a").get("href") == FN30_PATH
    assert section.find("dl", cls="supports").find("a").get("href") == (
        "/id/tie/b2023-aduchi-petr-relative-or-fictive-kin"
    )
    assert _text(doc.find("aside", cls="cite-evidence").find("code")) == FN30 + "/quote"


def test_fact_page_links_each_citation_to_its_permalink(client: httpx.Client) -> None:
    doc = _page(client, "/id/tie/b2023-aduchi-petr-relative-or-fictive-kin")
    links = [a.get("href") for a in doc.find_all("a", cls="permalink-link")]
    assert FN30_PATH in links
    assert FN30_PATH.replace("fn30", "fn31") in links


# -- a hostile store with a relayed secondary citation ---------------------------------------

EVIL_QUOTE = "</blockquote><script>alert('quote')</script>"
EVIL_FACT = BASE_IRI + "id/tie/test-evil-tie"
EVIL_CIT = BASE_IRI + "id/citation/tie/test-evil-tie/ev-fn7"
RELAY = EVIL_CIT + "/relays/zemskov-2005-p319"
WORK = BASE_IRI + "id/work/test-evil-work"
ZEMSKOV = BASE_IRI + "id/work/zemskov-2005"


def _evil_quads() -> list[ox.Quad]:
    g = ox.NamedNode(GRAPH_BASE + "test-evidence")

    def n(iri: str) -> ox.NamedNode:
        return ox.NamedNode(iri)

    label = n("http://www.w3.org/2000/01/rdf-schema#label")
    rdf_type = n("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    return [
        ox.Quad(n(EVIL_FACT), rdf_type, n(SHZ + "SocialTie"), g),
        ox.Quad(
            n(EVIL_FACT), label, ox.Literal("<img src=x onerror=alert(1)> tie", language="en"), g
        ),
        ox.Quad(n(EVIL_FACT), n(SHZ + "citation"), n(EVIL_CIT), g),
        ox.Quad(n(EVIL_CIT), rdf_type, n(SHZ + "Citation"), g),
        ox.Quad(n(EVIL_CIT), n(SHZ + "publication"), n(WORK), g),
        ox.Quad(
            n(EVIL_CIT),
            n(SHZ + "footnote"),
            ox.Literal("7", datatype=n("http://www.w3.org/2001/XMLSchema#integer")),
            g,
        ),
        ox.Quad(n(EVIL_CIT), n(OA + "exact"), ox.Literal(EVIL_QUOTE), g),
        ox.Quad(n(EVIL_CIT), n(SHZ + "relays"), n(RELAY), g),
        ox.Quad(n(RELAY), rdf_type, n(SHZ + "SecondaryCitation"), g),
        ox.Quad(n(RELAY), n(SHZ + "publication"), n(ZEMSKOV), g),
        ox.Quad(n(RELAY), n(SHZ + "page"), ox.Literal("319"), g),
        ox.Quad(n(WORK), label, ox.Literal("<b>Evil</b> 2020, a title", language="en"), g),
        ox.Quad(n(ZEMSKOV), label, ox.Literal("Zemskov 2005, Spetsposelentsy", language="en"), g),
    ]


@pytest.fixture(scope="module")
def evil_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = tmp_path_factory.mktemp("ld-evidence") / "store"
    build_plain_store(path, [], _evil_quads())
    with LiveServer(Settings(store_path=path)) as server:
        yield server.url


def test_hostile_evidence_is_escaped_and_relays_shown(evil_url: str) -> None:
    with httpx.Client(base_url=evil_url, timeout=60) as client:
        response = client.get(EVIL_CIT.removeprefix(BASE_IRI.rstrip("/")), headers=HTML)
        relay = client.get(RELAY.removeprefix(BASE_IRI.rstrip("/")), headers=HTML)
    assert response.status_code == 200
    body = response.text
    assert "<script>alert" not in body and "<img src=x" not in body and "<b>Evil" not in body
    assert "&lt;/blockquote&gt;&lt;script&gt;" in body
    doc = parse(body)
    assert _text(doc.find("h1")) == "Citation: <b>Evil</b> 2020, fn. 7"
    relayed = doc.find("div", cls="relayed")
    assert relayed.find("a").get("href") == "/id/work/zemskov-2005"
    assert "p. 319" in _text(relayed)
    assert relayed.find("a", cls="permalink-link").get("href") == RELAY.removeprefix(
        BASE_IRI.rstrip("/")
    )
    footnote = _text(doc.find("p", cls="footnote-text"))
    assert footnote.startswith(f"<b>Evil</b> 2020, fn. 7, quoted in Shezhire, <{EVIL_CIT}>")
    # the relayed citation's own page names the citation that relays it and the fact
    assert relay.status_code == 200
    relay_doc = parse(relay.text)
    assert _text(relay_doc.find("h1")) == "Relayed citation: Zemskov 2005, p. 319"
    assert relay_doc.find("p", cls="evidence-of").find("a").get("href") == (
        EVIL_CIT.removeprefix(BASE_IRI.rstrip("/"))
    )
    supports = relay_doc.find("dl", cls="supports")
    assert "relayed as evidence for" in _text(supports)


# -- JSON-LD with the project's context ----------------------------------------------------------


def _local_context() -> dict[str, Any]:
    context = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]
    assert isinstance(context, dict)
    return context


def test_context_is_served_and_matches_the_tree(client: httpx.Client) -> None:
    response = client.get("/context.jsonld")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/ld+json")
    assert response.content == CONTEXT_FILE.read_bytes()
    context = _local_context()
    for prefix, namespace in PREFIXES.items():
        assert context[prefix] == namespace
    assert context["citation"] == {"@id": "shz:citation", "@type": "@id"}
    assert context["footnote"] == {"@id": "shz:footnote", "@type": "xsd:integer"}
    for term in ("label", "publication", "page", "exact", "tieSubject", "tieObject"):
        assert term in context


@pytest.mark.parametrize(
    "path",
    [
        "/id/person/petr-vasilievich-khomutnikov",
        "/id/tie/b2023-aduchi-petr-relative-or-fictive-kin",
        FN30_PATH,
    ],
)
def test_jsonld_is_compact_and_reads_back_as_the_turtle(client: httpx.Client, path: str) -> None:
    answer = client.get(path, headers={"accept": "application/ld+json"})
    assert answer.status_code == 200
    document = answer.json()
    # the context is referenced by its URL on this site, not inlined
    assert isinstance(document["@context"], str)
    assert document["@context"].endswith("/context.jsonld")
    text = answer.text
    assert '"label"' in text and '"citation"' in text
    assert "http://www.w3.org/2000/01/rdf-schema#label" not in text
    # offline: the context is the tree's file, put in place of its URL (no request at all)
    document["@context"] = _local_context()
    from_jsonld = rdflib.Graph().parse(data=json.dumps(document), format="json-ld")
    turtle = client.get(path, headers={"accept": "text/turtle"})
    from_turtle = rdflib.Graph().parse(data=turtle.content, format="turtle")
    assert len(from_turtle) > 10
    assert set(from_jsonld) == set(from_turtle)
