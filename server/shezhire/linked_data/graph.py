"""What the pages read from one loaded build of the store (a :class:`Dataset`).

The service opens each build once, as a snapshot (:mod:`shezhire.http.snapshot`), and every
route reads that snapshot's store (the published folder opened read-only, or an in-memory
copy). :func:`describe` is the RDF description of a
resource; labels, counts and the build's identity (for ETag and Last-Modified) live here too.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path

import pyoxigraph as ox

from shezhire.backend.interface import GraphStore
from shezhire.backend.location import RemoteTarget
from shezhire.config import BASE_IRI, GRAPH_BASE
from shezhire.pipeline.evidence import is_dependent

SHZ = "https://w3id.org/shezhire/ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
OA = "http://www.w3.org/ns/oa#"
SCHEMA = "https://schema.org/"
DCTERMS = "http://purl.org/dc/terms/"
ID_BASE = BASE_IRI + "id/"
VOCAB_BASE = BASE_IRI + "vocab/"
ONTOLOGY_IRI = BASE_IRI + "ontology"

RDF_TYPE = ox.NamedNode(RDF + "type")
RDFS_LABEL = ox.NamedNode(RDFS + "label")
SKOS_PREF_LABEL = ox.NamedNode(SKOS + "prefLabel")

PREFIXES: dict[str, str] = {
    "shz": SHZ,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "schema": SCHEMA,
    "foaf": "http://xmlns.com/foaf/0.1/",
    "skos": SKOS,
    "oa": OA,
    "dcterms": DCTERMS,
    "bibo": "http://purl.org/ontology/bibo/",
    "cito": "http://purl.org/spar/cito/",
    "qb": "http://purl.org/linked-data/cube#",
    "prov": "http://www.w3.org/ns/prov#",
    "edtf": "http://id.loc.gov/datatypes/edtf/",
    "void": "http://rdfs.org/ns/void#",
    "vann": "http://purl.org/vocab/vann/",
    "rico": "https://www.ica.org/standards/RiC/ontology#",
    "crm": "http://www.cidoc-crm.org/cidoc-crm/",
    "sem": "http://semanticweb.cs.vu.nl/2009/11/sem/",
    "org": "http://www.w3.org/ns/org#",
    "snap": "http://data.snapdrgn.net/ontology/snap#",
    "eli": "http://data.europa.eu/eli/ontology#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "kin": VOCAB_BASE + "kin/",
    "soc": VOCAB_BASE + "soc/",
    "mode": VOCAB_BASE + "mode/",
    "cert": VOCAB_BASE + "cert/",
    "evt": VOCAB_BASE + "evt/",
    "role": VOCAB_BASE + "role/",
    "act": VOCAB_BASE + "act/",
    "itype": VOCAB_BASE + "itype/",
    "ptype": VOCAB_BASE + "ptype/",
    "unit": VOCAB_BASE + "unit/",
    "person": ID_BASE + "person/",
    "tie": ID_BASE + "tie/",
    "event": ID_BASE + "event/",
    "position": ID_BASE + "position/",
    "lact": ID_BASE + "act/",
    "item": ID_BASE + "item/",
    "ref": ID_BASE + "ref/",
    "inst": ID_BASE + "inst/",
    "place": ID_BASE + "place/",
    "work": ID_BASE + "work/",
    "stat": ID_BASE + "stat/",
    "note": ID_BASE + "note/",
    "graph": GRAPH_BASE,
}

# Incoming triples past this many are left out of a description (a vocabulary concept or a
# publication is the object of thousands); blank-node owners are looked up below the limit only.
MAX_INCOMING = 2000
NARY_CLASSES = {SHZ + "KinTie", SHZ + "SocialTie", SHZ + "Event", SHZ + "Position"}
MAX_BLANK_OWNERS = 500


def _referrer_order(quad: ox.Quad) -> tuple[bool, str, str, str]:
    subject = quad.subject
    named = isinstance(subject, ox.NamedNode)
    return (not named, str(subject) if named else "", str(quad.predicate), str(quad.graph_name))


def curie(iri: str) -> str:
    """``shz:Person`` for a known namespace, else the IRI itself."""
    best = ""
    best_prefix = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(best):
            best, best_prefix = namespace, prefix
    if best and len(iri) > len(best):
        return f"{best_prefix}:{iri[len(best) :]}"
    return iri


@dataclass
class Dataset:
    """One build of the store as this process reads it, plus what pages reuse."""

    store: GraphStore
    target: Path | RemoteTarget
    built: float
    build_id: str
    _labels: dict[str, str] | None = field(default=None, repr=False)
    _cache: dict[str, object] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _key_locks: dict[str, threading.RLock] = field(default_factory=dict, repr=False)

    @property
    def etag(self) -> str:
        return f'"{self.build_id}"'

    @property
    def last_modified(self) -> str:
        return formatdate(self.built, usegmt=True)

    def memo(self, key: str, make: object) -> object:
        """A value computed once per build (``make`` is a zero-argument callable).

        One lock per key: while one value is computed (the name index takes seconds at scale),
        a request that needs another one is not held up behind it."""
        with self._lock:
            if key in self._cache:
                return self._cache[key]
            key_lock = self._key_locks.setdefault(key, threading.RLock())
        with key_lock:
            with self._lock:
                if key in self._cache:
                    return self._cache[key]
            assert callable(make)
            value = make()
            with self._lock:
                self._cache[key] = value
            return value

    # -- labels -----------------------------------------------------------------------------

    @property
    def labels(self) -> dict[str, str]:
        """IRI -> its display label: rdfs:label@en, else skos:prefLabel@en, else any label."""
        if self._labels is None:
            ranked: dict[str, tuple[int, str]] = {}
            for predicate, base_rank in ((RDFS_LABEL, 0), (SKOS_PREF_LABEL, 2)):
                for quad in self.store.quads_for_pattern(None, predicate, None, None):
                    subject, value = quad.subject, quad.object
                    if not isinstance(subject, ox.NamedNode) or not isinstance(value, ox.Literal):
                        continue
                    lang = (value.language or "").lower()
                    rank = base_rank + (0 if lang == "en" else 1 if not lang else 4)
                    current = ranked.get(subject.value)
                    if current is None or rank < current[0]:
                        ranked[subject.value] = (rank, value.value)
            self._labels = {iri: label for iri, (_rank, label) in ranked.items()}
        return self._labels

    def label(self, iri: str) -> str:
        """The display label; without one, the slug of our IRIs or a CURIE of others."""
        found = self.labels.get(iri)
        if found:
            return found
        return local_name(iri) if iri.startswith(BASE_IRI) else curie(iri)

    # -- reading ----------------------------------------------------------------------------

    def exists(self, iri: str) -> bool:
        try:
            node = ox.NamedNode(iri)
        except ValueError:  # not an IRI at all (a space, a "<" in the path)
            return False
        for _ in self.store.quads_for_pattern(node, None, None, None):
            return True
        for _ in self.store.quads_for_pattern(None, None, node, None):
            return True
        return False

    def select(self, query: str) -> list[dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]]:
        """Rows of a SELECT over the union of the named graphs, unbound variables left out."""
        solutions = self.store.query(query, prefixes=PREFIXES, use_default_graph_as_union=True)
        assert isinstance(solutions, ox.QuerySolutions)
        names = [v.value for v in solutions.variables]
        rows: list[dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]] = []
        for solution in solutions:
            row: dict[str, ox.NamedNode | ox.BlankNode | ox.Literal] = {}
            for name in names:
                value = solution[name]
                if isinstance(value, ox.NamedNode | ox.BlankNode | ox.Literal):
                    row[name] = value
            rows.append(row)
        return rows

    def count(self, query: str) -> int:
        rows = self.select(query)
        if not rows:
            return 0
        value = rows[0].get("n")
        return int(value.value) if isinstance(value, ox.Literal) else 0

    def graphs(self) -> dict[str, int]:
        """Named graph IRI -> number of quads in it, sorted by IRI."""

        def make() -> dict[str, int]:
            sizes: dict[str, int] = {}
            for quad in self.store.quads_for_pattern(None, None, None, None):
                graph = quad.graph_name
                key = graph.value if isinstance(graph, ox.NamedNode) else ""
                sizes[key] = sizes.get(key, 0) + 1
            return dict(sorted(sizes.items()))

        result = self.memo("graphs", make)
        assert isinstance(result, dict)
        return result

    def graphs_of(self, iri: str) -> list[str]:
        """The named graphs that say something about ``iri`` as a subject."""
        found: set[str] = set()
        for quad in self.store.quads_for_pattern(ox.NamedNode(iri), None, None, None):
            if isinstance(quad.graph_name, ox.NamedNode):
                found.add(quad.graph_name.value)
        return sorted(found)


def local_name(iri: str) -> str:
    for sep in ("#", "/"):
        stripped = iri.rstrip("/")
        if sep in stripped:
            tail = stripped.rsplit(sep, 1)[1]
            if tail:
                return tail
    return iri


# -- the build's identity --------------------------------------------------------------------


def build_identity(store_link: Path, target: Path) -> tuple[float, str]:
    """(build time, a short id) from ``<store>.build.json`` when present, else the directory."""
    info_path = store_link.with_name(store_link.name + ".build.json")
    built = target.stat().st_mtime
    digest = hashlib.sha256(str(target).encode())
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
        if isinstance(info, dict) and Path(str(info.get("target", ""))).resolve() == target:
            built = float(info.get("built", built))
            digest.update(str(info.get("digest", "")).encode())
    except (OSError, ValueError):
        pass
    digest.update(repr(built).encode())
    return built, digest.hexdigest()[:20]


# -- descriptions --------------------------------------------------------------------------------

Term = ox.NamedNode | ox.BlankNode | ox.Literal


def owned(term: object) -> bool:
    """A node that belongs to the resource pointing to it: a blank node, or an IRI the build
    gave one (a citation, its quote, a relayed citation, a participation)."""
    return isinstance(term, ox.BlankNode) or (
        isinstance(term, ox.NamedNode) and is_dependent(term.value)
    )


def _outgoing(store: GraphStore, subject: ox.NamedNode | ox.BlankNode) -> Iterator[ox.Triple]:
    """``subject``'s triples and, recursively, those of the nodes it owns (blank nodes,
    citations, quotes, participations)."""
    pending: list[ox.NamedNode | ox.BlankNode] = [subject]
    visited: set[str] = {str(subject)}
    while pending:
        node = pending.pop()
        for quad in store.quads_for_pattern(node, None, None, None):
            obj = quad.object
            if isinstance(obj, ox.Triple):
                continue
            yield ox.Triple(quad.subject, quad.predicate, obj)
            if owned(obj) and str(obj) not in visited:
                assert isinstance(obj, ox.NamedNode | ox.BlankNode)
                visited.add(str(obj))
                pending.append(obj)


def _owners(
    store: GraphStore, node: ox.NamedNode | ox.BlankNode, depth: int = 3
) -> Iterator[tuple[ox.NamedNode, list[ox.Triple]]]:
    """IRIs that own ``node`` (through up to ``depth`` owned nodes), with the path."""
    for quad in store.quads_for_pattern(None, None, node, None):
        link = ox.Triple(quad.subject, quad.predicate, node)
        if owned(quad.subject):
            if depth > 1:
                assert isinstance(quad.subject, ox.NamedNode | ox.BlankNode)
                for owner, path in _owners(store, quad.subject, depth - 1):
                    yield owner, [*path, link]
        elif isinstance(quad.subject, ox.NamedNode):
            yield quad.subject, [link]


def describe(dataset: Dataset, iri: str) -> list[ox.Triple]:
    """The description of ``iri`` over all named graphs (their union, without duplicates).

    Its own triples and the nodes it owns, recursively (blank nodes, and the citations, quotes
    and participations the build names); the triples of resources that point to it (ties,
    events, positions, acts, references), with the paths through owned nodes that lead to it
    (an event's participation of a person, a fact's citation of a quote); and the labels and
    types of every resource the description mentions, so that a client can show it as it is.
    """
    store = dataset.store
    node = ox.NamedNode(iri)
    triples: dict[str, ox.Triple] = {}

    def add(items: Iterable[ox.Triple]) -> None:
        for triple in items:
            triples.setdefault(str(triple), triple)

    add(_outgoing(store, node))
    referrers: set[str] = set()
    # In one order on every backend (a store's own order is its own, and so are its blank
    # node labels): which MAX_INCOMING a description of a hub keeps must not depend on where
    # the graph is stored. IRIs first; blank-node subjects matter only below MAX_BLANK_OWNERS.
    incoming = sorted(store.quads_for_pattern(None, None, node, None), key=_referrer_order)
    blank_owners = len(incoming) <= MAX_BLANK_OWNERS
    for quad in incoming[:MAX_INCOMING]:
        subject = quad.subject
        if isinstance(subject, ox.NamedNode) and not owned(subject):
            add([ox.Triple(subject, quad.predicate, node)])
            referrers.add(subject.value)
        elif isinstance(subject, ox.NamedNode | ox.BlankNode) and blank_owners:
            for owner, path in _owners(store, subject):
                add(path)
                add(_outgoing(store, subject))
                referrers.add(owner.value)
    # Ties, events and positions that mention the resource come with their own statements
    # (type, subject, object, date, mode, certainty; not their citations) so that a client can
    # read them without a second request.
    for other in sorted(referrers):
        other_node = ox.NamedNode(other)
        kinds = {
            q.object.value
            for q in store.quads_for_pattern(other_node, RDF_TYPE, None, None)
            if isinstance(q.object, ox.NamedNode)
        }
        if kinds & NARY_CLASSES:
            add(
                ox.Triple(q.subject, q.predicate, q.object)
                for q in store.quads_for_pattern(other_node, None, None, None)
                if isinstance(q.object, ox.NamedNode | ox.Literal)
            )
    mentioned: set[str] = set(referrers)
    for triple in list(triples.values()):
        for term in (triple.subject, triple.predicate, triple.object):
            if isinstance(term, ox.NamedNode) and term.value != iri:
                mentioned.add(term.value)
    for other in sorted(mentioned):
        other_node = ox.NamedNode(other)
        for predicate in (RDFS_LABEL, SKOS_PREF_LABEL):
            add(
                ox.Triple(q.subject, q.predicate, q.object)
                for q in store.quads_for_pattern(other_node, predicate, None, None)
            )
        if other in referrers:
            add(
                ox.Triple(q.subject, q.predicate, q.object)
                for q in store.quads_for_pattern(other_node, RDF_TYPE, None, None)
                if isinstance(q.object, ox.NamedNode) and q.object.value.startswith(SHZ)
            )
    return sorted(
        triples.values(),
        key=lambda t: (t.subject != node, str(t.subject), str(t.predicate), str(t.object)),
    )


def graph_document(dataset: Dataset, graph_iri: str) -> list[ox.Triple]:
    """Every triple of one named graph."""
    return [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in dataset.store.quads_for_pattern(None, None, None, ox.NamedNode(graph_iri))
        if not isinstance(q.object, ox.Triple)
    ]
