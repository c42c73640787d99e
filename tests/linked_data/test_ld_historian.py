"""Pages for historians, checked against the store: persons split into actors, scholars and
unnamed persons and sorted by surname; facets by source, place, type, period and certainty;
events and acts in date order; "cite this" permalinks and suggested citations; names in the
original script; inverse relations in words; archival references linked to their files; the
timeline of a person; the HTML dataset description (/data)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import httpx
import pyoxigraph as ox
import pytest
from html_tree import Element, parse
from ld_support import PETR, RDF_TYPE, SHZ

from shezhire.linked_data.human_dates import human_date

HTML = {"accept": "text/html"}
SCHEMA_FAMILY = "https://schema.org/familyName"
EN_DASH = "\u2013"


def _page(client: httpx.Client, url: str) -> Element:
    response = client.get(url, headers=HTML)
    assert response.status_code == 200, response.text[:500]
    return parse(response.text)


def _rows(doc: Element) -> list[Element]:
    """The rows of the browse table (not the index-letter rows)."""
    table = doc.find("table", id="browse")
    return [tr for tr in table.find("tbody").find_all("tr") if tr.find_all("td", cls="name")]


def _row_iris(doc: Element) -> list[str]:
    return [
        "https://w3id.org/shezhire" + tr.find("td", cls="name").find("a").get("href")
        for tr in _rows(doc)
    ]


def _subjects(store: ox.Store, predicate: str, obj: ox.NamedNode | ox.Literal) -> set[str]:
    return {
        q.subject.value
        for q in store.quads_for_pattern(None, ox.NamedNode(predicate), obj)
        if isinstance(q.subject, ox.NamedNode)
    }


def _literals(store: ox.Store, iri: str, predicate: str) -> list[ox.Literal]:
    return [
        q.object
        for q in store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(predicate), None)
        if isinstance(q.object, ox.Literal)
    ]


def _count_badge(el: Element) -> int:
    return int(el.find("span", cls="count").text.replace(",", ""))


# -- persons: three tabs, by surname ---------------------------------------------------------


def test_persons_are_split_into_actors_scholars_and_unnamed(
    client: httpx.Client, ld_memory: ox.Store
) -> None:
    persons = _subjects(ld_memory, RDF_TYPE, ox.NamedNode(SHZ + "Person"))
    scholars = _subjects(ld_memory, RDF_TYPE, ox.NamedNode(SHZ + "Scholar"))
    unnamed = _subjects(
        ld_memory,
        SHZ + "unnamed",
        ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")),
    )
    expected = {
        "actors": persons - scholars - unnamed,
        "scholars": scholars,
        "unnamed": unnamed - scholars,
    }
    doc = _page(client, "/browse/persons")
    tabs = {a.get("data-group"): a for a in doc.find("nav", cls="tabs").find_all("a", cls="tab")}
    assert list(tabs) == ["actors", "scholars", "unnamed"]
    assert [t.text.rsplit(" ", 1)[0] for t in tabs.values()] == [
        "Historical actors",
        "Scholars",
        "Unnamed persons",
    ]
    assert sum(_count_badge(t) for t in tabs.values()) == len(persons)
    assert "on" in tabs["actors"].get("class").split()  # the default tab
    for key, members in expected.items():
        assert _count_badge(tabs[key]) == len(members), key
        listed = _page(client, tabs[key].get("href"))
        assert set(_row_iris(listed)) == members, key
    # the scholars' tab shows their works
    scholars_doc = _page(client, "/browse/persons?group=scholars")
    assert "works" in [th.text for th in scholars_doc.find("thead").find_all("th")]


def _surname_key(store: ox.Store, iri: str, label: str) -> str:
    """What the list sorts by: the family name first where the label contains it."""
    words = label.split()
    for name in sorted(_literals(store, iri, SCHEMA_FAMILY), key=lambda n: n.language != "en"):
        family = name.value.split()
        for i in range(len(words) - len(family) + 1):
            if [w.casefold() for w in words[i : i + len(family)]] == [f.casefold() for f in family]:
                return " ".join([*family, *words[:i], *words[i + len(family) :]]).casefold()
    return label.casefold()


def _index_letter(key: str) -> str:
    """The index letter of a sort key: its initial, or "#" when that is not a letter."""
    initial = key[:1].upper()
    return initial if initial.isalpha() else "#"


@pytest.mark.parametrize("group", ["actors", "scholars", "unnamed"])
def test_persons_sort_by_surname_under_index_letters(
    client: httpx.Client, ld_memory: ox.Store, group: str
) -> None:
    doc = _page(client, f"/browse/persons?group={group}")
    rows = doc.find("table", id="browse").find("tbody").find_all("tr")
    letter = ""
    keys: list[str] = []
    labels: list[str] = []
    for tr in rows:
        if "letter" in tr.get("class").split():
            letter = tr.text
            assert tr.get("id") == f"letter-{letter}"
            continue
        link = tr.find("td", cls="name").find("a")
        iri = "https://w3id.org/shezhire" + link.get("href")
        key = _surname_key(ld_memory, iri, link.text)
        assert _index_letter(key) == letter, (link.text, letter)
        keys.append(key)
        labels.append(link.text)
    assert keys == sorted(keys)
    letters = [a.text for a in doc.find("nav", cls="letters").find_all("a")]
    assert letters == list(dict.fromkeys(_index_letter(k) for k in keys))
    if group == "unnamed":  # labels that start with a number come first, under "#"
        assert letters[0] == "#"
        poles = "30 Poles sent from Carmaux to the French Maquis in Jukeville, August 1944"
        assert f"{poles} (unnamed)" in labels


def test_surnames_put_the_khomutnikovs_together(client: httpx.Client) -> None:
    names = [tr.find("a").text for tr in _rows(_page(client, "/browse/persons"))]
    family = [n for n in names if n.endswith(("Khomutnikov", "Khomutnikova"))]
    assert len(family) >= 3
    first = names.index(family[0])
    assert names[first : first + len(family)] == family  # adjacent, under K
    assert names.index("Mazhit Bektanov") < first


# -- facets ------------------------------------------------------------------------------------


def _facets(doc: Element) -> dict[str, list[tuple[str, int, bool, str]]]:
    """facet key -> [(value id, count, selected, href)] (the "more" values included)."""
    out: dict[str, list[tuple[str, int, bool, str]]] = {}
    for section in doc.find("aside", cls="facets").find_all("section", cls="facet"):
        key = section.get("id").removeprefix("facet-")
        out[key] = [
            (
                a.get("data-value"),
                int(a.find("span", cls="fv-n").text),
                "on" in a.get("class").split(),
                a.get("href"),
            )
            for a in section.find_all("a", cls="fv")
        ]
    return out


@pytest.mark.parametrize("kind", ["persons", "events", "acts"])
def test_facets_of_source_place_type_period_certainty(client: httpx.Client, kind: str) -> None:
    facets = _facets(_page(client, f"/browse/{kind}"))
    assert set(facets) == {"source", "place", "type", "period", "certainty"}
    for values in facets.values():
        assert values and all(n > 0 and not on for _id, n, on, _href in values)


def test_a_facet_value_filters_and_counts(client: httpx.Client, ld_memory: ox.Store) -> None:
    start = _page(client, "/browse/events")
    total = len(_rows(start))
    period = {v: (n, href) for v, n, _on, href in _facets(start)["period"]}
    count, href = period["1950s"]
    assert urlsplit(href).path == "/browse/events"
    assert ("period", "1950s") in parse_qsl(urlsplit(href).query)
    filtered = _page(client, href)
    iris = _row_iris(filtered)
    assert len(iris) == count < total
    for iri in iris:  # each event's dates meet the 1950s
        early = [d.value for d in _literals(ld_memory, iri, SHZ + "earliestDate")]
        late = [d.value for d in _literals(ld_memory, iri, SHZ + "latestDate")]
        assert min(early, default="0000") <= "1959-12-31", iri
        assert max(late, default="9999") >= "1950-01-01", iri
    # the value is marked, and a chip removes it
    assert ("1950s", count, True) in [(v, n, on) for v, n, on, _h in _facets(filtered)["period"]]
    chips = filtered.find("p", cls="active-filters").find_all("a", cls="chip")
    assert [c.text.rstrip(" ×") for c in chips] == ["Period: 1950s"]
    assert len(_rows(_page(client, chips[0].get("href")))) == total
    # values of one facet are alternatives; two facets narrow each other
    both = _page(client, "/browse/events?period=1950s&period=1940s")
    assert len(_rows(both)) == period["1950s"][0] + period["1940s"][0] - _overlap(
        client, "1940s", "1950s"
    )
    certain = {v: n for v, n, _on, _h in _facets(filtered)["certainty"]}
    narrowed = _page(client, "/browse/events?period=1950s&certainty=certain")
    assert len(_rows(narrowed)) == certain["certain"] <= count


def _overlap(client: httpx.Client, a: str, b: str) -> int:
    first = set(_row_iris(_page(client, f"/browse/events?period={a}")))
    second = set(_row_iris(_page(client, f"/browse/events?period={b}")))
    return len(first & second)


def test_source_facet_of_persons(client: httpx.Client, ld_memory: ox.Store) -> None:
    doc = _page(client, "/browse/persons?source=bolatkhan-2023")
    iris = _row_iris(doc)
    assert PETR in iris
    assert "https://w3id.org/shezhire/id/person/mazhit-bektanov" not in iris
    chips = doc.find("p", cls="active-filters").find_all("a", cls="chip")
    assert [c.text.rstrip(" ×") for c in chips] == ["Source: Bolatkhan 2023"]
    # tab counts follow the filter
    tabs = doc.find("nav", cls="tabs").find_all("a", cls="tab")
    assert _count_badge(tabs[0]) == len(iris)
    assert all("source=bolatkhan-2023" in t.get("href") for t in tabs)


def test_unknown_facet_values_are_ignored(client: httpx.Client) -> None:
    plain = _row_iris(_page(client, "/browse/events"))
    assert _row_iris(_page(client, "/browse/events?period=1066s&nonsense=1")) == plain


# -- events and acts by date -------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["events", "acts"])
def test_events_and_acts_sort_by_earliest_date(
    client: httpx.Client, ld_memory: ox.Store, kind: str
) -> None:
    doc = _page(client, f"/browse/{kind}")
    header = doc.find("thead").find("a", cls="on")
    assert header.text == "date" and "asc" in header.get("class").split()
    keys = []
    for iri in _row_iris(doc):
        early = min((d.value for d in _literals(ld_memory, iri, SHZ + "earliestDate")), default="")
        late = max((d.value for d in _literals(ld_memory, iri, SHZ + "latestDate")), default="")
        keys.append(early or late or "9999")
    assert keys == sorted(keys)
    assert keys[0] < "1950" and keys[-1] >= keys[0]
    # dates are written out, the EDTF value on hover
    spans = [span for td in doc.find_all("td", cls="date") for span in td.find_all("span")]
    assert len(spans) > 10
    for span in spans:
        assert span.text == human_date(span.get("title")), span.get("title")
    assert any(span.text != span.get("title") for span in spans)


# -- entity pages --------------------------------------------------------------------------------


def test_cite_this_page_and_each_claim(client: httpx.Client) -> None:
    doc = _page(client, "/id/person/petr-vasilievich-khomutnikov")
    page_cite = doc.find("details", cls="cite-page")
    assert page_cite.find("a").text == PETR
    suggested = page_cite.find("p", cls="suggested").text
    assert re.fullmatch(
        rf"Shezhire, Petr Vasilievich Khomutnikov\. {re.escape(PETR)}, accessed \d{{1,2}} "
        r"[A-Z][a-z]+ \d{4}\.",
        suggested,
    ), suggested
    # the person's own evidence: anchored on this page, each with the citation's own IRI as
    # its permalink (its evidence page)
    evidence = [f for f in doc.find_all("figure", cls="cite") if f.get("id")]
    assert evidence
    citation_base = "https://w3id.org/shezhire/id/citation/"
    for figure in evidence:
        link = figure.find("details", cls="cite-this").find("p", cls="permalink").find("a")
        assert link.text.startswith(citation_base + "person/petr-vasilievich-khomutnikov/")
        assert link.get("href") == link.text.removeprefix("https://w3id.org/shezhire")
        assert figure.find("a", cls="permalink-link").get("href") == link.get("href")
    # a tie's evidence on the person page: the permalink is the tie citation's IRI
    tie_citations = citation_base + "tie/b2023-vasilii-father-of-petr/"
    suggestions = [p.text for p in doc.find_all("p", cls="suggested")]
    father = [s for s in suggestions if tie_citations in s]
    assert father, suggestions[:3]
    assert father[0].startswith(
        "Shezhire, Petr Vasilievich Khomutnikov, \u201cVasilii Alekseevich Khomutnikov is the "
        "father of Petr Vasilievich Khomutnikov\u201d, after Bolatkhan 2023"
    )
    assert ", footnote 23. " in father[0]
    permalink = re.search(rf"({re.escape(tie_citations)}b2023-fn23[^ ,]*)", father[0])
    assert permalink
    # which is the citation's own page, naming the tie it supports
    evidence_doc = _page(client, permalink.group(1).removeprefix("https://w3id.org/shezhire"))
    assert (
        "his father, Vasilii Alekseevich Khomutnikov"
        in evidence_doc.find("blockquote", cls="quote").text
    )
    supports = evidence_doc.find("dl", cls="supports").find("a")
    assert supports.get("href") == "/id/tie/b2023-vasilii-father-of-petr"
    # and the tie's page shows the same citation, anchored
    tie_doc = _page(client, "/id/tie/b2023-vasilii-father-of-petr")
    target = [
        f
        for f in tie_doc.find_all("figure", cls="cite")
        if f.find("a", cls="permalink-link")
        and f.find("a", cls="permalink-link").get("title") == permalink.group(1)
    ]
    assert target and "his father, Vasilii Alekseevich Khomutnikov" in target[0].text
    # anchors come from what a citation says: the same on every build and page view
    again = _page(client, "/id/tie/b2023-vasilii-father-of-petr")
    assert [f.get("id") for f in again.find_all("figure", cls="cite")] == [
        f.get("id") for f in tie_doc.find_all("figure", cls="cite")
    ]


def test_names_in_the_original_script(client: httpx.Client) -> None:
    doc = _page(client, "/id/person/kair-kozhamitov")
    names = doc.find("p", cls="original-names").find_all("span", cls="original")
    assert [(n.text, n.get("lang")) for n in names] == [("Кожамитов Кайр", "ru")]
    place = _page(client, "/id/place/semipalatinsk-district")
    names = place.find("p", cls="original-names").find_all("span", cls="original")
    langs = {n.get("lang") for n in names}
    assert {"ru", "kk"} <= langs
    assert not _page(client, "/id/person/aduchi").find_all("p", cls="original-names")


def test_inverse_relations_read_naturally(client: httpx.Client) -> None:
    item = _page(client, "/id/item/qsaeaka-astana-h9-f21")
    terms = [dt.text for dt in item.find_all("dt")]
    assert "cited by the printed references" in terms
    html = client.get("/id/item/qsaeaka-astana-h9-f21", headers=HTML).text
    assert not re.search(r"<dt>is <em>", html)
    petr_doc = _page(client, "/id/person/petr-vasilievich-khomutnikov")
    petr = [dt.text for dt in petr_doc.find_all("dt")]
    assert "documented by" in petr and "subject of" in petr
    cited = _page(client, "/id/work/zemskov-2005a")
    assert "cited by" in [dt.text for dt in cited.find_all("dt")]


def test_printed_references_link_to_their_archival_files(client: httpx.Client) -> None:
    doc = _page(client, "/id/event/b2023-release-petr-khomutnikov-1954")
    refs = doc.find_all("div", cls="archref")
    assert refs
    items = [a.get("href") for r in refs for a in r.find_all("a")]
    assert "/id/ref/b2023-fn24-1" in items
    assert "/id/item/qsaeaka-astana-h9-f21" in items
    assert "fol. 118" in doc.find("span", cls="archref-item").text


def test_timeline_in_date_order_with_historians_dates(client: httpx.Client) -> None:
    doc = _page(client, "/id/person/petr-vasilievich-khomutnikov")
    items = doc.find("ol", id="timeline").find_all("li")
    kinds = {li.get("class") for li in items}
    assert {"tl-event", "tl-position"} <= kinds
    keys = [li.get("data-sort") for li in items]
    assert keys == sorted(keys)
    whens = [li.find("div", cls="when").text for li in items]
    assert whens.index(f"1939{EN_DASH}1945") < whens.index("July 1954")
    assert whens[-1] == "undated"
    release = doc.find("span", cls="edtf", title="EDTF 1954-07")
    assert release.text == "July 1954"
    kermen = [
        li.find("div", cls="when").text
        for li in _page(client, "/id/person/kermen").find("ol", id="timeline").find_all("li")
    ]
    assert {"1940s", "from the 1940s", "1960s"} <= set(kermen)
    sanji = _page(client, "/id/person/sanji-kalyaev").find("ol", id="timeline").text
    assert "before 1 March 1943" in sanji and "before 1950" in sanji


# -- the dataset description ------------------------------------------------------------------


def test_data_page_describes_the_dataset(
    client: httpx.Client, ld_memory: ox.Store, base_url: str
) -> None:
    response = client.get("/data")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    doc = parse(response.text)
    numbers = {
        s.find("span", cls="what").text: int(s.find("span", cls="n").text.replace(",", ""))
        for s in doc.find_all("div", cls="stat")
    }
    assert numbers["triples"] == len(ld_memory)
    graphs = {g.value for g in ld_memory.named_graphs() if isinstance(g, ox.NamedNode)}
    assert numbers["named graphs"] == len(graphs)
    listed = doc.find("table", id="graphs").find("tbody").find_all("tr")
    assert len(listed) == len(graphs)
    assert doc.find("a", href="https://creativecommons.org/licenses/by/4.0/")
    assert doc.find("code", cls="endpoint").text == base_url + "/sparql"
    # the dumps with their sizes
    downloads = doc.find("table", id="downloads").find("tbody").find_all("tr")
    assert [tr.find("a").get("href") for tr in downloads] == ["/dump.nq", "/dump.trig", "/dump.ttl"]
    size = len(client.get("/dump.nq").content)
    shown = downloads[0].find("td", cls="num").text
    assert shown == f"{size / 1048576:.1f} MB" or shown == f"{size / 1024:.0f} kB"
    # vocabularies: the concept schemes and the namespaces of the properties
    schemes = [a.get("href") for a in doc.find("table", id="schemes").find_all("a")]
    assert "/vocab/kin/" in schemes and "/vocab/cert/" in schemes
    rows = doc.find("table", id="vocabularies").find("tbody").find_all("tr")
    prefixes = [tr.find("code").text for tr in rows]
    assert {"shz", "rdfs", "oa"} <= set(prefixes)
    # the RDF formats of the same description
    alternates = {a.get("href") for a in doc.find("p", cls="formats").find_all("a")}
    assert "/void?format=ttl" in alternates and "/void?format=jsonld" in alternates


def test_the_data_link_opens_the_page_and_void_stays_rdf(client: httpx.Client) -> None:
    home = _page(client, "/")
    nav = {a.text: a.get("href") for a in home.find("nav", cls="nav").find_all("a")}
    assert nav["Data"] == "/data"
    footer = [a.get("href") for a in home.find("footer").find_all("a")]
    assert "/data" in footer and "/void" in footer
    refused = client.get("/void", headers=HTML)
    assert refused.status_code == 406
    assert "/data" in refused.text
    assert client.get("/void?format=ttl").headers["content-type"].startswith("text/turtle")
    cached = client.get("/data")
    again = client.get("/data", headers={"if-none-match": cached.headers["etag"]})
    assert again.status_code == 304
