"""Scaled trees: the project's data replicated into N disjoint copies that each pass the gate.

Copy 0 is the data as it is. In copy k >= 1 each data file ``<stem>.ttl`` becomes
``<stem>-c<k>.nt`` (its own named graph), every IRI under ``https://w3id.org/shezhire/id/``
gets the suffix ``-c<k>`` (``.../person/aduchi`` -> ``.../person/aduchi-c7``), every blank
node the suffix ``c<k>`` (the parser keeps labels, so copies must not share them), and
literals, vocabulary and ontology IRIs are unchanged. So
copy k references only copy k and the shared ontology: every copy passes the gate on its own.
The ontology and shapes are copied as they are. Nothing is ever written into ``data/ttl``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pyoxigraph as ox

ID_BASE = "https://w3id.org/shezhire/id/"


def _rename(term: Any, suffix: str) -> Any:
    if isinstance(term, ox.NamedNode) and term.value.startswith(ID_BASE):
        return ox.NamedNode(term.value + suffix)
    if isinstance(term, ox.BlankNode):
        # Labels are kept by the parser: two files sharing one would share the node.
        return ox.BlankNode(f"{term.value}c{suffix[2:]}")
    return term


def copy_triples(triples: list[ox.Triple], copy: int) -> list[ox.Triple]:
    """The triples of copy ``copy`` (copy 0: unchanged)."""
    if copy == 0:
        return triples
    suffix = f"-c{copy}"
    return [
        ox.Triple(_rename(t.subject, suffix), t.predicate, _rename(t.object, suffix))
        for t in triples
    ]


def make_tree(source: Path, target: Path, scale: int) -> Path:
    """A tree under ``target`` with ``scale`` disjoint copies of ``source``'s data files."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copytree(source / "ontology", target / "ontology")
    shutil.copytree(source / "shapes", target / "shapes")
    data = target / "data" / "ttl"
    data.mkdir(parents=True)
    for path in sorted((source / "data" / "ttl").glob("*.ttl")):
        shutil.copy2(path, data / path.name)
        if scale == 1:
            continue
        triples = [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]
        for copy in range(1, scale):
            out = data / f"{path.stem}-c{copy}.nt"
            out.write_bytes(
                ox.serialize(copy_triples(triples, copy), format=ox.RdfFormat.N_TRIPLES) or b""
            )
    return target
