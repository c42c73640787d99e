"""Validate what a change can affect, not everything: the gate's incremental rule.

SHACL validates focus nodes, and what it reads about a focus node is found by walking from it
along triples (paths, the types of value nodes, the class hierarchy). Files are the unit here:

* **Shared terms** are the IRIs the ontology files use (classes, properties, SKOS concepts).
  Every other IRI, and every blank-node label, is a *link*: two data files that both use one
  link (as subject or object) are linked, and the *components* are the classes of linked files.
* An IRI a file uses only as the object of ``rdf:type`` (a class from outside the ontology
  files, e.g. ``bibo:Book``) is a *type use*, not a link: what a walk reads about a class is
  where the class is the subject (its ``rdfs:subClassOf``...), so a type use links its file to
  the files that use the IRI otherwise (as a subject or another object), not to every file that
  types a node with it (unless some shape walks ``rdf:type`` backwards: then it is a link).
* A data file is **global** when it could change what is read about a shared term: it has a
  triple whose subject is a shared term, or whose object is a shared term and whose predicate
  is walked backwards by some shape (``sh:inversePath``).
* A walk from a focus node then reads only triples of its own component, of the ontology and of
  the global files: a triple is reached through a node it contains, which is a link (so the
  file is in the component) or a shared term (whose triples as subject, and as object under an
  inverse path, are in the ontology or a global file). So the results of the whole graph are
  the union of the results of each component validated with the ontology and the global files.
* A SPARQL-based constraint (``sh:sparql`` with ``sh:select``) is such a walk when its query
  is (:func:`sparql_reach`): every triple pattern, in the main pattern or in a FILTER (NOT)
  EXISTS, is reached from ``$this`` through a variable bound by an earlier one, forwards (the
  reached node is the subject) or backwards (the reached node is the object: the predicate then
  counts as walked backwards, like ``sh:inversePath``); predicates are IRIs, ``$PATH`` (an IRI
  path) or sequences and inverses of IRIs; no GRAPH, SERVICE or sub-query. Any other query, and
  ``sh:ask``, custom targets, JavaScript and rules, make the validation full.
* Evidence named by the build (pipeline/evidence.py) is linked as its owner is: a citation's
  IRI derives from its fact's IRI, which the file that holds the citation uses, so every
  citation of one fact (and so their numbering) is in the fact's component. The links are
  taken after the naming, so a data file that writes a derived IRI itself is linked to the file
  whose evidence gets it.

The state beside the store (``<store>.gate.json``) records the last data that passed the gate:
each data file's content hash, each file's links (hashed) and whether it is global, and a
context digest (engine, engine version, shapes, ontology, this code). A new validation is full
when there is no state, the context differs, a global file was added, changed or removed, or the
shapes use anything this rule does not cover (SPARQL queries that are no walk from ``$this``,
custom targets). Otherwise it
validates, with the ontology and the global files, every component of the new data that holds a
new or changed file or a file linked to the old version of a changed or removed file; every other
component is unchanged file for file, was linked to nothing that changed, and passed before.
Nothing changed: nothing to validate. The state is written only after the gate passes.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from shezhire.pipeline.sources import InputFile, InputKind

_VERSION = 3
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_SH = "http://www.w3.org/ns/shacl#"
# Shape features whose reach this rule does not bound: any of them means full validation.
# (``sh:sparql`` constraints with ``sh:select`` are read by :func:`sparql_reach`.)
_UNBOUNDED = tuple(
    ox.NamedNode(_SH + name) for name in ("target", "ask", "js", "jsFunctionName", "rule")
)
# Algebra nodes of a query that read beyond the default graph or run another query.
_UNREAD = {"Graph", "GraphGraphPattern", "ServiceGraphPattern", "Service", "SubSelect"}


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _key(term: object) -> str:
    return hashlib.blake2b(str(term).encode(), digest_size=8).hexdigest()


def term_key(term: object) -> str:
    """The key of a term (an IRI or blank node as N-Triples text), as the links record it."""
    return _key(term)


@dataclass
class FileLinks:
    keys: list[str]
    is_global: bool
    type_keys: list[str] = field(default_factory=list)  # type uses (see above)


@dataclass
class Context:
    """What the shapes and the ontology contribute to the rule, and the digest of both."""

    digest: str
    shared: set[str]  # IRIs of the ontology files
    inverse: set[str]  # predicates some shape walks backwards
    bounded: bool  # False: the shapes use something the rule does not cover


def context(store: ox.Store, items: list[InputFile], engine: str, code: str) -> Context:
    digest = hashlib.sha256(f"{_VERSION} {engine} {code}".encode())
    shared: set[str] = set()
    inverse: set[str] = set()
    bounded = True
    for item in items:
        if item.kind is InputKind.DATA:
            continue
        digest.update(item.path.name.encode() + item.kind.value.encode())
        digest.update(file_hash(item.path).encode())
        graph = ox.NamedNode(item.graph_iri)
        if item.kind is InputKind.ONTOLOGY:
            for q in store.quads_for_pattern(None, None, None, graph):
                for term in (q.subject, q.object):
                    if isinstance(term, ox.NamedNode):
                        shared.add(term.value)
        else:
            for q in store.quads_for_pattern(None, ox.NamedNode(_SH + "inversePath"), None, graph):
                if isinstance(q.object, ox.NamedNode):
                    inverse.add(q.object.value)
                else:  # a complex path walked backwards: its predicates are not listed here
                    bounded = False
            for backwards in sparql_reach(store, graph):
                if backwards is None:
                    bounded = False
                else:
                    inverse |= backwards
            if any(
                next(iter(store.quads_for_pattern(None, p, None, graph)), None) is not None
                for p in _UNBOUNDED
            ):
                bounded = False
    return Context(digest.hexdigest(), shared, inverse, bounded)


def _prefixes(store: ox.Store, graph: ox.NamedNode) -> str:
    """PREFIX lines of every ``sh:declare`` in the shapes graph (what ``sh:prefixes`` names)."""
    lines = []
    for declared in store.quads_for_pattern(None, ox.NamedNode(_SH + "declare"), None, graph):
        node = declared.object
        if not isinstance(node, ox.NamedNode | ox.BlankNode):
            continue
        prefix = [
            q.object for q in store.quads_for_pattern(node, ox.NamedNode(_SH + "prefix"), None)
        ]
        space = [
            q.object for q in store.quads_for_pattern(node, ox.NamedNode(_SH + "namespace"), None)
        ]
        if prefix and space:
            lines.append(
                f"PREFIX {getattr(prefix[0], 'value', '')}: <{getattr(space[0], 'value', '')}>"
            )
    return "\n".join(sorted(set(lines)))


def sparql_reach(store: ox.Store, graph: ox.NamedNode) -> list[set[str] | None]:
    """For each SPARQL-based constraint of the shapes `graph`: the predicates its query walks
    backwards, or None when the query is not a walk from ``$this`` (see the module docstring).
    """
    from rdflib.paths import InvPath, SequencePath  # noqa: PLC0415 - only with sh:sparql
    from rdflib.plugins.sparql import prepareQuery  # noqa: PLC0415
    from rdflib.plugins.sparql.parserutils import CompValue  # noqa: PLC0415
    from rdflib.term import URIRef, Variable  # noqa: PLC0415

    found: list[set[str] | None] = []
    prefixes = _prefixes(store, graph)
    for constraint in store.quads_for_pattern(None, ox.NamedNode(_SH + "sparql"), None, graph):
        node = constraint.object
        selects = (
            [
                q.object
                for q in store.quads_for_pattern(node, ox.NamedNode(_SH + "select"), None, graph)
            ]
            if isinstance(node, ox.NamedNode | ox.BlankNode)
            else []
        )
        paths = [
            q.object
            for q in store.quads_for_pattern(
                constraint.subject, ox.NamedNode(_SH + "path"), None, graph
            )
        ]
        if len(selects) != 1 or len(paths) > 1 or not isinstance(selects[0], ox.Literal):
            found.append(None)
            continue
        path = paths[0] if paths else None
        if path is not None and not isinstance(path, ox.NamedNode):
            found.append(None)
            continue
        try:
            algebra = prepareQuery(prefixes + "\n" + selects[0].value).algebra
        except Exception:  # a query this rule cannot read: validate in full
            found.append(None)
            continue
        triples: list[tuple[object, object, object]] = []
        unread = False
        todo: list[object] = [algebra]
        while todo:
            item = todo.pop()
            if isinstance(item, CompValue):
                if item.name in _UNREAD or (item.name == "SelectQuery" and item is not algebra):
                    unread = True
                if item.name in ("BGP", "TriplesBlock"):
                    for block in item.get("triples") or []:
                        # A parsed block lists its terms flat (s p o s p o ...).
                        terms = list(block)
                        if len(terms) % 3:
                            unread = True
                        triples.extend(
                            (terms[i], terms[i + 1], terms[i + 2])
                            for i in range(0, len(terms) - 2, 3)
                        )
                todo.extend(item.values())
            elif isinstance(item, list | tuple | set):
                todo.extend(item)
        # Each pattern: (from, to, predicates) when walked forwards from `from`.
        steps: list[tuple[object, object, list[str] | None, list[str] | None]] = []
        for s, p, o in triples:
            forward: list[str] | None = None  # the IRIs walked forwards, backwards
            backward: list[str] | None = None
            if isinstance(p, Variable) and str(p) == "PATH" and path is not None:
                forward, backward = [path.value], []
            elif isinstance(p, URIRef):
                forward, backward = [str(p)], []
            elif isinstance(p, InvPath) and isinstance(p.arg, URIRef):
                forward, backward = [], [str(p.arg)]
            elif isinstance(p, SequencePath) and all(isinstance(a, URIRef) for a in p.args):
                forward, backward = [str(a) for a in p.args], []
            steps.append((s, o, forward, backward))
        if unread or any(f is None for _s, _o, f, _b in steps):
            found.append(None)
            continue
        reached: set[object] = {Variable("this")}
        backwards: set[str] = set()
        pending = list(steps)
        progress = True
        while pending and progress:
            progress = False
            for step in list(pending):
                s, o, forward, backward = step
                if isinstance(s, Variable) and s in reached:
                    backwards.update(backward or [])
                    if isinstance(o, Variable):
                        reached.add(o)
                elif isinstance(o, Variable) and o in reached and isinstance(s, Variable):
                    # Walked from the object: every predicate is read backwards.
                    backwards.update(forward or [])
                    backwards.update(backward or [])
                    reached.add(s)
                else:
                    continue
                pending.remove(step)
                progress = True
        found.append(None if pending else backwards)
    return found


def _rows(store: ox.Store, query: str) -> list[list[str]]:
    """The rows of a SELECT as N-Triples terms, serialized in Rust (no object per term)."""
    solutions = store.query(query)
    assert isinstance(solutions, ox.QuerySolutions)
    text = (solutions.serialize(format=ox.QueryResultsFormat.TSV) or b"").decode()
    return [line.split("\t") for line in text.split("\n")[1:] if line]


def links_of_all(store: ox.Store, graph_iris: list[str], ctx: Context) -> dict[str, FileLinks]:
    """The links of each of the staged data graphs `graph_iris`, and whether it is global.

    A few SELECT DISTINCT queries serialized as TSV: a term is compared and hashed as its
    N-Triples text (what :func:`_key` hashes), never built as a Python object per quad.
    """
    if not graph_iris:
        return {}
    values = "VALUES ?g { " + " ".join(f"<{g}>" for g in graph_iris) + " }"
    shared = {f"<{iri}>" for iri in ctx.shared}
    regular: dict[str, set[str]] = {g: set() for g in graph_iris}
    typed: dict[str, set[str]] = {g: set() for g in graph_iris}
    is_global = dict.fromkeys(graph_iris, False)
    type_is_link = _RDF_TYPE in ctx.inverse
    for graph_term, node in _rows(
        store, f"SELECT DISTINCT ?g ?n WHERE {{ {values} GRAPH ?g {{ ?n ?p ?o }} }}"
    ):
        graph = graph_term[1:-1]
        if node in shared:
            is_global[graph] = True
        else:
            regular[graph].add(node)
    for graph_term, predicate, node in _rows(
        store,
        f"SELECT DISTINCT ?g ?p ?n WHERE {{ {values} GRAPH ?g {{ ?s ?p ?n }} "
        "FILTER(!isLiteral(?n)) }",
    ):
        graph = graph_term[1:-1]
        if node in shared:
            if predicate[1:-1] in ctx.inverse:
                is_global[graph] = True
        elif predicate[1:-1] == _RDF_TYPE and not type_is_link:
            typed[graph].add(node)
        else:
            regular[graph].add(node)
    return {
        g: FileLinks(
            sorted({_key(n) for n in regular[g]}),
            is_global[g],
            sorted({_key(n) for n in typed[g] - regular[g]}),
        )
        for g in graph_iris
    }


def links_of(store: ox.Store, graph_iri: str, ctx: Context) -> FileLinks:
    """The links of one staged data file, and whether it is global."""
    return links_of_all(store, [graph_iri], ctx)[graph_iri]


@dataclass
class State:
    """The data that last passed the gate under one context."""

    context: str = ""
    files: dict[str, str] = field(default_factory=dict)  # graph IRI -> content hash
    links: dict[str, FileLinks] = field(default_factory=dict)  # content hash -> links

    @classmethod
    def load(cls, path: Path) -> State:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("version") != _VERSION:
                return cls()
            return cls(
                raw["context"],
                dict(raw["files"]),
                {
                    h: FileLinks(v["keys"], v["global"], v.get("types", []))
                    for h, v in raw["links"].items()
                },
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return cls()

    def save(self, path: Path) -> None:
        """Atomically; a state that cannot be written only costs the next build a full run."""
        raw = {
            "version": _VERSION,
            "context": self.context,
            "files": self.files,
            "links": {
                h: {"keys": v.keys, "global": v.is_global, "types": v.type_keys}
                for h, v in self.links.items()
            },
        }
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps(raw, separators=(",", ":")), encoding="utf-8")
            os.replace(temporary, path)
        except OSError:
            temporary.unlink(missing_ok=True)


def components(files: dict[str, FileLinks]) -> list[set[str]]:
    """The classes of linked files (union-find): a shared link, or a type use of a link."""
    parent = {f: f for f in files}

    def find(f: str) -> str:
        while parent[f] != f:
            parent[f] = parent[parent[f]]
            f = parent[f]
        return f

    def union(a: str, b: str) -> None:
        a, b = find(a), find(b)
        if a != b:
            parent[a] = b

    owner: dict[str, str] = {}
    for f, links in files.items():
        for key in links.keys:
            other = owner.setdefault(key, f)
            if other != f:
                union(f, other)
    for f, links in files.items():
        for key in links.type_keys:
            user = owner.get(key)
            if user is not None:
                union(f, user)
    classes: dict[str, set[str]] = {}
    for f in files:
        classes.setdefault(find(f), set()).add(f)
    return list(classes.values())


def closure(old: dict[str, FileLinks], new: dict[str, FileLinks], seeds: set[str]) -> set[str]:
    """The files to redo: `seeds` grown by whole components, old and new, to a fixpoint.

    Every other file is in `old` and `new` alike, and they form whole components of both: what
    a rule over one component reads is the same before and after (see the module docstring).
    """
    old_of = {f: c for c in components(old) for f in c}
    new_of = {f: c for c in components(new) for f in c}
    done: set[str] = set()
    todo = set(seeds)
    while todo:
        f = todo.pop()
        if f in done:
            continue
        done.add(f)
        todo |= (old_of.get(f, set()) | new_of.get(f, set())) - done
    return done


@dataclass
class Plan:
    """Which data graphs to validate (all, or the affected ones plus the global ones)."""

    graphs: list[str]
    full: bool
    reason: str
    new_state: State

    def describe(self, total: int) -> str:
        if self.full:
            return f"full gate: {self.reason}"
        return f"incremental gate, {len(self.graphs)} of {total} data files: {self.reason}"


def plan(
    store: ox.Store,
    data: dict[str, str],
    old: State,
    ctx: Context,
    keep: dict[str, FileLinks] | None = None,
) -> Plan:
    """What to validate of `data` (graph IRI -> content hash), given the last clean `old`.

    The links of a file version come from `keep` or `old` when known, else from the store.
    """
    known = {**old.links, **(keep or {})}
    links = {h: v for h, v in known.items() if h in data.values()}
    missing = {g: h for g, h in data.items() if h not in links}
    for graph, found in links_of_all(store, sorted(missing), ctx).items():
        links[missing[graph]] = found
    new_state = State(ctx.digest, dict(data), links)
    everything = sorted(data)

    def full(reason: str) -> Plan:
        return Plan(everything, True, reason, new_state)

    if not ctx.bounded:
        return full("the shapes use SPARQL that is no walk from $this, or custom targets")
    if not old.context:
        return full("no earlier validation")
    if old.context != ctx.digest:
        return full("the shapes, the ontology or the gate changed")
    changed = {g for g, h in data.items() if old.files.get(g) != h}
    removed = set(old.files) - set(data)
    if not changed and not removed:
        return Plan([], False, "nothing changed", new_state)
    old_versions = [old.files[g] for g in (changed | removed) if g in old.files]
    if any(h not in old.links for h in old_versions):
        return full("no record of an earlier version")
    if any(old.links[h].is_global for h in old_versions) or any(
        links[data[g]].is_global for g in changed
    ):
        return full("a file that describes ontology terms changed")
    touched_keys: set[str] = set()
    touched_types: set[str] = set()
    for h in old_versions:
        touched_keys.update(old.links[h].keys)
        touched_types.update(old.links[h].type_keys)
    per_file = {g: links[h] for g, h in data.items()}

    def touched(g: str) -> bool:  # linked to the old version of a changed or removed file
        return bool(
            touched_keys.intersection(per_file[g].keys)
            or touched_keys.intersection(per_file[g].type_keys)
            or touched_types.intersection(per_file[g].keys)
        )

    affected: set[str] = set()
    for component in components(per_file):
        if component & changed or any(touched(g) for g in component):
            affected |= component
    globals_ = {g for g, v in per_file.items() if v.is_global}
    graphs = sorted(affected | globals_)
    reason = f"{len(changed)} changed, {len(removed)} removed"
    return Plan(graphs, False, reason, new_state)
