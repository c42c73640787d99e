"""A remote SPARQL 1.1 endpoint read as the server reads a pyoxigraph store.

:class:`RemoteStore` answers the part of ``pyoxigraph.Store``'s interface that pages, search,
the network routes and the query workers call (``query`` and ``quads_for_pattern``), so every
route runs unchanged on either backend
(:data:`shezhire.backend.GraphStore`). The remote's answers are parsed by pyoxigraph
(``parse_query_results``, ``parse``), so callers get the very objects the embedded store gives.

What it handles for every engine, measured against Virtuoso 7.2.5 and Oxigraph's server
(``tests/remote/README.md`` lists each deviation with its test):

* SELECT and ASK results are asked for as SPARQL XML: Virtuoso's JSON uses the type
  ``typed-literal`` of an old draft, which the SPARQL 1.1 JSON parser refuses.
* The dataset: every request names its graphs. Each build is kept in graphs of its own
  (:mod:`shezhire.backend.manifest`), so a query without a dataset of its own is sent with the
  served build's graphs: as ``default-graph-uri`` its union graph, or where it has none its
  stored graphs; as ``named-graph-uri`` its stored graphs, when the query may hold a GRAPH
  pattern. A build being published, or one retired, is never read, on any engine (Virtuoso's
  default graph without a dataset is every graph it holds, its own system graphs included).
  A pattern read (``GRAPH ?g`` over every graph, one index scan) keeps the build's graphs by a
  FILTER on their prefix, or, where that costs the engine, drops the rows of other graphs
  here (:mod:`shezhire.backend.engines`). Graph names travel translated
  (:class:`~shezhire.backend.graph_names.GraphNames`): published IRIs in a query or a dataset
  become stored ones, stored IRIs in an answer published ones.
* Virtuoso cuts an answer at its ``ResultSetMaxRows`` with a 200, saying so only in the header
  ``X-SPARQL-MaxRows`` (sent exactly when the answer reached the cap, measured): that header
  raises :class:`RemoteTruncated` instead of passing on half an answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import httpx
import pyoxigraph as ox

from shezhire.backend.engines import Traits
from shezhire.backend.graph_names import GraphNames
from shezhire.backend.literals import keep_edge_whitespace, restore_durations
from shezhire.errors import ShezhireError

RESULTS_XML = "application/sparql-results+xml"
N_TRIPLES = "application/n-triples"
ACCEPT = f"{RESULTS_XML}, {N_TRIPLES};q=0.9"
# Seconds a request to the remote may take unless the caller gives its own limit.
DEFAULT_TIMEOUT_S = 60.0
# A graph no build has: the default graph of a dataset that names none (the protocol cannot
# say "an empty default graph", and without a default-graph-uri the engine picks its own).
NO_GRAPH = "https://w3id.org/shezhire/manifest#no-graph"
# The GRAPH keyword and what follows it (a variable, an IRI or a prefixed name); a prefix
# declared as "graph:" is not it.
_MAY_USE_GRAPH = re.compile(
    r"\bgraph(?:\s|#[^\n]*\n)*[?$<]|\bgraph(?:\s|#[^\n]*\n)+[\w:]", re.IGNORECASE
)

Term = ox.NamedNode | ox.BlankNode | ox.Literal
Answer = ox.QuerySolutions | ox.QueryBoolean | Iterator[ox.Triple]


class RemoteError(ShezhireError):
    """The remote endpoint refused a request or could not be reached."""


class RemoteQueryError(RemoteError):
    """The remote's parser or evaluator refused the query (its message is the client's)."""


class RemoteTruncated(RemoteError):
    """The remote cut the answer at its row cap (Virtuoso's ``X-SPARQL-MaxRows``)."""


class RemoteStore:
    """A read-only view of one build held by a remote SPARQL 1.1 endpoint.

    ``stored``: each published graph IRI and the stored graph that holds it; ``union``: the
    build's union graph, if it has one (both from the manifest). Nothing else the remote holds
    is read.
    """

    def __init__(
        self,
        query_url: str,
        *,
        stored: Mapping[str, str] | None = None,
        union: str | None = None,
        traits: Traits | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        client: httpx.Client | None = None,
    ) -> None:
        self.query_url = query_url
        self.timeout_s = timeout_s
        self.names = GraphNames(stored or {})
        self.union = union
        self.traits = traits or Traits()
        self.graphs = frozenset(self.names.to_stored)
        self._client = client or httpx.Client(timeout=timeout_s, trust_env=False)
        self._owns_client = client is None

    # -- the pyoxigraph.Store subset ---------------------------------------------------------

    def query(
        self,
        query: str,
        *,
        prefixes: Mapping[str, str] | None = None,
        base_iri: str | None = None,
        use_default_graph_as_union: bool = False,
        default_graph: Iterable[ox.NamedNode | ox.DefaultGraph] | None = None,
        named_graphs: Iterable[ox.NamedNode] | None = None,
    ) -> Answer:
        """Evaluate ``query`` remotely, with pyoxigraph's keyword arguments.

        A dataset given (``default_graph``/``named_graphs``) travels as the protocol's
        ``default-graph-uri``/``named-graph-uri``; a query's own FROM / FROM NAMED is left to
        the engine; otherwise the dataset is the build's (see the module docstring;
        ``use_default_graph_as_union`` is taken for pyoxigraph's signature: a published store
        keeps nothing in its default graph).
        """
        try:
            text, own_dataset = self.names.query(_with_prologue(query, prefixes, base_iri), None)
        except RecursionError as error:
            raise RemoteQueryError("the query is nested too deeply to be read") from error
        except Exception as error:  # pyparsing's ParseException: pyoxigraph would refuse it too
            raise RemoteQueryError(f"Query syntax error: {error}") from error
        form: list[tuple[str, str]] = [("query", text)]
        if default_graph is not None or named_graphs is not None:
            defaults = [
                self.names.stored(g.value)
                for g in default_graph or ()
                if isinstance(g, ox.NamedNode)
            ]
            named = [self.names.stored(g.value) for g in named_graphs or ()]
        elif own_dataset:
            defaults, named = [], []
        else:
            places = sorted(self.names.to_published)
            defaults = [self.union] if self.union is not None else places
            # The named graphs matter only to a GRAPH pattern (694 listed IRIs cost Oxigraph's
            # server 12 ms a request at x30): named where the text may hold one.
            named = places if _MAY_USE_GRAPH.search(text) else [NO_GRAPH]
        if defaults or named or default_graph is not None:
            form += [("default-graph-uri", g) for g in defaults or [NO_GRAPH]]
            form += [("named-graph-uri", g) for g in named]
        return self._answer(self._post(form))

    def quads_for_pattern(
        self,
        subject: ox.NamedNode | ox.BlankNode | None,
        predicate: ox.NamedNode | None,
        object: Term | None,
        graph_name: ox.NamedNode | ox.DefaultGraph | None = None,
    ) -> Iterator[ox.Quad]:
        """The quads matching the pattern in the build's graphs (``None``: any)."""
        if isinstance(graph_name, ox.DefaultGraph):
            return iter(())  # a published store keeps nothing in the default graph
        for term in (subject, object):
            if isinstance(term, ox.BlankNode):
                # A blank node's label is not the remote's: it matches nothing there.
                return iter(())
        if graph_name is not None and graph_name.value not in self.graphs:
            return iter(())
        s = str(subject) if subject is not None else "?s"
        p = str(predicate) if predicate is not None else "?p"
        o = str(object) if object is not None else "?o"
        if graph_name is not None:
            place = f"<{self.names.stored(graph_name.value)}>"
            text = f"SELECT ?s ?p ?o WHERE {{ GRAPH {place} {{ {s} {p} {o} }} }}"
            solutions = self._answer(self._post([("query", text)]))
        else:
            keep = self.graph_filter("?g")
            text = f"SELECT ?s ?p ?o ?g WHERE {{ GRAPH ?g {{ {s} {p} {o} }} {keep} }}"
            solutions = self.select_quads(text)
        assert isinstance(solutions, ox.QuerySolutions)
        # Read whole here: pyoxigraph's QuerySolutions must be dropped on the thread that made
        # it, and a caller may leave a generator half-read for the collector of another thread
        # (pyo3 then reports it and leaks it).
        return iter(list(_quads(solutions, (subject, predicate, object, graph_name), self.graphs)))

    def graph_filter(self, variable: str = "?g") -> str:
        """A FILTER keeping ``variable`` to the build's stored graphs, for a pattern read's
        ``GRAPH ?g``; empty where that costs the engine (``Traits.filter_graphs_in_query``):
        the reader then drops the rows of other graphs itself (:attr:`graphs`)."""
        if not self.traits.filter_graphs_in_query or not self.names.to_stored:
            return ""
        keep = f"STRSTARTS(STR({variable}), {ox.Literal(_common_prefix(self.names.to_published))})"
        if self.union is not None:
            keep += f" && {variable} != <{self.union}>"
        return f"FILTER({keep})"

    def select_quads(self, text: str) -> Answer:
        """A SELECT of quads through ``GRAPH ?g`` (with :meth:`graph_filter`), sent as it is:
        no dataset, so that ``?g`` ranges over every graph (one index scan), the filter or the
        reader keeping the build's."""
        return self._answer(self._post([("query", text)]))

    # -- the rest -----------------------------------------------------------------------------

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def _post(self, form: Sequence[tuple[str, str]], accept: str = ACCEPT) -> httpx.Response:
        try:
            response = self._client.post(
                self.query_url,
                data=dict(_multi(form)),
                headers={"accept": accept},
            )
        except httpx.TimeoutException as error:
            raise RemoteError(
                f"the SPARQL endpoint {self.query_url} did not answer within {self.timeout_s:g} s"
            ) from error
        except httpx.HTTPError as error:
            raise RemoteError(
                f"cannot reach the SPARQL endpoint {self.query_url}: {error}"
            ) from error
        if response.status_code == 406 and accept == ACCEPT:
            # Virtuoso answers the first type listed or nothing: a CONSTRUCT or DESCRIBE asked
            # with results first gets 406, and with N-Triples first a SELECT comes back as
            # N-Triples (measured). So results first, and on 406 once more for triples.
            return self._post(form, N_TRIPLES)
        if response.status_code == 400:
            raise RemoteQueryError(_message(response))
        if response.status_code != 200:
            raise RemoteError(
                f"the SPARQL endpoint {self.query_url} answered {response.status_code}: "
                f"{_message(response)}"
            )
        return response

    def _answer(self, response: httpx.Response) -> Answer:
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        capped = response.headers.get("x-sparql-maxrows")
        if capped is not None:  # Virtuoso's only sign that it cut the answer at its cap
            raise RemoteTruncated(
                f"the SPARQL endpoint {self.query_url} cut the answer at {capped} rows (its "
                "ResultSetMaxRows): raise the engine's cap"
            )
        content = restore_durations(response.content)  # Virtuoso's months (literals.py)
        if media == RESULTS_XML:
            content = self.names.results_xml(keep_edge_whitespace(content))
            return ox.parse_query_results(content, ox.QueryResultsFormat.XML)
        if media in (N_TRIPLES, "text/plain"):
            triples = (q.triple for q in ox.parse(content, ox.RdfFormat.N_TRIPLES))
            return self.names.triples(triples)
        raise RemoteError(
            f"the SPARQL endpoint {self.query_url} answered in {media or 'no media type'}, "
            f"not {RESULTS_XML} or {N_TRIPLES}"
        )


def _common_prefix(iris: Iterable[str]) -> str:
    """What every stored graph IRI of a build starts with: ``<BUILD_PREFIX><build>/``
    (:func:`shezhire.backend.manifest.stored_graph`)."""
    prefixes = {iri.rsplit("/", 1)[0] + "/" for iri in iris}
    if len(prefixes) != 1:
        raise RemoteError(f"the stored graphs are not of one build: {sorted(prefixes)[:3]}")
    return prefixes.pop()


def _multi(form: Sequence[tuple[str, str]]) -> Iterator[tuple[str, Any]]:
    """httpx's form data: a key given several times becomes a list."""
    grouped: dict[str, list[str]] = {}
    for key, value in form:
        grouped.setdefault(key, []).append(value)
    for key, values in grouped.items():
        yield key, values if len(values) > 1 else values[0]


def _with_prologue(query: str, prefixes: Mapping[str, str] | None, base_iri: str | None) -> str:
    """``query`` with the BASE and PREFIX declarations pyoxigraph takes as arguments."""
    lines = [f"BASE {ox.NamedNode(base_iri)}"] if base_iri else []
    lines += [f"PREFIX {name}: {ox.NamedNode(iri)}" for name, iri in (prefixes or {}).items()]
    return "\n".join([*lines, query]) if lines else query


def _quads(
    solutions: ox.QuerySolutions,
    pattern: tuple[
        ox.NamedNode | ox.BlankNode | None, ox.NamedNode | None, Term | None, ox.NamedNode | None
    ],
    published: frozenset[str],
) -> Iterator[ox.Quad]:
    """The pattern's quads: its bound terms, the rest from each row; only published graphs."""
    subject, predicate, object, graph_name = pattern
    for row in solutions:
        s = subject if subject is not None else row["s"]
        p = predicate if predicate is not None else row["p"]
        o = object if object is not None else row["o"]
        g = graph_name if graph_name is not None else row["g"]
        if not isinstance(g, ox.NamedNode) or g.value not in published:
            continue
        assert isinstance(s, ox.NamedNode | ox.BlankNode) and isinstance(p, ox.NamedNode)
        assert isinstance(o, ox.NamedNode | ox.BlankNode | ox.Literal)
        yield ox.Quad(s, p, o, g)


def _message(response: httpx.Response) -> str:
    """The first lines of a remote's error body, as text (never HTML markup verbatim)."""
    text = response.text.strip()
    return " ".join(text.splitlines()[:5])[:1000] or f"HTTP {response.status_code}"
