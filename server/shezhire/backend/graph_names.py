"""Published graph IRIs and the stored graphs that hold them in a remote store.

A remote keeps each build in graphs of its own (:mod:`shezhire.backend.manifest`), so what a
reader calls ``https://w3id.org/shezhire/graph/ontology`` is stored under
``https://w3id.org/shezhire/build/<build>/<n>``. :class:`GraphNames` translates both ways:

* into a query's text, every IRI constant that names a published graph (``GRAPH <…>``,
  ``FROM <…>``, a prefixed name, a ``FILTER(?g = …)``) becomes its stored IRI. The constants are
  found by rdflib's own SPARQL tokens (strings, IRIs, blank nodes, variables and prefixed names,
  comments skipped), so an IRI inside a string or a comment is never touched; prefixes and BASE
  are resolved from rdflib's parse. No data triple mentions a graph IRI (the build writes graph
  names only as graph names), so a rewritten constant means the same graph.
* out of an answer, every stored IRI becomes its published one again: in SPARQL XML results
  (``<uri>…</uri>`` elements, where a literal's text cannot hold that markup) and in triples.

What stays visible is only what a query computes from a graph's name as a string: ``STR(?g)``
gives the stored IRI (the README says so).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

import pyoxigraph as ox

from shezhire.http import query_guard

# Only a query that shows one of these, past its PREFIX declarations, can name a published
# graph: an IRI holding "graph/", an escape (``\/`` in a prefixed name, a codepoint escape), or a
# prefixed name whose prefix's IRI holds "graph". Only such a query is read by rdflib's tokens
# (slow: 40-170 ms for one of a page's queries, which all declare the ``graph:`` prefix).
_HINT = re.compile(r"graph/|\\/|\\[uU]")
_PREFIX_DECLARATION = re.compile(r"\bPREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.IGNORECASE)


def _may_name_a_graph(text: str) -> bool:
    declared = {name or "": iri for name, iri in _PREFIX_DECLARATION.findall(text)}
    rest = _PREFIX_DECLARATION.sub(" ", text)
    if _HINT.search(rest):
        return True
    return any(
        re.search(rf"(?<![\w.-]){re.escape(name)}:", rest)
        for name, iri in declared.items()
        if "graph" in iri
    )


class GraphNames:
    """The published graph IRIs of one build and where the remote stores them."""

    def __init__(self, stored: Mapping[str, str]) -> None:
        self.to_stored = dict(stored)
        self.to_published = {place: graph for graph, place in self.to_stored.items()}
        self._uri_elements = {
            f"<uri>{escape(place)}</uri>".encode(): f"<uri>{escape(graph)}</uri>".encode()
            for place, graph in self.to_published.items()
        }
        self._uri_pattern = (
            re.compile(b"|".join(re.escape(k) for k in self._uri_elements))
            if self._uri_elements
            else None
        )

    def stored(self, graph: str) -> str:
        """The stored IRI of a published graph; any other IRI is itself (it names nothing the
        build holds, and so matches what it matched before)."""
        return self.to_stored.get(graph, graph)

    def query(self, text: str, base_iri: str | None) -> tuple[str, bool]:
        """``text`` with its published graph constants stored, and whether it names its own
        dataset (FROM / FROM NAMED). rdflib's parse errors propagate."""
        names_a_graph = bool(self.to_stored) and _may_name_a_graph(text)
        if not names_a_graph and not query_guard.may_name_a_dataset(text):
            return text, False
        outline = query_guard.outline(text, base_iri)
        if not names_a_graph:
            return text, outline.has_dataset_clause
        pieces: list[str] = []
        last = 0
        for tokens, start, end in _scanner().scan_string(text):
            token = tokens[0]
            iri = outline.resolve(token) if _is_iri_token(token) else None
            if iri is None or iri not in self.to_stored:
                continue
            pieces += [text[last:start], f"<{self.to_stored[iri]}>"]
            last = end
        pieces.append(text[last:])
        return "".join(pieces), outline.has_dataset_clause

    def results_xml(self, content: bytes) -> bytes:
        """SPARQL XML results with every stored graph IRI published again."""
        if self._uri_pattern is None:
            return content
        return self._uri_pattern.sub(lambda m: self._uri_elements[m[0]], content)

    def term(self, term: Any) -> Any:
        if isinstance(term, ox.NamedNode) and term.value in self.to_published:
            return ox.NamedNode(self.to_published[term.value])
        return term

    def triples(self, triples: Iterator[ox.Triple]) -> Iterator[ox.Triple]:
        for t in triples:
            yield ox.Triple(self.term(t.subject), t.predicate, self.term(t.object))


def _is_iri_token(token: Any) -> bool:
    from rdflib.plugins.sparql.parserutils import CompValue  # noqa: PLC0415
    from rdflib.term import URIRef  # noqa: PLC0415

    return isinstance(token, URIRef) or (isinstance(token, CompValue) and token.name == "pname")


@cache
def _scanner() -> Any:
    """rdflib's tokens in the order that keeps each whole: a string or an IRI is consumed
    before anything inside it could be read as an IRI or a prefixed name."""
    from pyparsing import MatchFirst, rest_of_line  # noqa: PLC0415
    from rdflib.plugins.sparql import parser  # noqa: PLC0415

    # Copies: ignore() reaches into an expression's parts, and rdflib's parser is shared.
    parts = (parser.String, parser.IRIREF, parser.BLANK_NODE_LABEL, parser.Var, parser.PrefixedName)
    scanner = MatchFirst([part.copy() for part in parts])
    scanner.ignore("#" + rest_of_line)
    return scanner
