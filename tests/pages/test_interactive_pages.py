"""The pages' interactive parts in headless Chromium, driven over the DevTools protocol: a
historian searches a name in the header box, opens the person, reads their network and the
evidence of a tie, walks to a relative; asks how two persons are connected; runs an example
query. Every request the pages make stays on this machine; the libraries come from /assets/.

Screenshots go to $SHEZHIRE_SCREENSHOTS when set (to look at them), else a temp folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from cdp import Browser, Page

PERSON = "https://w3id.org/shezhire/id/person/"
PETR = PERSON + "petr-vasilievich-khomutnikov"
VASILII = PERSON + "vasilii-alekseevich-khomutnikov"
# Petr's direct ties, as the sources give them (Bolatkhan 2023).
PETR_DIRECT = {
    PETR,
    VASILII,
    PERSON + "ochki-kolpakovna-khomutnikova",
    PERSON + "viktor-vasilyevich-khomutnikov",
    PERSON + "tseden",
    PERSON + "aduchi",
    PERSON + "mergen",
    PERSON + "sanji-kalyaev",
    PERSON + "petr-khomutnikov-mother",
}
# column-resizer (inside YASR's table) injects its rules as an inline <style>, which the CSP
# blocks; ui.css carries the same rules. Any other violation is a bug.
KNOWN_BLOCKED_STYLE = (" .grip-resizable", "*{cursor:", ".grip-handle .grip-resizable:hover")
# Records the text of every <style> element added to the page (window.__styles).
STYLE_WATCH = """window.__styles = [];
  new MutationObserver(ms => ms.forEach(m => m.addedNodes.forEach(n => {
    if (n.tagName === 'STYLE') { window.__styles.push(n.textContent); } })))
  .observe(document.documentElement, {childList: true, subtree: true})"""


@pytest.fixture
def page(chromium: str) -> Iterator[Page]:
    with Browser(chromium) as browser:
        yield browser.page(1280, 1000)


def _settle(page: Page, seconds: float = 0.4) -> None:
    page.pump(seconds)


def _assert_clean(page: Page) -> None:
    """Nothing left this machine, no script failed, no CSP violation but the known one."""
    assert page.foreign_requests() == [], page.foreign_requests()
    exceptions = [e for e in page.errors if e.startswith(("exception:", "console:"))]
    assert exceptions == [], exceptions
    violations = [
        v
        for v in page.csp_violations()
        if not (
            v["directive"].startswith("style-src") and v["sample"].startswith(KNOWN_BLOCKED_STYLE)
        )
    ]
    assert violations == [], violations


def _local_libraries(page: Page) -> None:
    assets = [u for u in page.requests if "/assets/" in u]
    assert assets, "the libraries are loaded from this server's /assets/"
    assert all(re.search(r"/assets/[\w-]+/\d+\.\d+\.\d+/", u) for u in assets), assets


# A point on the edge where a tap reaches that edge (not a node or a label lying over it),
# in viewport coordinates (the canvas scrolled into view): cytoscape's own hit test.
EDGE_POINT = """(() => {
  const cy = window.shezhireNetwork; const e = cy.edges(SELECTOR)[0]; if (!e) return null;
  cy.container().scrollIntoView({block: "center"});
  const a = e.sourceEndpoint(), b = e.targetEndpoint(), z = cy.zoom(), pan = cy.pan();
  const box = cy.container().getBoundingClientRect();
  for (let i = 0; i <= 40; i++) {
    const t = 0.5 + (i % 2 ? 1 : -1) * Math.ceil(i / 2) * 0.02;
    const x = a.x + (b.x - a.x) * t, y = a.y + (b.y - a.y) * t;
    if (cy.renderer().findNearestElement(x, y, true, false) === e) {
      return [box.left + x * z + pan.x, box.top + y * z + pan.y];
    }
  }
  return null; })()"""


def _edge_midpoint(page: Page, selector: str) -> tuple[float, float]:
    point = page.evaluate(EDGE_POINT.replace("SELECTOR", repr(selector)))
    assert point, f"no edge {selector} that a click can reach"
    return float(point[0]), float(point[1])


NODE_POINT = """(() => {
  const cy = window.shezhireNetwork; const n = cy.getElementById(NODE); if (n.empty()) return null;
  cy.container().scrollIntoView({block: "center"});
  const p = n.position(), z = cy.zoom(), pan = cy.pan(), r = n.width() / 2;
  const box = cy.container().getBoundingClientRect();
  for (const [dx, dy] of [[0, 0], [0, -r / 2], [-r / 2, 0], [r / 2, 0], [0, r / 2]]) {
    if (cy.renderer().findNearestElement(p.x + dx, p.y + dy, true, false) === n) {
      return [box.left + (p.x + dx) * z + pan.x, box.top + (p.y + dy) * z + pan.y];
    }
  }
  return null; })()"""


def _node_position(page: Page, node_id: str) -> tuple[float, float]:
    point = page.evaluate(NODE_POINT.replace("NODE", repr(node_id)))
    assert point, f"no node {node_id} that a click can reach"
    return float(point[0]), float(point[1])


def _network_nodes(page: Page) -> set[str]:
    return set(page.evaluate("window.shezhireNetwork.nodes().map(n => n.id())"))


def _wait_network(page: Page) -> None:
    page.wait_for(
        "(document.getElementById('net-canvas') || {dataset: {}}).dataset.state === 'ready'",
        what="the network",
    )


def test_search_open_person_read_network_walk_to_father(
    page: Page, pages_url: str, screenshots_dir: Path
) -> None:
    # Enter with no suggestion chosen searches: /search?q=
    page.goto(pages_url + "/")
    page.click("#site-search-input")
    page.type_text("Бектанов")
    page.press("Enter")
    page.wait_for("location.pathname === '/search'", what="the search page")
    assert page.evaluate("new URLSearchParams(location.search).get('q')") == "Бектанов"

    # The header search box suggests as one types, in Cyrillic too.
    page.goto(pages_url + "/")
    page.click("#site-search-input")
    page.type_text("Хомутников")
    ids = page.wait_for(
        "Array.from(document.querySelectorAll('#site-search-list [role=option]'))"
        ".map(li => li.dataset.id)",
        what="suggestions",
    )
    assert PETR in ids, ids
    assert len(ids) <= 8
    expanded = "document.getElementById('site-search-input').getAttribute('aria-expanded')"
    assert page.evaluate(expanded) == "true"
    page.screenshot(screenshots_dir / "search-suggestions.png")
    for _ in range(ids.index(PETR) + 1):  # the keyboard picks it
        page.press("ArrowDown")
    assert page.evaluate("document.querySelector('#site-search-list .active').dataset.id") == PETR
    _assert_clean(page)
    page.press("Enter")
    page.wait_for(
        "location.pathname === '/id/person/petr-vasilievich-khomutnikov'", what="Petr's page"
    )

    # His network is drawn with the expected persons, ties styled by kind and certainty.
    _wait_network(page)
    nodes = _network_nodes(page)
    assert nodes >= PETR_DIRECT, PETR_DIRECT - nodes
    assert page.evaluate(f"window.shezhireNetwork.getElementById({PETR!r}).hasClass('center')")
    styles = page.evaluate(
        "(() => { const cy = window.shezhireNetwork;"
        " const s = (sel, p) => cy.edges(sel)[0].style(p);"
        " return {probable: s('[certainty = \"probable\"]', 'line-style'),"
        " certain: s('[certainty = \"certain\"]', 'line-style'),"
        " kin: s('[kind = \"kin\"]', 'line-color'), social: s('[kind = \"social\"]', 'line-color'),"
        " label: s('[type = \"stepmother\"]', 'label')}; })()"
    )
    assert styles["probable"] == "dashed" and styles["certain"] == "solid", styles
    assert styles["kin"] != styles["social"], styles
    assert styles["label"] == "stepmother", styles
    page.screenshot(screenshots_dir / "person-network.png", "#network")

    # A tie's evidence: the quote, the footnote, the archival reference as printed.
    page.click_at(*_edge_midpoint(page, '[type = "stepmother"]'))
    side = page.wait_for(
        "document.getElementById('net-side').dataset.tie"
        " && document.getElementById('net-side').innerText",
        what="the evidence panel",
    )
    assert "Ochki Kolpakovna Khomutnikova is the stepmother of Petr Vasilievich Khomutnikov" in side
    assert "just like his stepmother" in side
    assert "footnote 23" in side
    assert "h. 9, f. 21, fol. 31–36" in side
    markup = "document.querySelectorAll('#net-side script, #net-side [onclick]').length"
    assert page.evaluate(markup) == 0
    page.screenshot(screenshots_dir / "person-network-evidence.png", "#network")

    # The controls re-query: social ties only; then two steps.
    page.click("#net-controls input[name=kind][value=social]")
    page.wait_for(
        "document.getElementById('net-canvas').dataset.state === 'ready' &&"
        " window.shezhireNetwork.edges().length > 0 &&"
        " window.shezhireNetwork.edges().every(e => e.data('kind') === 'social')",
        what="social ties only",
    )
    assert PERSON + "tseden" in _network_nodes(page)
    assert VASILII not in _network_nodes(page)
    page.click("#net-controls input[name=kind][value='']")
    page.click("#net-controls input[name=hops][value='2']")
    page.wait_for(
        "document.getElementById('net-canvas').dataset.state === 'ready' &&"
        " window.shezhireNetwork.nodes().some(n => n.data('distance') === 2)",
        what="two steps",
    )
    two = _network_nodes(page)
    assert two > PETR_DIRECT
    page.screenshot(screenshots_dir / "person-network-2-hops.png", "#network")
    page.click("#net-controls input[name=hops][value='1']")
    page.wait_for(
        "document.getElementById('net-canvas').dataset.state === 'ready' &&"
        " window.shezhireNetwork.nodes().every(n => n.data('distance') <= 1)",
        what="back to direct ties",
    )
    _settle(page)
    _assert_clean(page)
    _local_libraries(page)

    # Clicking a person opens their page: his father.
    page.click_at(*_node_position(page, VASILII))
    page.wait_for(
        "location.pathname === '/id/person/vasilii-alekseevich-khomutnikov'", what="Vasilii's page"
    )
    page.wait_for("document.readyState === 'complete'")
    title = page.evaluate("document.querySelector('h1').textContent")
    assert title == "Vasilii Alekseevich Khomutnikov"
    _wait_network(page)
    assert PETR in _network_nodes(page)
    _settle(page)
    _assert_clean(page)


def test_connect_two_persons_step_by_step(
    page: Page, pages_url: str, screenshots_dir: Path
) -> None:
    # Pick the two persons with the type-ahead pickers.
    page.goto(pages_url + "/connect")
    for name, text, wanted in (
        ("from", "Aduchi", PERSON + "aduchi"),
        ("to", "Vasilii Alek", VASILII),
    ):
        page.click(f"#connect-{name}-input")
        page.type_text(text)
        ids = page.wait_for(
            f"Array.from(document.querySelectorAll('#connect-{name}-list [role=option]'))"
            ".map(li => li.dataset.id)",
            what=f"{name} suggestions",
        )
        assert all(i.startswith(PERSON) for i in ids), ids
        assert wanted in ids, ids
        page.click(f"#connect-{name}-list [data-id='{wanted}']")
        assert page.evaluate(f"document.getElementById('connect-{name}').value") == wanted
    page.click("#connect-form button[type=submit]")
    page.wait_for("location.search.includes('to=')", what="the connection page's address")
    query = unquote(page.url())
    assert f"from={PERSON}aduchi" in query and f"to={VASILII}" in query

    # The paths are drawn and listed step by step, each tie with its evidence.
    page.wait_for(
        "(document.getElementById('connect-canvas') || {dataset: {}}).dataset.state === 'ready'",
        what="the paths",
    )
    paths = page.evaluate("window.shezhireConnect.paths.map(p => p.nodes)")
    assert paths[0] == [PERSON + "aduchi", PETR, VASILII], paths[0]
    drawn = set(page.evaluate("window.shezhireConnect.cy.nodes().map(n => n.id())"))
    assert {PERSON + "aduchi", PETR, VASILII} <= drawn
    first = page.evaluate("document.querySelector('#connect-paths > li').innerText")
    route = "Aduchi (pseudonym) → Petr Vasilievich Khomutnikov → Vasilii Alekseevich Khomutnikov"
    assert route in first
    assert "relative or fictive kin" in first and "inferred" in first and "probable" in first
    assert "Aduchi and Petr were connected through relative or fictive kin ties" in first
    assert "h. 9, f. 140, fol. 11" in first  # the archival reference as printed
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(screenshots_dir / "connect.png")
    page.click("#connect-paths > li .path-head")  # picks the path out in the drawing
    assert page.evaluate("window.shezhireConnect.cy.elements('.dim').length") > 0
    page.screenshot(screenshots_dir / "connect-path-chosen.png")
    page.screenshot(screenshots_dir / "connect-steps.png", "#connect-paths-section")
    _settle(page)
    _assert_clean(page)
    _local_libraries(page)


def test_query_page_example_table_completion_share_error(
    page: Page, pages_url: str, screenshots_dir: Path
) -> None:
    page.goto(pages_url + "/query-ui")
    page.wait_for("document.body.dataset.queryReady === 'true'", what="the YASGUI editor")
    # A new query declares the project's prefixes.
    value = page.evaluate("window.shezhireQuery.yasqe.getValue()")
    assert "PREFIX shz: <https://w3id.org/shezhire/ontology#>" in value
    assert "PREFIX person: <https://w3id.org/shezhire/id/person/>" in value

    # Run an example: a paginated table of its rows, linked to the local pages.
    page.click("button.example[data-name='07-editorial-pseudonyms']")
    page.click("#yasqe .yasqe_queryButton")
    rows = page.wait_for("Number(document.getElementById('yasr').dataset.rows)", what="results")
    assert rows >= 2
    page.wait_for("document.querySelectorAll('#yasr table.dataTable tbody tr').length >= 2")
    status = page.evaluate("document.getElementById('status').textContent")
    assert re.fullmatch(r"\d+ rows? in \d+ ms", status), status
    hrefs = page.evaluate(
        "Array.from(document.querySelectorAll('#yasr table a')).map(a => a.getAttribute('href'))"
    )
    assert any(h.startswith("/id/person/") for h in hrefs), hrefs
    width = page.evaluate(
        "[document.querySelector('#yasr table.dataTable').getBoundingClientRect().right,"
        " document.querySelector('#yasr').getBoundingClientRect().right]"
    )
    assert width[0] <= width[1] + 1, f"the table is wider than the page: {width}"
    assert page.evaluate("!!document.querySelector('#yasr .dt-paging, #yasr .dataTables_paginate')")
    assert not page.evaluate("document.getElementById('download-csv').hidden")
    # The address holds the query (a share link).
    shared = unquote(page.evaluate("location.hash"))
    assert shared.startswith("#query=") and "shz:EditorialPseudonym" in shared
    page.screenshot(screenshots_dir / "query-table.png")

    # Completion of this graph's classes, from local data.
    page.evaluate(
        "(() => { const y = window.shezhireQuery.yasqe;"
        " y.setValue('PREFIX shz: <https://w3id.org/shezhire/ontology#>\\n"
        "SELECT * WHERE { ?p a shz:Pers');"
        " y.focus(); y.setCursor({line: 1, ch: 1000}); y.autocomplete(); })()"
    )
    hints = page.wait_for(
        "Array.from(document.querySelectorAll('.CodeMirror-hints li')).map(li => li.textContent)",
        what="class completions",
    )
    assert "shz:Person" in hints, hints
    page.screenshot(screenshots_dir / "query-completion.png")
    page.press("Escape")
    # A bare name: the graph's class, its prefix declared when it is picked.
    page.evaluate(
        "(() => { const y = window.shezhireQuery.yasqe; y.setValue('SELECT * WHERE { ?p a Perso');"
        " y.focus(); y.setCursor({line: 0, ch: 1000}); y.autocomplete(); })()"
    )
    hints = page.wait_for(
        "Array.from(document.querySelectorAll('.CodeMirror-hints li')).map(li => li.textContent)",
        what="class completions of a bare name",
    )
    assert hints[0] == "shz:Person", hints
    page.press("Enter")
    value = page.wait_for(
        "window.shezhireQuery.yasqe.getValue().includes('a shz:Person')"
        " && window.shezhireQuery.yasqe.getValue()",
        what="the picked class",
    )
    assert value.startswith("PREFIX shz: <https://w3id.org/shezhire/ontology#>"), value
    # Typing an undeclared prefix of this graph declares it.
    page.evaluate(
        "(() => { const y = window.shezhireQuery.yasqe; y.setValue('SELECT * WHERE { ?t ?p ');"
        " y.focus(); y.setCursor({line: 0, ch: 1000}); })()"
    )
    page.type_text("kin:")
    page.wait_for(
        "window.shezhireQuery.yasqe.getValue()"
        ".includes('PREFIX kin: <https://w3id.org/shezhire/vocab/kin/>')",
        what="the kin: prefix declared",
    )

    # A syntax error: the endpoint's message with its line and column, in a compact box.
    page.evaluate("window.shezhireQuery.yasqe.setValue('SELECT * WHERE {\\n  ?s ?p  }')")
    page.evaluate("window.shezhireQuery.yasqe.query().catch(() => 0)")
    box = page.wait_for(
        "document.querySelector('#yasr .query-error')"
        " && document.querySelector('#yasr .query-error').innerText",
        what="the error box",
    )
    assert "Line 2, column" in box, box
    assert len(box) < 300, box
    assert page.evaluate("document.getElementById('result-tools').hidden")
    page.screenshot(screenshots_dir / "query-error.png")

    # CONSTRUCT results are drawn as a graph (a YASR plugin on cytoscape).
    construct = (
        "PREFIX shz: <https://w3id.org/shezhire/ontology#>\n"
        "PREFIX person: <https://w3id.org/shezhire/id/person/>\n"
        "CONSTRUCT { ?t shz:tieSubject ?a ; shz:tieObject ?b . ?a ?l ?n . ?b ?l ?m }\n"
        "WHERE { ?t shz:tieObject person:petr-vasilievich-khomutnikov ; shz:tieSubject ?a ;"
        " shz:tieObject ?b . VALUES ?l { <http://www.w3.org/2000/01/rdf-schema#label> }"
        " ?a ?l ?n . ?b ?l ?m }"
    )
    page.goto(pages_url + "/query-ui#query=" + quote(construct))
    page.wait_for("document.body.dataset.queryReady === 'true'", what="the YASGUI editor")
    assert page.evaluate("window.shezhireQuery.yasqe.getValue()") == construct
    page.evaluate("window.shezhireQuery.yasqe.query().catch(() => 0)")
    page.wait_for(
        "window.shezhireQuery.graph && window.shezhireQuery.graph.nodes().length > 2",
        what="the graph view",
    )
    labels = page.evaluate("window.shezhireQuery.graph.nodes().map(n => n.data('label'))")
    assert "Petr Vasilievich Khomutnikov" in labels, labels
    assert not page.evaluate("document.getElementById('download-ttl').hidden")
    page.screenshot(screenshots_dir / "query-graph.png", "#yasr")
    _settle(page)
    _assert_clean(page)
    _local_libraries(page)


def test_query_page_charts_an_aggregate(page: Page, pages_url: str, screenshots_dir: Path) -> None:
    """A GROUP BY count lands on a bar chart (Chart.js, from /assets/): a bar per row, labelled
    with the group; results that do not fit a chart stay a table, the chart not offered."""
    aggregate = (
        "PREFIX shz: <https://w3id.org/shezhire/ontology#>\n"
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        "SELECT ?type (COUNT(?tie) AS ?ties)\n"
        "WHERE { ?tie a shz:KinTie ; shz:kinType/skos:prefLabel ?type .\n"
        "  FILTER(LANG(?type) = 'en') }\n"
        "GROUP BY ?type ORDER BY DESC(?ties) ?type"
    )
    page.goto(pages_url + "/query-ui#query=" + quote(aggregate))
    page.wait_for("document.body.dataset.queryReady === 'true'", what="the YASGUI editor")
    page.evaluate("window.shezhireQuery.yasqe.query().catch(() => 0)")
    rows = page.wait_for("Number(document.getElementById('yasr').dataset.rows)", what="results")
    assert rows >= 2
    bars = page.wait_for(
        "document.querySelector('#yasr .yasr-chart canvas')"
        " && Number(document.querySelector('#yasr .yasr-chart').dataset.bars)",
        what="the chart",
    )
    assert bars == rows
    chart = page.evaluate(
        "(() => { const c = window.shezhireQuery.yasr.plugins.chart.chart;"
        " const r = window.shezhireQuery.yasr.results.getBindings();"
        " return {labels: c.data.labels, drawn: c.getDatasetMeta(0).data.length,"
        " values: c.data.datasets[0].data, counts: r.map(b => Number(b.ties.value)),"
        " types: r.map(b => b.type.value), selected: window.shezhireQuery.yasr.drawnPlugin,"
        " height: c.canvas.getBoundingClientRect().height}; })()"
    )
    assert chart["selected"] == "chart", chart
    assert chart["drawn"] == rows and len(chart["labels"]) == rows, chart
    assert chart["labels"] == chart["types"] and chart["values"] == chart["counts"], chart
    assert "father" in [t.lower() for t in chart["labels"]], chart["labels"]
    assert chart["height"] > 100, chart
    assert page.evaluate("!!document.querySelector('#yasr .select_chart.selected')")
    assert not page.evaluate("document.getElementById('download-csv').hidden")
    page.screenshot(screenshots_dir / "query-chart.png", "#yasr")
    _settle(page)
    _assert_clean(page)  # Chart.js drew under the CSP: no <style>, no violation at all
    _local_libraries(page)
    assert any("/assets/chartjs/" in u for u in page.requests), page.requests
    page.evaluate(STYLE_WATCH)

    # The table of the same rows is one click away, and back.
    page.click("#yasr .select_table")
    page.wait_for("document.querySelectorAll('#yasr table.dataTable tbody tr').length >= 2")
    page.click("#yasr .select_chart")
    page.wait_for("!!document.querySelector('#yasr .yasr-chart canvas')", what="the chart again")

    # Rows with several label columns are no chart: the table, the chart not offered.
    page.click("button.example[data-name='07-editorial-pseudonyms']")
    page.click("#yasqe .yasqe_queryButton")
    page.wait_for(
        "document.querySelectorAll('#yasr table.dataTable tbody tr').length >= 2"
        " && window.shezhireQuery.yasr.drawnPlugin === 'table'",
        what="the table",
    )
    assert not page.evaluate("window.shezhireQuery.yasr.plugins.chart.canHandleResults()")
    assert page.evaluate("!!document.querySelector('#yasr .select_chart.disabled')")
    assert page.evaluate("window.shezhireQuery.yasr.plugins.chart.chart") is None
    _settle(page)
    # The table's column resizer tries its <style> again (refused; Chrome gives no sample here).
    styles = page.evaluate("window.__styles")
    assert all(s.startswith(KNOWN_BLOCKED_STYLE) for s in styles), styles
    assert all(
        v["directive"] == "style-src-elem" and v["source"].endswith("/yasgui.min.js")
        for v in page.csp_violations()
    ), page.csp_violations()
    assert len(page.csp_violations()) <= len(styles), (page.csp_violations(), styles)
    assert page.foreign_requests() == [], page.foreign_requests()
    assert [e for e in page.errors if e.startswith(("exception:", "console:"))] == [], page.errors
