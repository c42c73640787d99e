"""The one interface every route reads the graph through.

``pyoxigraph.Store`` is the embedded implementation; :class:`RemoteStore` answers the same
calls (``query``, ``quads_for_pattern``) from a SPARQL 1.1 endpoint.
"""

from __future__ import annotations

from typing import TypeAlias

import pyoxigraph as ox

from shezhire.backend.remote import RemoteStore

GraphStore: TypeAlias = ox.Store | RemoteStore
