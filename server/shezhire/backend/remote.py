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
* The dataset: quads of graphs other than the published ones are dropped (Virtuoso's default
  graph, without a FROM, is the union of every graph it holds, its own system graphs included).
  Queries over the union send no dataset and rely on the engine's default graph being the
  union of its graphs (Oxigraph's server started with ``--union-default-graph``; Virtuoso as it
  comes), so its planner sees one graph. Naming every published graph as a
  ``default-graph-uri`` instead is exact on any engine but slow: a competency query took 42 s
  that way on Oxigraph's server, 2.2 s with its union default graph.
* Virtuoso cuts an answer at its ``ResultSetMaxRows`` with a 200, saying so only in the header
  ``X-SPARQL-MaxRows`` (sent exactly when the answer reached the cap, measured): that header
  raises :class:`RemoteTruncated` instead of passing on half an answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import httpx
import pyoxigraph as ox

from shezhire.backend.literals import restore_durations
from shezhire.errors import ShezhireError

RESULTS_XML = "application/sparql-results+xml"
N_TRIPLES = "application/n-triples"
ACCEPT = f"{RESULTS_XML}, {N_TRIPLES};q=0.9"
# Seconds a request to the remote may take unless the caller gives its own limit.
DEFAULT_TIMEOUT_S = 60.0

Term = ox.NamedNode | ox.BlankNode | ox.Literal
Answer = ox.QuerySolutions | ox.QueryBoolean | Iterator[ox.Triple]


class RemoteError(ShezhireError):
    """The remote endpoint refused a request or could not be reached."""


class RemoteQueryError(RemoteError):
    """The remote's parser or evaluator refused the query (its message is the client's)."""


class RemoteTruncated(RemoteError):
    """The remote cut the answer at its row cap (Virtuoso's ``X-SPARQL-MaxRows``)."""


class RemoteStore:
    """A read-only view of the published graphs held by a remote SPARQL 1.1 endpoint.

    ``graphs``: the published graph IRIs (from the manifest); quads of any other graph are
    never returned.
    """

    def __init__(
        self,
        query_url: str,
        *,
        graphs: Iterable[str],
        timeout_s: float = DEFAULT_TIMEOUT_S,
        client: httpx.Client | None = None,
    ) -> None:
        self.query_url = query_url
        self.timeout_s = timeout_s
        self.graphs = frozenset(graphs)
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
        ``default-graph-uri``/``named-graph-uri``. Without one the engine's default graph is
        the union of its graphs already (see the module docstring), so
        ``use_default_graph_as_union`` is taken for pyoxigraph's signature and changes nothing.
        """
        text = _with_prologue(query, prefixes, base_iri)
        form: list[tuple[str, str]] = [("query", text)]
        if default_graph is not None or named_graphs is not None:
            form += [
                ("default-graph-uri", g.value)
                for g in default_graph or ()
                if isinstance(g, ox.NamedNode)
            ]
            form += [("named-graph-uri", g.value) for g in named_graphs or ()]
        return self._answer(self._post(form))

    def quads_for_pattern(
        self,
        subject: ox.NamedNode | ox.BlankNode | None,
        predicate: ox.NamedNode | None,
        object: Term | None,
        graph_name: ox.NamedNode | ox.DefaultGraph | None = None,
    ) -> Iterator[ox.Quad]:
        """The quads matching the pattern in the published graphs (``None``: any)."""
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
        g = str(graph_name) if graph_name is not None else "?g"
        text = f"SELECT ?s ?p ?o ?g WHERE {{ GRAPH {g} {{ {s} {p} {o} }} }}"
        solutions = self._answer(self._post([("query", text)]))
        assert isinstance(solutions, ox.QuerySolutions)
        return _quads(solutions, (subject, predicate, object, graph_name), self.graphs)

    # -- the rest -----------------------------------------------------------------------------

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def _post(self, form: Sequence[tuple[str, str]]) -> httpx.Response:
        try:
            response = self._client.post(
                self.query_url,
                data=dict(_multi(form)),
                headers={"accept": ACCEPT},
            )
        except httpx.TimeoutException as error:
            raise RemoteError(
                f"the SPARQL endpoint {self.query_url} did not answer within {self.timeout_s:g} s"
            ) from error
        except httpx.HTTPError as error:
            raise RemoteError(
                f"cannot reach the SPARQL endpoint {self.query_url}: {error}"
            ) from error
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
            return ox.parse_query_results(content, ox.QueryResultsFormat.XML)
        if media in (N_TRIPLES, "text/plain"):
            return (q.triple for q in ox.parse(content, ox.RdfFormat.N_TRIPLES))
        raise RemoteError(
            f"the SPARQL endpoint {self.query_url} answered in {media or 'no media type'}, "
            f"not {RESULTS_XML} or {N_TRIPLES}"
        )


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
