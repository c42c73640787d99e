"""Validate what a change can affect, not everything: the gate's incremental rule.

SHACL validates focus nodes, and what it reads about a focus node is found by walking from it
along triples (paths, the types of value nodes, the class hierarchy). Files are the unit here:

* **Shared terms** are the IRIs the ontology files use (classes, properties, SKOS concepts).
  Every other IRI, and every blank-node label, is a *link*: two data files that both use one
  link (as subject or object) are linked, and the *components* are the classes of linked files.
* A data file is **global** when it could change what is read about a shared term: it has a
  triple whose subject is a shared term, or whose object is a shared term and whose predicate
  is walked backwards by some shape (``sh:inversePath``).
* A walk from a focus node then reads only triples of its own component, of the ontology and of
  the global files: a triple is reached through a node it contains, which is a link (so the
  file is in the component) or a shared term (whose triples as subject, and as object under an
  inverse path, are in the ontology or a global file). So the results of the whole graph are
  the union of the results of each component validated with the ontology and the global files.

The state beside the store (``<store>.gate.json``) records the last data that passed the gate:
each data file's content hash, each file's links (hashed) and whether it is global, and a
context digest (engine, engine version, shapes, ontology, this code). A new validation is full
when there is no state, the context differs, a global file was added, changed or removed, or the
shapes use anything this rule does not cover (SPARQL constraints or targets). Otherwise it
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

_VERSION = 1
_SH = "http://www.w3.org/ns/shacl#"
# Shape features whose reach this rule does not bound: any of them means full validation.
_UNBOUNDED = tuple(
    ox.NamedNode(_SH + name)
    for name in ("sparql", "target", "select", "ask", "js", "jsFunctionName", "rule")
)


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _key(term: object) -> str:
    return hashlib.blake2b(str(term).encode(), digest_size=8).hexdigest()


@dataclass
class FileLinks:
    keys: list[str]
    is_global: bool


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
            if any(
                next(iter(store.quads_for_pattern(None, p, None, graph)), None) is not None
                for p in _UNBOUNDED
            ):
                bounded = False
    return Context(digest.hexdigest(), shared, inverse, bounded)


def links_of(store: ox.Store, graph_iri: str, ctx: Context) -> FileLinks:
    """The links of one staged data file, and whether it is global."""
    nodes: set[ox.NamedNode | ox.BlankNode] = set()
    is_global = False
    for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph_iri)):
        subject, obj = q.subject, q.object
        if isinstance(subject, ox.NamedNode) and subject.value in ctx.shared:
            is_global = True
        elif isinstance(subject, ox.NamedNode | ox.BlankNode):
            nodes.add(subject)
        if isinstance(obj, ox.NamedNode) and obj.value in ctx.shared:
            if q.predicate.value in ctx.inverse:
                is_global = True
        elif isinstance(obj, ox.NamedNode | ox.BlankNode):
            nodes.add(obj)
    return FileLinks(sorted({_key(node) for node in nodes}), is_global)


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
                {h: FileLinks(v["keys"], v["global"]) for h, v in raw["links"].items()},
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return cls()

    def save(self, path: Path) -> None:
        """Atomically; a state that cannot be written only costs the next build a full run."""
        raw = {
            "version": _VERSION,
            "context": self.context,
            "files": self.files,
            "links": {h: {"keys": v.keys, "global": v.is_global} for h, v in self.links.items()},
        }
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps(raw, separators=(",", ":")), encoding="utf-8")
            os.replace(temporary, path)
        except OSError:
            temporary.unlink(missing_ok=True)


def components(files: dict[str, FileLinks]) -> list[set[str]]:
    """The classes of files linked by a shared link (union-find)."""
    parent = {f: f for f in files}

    def find(f: str) -> str:
        while parent[f] != f:
            parent[f] = parent[parent[f]]
            f = parent[f]
        return f

    owner: dict[str, str] = {}
    for f, links in files.items():
        for key in links.keys:
            other = owner.setdefault(key, f)
            if other != f:
                a, b = find(f), find(other)
                if a != b:
                    parent[a] = b
    classes: dict[str, set[str]] = {}
    for f in files:
        classes.setdefault(find(f), set()).add(f)
    return list(classes.values())


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
) -> Plan:
    """What to validate of `data` (graph IRI -> content hash), given the last clean `old`."""
    links = {h: v for h, v in old.links.items() if h in data.values()}
    for graph, digest in data.items():
        if digest not in links:
            links[digest] = links_of(store, graph, ctx)
    new_state = State(ctx.digest, dict(data), links)
    everything = sorted(data)

    def full(reason: str) -> Plan:
        return Plan(everything, True, reason, new_state)

    if not ctx.bounded:
        return full("the shapes use SPARQL or custom targets")
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
    touched: set[str] = set()
    for h in old_versions:
        touched.update(old.links[h].keys)
    per_file = {g: links[h] for g, h in data.items()}
    affected: set[str] = set()
    for component in components(per_file):
        if component & changed or any(touched.intersection(per_file[g].keys) for g in component):
            affected |= component
    globals_ = {g for g, v in per_file.items() if v.is_global}
    graphs = sorted(affected | globals_)
    reason = f"{len(changed)} changed, {len(removed)} removed"
    return Plan(graphs, False, reason, new_state)
