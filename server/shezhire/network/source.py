"""Where the network comes from: the local pyoxigraph store or any SPARQL endpoint URL.

Both sources answer the same SPARQL SELECT text (``shezhire.network.queries``) and return
rows as ``dict[str, str]`` (variable name -> term value; unbound variables are absent), so
the graph built from a copy of the data in another triple store is the graph built locally.
Blank nodes come back as ``_:label`` strings that are stable within one result set.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import httpx
import pyoxigraph as ox

from shezhire.errors import ShezhireError, StoreError

Row = dict[str, str]

SPARQL_RESULTS_JSON = "application/sparql-results+json"
DEFAULT_ENDPOINT_TIMEOUT_S = 60.0


class NetworkSourceError(ShezhireError):
    """The store or the endpoint could not answer a network query."""


class SparqlSource(Protocol):
    """Anything that runs a SPARQL SELECT and returns its rows."""

    def select(self, query: str) -> list[Row]: ...

    def describe(self) -> str: ...


def _term_value(term: Any) -> str:
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    return str(term.value)


def solution_rows(solutions: ox.QuerySolutions) -> list[Row]:
    """SELECT solutions as rows of plain strings (an unbound variable is left out)."""
    names = [v.value for v in solutions.variables]
    return [
        {name: _term_value(term) for name in names if (term := solution[name]) is not None}
        for solution in solutions
    ]


class StoreSource:
    """A pyoxigraph store: an open ``ox.Store`` or the path of a built (published) store.

    Queries run over the union of the named graphs, as the endpoint serves them. A path is
    opened read-only for each query and closed afterwards, so a
    rebuild that swaps the store link is seen by the next build of the network.
    """

    def __init__(self, store: ox.Store | Path | str) -> None:
        self._store = store if isinstance(store, ox.Store) else None
        self._path = None if isinstance(store, ox.Store) else Path(store)

    def describe(self) -> str:
        return f"store {self._path}" if self._path is not None else "in-memory store"

    @contextmanager
    def _opened(self) -> Iterator[ox.Store]:
        if self._store is not None:
            yield self._store
            return
        assert self._path is not None
        if not self._path.exists():
            raise StoreError(f"no store at {self._path}: run `shezhire build` first")
        try:
            store = ox.Store.read_only(str(self._path.resolve()))
        except OSError as error:
            raise StoreError(f"cannot open the store at {self._path}: {error}") from error
        try:
            yield store
        finally:
            del store

    def select(self, query: str) -> list[Row]:
        with self._opened() as store:
            try:
                solutions = store.query(query, use_default_graph_as_union=True)
            except (SyntaxError, OSError, ValueError) as error:
                raise NetworkSourceError(f"{self.describe()}: {error}") from error
            if not isinstance(solutions, ox.QuerySolutions):
                raise NetworkSourceError("the network queries are SELECT queries")
            return solution_rows(solutions)


class EndpointSource:
    """A SPARQL 1.1 Protocol endpoint (ours at ``/sparql`` or any other triple store).

    The query is POSTed as ``application/sparql-query`` and the results read as SPARQL JSON.
    The endpoint must query the union of its named graphs by default (ours does; for another
    store load the data into its default graph or turn on its union-default-graph option).
    """

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = DEFAULT_ENDPOINT_TIMEOUT_S,
        client: httpx.Client | None = None,
    ) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self._client = client

    def describe(self) -> str:
        return f"endpoint {self.url}"

    def select(self, query: str) -> list[Row]:
        headers = {"Content-Type": "application/sparql-query", "Accept": SPARQL_RESULTS_JSON}
        try:
            if self._client is not None:
                response = self._client.post(self.url, content=query.encode(), headers=headers)
            else:
                response = httpx.post(
                    self.url, content=query.encode(), headers=headers, timeout=self.timeout_s
                )
        except httpx.HTTPError as error:
            raise NetworkSourceError(f"{self.describe()}: {error}") from error
        if response.status_code != 200:
            raise NetworkSourceError(
                f"{self.describe()} answered {response.status_code}: {response.text[:500]}"
            )
        try:
            data = response.json()
            bindings = data["results"]["bindings"]
        except (ValueError, KeyError, TypeError) as error:
            raise NetworkSourceError(f"{self.describe()}: not SPARQL JSON results") from error
        rows: list[Row] = []
        for binding in bindings:
            row: Row = {}
            for name, term in binding.items():
                value = str(term.get("value", ""))
                row[name] = "_:" + value if term.get("type") == "bnode" else value
            rows.append(row)
        return rows


def open_source(spec: SparqlSource | ox.Store | Path | str) -> SparqlSource:
    """A source from a store, a store path, or an ``http(s)://`` endpoint URL."""
    if isinstance(spec, StoreSource | EndpointSource):
        return spec
    if isinstance(spec, str) and spec.startswith(("http://", "https://")):
        return EndpointSource(spec)
    if isinstance(spec, ox.Store | Path | str):
        return StoreSource(spec)
    return spec
