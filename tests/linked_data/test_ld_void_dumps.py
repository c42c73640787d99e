"""The dataset description (VoID/DCAT) and the full dumps, checked against the store."""

from __future__ import annotations

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from ld_support import VOID

DCAT = "http://www.w3.org/ns/dcat#"
DCTERMS = "http://purl.org/dc/terms/"
DATASET = rdflib.URIRef("https://w3id.org/shezhire/void#dataset")


def _void(client: httpx.Client, accept: str, fmt: str) -> rdflib.Graph:
    response = client.get("/void", headers={"accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(accept)
    return rdflib.Graph().parse(data=response.content, format=fmt)


@pytest.mark.parametrize(
    ("accept", "fmt"), [("text/turtle", "turtle"), ("application/ld+json", "json-ld")]
)
def test_void_describes_the_store(
    client: httpx.Client, ld_memory: ox.Store, base_url: str, accept: str, fmt: str
) -> None:
    g = _void(client, accept, fmt)
    v = rdflib.Namespace(VOID)
    assert (DATASET, rdflib.RDF.type, v.Dataset) in g
    assert (DATASET, rdflib.RDF.type, rdflib.URIRef(DCAT + "Dataset")) in g
    assert int(g.value(DATASET, v.triples)) == len(ld_memory)
    assert int(g.value(DATASET, v.entities)) > 500
    assert str(g.value(DATASET, v.uriSpace)) == "https://w3id.org/shezhire/id/"
    assert g.value(DATASET, v.sparqlEndpoint) == rdflib.URIRef(base_url + "/sparql")
    assert g.value(DATASET, rdflib.URIRef(DCTERMS + "license")) == rdflib.URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    dumps = {str(d) for d in g.objects(DATASET, v.dataDump)}
    assert dumps == {base_url + "/dump.nq", base_url + "/dump.trig", base_url + "/dump.ttl"}
    downloads = {
        str(u)
        for d in g.objects(DATASET, rdflib.URIRef(DCAT + "distribution"))
        for u in g.objects(d, rdflib.URIRef(DCAT + "downloadURL"))
    }
    assert dumps <= downloads
    # one subset per named graph, with its own count; together they are the whole
    graphs = {g_.value for g_ in ld_memory.named_graphs() if isinstance(g_, ox.NamedNode)}
    subsets = set(g.objects(DATASET, v.subset))
    assert {str(s) for s in subsets} == graphs
    assert sum(int(g.value(s, v.triples)) for s in subsets) == len(ld_memory)
    source = rdflib.URIRef("https://w3id.org/shezhire/graph/000-bolatkhan-2023-a")
    assert g.value(source, rdflib.URIRef(DCTERMS + "source")) == rdflib.URIRef(
        "https://w3id.org/shezhire/id/work/bolatkhan-2023"
    )
    # class partitions count persons; property partitions count triples
    persons = [
        p
        for p in g.objects(DATASET, v.classPartition)
        if g.value(p, v["class"]) == rdflib.URIRef("https://w3id.org/shezhire/ontology#Person")
    ]
    expected = len(
        {
            str(q.subject)
            for q in ld_memory.quads_for_pattern(
                None,
                ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                ox.NamedNode("https://w3id.org/shezhire/ontology#Person"),
            )
        }
    )
    assert [int(g.value(p, v.entities)) for p in persons] == [expected]
    labels = [
        p
        for p in g.objects(DATASET, v.propertyPartition)
        if g.value(p, v.property) == rdflib.RDFS.label
    ]
    expected_labels = sum(
        1 for _ in ld_memory.quads_for_pattern(None, ox.NamedNode(str(rdflib.RDFS.label)), None)
    )
    assert [int(g.value(p, v.triples)) for p in labels] == [expected_labels]


def test_void_refuses_html_only_and_well_known_redirects(client: httpx.Client) -> None:
    assert client.get("/void", headers={"accept": "text/html"}).status_code == 406
    redirect = client.get("/.well-known/void")
    assert redirect.status_code in (301, 302, 303, 307, 308)
    assert redirect.headers["location"].endswith("/void")
    followed = client.get(
        "/.well-known/void", follow_redirects=True, headers={"accept": "text/turtle"}
    )
    assert followed.status_code == 200
    assert followed.headers["content-type"].startswith("text/turtle")


def _quads(data: bytes, fmt: ox.RdfFormat) -> set[str]:
    return {str(q) for q in ox.parse(data, format=fmt)}


def test_nquads_dump_equals_the_store(client: httpx.Client, ld_memory: ox.Store) -> None:
    response = client.get("/dump.nq")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/n-quads")
    assert 'filename="shezhire.nq"' in response.headers["content-disposition"]
    assert response.headers["etag"] and response.headers["last-modified"]
    assert _quads(response.content, ox.RdfFormat.N_QUADS) == {str(q) for q in ld_memory}
    cached = client.get("/dump.nq", headers={"if-none-match": response.headers["etag"]})
    assert cached.status_code == 304


def test_trig_dump_equals_the_store(client: httpx.Client, ld_memory: ox.Store) -> None:
    response = client.get("/dump.trig")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/trig")
    assert _quads(response.content, ox.RdfFormat.TRIG) == {str(q) for q in ld_memory}
    # and a second parser agrees on the graphs and their sizes
    dataset = rdflib.Dataset()
    dataset.parse(data=response.content, format="trig")
    sizes = {str(c.identifier): len(c) for c in dataset.graphs() if len(c)}
    expected: dict[str, int] = {}
    for quad in ld_memory:
        if isinstance(quad.graph_name, ox.NamedNode):
            expected[quad.graph_name.value] = expected.get(quad.graph_name.value, 0) + 1
    assert sizes == expected


def test_turtle_dump_is_the_union(client: httpx.Client, ld_memory: ox.Store) -> None:
    response = client.get("/dump.ttl")
    assert response.status_code == 200
    assert 'filename="shezhire.ttl"' in response.headers["content-disposition"]
    parsed = {
        str(ox.Triple(q.subject, q.predicate, q.object))
        for q in ox.parse(response.content, format=ox.RdfFormat.TURTLE)
    }
    union = {str(ox.Triple(q.subject, q.predicate, q.object)) for q in ld_memory}
    assert parsed == union


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/n-triples", "nt"),
    ],
)
def test_named_graph_negotiated(
    client: httpx.Client, ld_memory: ox.Store, accept: str, fmt: str
) -> None:
    iri = "https://w3id.org/shezhire/graph/000-bolatkhan-2023-a"
    response = client.get("/graph/000-bolatkhan-2023-a", headers={"accept": accept})
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.content, format=fmt)
    assert len(graph) == sum(
        1 for _ in ld_memory.quads_for_pattern(None, None, None, ox.NamedNode(iri))
    )
