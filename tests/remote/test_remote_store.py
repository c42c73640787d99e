"""RemoteStore against Virtuoso as Debian configures it (ResultSetMaxRows 10,000)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from shezhire.backend.remote import _MAY_USE_GRAPH, RemoteQueryError, RemoteStore, RemoteTruncated

from .engines import RemoteEngine
from .test_virtuoso_deviations import TWELVE_THOUSAND


def test_an_answer_cut_at_the_row_cap_is_refused(virtuoso: RemoteEngine) -> None:
    """Virtuoso answers 200 with the first 10,000 rows; only X-SPARQL-MaxRows says so."""
    store = RemoteStore(virtuoso.query_url)
    try:
        with pytest.raises(RemoteTruncated, match="10000 rows"):
            store.query(TWELVE_THOUSAND)
        below = store.query(TWELVE_THOUSAND + " LIMIT 9999")
        assert isinstance(below, ox.QuerySolutions)
        assert len(list(below)) == 9999
    finally:
        store.close()


def test_the_remote_parser_message_reaches_the_client(virtuoso: RemoteEngine) -> None:
    store = RemoteStore(virtuoso.query_url)
    try:
        with pytest.raises(RemoteQueryError, match="SP030"):
            store.query("SELECT WHERE {")
    finally:
        store.close()


def test_a_construct_is_answered_as_triples(virtuoso: RemoteEngine) -> None:
    """Virtuoso refuses a CONSTRUCT asked with results first (406); the store asks again."""
    store = RemoteStore(virtuoso.query_url)
    try:
        answer = store.query('CONSTRUCT { <urn:x:s> <urn:x:p> ?o } WHERE { VALUES ?o { "v" } }')
        assert [str(t) for t in answer] == ['<urn:x:s> <urn:x:p> "v"']  # type: ignore[union-attr]
    finally:
        store.close()


@pytest.mark.parametrize(
    ("query", "may"),
    [
        ("SELECT * { GRAPH ?g { ?s ?p ?o } }", True),
        ("SELECT * { GRAPH?g {} }", True),
        ("select * { graph # the graph\n <urn:g> {} }", True),
        ("SELECT * { GRAPH :x {} }", True),
        ("PREFIX graph: <urn:x:> SELECT * { ?s graph:p ?o }", False),
    ],
)
def test_named_graphs_are_sent_to_a_query_that_may_use_them(query: str, may: bool) -> None:
    """The build's graphs travel as named-graph-uri only where a GRAPH pattern may read them
    (listing 694 of them cost Oxigraph's server 12 ms a request at x30)."""
    assert (_MAY_USE_GRAPH.search(query) is not None) is may
