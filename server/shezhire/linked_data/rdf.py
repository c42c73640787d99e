"""Serializing descriptions, and writing the whole-store dump files."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib

from shezhire.config import packaged_root
from shezhire.linked_data.graph import PREFIXES, Dataset
from shezhire.linked_data.negotiation import JSONLD, Format

# The project's JSON-LD context: a file of the tree (ontology/context.jsonld), served at
# /context.jsonld. The one that comes with the package, whatever tree is served: the terms
# belong to the vocabulary and to this code, not to a copy of the data.
CONTEXT_FILE = packaged_root() / "ontology" / "context.jsonld"
CONTEXT_PATH = "/context.jsonld"


@cache
def context_document() -> bytes:
    return CONTEXT_FILE.read_bytes()


@cache
def jsonld_context() -> dict[str, Any]:
    """The ``@context`` object of ontology/context.jsonld."""
    context = json.loads(context_document())["@context"]
    assert isinstance(context, dict)
    return context


def _used_prefixes(triples: Iterable[ox.Triple | ox.Quad]) -> dict[str, str]:
    """Only the prefixes the data uses (a description of three triples needs few)."""
    used: dict[str, str] = {}
    namespaces = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))
    for triple in triples:
        terms: list[object] = [triple.subject, triple.predicate, triple.object]
        if isinstance(triple.object, ox.Literal):
            terms.append(triple.object.datatype)
        for term in terms:
            if not isinstance(term, ox.NamedNode):
                continue
            for prefix, namespace in namespaces:
                if term.value.startswith(namespace):
                    used[prefix] = namespace
                    break
    return dict(sorted(used.items()))


def compact_jsonld(triples: list[ox.Triple], context_url: str) -> bytes:
    """``triples`` as JSON-LD compacted with the project's context (rdflib's serializer),
    the context referenced by its URL."""
    graph = rdflib.Graph()
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    graph.parse(data=data, format="nt")
    text = graph.serialize(format="json-ld", context=jsonld_context(), auto_compact=True)
    document = json.loads(text)
    if isinstance(document, dict):
        document["@context"] = context_url
    else:  # nothing to compact: an empty list
        document = {"@context": context_url, "@graph": document}
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


def serialize(triples: list[ox.Triple], fmt: Format, context_url: str | None = None) -> bytes:
    """``triples`` in ``fmt``; JSON-LD compacted with the project's context when its URL is
    given."""
    assert fmt.rdf is not None
    if fmt is JSONLD and context_url is not None:
        return compact_jsonld(triples, context_url)
    prefixes = (
        _used_prefixes(triples) if fmt.rdf in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else None
    )
    return ox.serialize(triples, format=fmt.rdf, prefixes=prefixes) or b""


def write_trig(dataset: Dataset, path: Path) -> None:
    """Every named graph (and the default graph) as one TriG file."""
    dataset.store.dump(str(path), ox.RdfFormat.TRIG, prefixes=PREFIXES)


def write_turtle(dataset: Dataset, path: Path) -> None:
    """The union of the graphs as one Turtle file: each distinct triple once, by subject."""
    seen: dict[str, ox.Triple] = {}
    for quad in dataset.store.quads_for_pattern(None, None, None, None):
        if not isinstance(quad.object, ox.Triple):
            triple = ox.Triple(quad.subject, quad.predicate, quad.object)
            seen.setdefault(str(triple), triple)
    triples = sorted(seen.values(), key=lambda t: str(t.subject))
    ox.serialize(triples, str(path), ox.RdfFormat.TURTLE, prefixes=PREFIXES)
