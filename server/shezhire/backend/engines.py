"""What was measured of each SPARQL engine, in one place: how a build is best kept and read.

`shezhire publish` reads the engine's ``Server`` header, writes the build the way its
:class:`Traits` say and records the header in the manifest, so every reader of that build
reads it the same way. An engine not listed here gets the defaults, which are exact on any
SPARQL 1.1 store.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Traits:
    #: Write a union graph per build and read it as the default graph (else the stored graphs
    #: are listed as the default graph).
    union_graph: bool = True
    #: Keep a pattern read's rows of other graphs out in the query (a FILTER on the build's
    #: graph prefix); else the reader drops them.
    filter_graphs_in_query: bool = True


# Measured on Virtuoso 7.2.5 at x1: a default graph of the 27 listed graphs is as fast as its
# whole store, while over one union graph its cost estimate refused three competency queries
# (776 s estimated for a query that ran in 0.07 s); a page's neighbourhood read took 750 ms
# with the graphs named by named-graph-uri (or FROM NAMED), 190 ms with a FILTER on ?g, 37 ms
# with neither. On Oxigraph's server (the defaults): 16.6 s for competency query 14 over the
# listed graphs, 0.85 s over the union graph (x1); a subject's quads in 13.1 ms with the 694
# graphs of x30 named by named-graph-uri, 0.8 ms with the prefix FILTER, as with none.
VIRTUOSO = Traits(union_graph=False, filter_graphs_in_query=False)


def traits(server: str) -> Traits:
    """The traits of the engine whose ``Server`` header is ``server``."""
    return VIRTUOSO if server.lower().startswith("virtuoso") else Traits()
