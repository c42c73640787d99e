"""Scaled trees: the project's data replicated into N disjoint copies that each pass the gate.

Copy 0 is the data as it is. In copy k >= 1 each data file ``<stem>.ttl`` becomes
``<stem>-c<k>.nt`` (its own named graph), every IRI under ``https://w3id.org/shezhire/id/``
gets the suffix ``-c<k>`` (``.../person/aduchi`` -> ``.../person/aduchi-c7``), and so does
every other IRI a data file uses but the ontology and the shapes do not (an outside page, as a
subject or a non-type object), every blank node the suffix ``c<k>`` (the parser keeps labels,
so copies must not share them); literals, types, vocabulary and ontology IRIs are unchanged. So
copy k references only copy k and the shared ontology: every copy passes the gate on its own.
The ontology and shapes are copied as they are. Nothing is ever written into ``data/ttl``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pyoxigraph as ox

ID_BASE = "https://w3id.org/shezhire/id/"


def _rename(term: Any, suffix: str, keep: frozenset[str] = frozenset()) -> Any:
    if isinstance(term, ox.NamedNode) and (
        term.value.startswith(ID_BASE) or (keep and term.value not in keep)
    ):
        return ox.NamedNode(term.value + suffix)
    if isinstance(term, ox.BlankNode):
        # Labels are kept by the parser: two files sharing one would share the node.
        return ox.BlankNode(f"{term.value}c{suffix[2:]}")
    return term


_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def copy_triples(
    triples: list[ox.Triple], copy: int, keep: frozenset[str] = frozenset()
) -> list[ox.Triple]:
    """The triples of copy ``copy`` (copy 0: unchanged).

    With `keep` (the IRIs of the ontology and the shapes), every other IRI in a subject or a
    non-type object gets the suffix too (an outside page a work names as its ``schema:url``
    would otherwise link the copies); types and predicates never do.
    """
    if copy == 0:
        return triples
    suffix = f"-c{copy}"
    return [
        ox.Triple(
            _rename(t.subject, suffix, keep),
            t.predicate,
            t.object if t.predicate.value == _RDF_TYPE else _rename(t.object, suffix, keep),
        )
        for t in triples
    ]


def _shared_iris(source: Path) -> frozenset[str]:
    """Every IRI the ontology and the shapes files use."""
    found: set[str] = set()
    for folder in ("ontology", "shapes"):
        for path in sorted((source / folder).glob("*.ttl")):
            for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
                found.update(
                    x.value
                    for x in (t.subject, t.predicate, t.object)
                    if isinstance(x, ox.NamedNode)
                )
    return frozenset(found)


def make_tree(source: Path, target: Path, scale: int) -> Path:
    """A tree under ``target`` with ``scale`` disjoint copies of ``source``'s data files."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copytree(source / "ontology", target / "ontology")
    shutil.copytree(source / "shapes", target / "shapes")
    data = target / "data" / "ttl"
    data.mkdir(parents=True)
    keep = _shared_iris(source) if scale > 1 else frozenset()
    for path in sorted((source / "data" / "ttl").glob("*.ttl")):
        shutil.copy2(path, data / path.name)
        if scale == 1:
            continue
        triples = [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]
        for copy in range(1, scale):
            out = data / f"{path.stem}-c{copy}.nt"
            out.write_bytes(
                ox.serialize(copy_triples(triples, copy, keep), format=ox.RdfFormat.N_TRIPLES)
                or b""
            )
    return target
