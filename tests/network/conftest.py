"""Fixtures: the repository's built store (the real build, from tests/conftest.py), its
network, and the whole service on 127.0.0.1 (``site``)."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from shezhire.config import Settings
from shezhire.http.testing import LiveServer
from shezhire.network import build_network


@pytest.fixture(scope="session")
def store_path(built_settings: Settings) -> Path:
    return built_settings.store


@pytest.fixture(scope="session")
def network(store_path: Path) -> nx.MultiDiGraph:
    return build_network(store_path)


@pytest.fixture(scope="session")
def server(site: LiveServer) -> LiveServer:
    """The project's app (SPARQL at /sparql, the network routes at /network/...)."""
    return site
