"""Serializing descriptions, and streaming whole-store dumps in chunks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph as ox

from shezhire.linked_data.graph import PREFIXES, Dataset
from shezhire.linked_data.negotiation import Format

BATCH = 2000  # quads or subjects per chunk of a dump


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


def _drop_prefix_lines(chunk: bytes) -> bytes:
    """A Turtle/TriG chunk after the first: its @prefix lines were already sent."""
    lines = chunk.split(b"\n")
    start = 0
    while start < len(lines) and lines[start].startswith(b"@prefix "):
        start += 1
    return b"\n".join(lines[start:])


def stream_trig(dataset: Dataset) -> Iterator[bytes]:
    """One chunk per named graph (and the default graph, if it holds anything)."""
    first = True
    named = sorted(
        (g for g in dataset.store.named_graphs() if isinstance(g, ox.NamedNode)),
        key=lambda g: g.value,
    )
    graphs: list[ox.NamedNode | ox.DefaultGraph] = [ox.DefaultGraph(), *named]
    for graph in graphs:
        quads = list(dataset.store.quads_for_pattern(None, None, None, graph))
        if not quads:
            continue
        chunk = ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=PREFIXES) or b""
        yield chunk if first else _drop_prefix_lines(chunk)
        first = False


def union_triples(dataset: Dataset) -> list[ox.Triple]:
    """Every distinct triple of the union of the graphs, grouped by subject."""

    def make() -> list[ox.Triple]:
        seen: dict[str, ox.Triple] = {}
        for quad in dataset.store.quads_for_pattern(None, None, None, None):
            if isinstance(quad.object, ox.Triple):
                continue
            triple = ox.Triple(quad.subject, quad.predicate, quad.object)
            seen.setdefault(str(triple), triple)
        return sorted(seen.values(), key=lambda t: str(t.subject))

    result = dataset.memo("union", make)
    assert isinstance(result, list)
    return result


def stream_turtle(dataset: Dataset) -> Iterator[bytes]:
    triples = union_triples(dataset)
    first = True
    start = 0
    while start < len(triples):
        end = min(start + BATCH, len(triples))
        # Keep each subject's triples in one chunk.
        while end < len(triples) and triples[end].subject == triples[end - 1].subject:
            end += 1
        chunk = (
            ox.serialize(triples[start:end], format=ox.RdfFormat.TURTLE, prefixes=PREFIXES) or b""
        )
        yield chunk if first else _drop_prefix_lines(chunk)
        first = False
        start = end
