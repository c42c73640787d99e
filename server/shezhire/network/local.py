"""Ego networks and paths read from the store around the persons asked about (issue 11).

The HTTP routes never build the whole network. :class:`Neighbourhood` reads, hop by hop, only
the ties around the persons of one request, starting from the bound person in the store's
indexes (``quads_for_pattern``): the facts that name the person (``shz:tieSubject``,
``shz:tieObject``; for the institution layer ``shz:member``, ``shz:organization``,
``shz:agent`` of a participation, ``shz:place``, ``shz:location``), then each fact's own
triples. A request costs what its neighbourhood costs, whatever the size of the graph.

The rows it makes are those of the network's queries (:mod:`shezhire.network.queries`:
``TIES``, ``NODES``, ``CITATIONS``) for those facts only, and they go through the same code
(:func:`shezhire.network.build._edges`, ``_citations``), so nodes, ties, attributes and
evidence are those of the whole-graph implementation (``build_network`` + ``filter_network`` +
``ego_network`` / ``find_paths``); the institution layer (``AFFILIATIONS``, asked only with
``institutions=true``) runs that query itself, restricted to the facts by ``VALUES``.

- Ego network of ``hops``: breadth-first over the ties the filters keep; the persons up to
  ``hops`` away are read (every tie among them touches one of them).
- Paths of at most ``max`` ties between a and b: every such simple path lies within
  ``ceil(max / 2)`` ties of a or ``floor(max / 2)`` of b, so those two balls are read and the
  paths searched in the graph they make. Paths are sorted by length, then labels (as before),
  then IRIs. ``k``: the k first paths in that order (the whole-graph search took whichever
  paths networkx's Yen search met first among paths of the k-th length: the same answer
  whenever there is no tie at the k-th length).
- Order: ego nodes by distance, then IRI; ties by tie key (the whole-graph ``subgraph().copy()``
  gave its nodes in the iteration order of a Python ``set``: one arbitrary order per process).
- Graph attributes: ``source`` as before; ``built_at`` and ``build_seconds``: when the read
  cache of the build was made and how long :func:`warm` took to fill it (the whole service
  fills it when it loads a snapshot); without a cache, the time of the request and 0.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

import networkx as nx
import pyoxigraph as ox

from shezhire.backend.interface import GraphStore
from shezhire.network import queries
from shezhire.network.analysis import MAX_PATHS, Path, _explain_path
from shezhire.network.build import _citations, _edges
from shezhire.network.model import (
    LAYER_KINDS,
    NetworkError,
    NetworkFilter,
    TooLargeError,
    UnknownPersonError,
    expand,
    local_name,
)
from shezhire.network.source import _term_value, solution_rows

SHZ = queries.SHZ
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS_PREF_LABEL = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
OA_EXACT = ox.NamedNode("http://www.w3.org/ns/oa#exact")
Edge = dict[str, Any]
Row = dict[str, str]
Term = ox.NamedNode | ox.BlankNode | ox.Literal


def _p(name: str) -> ox.NamedNode:
    return ox.NamedNode(SHZ + name)


_TIE_CLASSES = (
    ("kin", _p("KinTie"), _p("kinType")),
    ("social", _p("SocialTie"), _p("socialTieType")),
)
# The facts of the institution layer that name a node (the object of these).
_LAYER_BY_OBJECT = ("member", "organization", "place", "location")
_RDFS_LABEL = ox.NamedNode(RDFS + "label")
_RDFS_COMMENT = ox.NamedNode(RDFS + "comment")
# (row variable, predicate) of the optional tie attributes, in the TIES query's order.
_TIE_OPTIONALS = (
    ("mode", _p("epistemicMode")),
    ("certainty", _p("certainty")),
    ("date", _p("date")),
    ("earliest", _p("earliestDate")),
    ("latest", _p("latestDate")),
    ("comment", _RDFS_COMMENT),
)
_CITED_CLASSES = {
    SHZ + name for name in ("KinTie", "SocialTie", "Position", "Event", "Institution")
}


def _values(name: str, iris: Iterable[str]) -> str:
    return f"VALUES ?{name} {{ " + " ".join(f"<{i}>" for i in iris) + " }"


# queries.AFFILIATIONS for given facts: the VALUES first in each branch, before the type test.
_AFFILIATIONS = queries.AFFILIATIONS.replace(
    "{\n    ?fact a shz:", "{\n    %(values)s\n    ?fact a shz:"
)


def _english(value: object) -> bool:
    """LANGMATCHES(LANG(?x), "en")."""
    if not isinstance(value, ox.Literal) or not value.language:
        return False
    lang = value.language.lower()
    return lang == "en" or lang.startswith("en-")


def _product(base: Row, options: list[tuple[str, list[str]]]) -> Iterator[Row]:
    """The rows of ``base`` joined with each OPTIONAL (no value: the variable unbound)."""
    names = [name for name, _ in options]
    choices: list[list[str | None]] = [list(values) or [None] for _, values in options]
    for combo in itertools.product(*choices):
        row = dict(base)
        for name, value in zip(names, combo, strict=True):
            if value is not None:
                row[name] = value
        yield row


class ReadCache:
    """What requests have read of one build (rows of the network's queries, per fact and per
    node), shared by the requests on that build; :func:`warm` fills it ahead of them. Plain
    dicts of strings: a value is computed from the build alone, so two threads that compute
    one at once store the same value."""

    def __init__(self) -> None:
        self.tie_facts: dict[str, list[str]] = {}  # node -> the ties that name it
        self.tie_rows: dict[str, list[Row]] = {}  # tie -> queries.TIES rows
        self.citation_rows: dict[str, list[Row]] = {}  # fact -> queries.CITATIONS rows
        self.nodes: dict[str, dict[str, Any] | None] = {}  # node -> queries.NODES attributes
        # the institution layer, read whole by warm(): fact -> queries.AFFILIATIONS rows,
        # node -> the facts of its layer edges (None until then)
        self.layer_rows: dict[str, list[Row]] = {}
        self.layer_by_node: dict[str, list[str]] | None = None
        self.warmed = False
        # what answers give as the graph's built_at and build_seconds: when the cache was made
        # and how long warm() took (so that two answers to one request are the same bytes)
        self.built_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.build_seconds = 0.0


def warm(store: GraphStore, cache: ReadCache) -> ReadCache:
    """Read every tie, its ends and its evidence into ``cache`` (once per build, in the
    background: requests that come first read what they need themselves)."""
    started = time.perf_counter()
    hood = Neighbourhood(store, cache=cache)
    ends: set[str] = set()
    for predicate in ("tieSubject", "tieObject"):
        for quad in store.quads_for_pattern(None, _p(predicate), None):
            if isinstance(quad.object, ox.NamedNode):
                ends.add(quad.object.value)
    ordered = sorted(ends)
    for start in range(0, len(ordered), 200):
        chunk = ordered[start : start + 200]
        hood.expand(chunk)
        for node in chunk:
            hood.attrs(node)
            hood.cite(hood.edges.get(node, []))
        hood = Neighbourhood(store, cache=cache)  # drop the per-request triples read so far
    layer_rows: dict[str, list[Row]] = defaultdict(list)
    by_node: dict[str, set[str]] = defaultdict(set)
    solutions = store.query(queries.AFFILIATIONS, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    for row in solution_rows(solutions):
        layer_rows[row["fact"]].append(row)
        by_node[row["subject"]].add(row["fact"])
        by_node[row["object"]].add(row["fact"])
    cache.layer_rows = dict(layer_rows)
    cache.layer_by_node = {node: sorted(facts) for node, facts in by_node.items()}
    cache.build_seconds = round(time.perf_counter() - started, 4)
    cache.warmed = True
    return cache


class Neighbourhood:
    """What one request reads of the network around some persons."""

    def __init__(
        self,
        store: GraphStore,
        description: str = "in-memory store",
        cache: ReadCache | None = None,
    ) -> None:
        self.store = store
        self.cache = cache if cache is not None else ReadCache()
        self.description = description
        self.edges: dict[str, list[Edge]] = defaultdict(list)  # node -> its edges
        self.expanded: set[str] = set()
        self.layer = False  # read the institution layer too
        self._edge_ids: set[tuple[str, str, str]] = set()
        self._facts: set[str] = set()
        self._cited: set[str] = set()
        self._sourced: set[str] = set()
        self._read: dict[str, dict[str, list[Term]]] = {}

    # -- the store's triples ------------------------------------------------------------------

    def _props(self, subject: Term) -> dict[str, list[Term]]:
        """Every triple of ``subject`` (one index scan), predicate -> distinct objects."""
        key = str(subject)
        found = self._read.get(key)
        if found is None:
            found = {}
            if isinstance(subject, ox.NamedNode | ox.BlankNode):
                for quad in self.store.quads_for_pattern(subject, None, None):
                    obj = quad.object
                    if isinstance(obj, ox.NamedNode | ox.BlankNode | ox.Literal):
                        values = found.setdefault(quad.predicate.value, [])
                        if obj not in values:
                            values.append(obj)
            self._read[key] = found
        return found

    def _objects(self, subject: Term, predicate: ox.NamedNode) -> list[Term]:
        """Distinct objects over the union of the graphs, in index order."""
        return self._props(subject).get(predicate.value, [])

    def _values_of(self, subject: Term, predicate: ox.NamedNode) -> list[str]:
        return [_term_value(o) for o in self._objects(subject, predicate)]

    def _english_of(self, subject: Term, predicate: ox.NamedNode) -> list[str]:
        return [_term_value(o) for o in self._objects(subject, predicate) if _english(o)]

    def _has(self, subject: Term, predicate: ox.NamedNode, obj: Term) -> bool:
        return obj in self._objects(subject, predicate)

    def _subjects(self, predicate: ox.NamedNode, obj: Term) -> list[str]:
        return sorted(
            {
                q.subject.value
                for q in self.store.quads_for_pattern(None, predicate, obj)
                if isinstance(q.subject, ox.NamedNode)
            }
        )

    # -- ties ---------------------------------------------------------------------------------

    def _read_tie_rows(self, fact: str) -> list[Row]:
        """queries.TIES for one fact."""
        node = ox.NamedNode(fact)
        rows: list[Row] = []
        for kind, cls, type_predicate in _TIE_CLASSES:
            if not self._has(node, RDF_TYPE, cls):
                continue
            for tie_type in self._objects(node, type_predicate):
                for subject in self._values_of(node, _p("tieSubject")):
                    for obj in self._values_of(node, _p("tieObject")):
                        base = {
                            "fact": fact,
                            "kind": kind,
                            "type": _term_value(tie_type),
                            "subject": subject,
                            "object": obj,
                        }
                        options = [
                            ("typeLabel", self._english_of(tie_type, SKOS_PREF_LABEL)),
                            ("label", self._english_of(node, _RDFS_LABEL)),
                            *(
                                (name, self._values_of(node, predicate))
                                for name, predicate in _TIE_OPTIONALS
                            ),
                        ]
                        rows.extend(_product(base, options))
        return rows

    def _layer_rows(self, facts: list[str]) -> list[Row]:
        """queries.AFFILIATIONS for these facts."""
        rows: list[Row] = []
        for start in range(0, len(facts), 200):
            text = _AFFILIATIONS % {"values": _values("fact", facts[start : start + 200])}
            solutions = self.store.query(text, use_default_graph_as_union=True)
            assert isinstance(solutions, ox.QuerySolutions)
            rows += solution_rows(solutions)
        return rows

    def _facts_of(self, node: str) -> tuple[list[str], list[str]]:
        """(tie facts, institution-layer facts) that name ``node``."""
        term = ox.NamedNode(node)
        ties = self.cache.tie_facts.get(node)
        if ties is None:
            ties = sorted(
                {*self._subjects(_p("tieSubject"), term), *self._subjects(_p("tieObject"), term)}
            )
            self.cache.tie_facts[node] = ties
        if not self.layer:
            return ties, []
        if self.cache.layer_by_node is not None:
            return ties, self.cache.layer_by_node.get(node, [])
        layer: set[str] = set()
        for name in _LAYER_BY_OBJECT:
            layer.update(self._subjects(_p(name), term))
        for part in self._subjects(_p("agent"), term):
            layer.update(self._subjects(_p("participation"), ox.NamedNode(part)))
        if self._objects(term, _p("location")):
            layer.add(node)
        return ties, sorted(layer)

    def expand(self, nodes: Iterable[str]) -> None:
        """Read every edge of ``nodes`` (citations later, for the answer only)."""
        todo = sorted(set(nodes) - self.expanded)
        if not todo:
            return
        self.expanded.update(todo)
        tie_facts: set[str] = set()
        layer_facts: set[str] = set()
        for node in todo:
            ties, layer = self._facts_of(node)
            tie_facts.update(ties)
            layer_facts.update(layer)
        rows: list[Row] = []
        for fact in sorted(tie_facts - self._facts):
            found = self.cache.tie_rows.get(fact)
            if found is None:
                found = self.cache.tie_rows[fact] = self._read_tie_rows(fact)
            rows += found
        new_layer = sorted(layer_facts - self._facts)
        if new_layer and self.cache.layer_by_node is not None:
            for fact in new_layer:
                rows += self.cache.layer_rows.get(fact, [])
        elif new_layer:
            rows += self._layer_rows(new_layer)
        self._facts |= tie_facts | layer_facts
        for edge in _edges(rows, {}):
            ident = (edge["key"], edge["subject"], edge["object"])
            if ident in self._edge_ids:
                continue
            self._edge_ids.add(ident)
            edge["rank"] = ident
            self.edges[edge["subject"]].append(edge)
            if edge["object"] != edge["subject"]:
                self.edges[edge["object"]].append(edge)

    # -- nodes --------------------------------------------------------------------------------

    def _node_row(self, node: str) -> dict[str, Any] | None:
        """queries.NODES for one node (None: neither person, institution nor place)."""
        nodes = self.cache.nodes
        if node in nodes:
            return nodes[node]
        term = ox.NamedNode(node) if not node.startswith("_:") else None
        attrs: dict[str, Any] | None = None
        if term is not None:
            types = {t.value for t in self._objects(term, RDF_TYPE) if isinstance(t, ox.NamedNode)}
            kind = next(
                (
                    k
                    for k, c in (
                        ("person", "Person"),
                        ("institution", "Institution"),
                        ("place", "Place"),
                    )
                    if SHZ + c in types
                ),
                None,
            )
            if kind is not None:
                labels = self._english_of(term, _RDFS_LABEL)
                attrs = {
                    "label": labels[0] if labels else "",
                    "kind": kind,
                    "pseudonym": kind == "person" and SHZ + "EditorialPseudonym" in types,
                    "unnamed": kind == "person"
                    and any(v in ("true", "1") for v in self._values_of(term, _p("unnamed"))),
                    "bipartite": 0 if kind == "person" else 1,
                }
        nodes[node] = attrs
        return attrs

    def attrs(self, node: str) -> dict[str, Any]:
        """The node's attributes in the whole network (as ``build_network`` sets them)."""
        found = self._node_row(node)
        if found is None:  # no type: the kind its first edge gives it
            if not self.layer:  # the first edge may be one of the layer
                self.layer = True
                self.expanded.discard(node)
                self.expand([node])
            first = min(self.edges[node], key=lambda e: e["rank"])
            found = {
                "label": "",
                "kind": "person" if first["kind"] not in LAYER_KINDS else "place",
                "pseudonym": False,
                "unnamed": False,
                "bipartite": 0,
            }
        return {**found, "label": found["label"] or local_name(node)}

    def exists(self, node: str) -> bool:
        """A node of the whole network: it has an edge (a tie, or one of the layer)."""
        self.expand([node])
        if self.edges.get(node):
            return True
        if not self.layer:
            self.layer = True
            self.expanded.discard(node)
            self.expand([node])
            self.layer = False
        return bool(self.edges.get(node))

    # -- evidence -----------------------------------------------------------------------------

    def _read_citation_rows(self, fact: str) -> list[Row]:
        """queries.CITATIONS for one fact."""
        node = ox.NamedNode(fact)
        types = {t.value for t in self._objects(node, RDF_TYPE) if isinstance(t, ox.NamedNode)}
        if not types & _CITED_CLASSES:
            return []
        rows: list[Row] = []
        for citation in self._objects(node, _p("citation")):
            if not isinstance(citation, ox.NamedNode | ox.BlankNode):
                continue
            pub_rows: list[Row] = []
            for publication in self._objects(citation, _p("publication")):
                labels = (
                    self._english_of(publication, _RDFS_LABEL)
                    if isinstance(publication, ox.NamedNode | ox.BlankNode)
                    else []
                )
                pub_rows += _product(
                    {"publication": _term_value(publication)}, [("publicationLabel", labels)]
                )
            ref_rows: list[Row] = []
            for reference in self._objects(citation, _p("archivalReference")):
                ref_options: list[tuple[str, list[str]]] = []
                if isinstance(reference, ox.NamedNode | ox.BlankNode):
                    ref_options = [
                        ("printed", self._values_of(reference, _p("printedCitation"))),
                        ("folios", self._values_of(reference, _p("folios"))),
                    ]
                    item_rows: list[Row] = []
                    for item in self._objects(reference, _p("refersTo")):
                        labels = (
                            self._english_of(item, _RDFS_LABEL)
                            if isinstance(item, ox.NamedNode | ox.BlankNode)
                            else []
                        )
                        item_rows += _product({"item": _term_value(item)}, [("itemLabel", labels)])
                else:
                    item_rows = []
                for partial in _product({"reference": _term_value(reference)}, ref_options):
                    for item_row in item_rows or [{}]:
                        ref_rows.append({**partial, **item_row})
            base = {"fact": fact, "citation": _term_value(citation)}
            singles = [
                ("footnote", self._values_of(citation, _p("footnote"))),
                ("page", self._values_of(citation, _p("page"))),
                ("section", self._values_of(citation, _p("section"))),
                ("quote", self._values_of(citation, OA_EXACT)),
            ]
            for pub in pub_rows or [{}]:
                for ref in ref_rows or [{}]:
                    rows.extend(_product({**base, **pub, **ref}, singles))
        return rows

    def cite(self, edges: Iterable[Edge]) -> None:
        """Fill ``citations`` and ``sources`` of these edges."""
        edges = list(edges)
        wanted = sorted({e["tie"] for e in edges} - self._cited)
        self._cited.update(wanted)
        rows: list[Row] = []
        for fact in wanted:
            found = self.cache.citation_rows.get(fact)
            if found is None:
                found = self.cache.citation_rows[fact] = self._read_citation_rows(fact)
            rows += found
        citations = _citations(rows)
        for edge in edges:
            if edge["tie"] in citations and not edge["citations"]:
                cited = citations[edge["tie"]]
                edge["citations"] = cited
                edge["sources"] = sorted({c["publication"] for c in cited if c["publication"]})

    def _sources(self, edges: list[Edge]) -> None:
        """``sources`` only (what a source filter reads), from the same rows as citations."""
        todo = [e for e in edges if e["tie"] not in self._sourced]
        for edge in todo:
            self._sourced.add(edge["tie"])
        self.cite(todo)

    # -- the filtered view --------------------------------------------------------------------

    def kept(self, node: str, filters: NetworkFilter) -> list[Edge]:
        """The edges of an expanded node that the filtered view keeps."""
        edges = self.edges.get(node, [])
        if filters.sources:
            self._sources(edges)
        out = []
        for edge in edges:
            if filters.keeps(edge) and all(
                filters.keeps_node_kind(str(self.attrs(n)["kind"]))
                for n in (edge["subject"], edge["object"])
            ):
                out.append(edge)
        return out

    def ball(
        self, start: str, radius: int, filters: NetworkFilter
    ) -> tuple[dict[str, int], dict[str, list[Edge]]]:
        """Distances (direction ignored) up to ``radius`` in the filtered view, and the kept
        edges of every node within."""
        distance = {start: 0}
        kept: dict[str, list[Edge]] = {}
        frontier = [start]
        for hop in range(radius + 1):
            self.expand(frontier)
            following: list[str] = []
            for node in frontier:
                kept[node] = self.kept(node, filters)
                if hop == radius:
                    continue
                for edge in kept[node]:
                    other = edge["object"] if edge["subject"] == node else edge["subject"]
                    if other not in distance:
                        distance[other] = hop + 1
                        following.append(other)
            frontier = following
        return distance, kept

    def graph_attrs(self, filters: NetworkFilter) -> dict[str, Any]:
        return {
            "source": self.description,
            "built_at": self.cache.built_at,
            "build_seconds": self.cache.build_seconds,
            "filters": filters.as_params(),
        }

    def view(
        self, order: list[str], kept: dict[str, list[Edge]], filters: NetworkFilter
    ) -> nx.MultiDiGraph:
        """The filtered view restricted to the nodes of ``order`` (every kept edge among them,
        with its citations)."""
        chosen = set(order)
        edges = {
            e["rank"]: e
            for n in order
            for e in kept[n]
            if e["subject"] in chosen and e["object"] in chosen
        }
        self.cite(edges.values())
        graph = nx.MultiDiGraph()
        for node in order:
            graph.add_node(node, **self.attrs(node))
        for _rank, edge in sorted(edges.items()):
            data = {k: v for k, v in edge.items() if k not in ("rank", "key")}
            graph.add_edge(edge["subject"], edge["object"], key=edge["key"], **data)
        graph.graph.update(self.graph_attrs(filters))
        return graph


def _open(
    store: GraphStore, description: str, filters: NetworkFilter, cache: ReadCache | None
) -> Neighbourhood:
    hood = Neighbourhood(store, description, cache)
    hood.layer = filters.institutions
    return hood


def _resolve(hood: Neighbourhood, ref: str) -> str:
    iri = expand(ref, "person")
    if not hood.exists(iri):
        raise UnknownPersonError(f"no person {iri} in the network")
    return iri


def ego(
    store: GraphStore,
    person: str,
    hops: int = 2,
    filters: NetworkFilter | None = None,
    *,
    description: str = "in-memory store",
    cache: ReadCache | None = None,
) -> nx.MultiDiGraph:
    """What ``/network/ego`` answers: the ego network of ``person`` in the filtered view (node
    attribute ``distance``), or the person alone when no tie of theirs passes the filters."""
    filters = filters or NetworkFilter()
    hood = _open(store, description, filters, cache)
    center = _resolve(hood, person)
    if hops < 0:
        raise NetworkError("hops must be 0 or more")
    hood.expand([center])
    if not hood.kept(center, filters):  # not in the filtered view
        graph = nx.MultiDiGraph()
        graph.add_node(center, **hood.attrs(center), distance=0)
        attrs = hood.graph_attrs(filters)
        del attrs["filters"]
        graph.graph.update(attrs, center=center, hops=hops)
        return graph
    distance, kept = hood.ball(center, hops, filters)
    graph = hood.view(sorted(distance, key=lambda n: (distance[n], n)), kept, filters)
    for node in graph:
        graph.nodes[node]["distance"] = distance[node]
    graph.graph.update(center=center, hops=hops)
    return graph


class PathAnswer(NamedTuple):
    paths: list[Path]
    view: nx.MultiDiGraph  # the filtered view around the paths
    source: str
    target: str
    ends: dict[str, dict[str, Any]]  # attributes of source and target


def paths(
    store: GraphStore,
    source: str,
    target: str,
    max_length: int = 4,
    *,
    k: int | None = None,
    filters: NetworkFilter | None = None,
    limit: int = MAX_PATHS,
    description: str = "in-memory store",
    cache: ReadCache | None = None,
) -> PathAnswer:
    """What ``/network/path`` answers. Errors as :func:`~shezhire.network.analysis.find_paths`."""
    filters = filters or NetworkFilter()
    hood = _open(store, description, filters, cache)
    a, b = _resolve(hood, source), _resolve(hood, target)
    ends = {a: hood.attrs(a), b: hood.attrs(b)}
    if max_length < 1:
        raise NetworkError("the maximum path length must be 1 or more")
    if k is not None and k < 1:
        raise NetworkError("k must be 1 or more")
    empty = nx.MultiDiGraph()
    empty.graph.update(hood.graph_attrs(filters))
    if a == b or not hood.kept(a, filters) or not hood.kept(b, filters):
        return PathAnswer([], empty, a, b, ends)
    near_a, kept = hood.ball(a, (max_length + 1) // 2, filters)
    near_b, kept_b = hood.ball(b, max_length // 2, filters)
    if not set(near_a) & set(near_b):  # a path of at most max ties meets both balls
        return PathAnswer([], empty, a, b, ends)
    kept.update(kept_b)
    within = sorted({*near_a, *near_b})
    view = hood.view(within, kept, filters)
    simple = nx.Graph(view.to_undirected(as_view=True))
    found: list[list[str]] = []
    if k is not None:
        try:
            for nodes in nx.shortest_simple_paths(simple, a, b):
                if len(nodes) - 1 > max_length:
                    break
                if len(found) >= k and len(nodes) > len(found[k - 1]):
                    break  # every path of the k-th length is in: choose among them by labels
                found.append(nodes)
                if len(found) >= max(limit, k):
                    break
        except nx.NetworkXNoPath:
            found = []
    else:
        for nodes in nx.all_simple_paths(simple, a, b, cutoff=max_length):
            found.append(nodes)
            if len(found) > limit:
                raise TooLargeError(
                    f"more than {limit} paths of up to {max_length} steps; "
                    "lower the maximum length or ask for the k shortest"
                )

    def order(nodes: list[str]) -> tuple[int, list[str], list[str]]:
        return len(nodes), [str(view.nodes[n].get("label", n)) for n in nodes], nodes

    found.sort(key=order)
    if k is not None:
        found = found[:k]
    return PathAnswer([_explain_path(view, nodes) for nodes in found], view, a, b, ends)
