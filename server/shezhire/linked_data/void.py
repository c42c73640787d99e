"""The dataset description: VoID, DCAT and DCTERMS, computed once per build.

The dataset is ``<https://w3id.org/shezhire/void#dataset>``; its ``void:triples`` is the number of
quads in the store (each named graph's triples counted once per graph, as the subsets add up).
Access URLs (the SPARQL endpoint, the dumps) are under the configured public URL (``public_url``).
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

import pyoxigraph as ox

from shezhire.config import BASE_IRI, GRAPH_BASE
from shezhire.linked_data.graph import DCTERMS, ID_BASE, RDF_TYPE, SHZ, Dataset

VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
XSD = "http://www.w3.org/2001/XMLSchema#"
FOAF = "http://xmlns.com/foaf/0.1/"
DATASET_IRI = BASE_IRI + "void#dataset"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
DESCRIPTION = (
    "An open knowledge graph of the persons, kin and social ties, institutions, legal "
    "acts, archival items and events that historians have documented for Soviet "
    "Kazakhstan. Every fact carries its evidence: the publication, the footnote, the "
    "archival reference as printed and a verbatim quote."
)
DUMPS = (
    ("dump.nq", "application/n-quads", "N-Quads, every named graph"),
    ("dump.trig", "application/trig", "TriG, every named graph"),
    ("dump.ttl", "text/turtle", "Turtle, the union of the named graphs"),
)


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=_n(XSD + "integer"))


def _statistics(dataset: Dataset) -> dict[str, object]:
    def make() -> dict[str, object]:
        classes: dict[str, set[str]] = {}
        properties: Counter[str] = Counter()
        entities: set[str] = set()
        for quad in dataset.store.quads_for_pattern(None, None, None, None):
            properties[quad.predicate.value] += 1
            subject = quad.subject
            if isinstance(subject, ox.NamedNode) and subject.value.startswith(ID_BASE):
                entities.add(subject.value)
            if quad.predicate == RDF_TYPE and isinstance(quad.object, ox.NamedNode):
                classes.setdefault(quad.object.value, set()).add(str(subject))
        # The source text each data graph is drawn from: the publication its citations name most.
        sources: dict[str, str] = {}
        rows = dataset.select(
            """SELECT ?g ?work (COUNT(*) AS ?n) WHERE {
                 GRAPH ?g { ?c shz:publication ?work } ?work a shz:SourceText }
               GROUP BY ?g ?work ORDER BY ?g DESC(?n)"""
        )
        for row in rows:
            graph, work = row.get("g"), row.get("work")
            if isinstance(graph, ox.NamedNode) and isinstance(work, ox.NamedNode):
                sources.setdefault(graph.value, work.value)
        return {
            "classes": {c: len(members) for c, members in sorted(classes.items())},
            "properties": dict(sorted(properties.items())),
            "entities": len(entities),
            "sources": sources,
        }

    result = dataset.memo("void-stats", make)
    assert isinstance(result, dict)
    return result


@dataclass(frozen=True)
class VoidSummary:
    """The numbers of the description, for the HTML page (/data)."""

    classes: dict[str, int]  # class IRI -> entities
    properties: dict[str, int]  # property IRI -> triples
    entities: int
    sources: dict[str, str]  # named graph -> the source text it is drawn from
    distinct_subjects: int
    distinct_objects: int


def void_summary(dataset: Dataset) -> VoidSummary:
    stats = _statistics(dataset)
    classes, properties, sources = stats["classes"], stats["properties"], stats["sources"]
    assert isinstance(classes, dict) and isinstance(properties, dict)
    assert isinstance(sources, dict)
    return VoidSummary(
        {str(k): int(v) for k, v in classes.items()},
        {str(k): int(v) for k, v in properties.items()},
        int(str(stats["entities"])),
        {str(k): str(v) for k, v in sources.items()},
        _distinct(dataset, "s"),
        _distinct(dataset, "o"),
    )


def void_triples(dataset: Dataset, site: str) -> list[ox.Triple]:
    """The description; ``site`` is the base URL of this server, ending with ``/``."""
    stats = _statistics(dataset)
    classes = stats["classes"]
    properties = stats["properties"]
    sources = stats["sources"]
    assert isinstance(classes, dict) and isinstance(properties, dict)
    assert isinstance(sources, dict)
    graphs = dataset.graphs()
    ds = _n(DATASET_IRI)
    a = RDF_TYPE
    out: list[ox.Triple] = []

    def add(
        s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.BlankNode | ox.Literal
    ) -> None:
        out.append(ox.Triple(s, _n(p), o))

    add(ds, RDF_TYPE.value, _n(VOID + "Dataset"))
    add(ds, RDF_TYPE.value, _n(DCAT + "Dataset"))
    add(ds, DCTERMS + "title", ox.Literal("Shezhire", language="en"))
    add(
        ds,
        DCTERMS + "description",
        ox.Literal(DESCRIPTION, language="en"),
    )
    add(ds, DCTERMS + "license", _n(LICENSE))
    add(ds, DCTERMS + "modified", ox.Literal(_iso(dataset.built), datatype=_n(XSD + "dateTime")))
    add(ds, FOAF + "homepage", _n(site))
    add(ds, DCAT + "landingPage", _n(site))
    add(ds, VOID + "sparqlEndpoint", _n(site + "sparql"))
    add(ds, VOID + "uriSpace", ox.Literal(ID_BASE))
    add(ds, VOID + "exampleResource", _n(ID_BASE + "person/petr-vasilievich-khomutnikov"))
    add(ds, VOID + "vocabulary", _n(SHZ))
    add(ds, VOID + "feature", _n("http://www.w3.org/ns/formats/Turtle"))
    add(ds, VOID + "feature", _n("http://www.w3.org/ns/formats/N-Quads"))
    add(ds, VOID + "triples", _int(sum(graphs.values())))
    add(ds, VOID + "entities", _int(int(str(stats["entities"]))))
    add(ds, VOID + "classes", _int(len(classes)))
    add(ds, VOID + "properties", _int(len(properties)))
    add(ds, VOID + "distinctSubjects", _int(_distinct(dataset, "s")))
    add(ds, VOID + "distinctObjects", _int(_distinct(dataset, "o")))
    for source in sorted(set(sources.values())):
        add(ds, DCTERMS + "source", _n(source))
    for name, media, title in DUMPS:
        add(ds, VOID + "dataDump", _n(site + name))
        dist = ox.BlankNode()
        add(ds, DCAT + "distribution", dist)
        add(dist, a.value, _n(DCAT + "Distribution"))
        add(dist, DCTERMS + "title", ox.Literal(title, language="en"))
        add(dist, DCAT + "downloadURL", _n(site + name))
        add(dist, DCAT + "accessURL", _n(site + name))
        add(dist, DCAT + "mediaType", _n("https://www.iana.org/assignments/media-types/" + media))
        add(dist, DCTERMS + "format", ox.Literal(media))
        add(dist, DCTERMS + "license", _n(LICENSE))
    service = ox.BlankNode()
    add(ds, DCAT + "distribution", service)
    add(service, a.value, _n(DCAT + "Distribution"))
    add(service, DCTERMS + "title", ox.Literal("SPARQL 1.1 endpoint", language="en"))
    add(service, DCAT + "accessURL", _n(site + "sparql"))
    add(service, DCTERMS + "license", _n(LICENSE))
    for cls, count in classes.items():
        part = ox.BlankNode()
        add(ds, VOID + "classPartition", part)
        add(part, VOID + "class", _n(cls))
        add(part, VOID + "entities", _int(int(count)))
    for prop, count in properties.items():
        part = ox.BlankNode()
        add(ds, VOID + "propertyPartition", part)
        add(part, VOID + "property", _n(prop))
        add(part, VOID + "triples", _int(int(count)))
    for graph, count in graphs.items():
        if not graph:
            continue
        stem = graph.removeprefix(GRAPH_BASE)
        subset = _n(graph)
        add(ds, VOID + "subset", subset)
        add(subset, a.value, _n(VOID + "Dataset"))
        add(subset, DCTERMS + "title", ox.Literal(f"Named graph {stem}", language="en"))
        add(subset, VOID + "triples", _int(count))
        add(subset, VOID + "dataDump", _n(f"{site}graph/{stem}?format=ttl"))
        add(subset, DCTERMS + "license", _n(LICENSE))
        if graph in sources:
            add(subset, DCTERMS + "source", _n(str(sources[graph])))
    return out


def _distinct(dataset: Dataset, which: str) -> int:
    def make() -> int:
        seen: set[str] = set()
        for quad in dataset.store.quads_for_pattern(None, None, None, None):
            seen.add(str(quad.subject if which == "s" else quad.object))
        return len(seen)

    result = dataset.memo(f"distinct-{which}", make)
    assert isinstance(result, int)
    return result


def _iso(timestamp: float) -> str:
    return (
        datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)
        .replace(microsecond=0)
        .isoformat()
        .replace("+00:00", "Z")
    )
