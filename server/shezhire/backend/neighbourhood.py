"""A read-through cache of a remote store for one page request: a page in a few round trips.

An entity page or description asks ``quads_for_pattern`` hundreds of times (899 calls for a
person's HTML page at x1), nearly all with a bound subject: the entity, the nodes it owns, its
ties and their citations, the concepts it names. On a remote store each call was one HTTP round
trip. :class:`Neighbourhood` answers the same calls from the quads of whole nodes, fetched a
neighbourhood at a time:

* A pattern that binds a subject IRI S is answered from all the quads with subject S (in the
  published graphs), fetched once; a pattern that binds only an object IRI O, from all the quads
  with object O. Every other pattern (a literal object, no node bound, a blank node) goes to the
  remote as before, so answers are exact.
* The first fetch (the page's entity) brings in the same request S's quads, the quads pointing
  at S, and the quads of S's neighbours: its predicates and IRI objects, and the subjects that
  point at it. Each later miss brings the missed node and a batch of the *frontier*: IRIs whose
  quads are not cached yet that the page is likely to ask for next: those mentioned by a node a
  pattern asked for; the nodes the build owns (citations, quotes, participations:
  ``pipeline.evidence.is_dependent``) that a fetched node points at or is pointed at by; all a
  fetched owned node points at (a citation's publication and archival references); the nodes
  not owned that point at a hub. For owned frontier nodes the quads pointing at them come too.
  Measured at x1: a person's HTML page in 3 fetches (and its 3 SELECTs), its N-Triples in 3,
  where each ``quads_for_pattern`` was a request (57 to 1,410 per page).
* Bounds: every part of a request has a LIMIT, and a part that reaches it is dropped whole (no
  node is ever cached from a cut answer). The missed node's own quads have no limit (the remote
  answers the same rows as a single pattern would); the quads pointing at it are cut at
  ``incoming_cap``, and such a hub (a concept, a publication) is asked pattern by pattern, exactly,
  from then on.

Rows come in the remote's order for each node, filtered locally, so a caller sees what the
remote would have answered for its pattern. The cache lives as long as the object: one per page
request (``linked_data.router``), so a page never reads an older build and memory is bounded by
one page's neighbourhood. It is a :class:`RemoteStore` (the same endpoint, client and published
graphs) whose ``query`` passes through unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pyoxigraph as ox

from shezhire.backend.remote import RemoteStore, RemoteTruncated, Term
from shezhire.pipeline.evidence import is_dependent

# Rows of each part of a batch. Virtuoso as Debian ships it cuts an answer at 10,000 rows (and
# RemoteStore refuses a cut answer), so the parts of one request stay below that together.
INCOMING_CAP = 500
NEIGHBOURS_ROWS = 2500
FRONTIER_ROWS = 2500
# Frontier nodes asked per request (their IRIs travel in the query text).
FRONTIER_NODES = 300
OWNED_NODES = 100


@dataclass
class _Part:
    """One part of a batch: its SPARQL group pattern binding ?s ?p ?o ?g, and its row limit."""

    pattern: str
    limit: int | None


class Neighbourhood(RemoteStore):
    """``remote`` read through a cache of whole nodes; one instance per page request."""

    def __init__(
        self,
        remote: RemoteStore,
        *,
        incoming_cap: int = INCOMING_CAP,
        neighbours_rows: int = NEIGHBOURS_ROWS,
        frontier_nodes: int = FRONTIER_NODES,
        frontier_rows: int = FRONTIER_ROWS,
        owned_nodes: int = OWNED_NODES,
    ) -> None:
        super().__init__(
            remote.query_url,
            union=remote.union,
            traits=remote.traits,
            timeout_s=remote.timeout_s,
            client=remote._client,  # the same connections; closed by its owner
        )
        # The build's graph names as the shared store has them (not rebuilt per page).
        self.names = remote.names
        self.graphs = remote.graphs
        self.incoming_cap = incoming_cap
        self.neighbours_rows = neighbours_rows
        self.frontier_nodes = frontier_nodes
        self.frontier_rows = frontier_rows
        self.owned_nodes = owned_nodes
        # N-Triples form of a node -> every quad with it as subject / as object, remote order.
        self._out: dict[str, list[ox.Quad]] = {}
        self._in: dict[str, list[ox.Quad]] = {}
        self._hubs: set[str] = set()  # more incoming quads than incoming_cap: asked exactly
        self._exact: set[str] = set()  # past the remote's own row cap: asked exactly
        # Nodes whose quads (pointing at them) alone passed a batch's row limit.
        self._big_subjects: set[str] = set()
        self._big_objects: set[str] = set()
        # The frontier: IRIs whose quads are not fetched yet, mentioned by a node a pattern
        # asked for, or owned by (or owning) a node fetched (insertion order: nearest first).
        self._frontier: dict[str, ox.NamedNode] = {}
        # Owned IRIs so mentioned whose quads pointing at them are not fetched yet.
        self._owned_frontier: dict[str, ox.NamedNode] = {}
        self._asked_out: set[str] = set()  # nodes whose mentions joined the frontier
        self._asked_in: set[str] = set()

    # -- the pyoxigraph.Store subset ---------------------------------------------------------

    def quads_for_pattern(
        self,
        subject: ox.NamedNode | ox.BlankNode | None,
        predicate: ox.NamedNode | None,
        object: Term | None,
        graph_name: ox.NamedNode | ox.DefaultGraph | None = None,
    ) -> Iterator[ox.Quad]:
        if isinstance(graph_name, ox.DefaultGraph) or (
            graph_name is not None and graph_name.value not in self.graphs
        ):
            return iter(())  # what the remote answers, without asking it
        if isinstance(subject, ox.BlankNode) or isinstance(object, ox.BlankNode):
            # A blank node's label is not the remote's: it answers nothing, without a request.
            return super().quads_for_pattern(subject, predicate, object, graph_name)
        quads: list[ox.Quad] | None = None
        if isinstance(subject, ox.NamedNode):
            quads = self._subject(subject)
        elif subject is None and isinstance(object, ox.NamedNode):
            quads = self._object(object)
        if quads is None:
            answer = super().quads_for_pattern(subject, predicate, object, graph_name)
            if subject is None and isinstance(object, ox.NamedNode):
                return self._pointing(answer)
            return answer
        return (
            q
            for q in quads
            if (predicate is None or q.predicate == predicate)
            and (object is None or q.object == object)
            and (graph_name is None or q.graph_name == graph_name)
        )

    # -- the cache ----------------------------------------------------------------------------

    def _pointing(self, answer: Iterator[ox.Quad]) -> Iterator[ox.Quad]:
        """A hub's quads, asked exactly: the nodes pointing at it that the build does not own
        (the resources a page lists and describes) join the frontier as they are read."""
        for quad in answer:
            subject = quad.subject
            if isinstance(subject, ox.NamedNode) and not is_dependent(subject.value):
                self._mention(subject)
            yield quad

    def _subject(self, node: ox.NamedNode) -> list[ox.Quad] | None:
        """Every quad of ``node`` as subject; None when it is asked pattern by pattern."""
        key = str(node)
        if key not in self._out and key not in self._exact:
            self._fetch(node, incoming=not self._out, outgoing=True)
        found = self._out.get(key)
        if found is not None and key not in self._asked_out:
            self._asked_out.add(key)
            for quad in found:  # what the next requests bring in batches
                self._mention(quad.predicate)
                if isinstance(quad.object, ox.NamedNode):
                    self._mention(quad.object)
        return found

    def _object(self, node: ox.NamedNode) -> list[ox.Quad] | None:
        """Every quad pointing at ``node``; None for a hub (asked pattern by pattern)."""
        key = str(node)
        if key not in self._in and key not in self._hubs and key not in self._exact:
            self._fetch(node, incoming=True, outgoing=key not in self._out)
        found = self._in.get(key)
        if found is not None and key not in self._asked_in:
            self._asked_in.add(key)
            for quad in found:
                if isinstance(quad.subject, ox.NamedNode):
                    self._mention(quad.subject)
        return found

    def _fetch(self, node: ox.NamedNode, *, incoming: bool, outgoing: bool) -> None:
        """One request: ``node``'s quads (and those pointing at it), with either its neighbours'
        (the first fetch) or a batch of the frontier's."""
        term = str(node)
        parts: dict[str, _Part] = {}
        if outgoing:
            parts["out"] = _Part(f"BIND({term} AS ?s) GRAPH ?g {{ {term} ?p ?o }}", None)
        if incoming:
            parts["in"] = _Part(
                f"BIND({term} AS ?o) GRAPH ?g {{ ?s ?p {term} }}", self.incoming_cap + 1
            )
        first = not self._out and outgoing and incoming
        subjects: list[ox.NamedNode] = []
        objects: list[ox.NamedNode] = []
        if first:
            # The neighbours' own quads: S's predicates and IRI objects, the subjects at S.
            parts["next"] = _Part(
                f"""{{ SELECT DISTINCT ?s WHERE {{
                        {{ GRAPH ?h {{ {term} ?s ?x }} }} UNION
                        {{ GRAPH ?h {{ {term} ?y ?s }} FILTER(isIRI(?s)) }} }} }}
                    GRAPH ?g {{ ?s ?p ?o }}""",
                self.neighbours_rows + 1,
            )
            parts["prev"] = _Part(
                f"""{{ SELECT DISTINCT ?s WHERE {{ GRAPH ?h {{ ?s ?y {term} }} }}
                       LIMIT {self.incoming_cap + 1} }}
                    GRAPH ?g {{ ?s ?p ?o }}""",
                self.neighbours_rows + 1,
            )
        else:
            subjects, objects = self._frontier_batch(node)
            if subjects:
                parts["front"] = _Part(
                    f"VALUES ?s {{ {' '.join(map(str, subjects))} }} GRAPH ?g {{ ?s ?p ?o }}",
                    self.frontier_rows + 1,
                )
            if objects:
                parts["owners"] = _Part(
                    f"VALUES ?o {{ {' '.join(map(str, objects))} }} GRAPH ?g {{ ?s ?p ?o }}",
                    self.frontier_rows + 1,
                )
        try:
            rows = self._ask(parts)
        except RemoteTruncated:
            # The remote's own row cap is below ours: the node alone; past the cap as well,
            # the node is asked pattern by pattern (as the remote itself would be).
            parts = {name: part for name, part in parts.items() if name in ("out", "in")}
            subjects, objects, first = [], [], False
            try:
                rows = self._ask(parts)
            except RemoteTruncated:
                self._exact.add(term)
                return
        if outgoing:
            own = rows["out"]
            assert own is not None  # no limit
            self._keep_out(node, own)
        if incoming:
            pointing = rows["in"]
            if pointing is None:
                self._hubs.add(term)
            else:
                self._keep_in(node, pointing)
        if first:
            outs = self._out[term]
            following = {str(q.predicate): q.predicate for q in outs} | {
                str(q.object): q.object for q in outs if isinstance(q.object, ox.NamedNode)
            }
            self._keep_groups(following, rows["next"])
            if term in self._in:
                preceding = {
                    str(q.subject): q.subject
                    for q in self._in[term]
                    if isinstance(q.subject, ox.NamedNode)
                }
                self._keep_groups(preceding, rows["prev"])
            return
        if subjects:
            if rows["front"] is None:
                self._shrink(subjects, self._big_subjects, "frontier_nodes")
            else:
                self._keep_groups({str(n): n for n in subjects}, rows["front"])
        if objects:
            owners = rows["owners"]
            if owners is None:
                self._shrink(objects, self._big_objects, "owned_nodes")
            else:
                grouped: dict[str, list[ox.Quad]] = {str(n): [] for n in objects}
                for quad in owners:
                    grouped[str(quad.object)].append(quad)
                for n in objects:
                    self._keep_in(n, grouped[str(n)])

    def _shrink(self, batch: list[ox.NamedNode], big: set[str], size: str) -> None:
        """A batch past its row limit: the next one is half as large; a single node past it
        is left out of batches (it is fetched alone when a pattern needs it)."""
        if len(batch) == 1:
            big.add(str(batch[0]))
        else:
            setattr(self, size, max(1, len(batch) // 2))

    def _frontier_batch(self, node: ox.NamedNode) -> tuple[list[ox.NamedNode], list[ox.NamedNode]]:
        """The frontier nodes to fetch with ``node``: their own quads, and the quads pointing
        at the owned ones (the build's citations, quotes, participations)."""
        key = str(node)
        subjects: list[ox.NamedNode] = []
        for iri, candidate in list(self._frontier.items()):
            if len(subjects) >= self.frontier_nodes:
                break
            if iri in self._out or iri in self._exact:
                del self._frontier[iri]
            elif iri != key and iri not in self._big_subjects:
                subjects.append(candidate)
        objects: list[ox.NamedNode] = []
        for iri, candidate in list(self._owned_frontier.items()):
            if len(objects) >= self.owned_nodes:
                break
            if iri in self._in or iri in self._hubs or iri in self._exact:
                del self._owned_frontier[iri]
            elif iri != key and iri not in self._big_objects:
                objects.append(candidate)
        return subjects, objects

    def _ask(self, parts: dict[str, _Part]) -> dict[str, list[ox.Quad] | None]:
        """One SELECT of every part (a UNION, each row tagged with its part's name): each
        part's quads in the published graphs, or None for a part that reached its limit (rows
        of other graphs that the engine is left to return count: the limit cuts the remote's answer,
        before they are dropped; RemoteStore.graph_filter keeps them out inside each part)."""
        branches = []
        keep = self.graph_filter("?g")  # inside each part: its LIMIT counts kept rows
        for name, part in parts.items():
            limit = f" LIMIT {part.limit}" if part.limit is not None else ""
            branches.append(
                f"{{ {{ SELECT ?s ?p ?o ?g WHERE {{ {part.pattern} {keep} }}{limit} }} "
                f'BIND("{name}" AS ?k) }}'
            )
        text = "SELECT ?k ?s ?p ?o ?g WHERE {\n" + "\nUNION\n".join(branches) + "\n}"
        answer = self.select_quads(text)
        assert isinstance(answer, ox.QuerySolutions)
        rows: dict[str, list[ox.Quad]] = {name: [] for name in parts}
        counts = dict.fromkeys(parts, 0)
        for row in answer:
            k, s, p, o, g = row["k"], row["s"], row["p"], row["o"], row["g"]
            if not isinstance(k, ox.Literal) or k.value not in rows:
                continue
            counts[k.value] += 1
            if not isinstance(g, ox.NamedNode) or g.value not in self.graphs:
                continue  # quads of graphs not published are never returned
            assert isinstance(s, ox.NamedNode | ox.BlankNode) and isinstance(p, ox.NamedNode)
            assert isinstance(o, ox.NamedNode | ox.BlankNode | ox.Literal)
            rows[k.value].append(ox.Quad(s, p, o, g))
        return {
            name: None if part.limit is not None and counts[name] >= part.limit else rows[name]
            for name, part in parts.items()
        }

    def _keep_out(self, node: ox.NamedNode, quads: list[ox.Quad]) -> None:
        """``node``'s quads; the nodes it owns, or all it points to if it is owned itself,
        join the frontier (a page shows them with it)."""
        self._out[str(node)] = quads
        self._frontier.pop(str(node), None)
        owned = is_dependent(node.value)
        for quad in quads:
            if isinstance(quad.object, ox.NamedNode) and (owned or is_dependent(quad.object.value)):
                self._mention(quad.object)

    def _keep_in(self, node: ox.NamedNode, quads: list[ox.Quad]) -> None:
        """The quads pointing at ``node``; its owners if it is owned, or the nodes pointing
        at it that are owned, join the frontier."""
        self._in[str(node)] = quads
        self._owned_frontier.pop(str(node), None)
        owned = is_dependent(node.value)
        for quad in quads:
            if isinstance(quad.subject, ox.NamedNode) and (
                owned or is_dependent(quad.subject.value)
            ):
                self._mention(quad.subject)

    def _keep_groups(self, nodes: dict[str, ox.NamedNode], quads: list[ox.Quad] | None) -> None:
        """The quads of ``nodes`` (every quad of each, in one part's answer); a part that
        reached its limit (None) may have cut a node's quads, so none of it is kept."""
        if quads is None:
            return
        grouped: dict[str, list[ox.Quad]] = {key: [] for key in nodes if key not in self._out}
        for quad in quads:
            bucket = grouped.get(str(quad.subject))
            if bucket is not None:
                bucket.append(quad)
        for key, found in grouped.items():
            self._keep_out(nodes[key], found)

    def _mention(self, node: ox.NamedNode) -> None:
        key = str(node)
        if key not in self._out:
            self._frontier.setdefault(key, node)
        if key not in self._in and is_dependent(node.value):
            self._owned_frontier.setdefault(key, node)
