"""The HTML pages: entity pages with evidence, ties and events; escaping; home, browse, query."""

from __future__ import annotations

import re

import httpx
import pytest
import rdflib
from html_tree import parse
from ld_support import EVIL_LABEL, EVIL_QUOTE

HTML = {"accept": "text/html"}


def test_person_page(client: httpx.Client) -> None:
    page = client.get("/id/person/petr-vasilievich-khomutnikov", headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert "<title>Petr Vasilievich Khomutnikov · Shezhire</title>" in text
    assert "<h1>Petr Vasilievich Khomutnikov</h1>" in text
    # alternates for every RDF format
    for media in (
        "text/turtle",
        "application/ld+json",
        "application/n-triples",
        "application/rdf+xml",
    ):
        assert re.search(rf'<link rel="alternate" type="{re.escape(media)}" href="[^"]+"', text)
    # IRIs are linked to this site, not to w3id.org
    assert 'href="/id/person/vasilii-alekseevich-khomutnikov"' in text
    assert 'href="https://w3id.org/shezhire/id/' not in text
    # ties, in both tables, with type, certainty and mode
    assert "Kin ties" in text and "Social ties" in text
    assert 'href="/id/tie/b2023-vasilii-father-of-petr"' in text
    assert 'href="/vocab/kin/father"' in text
    assert 'href="/vocab/cert/certain"' in text
    # events and positions on a timeline, in date order, dates written out
    timeline = parse(text).find("ol", id="timeline")
    keys = [li.get("data-sort") for li in timeline.find_all("li")]
    assert keys == sorted(keys)
    assert "Release of Petr Khomutnikov" in timeline.text
    assert "July 1954" in timeline.text
    # the evidence: a quote, the publication and a printed archival reference
    assert '<blockquote class="quote">' in text
    assert "a secondary school employee Petr Vasilievich Khomutnikov" in text
    assert "archival reference as printed" in text


def test_pseudonym_page_has_badge_and_note(client: httpx.Client) -> None:
    text = client.get("/id/person/aduchi", headers=HTML).text
    assert 'class="badge pseudo"' in text
    assert "Editorial pseudonym" in text
    assert "For ethical reasons, a fictional name" in text
    assert "footnote 19" in text


def test_tie_event_and_item_pages(client: httpx.Client) -> None:
    tie = client.get("/id/tie/b2023-vasilii-father-of-petr", headers=HTML).text
    assert "is the father of" in tie
    assert 'href="/id/person/petr-vasilievich-khomutnikov"' in tie
    event = client.get("/id/event/b2023-release-petr-khomutnikov-1954", headers=HTML).text
    assert 'title="EDTF 1954-07">July 1954</span>' in event  # the date in words
    assert 'href="/vocab/role/subject"' in event
    item = client.get("/id/item/qsaeaka-astana-h9-f21", headers=HTML)
    assert item.status_code == 200
    assert 'href="/id/ref/b2023-fn24-1"' in item.text  # referenced by its printed reference


def test_html_escapes_everything(tiny_url: str) -> None:
    page = httpx.get(tiny_url + "/id/person/test-evil", headers=HTML, timeout=30)
    assert page.status_code == 200
    text = page.text
    assert "<script>alert" not in text
    assert "<img src=x" not in text
    assert "<svg onload" not in text
    assert (
        "&lt;script&gt;alert(&#34;label&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in text
    )
    assert "&lt;/blockquote&gt;&lt;script&gt;alert(&#39;quote&#39;)&lt;/script&gt;" in text
    # the only <script> elements are the site's own
    for tag in re.findall(r"<script[^>]*>", text):
        assert tag in (
            '<script type="application/json" id="examples-data">',
            '<script src="/ld/static/search-box.js" defer>',
        ) or re.fullmatch(r'<script src="/(ld/static|assets)/[\w./-]+\.js" defer>', tag), tag
    # and the RDF keeps the label exactly
    turtle = httpx.get(
        tiny_url + "/id/person/test-evil", headers={"accept": "text/turtle"}, timeout=30
    )
    graph = rdflib.Graph().parse(data=turtle.content, format="turtle")
    assert EVIL_LABEL in {str(o) for o in graph.objects()}
    assert EVIL_QUOTE in {str(o) for o in graph.objects()}


def test_browse_pages_escape_labels(tiny_url: str) -> None:
    text = httpx.get(tiny_url + "/browse/persons", timeout=30).text
    assert "<script>alert" not in text
    assert "&lt;script&gt;" in text


def test_home_page(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    text = page.text
    for what in (
        "persons",
        "kin and social ties",
        "events",
        "legal acts",
        "archival items",
        "observations",
        "quotes",
    ):
        assert f'<span class="what">{what}</span>' in text
    assert text.count('<div class="src-title">') == 5
    for kind in ("persons", "institutions", "places", "acts", "items"):
        assert f'href="/browse/{kind}"' in text


def test_browse_persons_sorted_with_badges(client: httpx.Client) -> None:
    """The actors' tab by surname (test_ld_historian checks the keys), descending on demand."""
    page = client.get("/browse/persons")
    assert page.status_code == 200
    names = re.findall(r'<td class="name"><a href="/id/person/[^"]+"[^>]*>([^<]+)</a>', page.text)
    assert len(names) > 50
    assert 'class="badge pseudo">pseudonym' in page.text
    desc = client.get("/browse/persons", params={"sort": "name", "order": "desc"})
    names_desc = re.findall(
        r'<td class="name"><a href="/id/person/[^"]+"[^>]*>([^<]+)</a>', desc.text
    )
    assert names_desc == names[::-1]


@pytest.mark.parametrize("kind", ["institutions", "places", "acts", "items", "events", "works"])
def test_other_browse_pages(client: httpx.Client, kind: str) -> None:
    page = client.get(f"/browse/{kind}")
    assert page.status_code == 200
    assert page.text.count("<tr>") > 5
    assert client.get("/browse/nothing").status_code == 404


def test_query_page_lists_the_examples(client: httpx.Client) -> None:
    page = client.get("/query-ui")
    assert page.status_code == 200
    assert '<div id="yasqe">' in page.text  # the editor (a textarea without JavaScript)
    assert '<textarea name="query"' in page.text
    assert "All editorial pseudonyms" in page.text
    assert 'data-name="07-editorial-pseudonyms"' in page.text
    assert "/ld/static/query.js" in page.text
    js = client.get("/ld/static/query.js")
    assert js.status_code == 200
    assert "innerHTML" not in js.text
    css = client.get("/ld/static/style.css")
    assert css.headers["content-type"].startswith("text/css")
    assert client.get("/ld/static/..%2Frouter.py").status_code == 404


def test_graph_page(client: httpx.Client) -> None:
    page = client.get("/graph/000-bolatkhan-2023-a", headers=HTML)
    assert page.status_code == 200
    assert 'href="/id/person/petr-vasilievich-khomutnikov"' in page.text


@pytest.mark.parametrize(
    "path", ["/id/person/%3Cscript%3Ealert(1)%3C/script%3E", "/id/person/a%20b", "/vocab/%22x%22"]
)
def test_paths_that_are_no_iris_are_404_and_escaped(client: httpx.Client, path: str) -> None:
    page = client.get(path, headers=HTML)
    assert page.status_code == 404
    assert "<script>alert" not in page.text
    assert client.get(path, headers={"accept": "text/turtle"}).status_code == 404
