"""Serializing descriptions, and writing the whole-store dump files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from shezhire.linked_data.graph import PREFIXES, Dataset
from shezhire.linked_data.negotiation import Format


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


def serialize(triples: list[ox.Triple], fmt: Format) -> bytes:
    assert fmt.rdf is not None
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
