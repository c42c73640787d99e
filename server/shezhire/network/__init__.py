"""The person network: build it from a store or any SPARQL endpoint, filter, analyse, export.

    from shezhire.network import build_network, ego_network, find_paths, NetworkFilter
    g = build_network("http://127.0.0.1:8000/sparql")      # or a store path / ox.Store
    ego = ego_network(g, "person:petr-vasilievich-khomutnikov", hops=2)
    for path in find_paths(g, "person:aduchi", "person:vasilii-alekseevich-khomutnikov"):
        print(path.explain())

Nodes are IRIs with ``label``, ``kind`` (person, institution, place), ``pseudonym``,
``unnamed``, ``bipartite`` (0 persons, 1 institutions and places). Edges go from
``shz:tieSubject`` to ``shz:tieObject``, keyed by the tie IRI, with ``tie``, ``kind`` (kin,
social; membership, event-place, location in the bipartite layer), ``type`` (local name),
``type_iri``, ``type_label``, ``subject``, ``object``, ``label``, ``mode``, ``certainty``,
``date`` (EDTF), ``earliest``/``latest`` (xsd:date), ``comment``, ``sources`` (publication
IRIs) and ``citations`` (publication, publication_label, footnote, page, section, quote,
archival_references: [reference, printed_citation, item, item_label, folios]).
"""

from shezhire.network.analysis import (
    MAX_HOPS,
    MAX_K,
    MAX_PATH_LENGTH,
    MAX_PATHS,
    Path,
    Step,
    centrality,
    components,
    ego_network,
    find_paths,
    format_table,
    paths_subgraph,
    resolve_person,
)
from shezhire.network.build import build_network, filter_network
from shezhire.network.export import FORMATS, cytoscape, node_link, to_bytes
from shezhire.network.model import (
    CERTAINTY_ORDER,
    NetworkError,
    NetworkFilter,
    TooLargeError,
    UnknownPersonError,
)
from shezhire.network.source import EndpointSource, NetworkSourceError, StoreSource, open_source

__all__ = [
    "CERTAINTY_ORDER",
    "FORMATS",
    "MAX_HOPS",
    "MAX_K",
    "MAX_PATHS",
    "MAX_PATH_LENGTH",
    "EndpointSource",
    "NetworkError",
    "NetworkFilter",
    "NetworkSourceError",
    "Path",
    "Step",
    "StoreSource",
    "TooLargeError",
    "UnknownPersonError",
    "build_network",
    "centrality",
    "components",
    "cytoscape",
    "ego_network",
    "filter_network",
    "find_paths",
    "format_table",
    "node_link",
    "open_source",
    "paths_subgraph",
    "resolve_person",
    "to_bytes",
]
