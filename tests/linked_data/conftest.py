"""Fixtures for the linked-data tests: the whole service on the repository's built store
(``site``, from tests/conftest.py), and a second server on a small store whose labels try to
inject markup."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from ld_support import tiny_store_quads

from shezhire.config import Settings
from shezhire.http.testing import LiveServer, build_plain_store


@pytest.fixture(scope="session")
def ld_store(built_settings: Settings) -> Path:
    return built_settings.store


@pytest.fixture(scope="session")
def ld_memory(ld_store: Path) -> ox.Store:
    """What the server serves, read independently of it."""
    store = ox.Store.read_only(str(ld_store.resolve()))
    memory = ox.Store()
    memory.extend(store.quads_for_pattern(None, None, None, None))
    return memory


@pytest.fixture(scope="session")
def tiny_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The service on a three-entity store whose labels try to inject markup."""
    path = tmp_path_factory.mktemp("ld-tiny") / "store"
    build_plain_store(path, [], tiny_store_quads())
    with LiveServer(Settings(store_path=path)) as server:
        yield server.url
