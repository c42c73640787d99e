"""/search and /search/suggest over HTTP: the JSON contract, negotiation, the results page
(escaped) and the limits."""

from __future__ import annotations

import html

import httpx
from search_support import INJECTED, INJECTED_LABEL, INJECTED_NAME

from shezhire.http.testing import LiveServer
from shezhire.search.index import TYPES

RESULT_KEYS = {"id", "label", "type", "matched", "score", "pseudonym", "href"}
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def _json(client: httpx.Client, path: str, **params: str) -> dict[str, object]:
    response = client.get(path, params=params, headers={"Accept": "application/json"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    answer = response.json()
    assert isinstance(answer, dict)
    return answer


def test_search_json_contract(client: httpx.Client) -> None:
    answer = _json(client, "/search", q="Khomutnikov")
    assert answer["query"] == "Khomutnikov"
    results = answer["results"]
    assert isinstance(results, list) and results
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    for result in results:
        assert set(result) == RESULT_KEYS
        assert result["type"] in TYPES
        assert 0 <= result["score"] <= 100
        assert isinstance(result["pseudonym"], bool)
        assert result["href"] == "/" + result["id"].removeprefix("https://w3id.org/shezhire/")
    page = client.get(results[0]["href"], headers={"Accept": "text/html"})
    assert page.status_code == 200


def test_curl_gets_json_and_a_browser_gets_the_page(client: httpx.Client) -> None:
    plain = client.get("/search", params={"q": "Aduchi"})
    assert plain.headers["content-type"].startswith("application/json")
    assert "accept" in plain.headers["vary"].lower()
    page = client.get("/search", params={"q": "Aduchi"}, headers={"Accept": BROWSER_ACCEPT})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'href="/id/person/aduchi"' in page.text
    assert "pseudonym" in page.text
    forced = client.get("/search", params={"q": "Aduchi", "format": "html"})
    assert forced.headers["content-type"].startswith("text/html")
    as_json = client.get(
        "/search", params={"q": "Aduchi", "format": "json"}, headers={"Accept": BROWSER_ACCEPT}
    )
    assert as_json.json()["results"][0]["id"].endswith("/person/aduchi")


def test_results_page_without_query_and_without_results(client: httpx.Client) -> None:
    empty = client.get("/search", headers={"Accept": "text/html"})
    assert empty.status_code == 200
    assert 'name="q"' in empty.text
    nothing = client.get("/search", params={"q": "Zzyzxqv"}, headers={"Accept": "text/html"})
    assert "No name matches" in nothing.text
    assert _json(client, "/search", q="") == {"query": "", "results": []}


def test_results_page_escapes_the_query(client: httpx.Client) -> None:
    query = '<script>alert("q")</script>'
    page = client.get("/search", params={"q": query}, headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert html.escape(query) in page.text or "&lt;script&gt;" in page.text


def test_results_page_escapes_names(injected_site: LiveServer) -> None:
    with httpx.Client(base_url=injected_site.url, timeout=60) as http:
        answer = http.get("/search", params={"q": "Injektov", "format": "json"}).json()
        assert answer["results"][0]["id"] == INJECTED
        assert answer["results"][0]["label"] == INJECTED_LABEL  # JSON carries data as it is
        assert answer["results"][0]["pseudonym"] is True
        page = http.get(
            "/search", params={"q": "Injektov onerror"}, headers={"Accept": "text/html"}
        )
        assert page.status_code == 200
        assert "<script>alert('label')" not in page.text
        assert "<img src=x" not in page.text
        assert "&lt;script&gt;" in page.text
        assert INJECTED_NAME not in page.text


def test_type_filter_and_errors(client: httpx.Client) -> None:
    places = _json(client, "/search", q="Alma-Ata", type="place")["results"]
    assert places and {r["type"] for r in places} == {"place"}
    both = client.get("/search", params=[("q", "Alma-Ata"), ("type", "place,institution")])
    assert {r["type"] for r in both.json()["results"]} == {"place", "institution"}
    for params in (
        {"q": "x", "type": "planet"},
        {"q": "x", "limit": "0"},
        {"q": "x", "limit": "101"},
    ):
        assert client.get("/search", params=params).status_code == 400
    assert client.get("/search", params={"q": "x", "format": "xml"}).status_code == 400
    refused = client.get("/search", params={"q": "x"}, headers={"Accept": "image/png"})
    assert refused.status_code == 406
    assert len(_json(client, "/search", q="Khomutnikov", limit="2")["results"]) == 2
    assert client.head("/search", params={"q": "Khomutnikov"}).status_code == 200


def test_suggest_contract(client: httpx.Client) -> None:
    answer = _json(client, "/search/suggest", q="Khom")
    results = answer["results"]
    assert answer["query"] == "Khom"
    assert 1 <= len(results) <= 8
    assert all(set(r) == RESULT_KEYS for r in results)
    assert results[0]["id"].endswith("khomutnikov")
    many = _json(client, "/search/suggest", q="district")["results"]
    assert len(many) == 8
    persons = _json(client, "/search/suggest", q="Алма", type="person")["results"]
    assert all(r["type"] == "person" for r in persons)
    assert _json(client, "/search/suggest", q="")["results"] == []
    assert client.get("/search/suggest", params={"q": "x", "limit": "9"}).status_code == 400
