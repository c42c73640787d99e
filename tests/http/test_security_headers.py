"""Security headers on every answer (shezhire.http.security): nosniff everywhere; on HTML a
Content-Security-Policy without inline script, X-Frame-Options and Referrer-Policy. Checked on
the whole service (the SPARQL fast path in front), on the FastAPI routes alone (fast path off),
and on ``create_app`` served by plain uvicorn (without ``serve``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shezhire.http.security import CONTENT_SECURITY_POLICY
from shezhire.http.testing import LiveServer

SERVER_DIR = Path(__file__).resolve().parents[2] / "server"
HTML_PATHS = ["/", "/docs", "/query-ui", "/id/person/test-person-1"]
OTHER_PATHS = [
    "/sparql?query=ASK%20%7B%7D",
    "/query?query=ASK%20%7B%7D",
    "/sparql",
    "/health",
    "/openapi.json",
    "/void",
    "/ld/static/query.js",
    "/no/such/route",
    "/sparql?query=SELECT",  # 400
    "/id/person/test-person-1?format=ttl",
]


@pytest.fixture(scope="module", params=["serve", "routes", "create_app"])
def service(request: pytest.FixtureRequest, server: LiveServer) -> Iterator[httpx.Client]:
    if request.param == "serve":
        with httpx.Client(base_url=server.url, timeout=30) as client:
            yield client
        return
    if request.param == "routes":
        settings = server.settings.model_copy(update={"sparql_fast_path": False, "port": 8000})
        live = LiveServer(settings)
    else:
        live = LiveServer(
            server.settings.model_copy(update={"port": 8000}),
            factory=(SERVER_DIR, "shezhire.http.app:create_app"),
        )
    with live, httpx.Client(base_url=live.url, timeout=30) as client:
        yield client


def _once(response: httpx.Response, name: str) -> str:
    values = response.headers.get_list(name)
    assert len(values) == 1, f"{name}: {values} on {response.request.url}"
    return values[0]


@pytest.mark.parametrize("path", HTML_PATHS)
def test_html_answers_carry_the_policy(service: httpx.Client, path: str) -> None:
    response = service.get(path, headers={"accept": "text/html"})
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert _once(response, "x-content-type-options") == "nosniff"
    assert _once(response, "content-security-policy") == CONTENT_SECURITY_POLICY
    assert _once(response, "x-frame-options") == "DENY"
    assert _once(response, "referrer-policy") == "no-referrer"
    # The policy allows no inline script: every script is a file, or a data block.
    for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", response.text, re.S):
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
        assert "src=" not in attributes or not body.strip()
    assert not re.search(r"\son[a-z]+=", response.text), "no inline event handlers"
    assert not re.search(r"\sstyle=", response.text), "no inline styles"


@pytest.mark.parametrize("path", OTHER_PATHS)
def test_every_answer_is_nosniff(service: httpx.Client, path: str) -> None:
    response = service.get(path)
    assert _once(response, "x-content-type-options") == "nosniff"
    assert "content-security-policy" not in response.headers


def test_post_and_errors_of_the_fast_path(service: httpx.Client) -> None:
    for response in (
        service.post("/sparql", data={"query": "ASK {}"}),
        service.post("/sparql", content=b"x", headers={"content-type": "text/plain"}),  # 415
        service.put("/store?default", content=b""),  # 403
        service.options(
            "/sparql",
            headers={"origin": "https://example.org", "access-control-request-method": "POST"},
        ),
    ):
        assert _once(response, "x-content-type-options") == "nosniff", response.request
