"""W3C SPARQL 1.1 Protocol and Service Description tests, driven by their manifests.

The manifests are read in place from ``../shared/w3c/rdf-tests/sparql/sparql11/`` beside the
checkout. Each protocol test's ``ut:graphData`` files are loaded into named graphs (named by
their ``rdfs:label``) of a store served by a real uvicorn server on 127.0.0.1; each
``ht:Request`` is sent as written (``/sparql/`` replaced by the endpoint path) and its
``mf:expectedStatus``, ``mf:expectedFormat`` and ``mf:expectedBoolean`` are checked. Tests that
expect a write to succeed are xfailed: this endpoint is read-only (it answers 403).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.collection import Collection

from shezhire.config import Settings
from shezhire.http.testing import LiveServer, build_plain_store

SHARED = Path(__file__).parents[2].parent / "shared"
SUITE = SHARED / "w3c" / "rdf-tests" / "sparql" / "sparql11"
PROTOCOL = SUITE / "protocol" / "manifest.ttl"
SERVICE_DESCRIPTION = SUITE / "service-description" / "manifest.ttl"

MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"

READ_ONLY = "read-only endpoint: SPARQL Update is refused with 403 (writes are out of scope)"

pytestmark = [
    pytest.mark.w3c,
    pytest.mark.skipif(not PROTOCOL.exists(), reason=f"../shared is absent ({SUITE} not found)"),
]


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[str]  # "2xx", "4xx", ...
    expected_format: str | None
    expected_boolean: bool | None


@dataclass
class ProtocolCase:
    name: str
    label: str
    requests: list[Request]
    graph_data: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def writes(self) -> bool:
        return any(
            b"update" in (r.body or b"")[:7]
            or "sparql-update" in r.headers.get("content-type", "")
            or "update=" in r.path
            for r in self.requests
        )

    @property
    def expects_success_of_write(self) -> bool:
        return self.writes and any(s.startswith("2") for r in self.requests for s in r.statuses)


def _list(graph: rdflib.Graph, head: Any) -> list[Any]:
    return list(Collection(graph, head))


def load_protocol_cases() -> list[ProtocolCase]:
    if not PROTOCOL.exists():
        return []
    graph = rdflib.Graph().parse(PROTOCOL, format="turtle", publicID=PROTOCOL.as_uri())
    manifest = next(graph.subjects(MF.entries, None))
    cases = []
    for entry in _list(graph, graph.value(manifest, MF.entries)):
        action = graph.value(entry, MF.action)
        requests = []
        for req in _list(graph, graph.value(action, HT.requests)):
            headers = {}
            header_list = graph.value(req, HT.headers)
            if header_list is not None:
                for header in _list(graph, header_list):
                    headers[str(graph.value(header, HT.fieldName)).lower()] = str(
                        graph.value(header, HT.fieldValue)
                    )
            body_node = graph.value(req, HT.body)
            body = None
            if body_node is not None:
                encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
                body = str(graph.value(body_node, CNT.chars)).encode(encoding)
            resp = graph.value(req, HT.resp)
            statuses = {str(s).removeprefix(HTS) for s in graph.objects(resp, MF.expectedStatus)}
            fmt = graph.value(resp, MF.expectedFormat)
            boolean = graph.value(resp, MF.expectedBoolean)
            requests.append(
                Request(
                    method=str(graph.value(req, HT.methodName)),
                    path=str(graph.value(req, HT.absolutePath)),
                    headers=headers,
                    body=body,
                    statuses=statuses,
                    expected_format=None if fmt is None else str(fmt),
                    expected_boolean=None if boolean is None else bool(boolean.toPython()),
                )
            )
        data = []
        for graph_data in graph.objects(entry, UT.graphData):
            file = graph.value(graph_data, UT.graph)
            label = graph.value(graph_data, rdflib.RDFS.label)
            data.append((Path(str(file).removeprefix("file://")), str(label)))
        cases.append(
            ProtocolCase(
                name=str(entry).rsplit("#", 1)[-1],
                label=str(graph.value(entry, MF.name)),
                requests=requests,
                graph_data=data,
            )
        )
    return cases


CASES = load_protocol_cases()


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server whose store holds every graph the protocol tests name (data1..3)."""
    quads: dict[str, list[ox.Quad]] = {}
    for case in CASES:
        for path, label in case.graph_data:
            graph = ox.NamedNode(label)
            quads[label] = [
                ox.Quad(t.subject, t.predicate, t.object, graph)
                for t in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES)
            ]
    store = tmp_path_factory.mktemp("w3c-protocol") / "store"
    build_plain_store(store, (), [q for group in quads.values() for q in group])
    with LiveServer(Settings(store_path=store, query_timeout_s=10, query_workers=2)) as server:
        yield server.url + "/sparql"


def _check_format(response: httpx.Response, expected: str) -> None:
    media = response.headers.get("content-type", "").split(";")[0].strip()
    if expected == "boolean":
        assert media in ("application/sparql-results+json", "application/sparql-results+xml")
    elif expected == "tabular":
        assert media in (
            "application/sparql-results+json",
            "application/sparql-results+xml",
            "text/csv",
            "text/tab-separated-values",
        )
    elif expected == "RDF":
        assert media in ("application/rdf+xml", "text/turtle", "application/n-triples")
        ox.parse(response.content, ox.RdfFormat.from_media_type(media))
    else:
        raise AssertionError(f"unknown expected format {expected}")


def _boolean(response: httpx.Response) -> bool:
    media = response.headers["content-type"].split(";")[0].strip()
    fmt = ox.QueryResultsFormat.from_media_type(media)
    return bool(ox.parse_query_results(response.content, fmt))


def _params(case: ProtocolCase) -> Any:
    if case.expects_success_of_write:
        return pytest.param(
            case, id=case.name, marks=pytest.mark.xfail(reason=READ_ONLY, strict=True)
        )
    return pytest.param(case, id=case.name)


@pytest.mark.parametrize("case", [_params(c) for c in CASES])
def test_protocol(endpoint: str, case: ProtocolCase) -> None:
    with httpx.Client(timeout=30) as client:
        for request in case.requests:
            assert request.path.startswith("/sparql/")
            url = endpoint + request.path[len("/sparql/") :]
            headers = dict(request.headers)
            if "accept" not in headers:
                headers["accept"] = "*/*"
            response = client.request(request.method, url, headers=headers, content=request.body)
            category = f"{response.status_code // 100}xx"
            assert category in request.statuses, (
                f"{case.label}: status {response.status_code}, expected {request.statuses}: "
                f"{response.text[:300]}"
            )
            if request.expected_format is not None:
                _check_format(response, request.expected_format)
            if request.expected_boolean is not None:
                assert _boolean(response) is request.expected_boolean


# --- service description -------------------------------------------------------------------

SD_CASES = ["has-endpoint-triple", "returns-rdf", "conforms-to-schema"]


def _sd_manifest_names() -> list[str]:
    if not SERVICE_DESCRIPTION.exists():
        return []
    graph = rdflib.Graph().parse(SERVICE_DESCRIPTION, format="turtle")
    manifest = next(graph.subjects(MF.entries, None))
    return [str(e).rsplit("#", 1)[-1] for e in _list(graph, graph.value(manifest, MF.entries))]


def _sd_graph(endpoint: str, accept: str) -> tuple[httpx.Response, rdflib.Graph]:
    response = httpx.get(endpoint, headers={"accept": accept}, timeout=30)
    media = response.headers.get("content-type", "").split(";")[0].strip()
    fmt = {
        "text/turtle": "turtle",
        "application/rdf+xml": "xml",
        "application/ld+json": "json-ld",
        "application/n-triples": "nt",
    }[media]
    return response, rdflib.Graph().parse(data=response.content, format=fmt)


@pytest.mark.parametrize("name", _sd_manifest_names())
@pytest.mark.parametrize(
    "accept", ["text/turtle", "application/rdf+xml", "application/ld+json", "*/*"]
)
def test_service_description(endpoint: str, name: str, accept: str) -> None:
    assert name in SD_CASES, f"new service-description test {name}: teach this runner"
    response, graph = _sd_graph(endpoint, accept)
    assert response.status_code == 200
    if name == "returns-rdf":
        assert len(graph) > 0
        return
    services = set(graph.subjects(rdflib.RDF.type, SD.Service))
    if name == "has-endpoint-triple":
        assert any((s, SD.endpoint, rdflib.URIRef(endpoint)) in graph for s in services)
        return
    # conforms-to-schema: the structure the SD vocabulary gives its terms
    assert len(services) == 1
    service = next(iter(services))
    assert set(graph.objects(service, SD.supportedLanguage)) <= {
        SD.SPARQL10Query,
        SD.SPARQL11Query,
        SD.SPARQL11Update,
    }
    assert list(graph.objects(service, SD.supportedLanguage))
    for node in graph.objects(service, SD.resultFormat):
        assert isinstance(node, rdflib.URIRef)
    for dataset in graph.objects(service, SD.defaultDataset):
        assert (dataset, rdflib.RDF.type, SD.Dataset) in graph
        for named in graph.objects(dataset, SD.namedGraph):
            assert (named, rdflib.RDF.type, SD.NamedGraph) in graph
            assert isinstance(graph.value(named, SD.name), rdflib.URIRef)
        for default in graph.objects(dataset, SD.defaultGraph):
            assert (default, rdflib.RDF.type, SD.Graph) in graph
