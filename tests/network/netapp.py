"""Apps that serve the network router on its own, to prove what it needs from an app.

``python -m uvicorn --factory --app-dir tests/network netapp:make_bare_app`` with the
``SHEZHIRE_*`` environment of the test's settings. The whole service (``create_app``, which
includes the router) is the session's ``site`` fixture.
"""

from __future__ import annotations

import os
from functools import cache

import networkx as nx
from fastapi import FastAPI

from shezhire.network import build_network
from shezhire.network.http import router


def make_bare_app() -> FastAPI:
    """Only the router, nothing in app.state: it falls back to ``Settings()`` (environment)."""
    app = FastAPI()
    app.include_router(router)
    return app


def make_provider_app() -> FastAPI:
    """The router fed by ``app.state.network_provider`` (here: the endpoint of another
    server, given as SHEZHIRE_TEST_NETWORK_ENDPOINT)."""

    @cache
    def provider() -> nx.MultiDiGraph:
        return build_network(os.environ["SHEZHIRE_TEST_NETWORK_ENDPOINT"])

    app = FastAPI()
    app.state.network_provider = provider
    app.include_router(router)
    return app
