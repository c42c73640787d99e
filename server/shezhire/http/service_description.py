"""The SPARQL 1.1 Service Description returned by a bare GET on the endpoint."""

from __future__ import annotations

import io

import pyoxigraph as ox

from shezhire.config import Settings
from shezhire.http.dataset import DatasetInfo
from shezhire.http.formats import GRAPH_MEDIA, OX_GRAPH_FORMAT, GraphFormat

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
DCTERMS_TITLE = ox.NamedNode("http://purl.org/dc/terms/title")

RESULT_FORMAT_IRIS = [
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
    "Turtle",
    "N-Triples",
    "N-Quads",
    "TriG",
    "JSON-LD",
    "RDF_XML",
]


def _sd(name: str) -> ox.NamedNode:
    return ox.NamedNode(SD + name)


def description(endpoint: str, info: DatasetInfo, settings: Settings) -> list[ox.Triple]:
    """The triples describing this service at ``endpoint``."""
    service = ox.BlankNode("service")
    dataset = ox.BlankNode("dataset")
    default_graph = ox.BlankNode("default")
    triples = [
        ox.Triple(service, RDF_TYPE, _sd("Service")),
        ox.Triple(service, _sd("endpoint"), ox.NamedNode(endpoint)),
        ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        ox.Triple(service, _sd("feature"), _sd("UnionDefaultGraph")),
        ox.Triple(service, DCTERMS_TITLE, ox.Literal("Shezhire SPARQL endpoint (read-only)")),
        ox.Triple(service, _sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, _sd("Dataset")),
        ox.Triple(dataset, _sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, RDF_TYPE, _sd("Graph")),
        ox.Triple(
            default_graph,
            ox.NamedNode(VOID + "triples"),
            ox.Literal(
                str(info.triples), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
            ),
        ),
    ]
    if settings.service_allowlist:
        triples.append(ox.Triple(service, _sd("feature"), _sd("BasicFederatedQuery")))
    for name in RESULT_FORMAT_IRIS:
        triples.append(ox.Triple(service, _sd("resultFormat"), ox.NamedNode(FORMATS + name)))
    for number, (graph_iri, count) in enumerate(info.graphs.items()):
        named = ox.BlankNode(f"ng{number}")
        graph = ox.BlankNode(f"g{number}")
        triples += [
            ox.Triple(dataset, _sd("namedGraph"), named),
            ox.Triple(named, RDF_TYPE, _sd("NamedGraph")),
            ox.Triple(named, _sd("name"), ox.NamedNode(graph_iri)),
            ox.Triple(named, _sd("graph"), graph),
            ox.Triple(graph, RDF_TYPE, _sd("Graph")),
            ox.Triple(
                graph,
                ox.NamedNode(VOID + "triples"),
                ox.Literal(
                    str(count), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
                ),
            ),
        ]
    return triples


class ServiceDescription:
    """Renders (and caches, per endpoint IRI and format) the description of one dataset."""

    MAX_CACHED = 64

    def __init__(self, info: DatasetInfo, settings: Settings) -> None:
        self.info = info
        self.settings = settings
        self._cache: dict[tuple[str, GraphFormat], bytes] = {}

    def render(self, endpoint: str, fmt: GraphFormat) -> tuple[bytes, str]:
        """(body, content type) of the description in ``fmt``."""
        key = (endpoint, fmt)
        body = self._cache.get(key)
        if body is None:
            if len(self._cache) >= self.MAX_CACHED:
                self._cache.clear()
            body = self._cache[key] = self._serialize(endpoint, fmt)
        return body, GRAPH_MEDIA[fmt].content_type

    def _serialize(self, endpoint: str, fmt: GraphFormat) -> bytes:
        triples = description(endpoint, self.info, self.settings)
        oxfmt = OX_GRAPH_FORMAT[fmt]
        data: list[ox.Triple] | list[ox.Quad] = triples
        if oxfmt.supports_datasets:
            data = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
        out = io.BytesIO()
        prefixes = {
            "sd": SD,
            "void": VOID,
            "dcterms": "http://purl.org/dc/terms/",
            "formats": FORMATS,
        }
        ox.serialize(data, out, oxfmt, prefixes=prefixes if fmt is GraphFormat.TURTLE else None)
        return out.getvalue()
