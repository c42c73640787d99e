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
    #: Restrict a pattern read's ``GRAPH ?g`` to the build's graphs by ``named-graph-uri``
    #: (else the rows of other graphs are dropped by the reader).
    named_graphs_by_protocol: bool = True


# Measured at x1 on Virtuoso 7.2.5: a default graph of the 27 listed graphs is as fast as its
# whole store, while over one union graph its cost estimate refused three competency queries
# (776 s estimated for a query that ran in 0.07 s); and a page's neighbourhood read took 750 ms
# with the graphs named by named-graph-uri (or FROM NAMED), 37 ms without. Oxigraph's server
# (the defaults): 16.6 s for competency query 14 over the listed graphs, 0.85 s over the union
# graph; named-graph-uri costs it nothing measurable.
VIRTUOSO = Traits(union_graph=False, named_graphs_by_protocol=False)


def traits(server: str) -> Traits:
    """The traits of the engine whose ``Server`` header is ``server``."""
    return VIRTUOSO if server.lower().startswith("virtuoso") else Traits()
