"""Parity: every route answers the same on the embedded store and on a remote store.

The repository's build is published (`shezhire.backend.publish`) into Oxigraph's server and
into Virtuoso, each served by a real Shezhire server with ``backend = "remote"``; the answers
are compared with the embedded server's (the session's ``site``): every competency query in
``queries/``, the network routes, search, reconciliation and entity pages.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

from shezhire.config import Settings
from shezhire.http.testing import LiveServer

from .conftest import remote_settings
from .engines import RemoteEngine

REPO = Path(__file__).resolve().parents[2]
QUERIES = sorted((REPO / "queries").glob("*.rq"))
SPARQL_JSON = "application/sparql-results+json"
# Measured differences of Virtuoso 7.2.5 from the embedded store that no portable form of a
# query avoids, each a strict xfail: it fails the suite the day it passes. None is left: the
# queries that met one are written so that both engines answer as SPARQL 1.1 says
# (tests/remote/README.md lists each deviation and its test).
VIRTUOSO_XFAIL: dict[str, str] = {}
PERSONS = (
    "aduchi",
    "petr-vasilievich-khomutnikov",
    "vasilii-alekseevich-khomutnikov",
    "tseden",
    "a-ivanov",
)


@pytest.fixture(scope="module")
def remote_site(
    published_engine: RemoteEngine,
    built_settings: Settings,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveServer]:
    """A Shezhire server reading the build from a remote store it was published into."""
    settings = remote_settings(
        built_settings, published_engine.query_url, tmp_path_factory.mktemp("parity")
    )
    with LiveServer(settings) as server:
        _wait_warm(server)
        yield server


def _expect_virtuoso_difference(request: pytest.FixtureRequest, case: str) -> None:
    reason = VIRTUOSO_XFAIL.get(case)
    if reason is not None and request.node.callspec.params.get("remote_site") == "virtuoso":
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))


def _wait_warm(server: LiveServer) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if httpx.get(server.url + "/health", timeout=10).json().get("warm"):
            return
        time.sleep(0.2)
    raise AssertionError(f"the remote-backed server never warmed:\n{server.log()[-3000:]}")


def _rows(base: str, query: str) -> list[tuple[str, ...]]:
    """The query's answer as sorted rows of N-Triples terms (blank nodes as one mark), each
    GROUP_CONCAT's values in code point order (SPARQL 1.1 leaves their order to the engine:
    Virtuoso joins DISTINCT values sorted, pyoxigraph as it meets them)."""
    answer = httpx.post(
        base + "/sparql", data={"query": query}, headers={"accept": SPARQL_JSON}, timeout=120
    )
    assert answer.status_code == 200, answer.text
    results = ox.parse_query_results(answer.content, ox.QueryResultsFormat.JSON)
    if isinstance(results, ox.QueryBoolean):
        return [(str(bool(results)),)]
    assert isinstance(results, ox.QuerySolutions)
    names = [v.value for v in results.variables]
    joined = _group_concats(query)
    rows = []
    for solution in results:
        row = []
        for name in names:
            value = solution[name]
            if isinstance(value, ox.Literal) and name in joined:
                value = _sorted_parts(value, joined[name])
            row.append("_:b" if isinstance(value, ox.BlankNode) else str(value or ""))
        rows.append(tuple(row))
    return sorted(rows)


def _group_concats(query: str) -> dict[str, str]:
    """Each projected variable computed with GROUP_CONCAT, and its separator (rdflib's parse)."""
    tree = parseQuery(query)
    found: dict[str, str] = {}
    for item in tree[1].get("projection") or ():
        if "evar" not in item:
            continue
        stack: list[Any] = [item["expr"]]
        while stack:
            node = stack.pop()
            if isinstance(node, CompValue):
                if node.name == "Aggregate_GroupConcat":
                    found[str(item["evar"])] = str(dict.get(node, "separator", " "))
                stack.extend(dict.values(node))
            elif isinstance(node, list | tuple):
                stack.extend(node)
    return found


def _sorted_parts(value: ox.Literal, separator: str) -> ox.Literal:
    text = separator.join(sorted(value.value.split(separator)))
    if value.language:
        return ox.Literal(text, language=value.language)
    return ox.Literal(text, datatype=value.datatype)


@pytest.mark.parametrize("path", QUERIES, ids=[p.stem for p in QUERIES])
def test_competency_queries_answer_alike(
    path: Path, site: LiveServer, remote_site: LiveServer, request: pytest.FixtureRequest
) -> None:
    _expect_virtuoso_difference(request, path.stem)
    query = path.read_text(encoding="utf-8")
    assert _rows(remote_site.url, query) == _rows(site.url, query)


def _json(base: str, route: str) -> Any:
    answer = httpx.get(base + route, headers={"accept": "application/json"}, timeout=120)
    assert answer.status_code == 200, f"{route}: {answer.status_code} {answer.text[:500]}"
    return answer.json()


# When and how fast the server computed a network: not part of the answer.
TIMINGS = frozenset({"built_at", "build_seconds"})


def _canonical(value: Any) -> Any:
    """JSON with every list sorted (the order of equal-ranked items is not part of an answer)."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items() if k not in TIMINGS}
    if isinstance(value, list):
        items = [_canonical(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


@pytest.mark.parametrize(
    "route",
    [
        *(f"/network/ego?person={p}&hops=2" for p in PERSONS[:4]),
        "/network/path?from=aduchi&to=vasilii-alekseevich-khomutnikov&max=4",
        "/network/path?from=aduchi&to=petr-vasilievich-khomutnikov&max=4&k=3",
        "/search?q=Aduchi",
        "/search?q=Khomutnikov&limit=50",
        "/search?q=Кахрамон&type=person",
        "/search?q=NKVD&type=institution",
        "/reconcile?queries="
        + json.dumps({"q0": {"query": "Petr Khomutnikov"}, "q1": {"query": "Tseden"}}),
    ],
)
def test_routes_answer_alike(route: str, site: LiveServer, remote_site: LiveServer) -> None:
    assert _canonical(_json(remote_site.url, route)) == _canonical(_json(site.url, route))


@pytest.mark.parametrize("person", PERSONS)
def test_entity_pages_describe_alike(
    person: str, site: LiveServer, remote_site: LiveServer, request: pytest.FixtureRequest
) -> None:
    """The entity's Turtle: the same triples (parsed by pyoxigraph, compared as sets)."""
    _expect_virtuoso_difference(request, f"page-{person}")

    def triples(base: str) -> set[str]:
        answer = httpx.get(
            f"{base}/id/person/{person}", headers={"accept": "application/n-triples"}, timeout=60
        )
        assert answer.status_code == 200, answer.text[:500]
        return {str(t) for t in ox.parse(answer.content, ox.RdfFormat.N_TRIPLES)}

    assert triples(remote_site.url) == triples(site.url)


def test_the_html_page_renders_from_the_remote(remote_site: LiveServer) -> None:
    answer = httpx.get(
        remote_site.url + "/id/person/aduchi", headers={"accept": "text/html"}, timeout=60
    )
    assert answer.status_code == 200
    assert "Aduchi" in answer.text


def test_health_names_the_remote_build(remote_site: LiveServer) -> None:
    health = httpx.get(remote_site.url + "/health", timeout=10).json()
    assert health["store"] == remote_site.settings.remote_query_url
    assert health["triples"] > 0
