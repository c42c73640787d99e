"""What the service says about itself (the service description's endpoint, the base IRI of
queries, the VoID and DCAT URLs) comes from Settings.public_url (or the bind address), never
from the client's Host header: no Host value breaks a query or changes a cached answer."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pydantic
import pytest
import rdflib

from shezhire.config import Settings
from shezhire.http.testing import LiveServer

SD_ENDPOINT = rdflib.URIRef("http://www.w3.org/ns/sparql-service-description#endpoint")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
RELATIVE = "SELECT ?x WHERE { BIND(<relative> AS ?x) }"
Headers = dict[str, str] | dict[str, bytes]
HOSTS = ["a b", "evil.example:666", "x/y?z#w", "[::1", "", "\u00e9vil.example"]


def _endpoints(turtle: str) -> set[str]:
    graph = rdflib.Graph().parse(data=turtle, format="turtle")
    return {str(o) for o in graph.objects(None, SD_ENDPOINT)}


def _base_resolved(client: httpx.Client, path: str, headers: Headers) -> str:
    response = client.get(path, params={"query": RELATIVE}, headers=headers)
    assert response.status_code == 200, response.text
    value: str = response.json()["results"]["bindings"][0]["x"]["value"]
    return value


def _void(client: httpx.Client, headers: Headers) -> rdflib.Graph:
    response = client.get("/void", headers={"accept": "text/turtle", **headers})
    assert response.status_code == 200, response.text
    assert "host" not in response.headers.get("vary", "").lower()
    return rdflib.Graph().parse(data=response.text, format="turtle")


@pytest.mark.parametrize("host", HOSTS)
def test_no_host_header_breaks_or_changes_a_self_description(
    server: LiveServer, client: httpx.Client, host: str
) -> None:
    headers = {"host": host.encode("utf-8")}
    for path in ("/sparql", "/query"):
        described = client.get(path, headers={"accept": "text/turtle", **headers})
        assert described.status_code == 200, described.text
        assert _endpoints(described.text) == {server.url + path}
        assert _base_resolved(client, path, headers) == server.url + "/relative"
    void = _void(client, headers)
    assert set(void.objects(None, VOID.sparqlEndpoint)) == {rdflib.URIRef(server.sparql)}
    assert void.isomorphic(_void(client, {}))


@pytest.fixture(scope="module", params=[True, False], ids=["front", "routes"])
def public(request: pytest.FixtureRequest, settings: Settings) -> Iterator[httpx.Client]:
    """A server told it is reached at https://data.example.org/shezhire/ (behind a proxy)."""
    configured = settings.model_copy(
        update={
            "public_url": "https://data.example.org/shezhire/",
            "sparql_fast_path": request.param,
            "port": 8000,
        }
    )
    with LiveServer(configured) as live, httpx.Client(base_url=live.url, timeout=30) as client:
        yield client


def test_the_configured_public_url_is_used(public: httpx.Client) -> None:
    base = "https://data.example.org/shezhire"
    for headers in ({}, {"host": "evil.example"}):
        described = public.get("/sparql", headers={"accept": "text/turtle", **headers})
        assert _endpoints(described.text) == {base + "/sparql"}
        assert _base_resolved(public, "/sparql", headers) == base + "/relative"
        void = _void(public, headers)
        assert set(void.objects(None, VOID.sparqlEndpoint)) == {rdflib.URIRef(base + "/sparql")}
        dumps = {str(o) for o in void.objects(None, VOID.dataDump)}
        assert base + "/dump.nq" in dumps
        assert {str(o) for o in void.objects(None, DCAT.landingPage)} == {base + "/"}


@pytest.mark.parametrize(
    "bad",
    [
        "data.example.org",
        "ftp://data.example.org/",
        "http://",
        "http://a b/",
        "http://data.example.org:99999/",
        "https://data.example.org/?x=1",
        "https://data.example.org/#top",
        "https://user@data.example.org/",
        "http://[::1/",
        "https://data.example.org/<x>",
    ],
)
def test_an_invalid_public_url_is_refused(bad: str) -> None:
    with pytest.raises(pydantic.ValidationError, match="public_url"):
        Settings(public_url=bad)


def test_the_server_does_not_start_with_an_invalid_public_url(settings: Settings) -> None:
    server = LiveServer(settings.model_copy(update={"port": 8000}), {"SHEZHIRE_PUBLIC_URL": "x y"})
    try:
        with pytest.raises(RuntimeError, match="public_url"):
            server.start()
    finally:
        server.stop()  # had it started


def test_the_default_public_url_is_the_bind_address() -> None:
    assert Settings(host="127.0.0.1", port=8123).public_base_url == "http://127.0.0.1:8123"
    assert Settings(host="0.0.0.0", port=80).public_base_url == "http://127.0.0.1:80"
    assert Settings(host="::1", port=8000).public_base_url == "http://[::1]:8000"
    assert Settings(public_url="https://example.org/").public_base_url == "https://example.org"


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "a b"])
def test_redirects_do_not_name_the_clients_host(client: httpx.Client, host: str) -> None:
    """Starlette's trailing-slash redirects built their Location from the Host header (or the
    bind address when it is not a valid host); it is a path now."""
    for path in ("/browse/", "/void/", "/docs/"):
        response = client.get(path, headers={"host": host}, follow_redirects=False)
        assert response.status_code in (301, 302, 303, 307, 308), path
        location = response.headers["location"]
        assert location == path.rstrip("/"), location
