"""Session fixtures for the linked-data tests: the repository's inputs parsed and materialized
into a store (without the SHACL gate, so a collaborator's in-progress file cannot stop us), a
small store with hostile labels, and real uvicorn servers on 127.0.0.1 serving both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from ld_support import tiny_store_quads

from shezhire.config import DEFAULT_ROOT
from shezhire.linked_data.testing import LinkedDataServer, build_unvalidated_store, write_store


@pytest.fixture(scope="session")
def ld_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ld") / "store"
    build_unvalidated_store(DEFAULT_ROOT, path)
    return path


@pytest.fixture(scope="session")
def ld_memory(ld_store: Path) -> ox.Store:
    """What the server serves, read independently of it."""
    store = ox.Store.read_only(str(ld_store))
    memory = ox.Store()
    memory.extend(store.quads_for_pattern(None, None, None, None))
    return memory


@pytest.fixture(scope="session")
def ld_server(ld_store: Path) -> Iterator[LinkedDataServer]:
    with LinkedDataServer(ld_store, root=DEFAULT_ROOT) as server:
        yield server


@pytest.fixture(scope="session")
def base_url(ld_server: LinkedDataServer) -> str:
    return ld_server.url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=60) as http:
        yield http


@pytest.fixture(scope="session")
def tiny_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A standalone server on a three-entity store whose labels try to inject markup."""
    path = tmp_path_factory.mktemp("ld-tiny") / "store"
    write_store(path, tiny_store_quads())
    with LinkedDataServer(path, root=DEFAULT_ROOT, standalone=True) as server:
        yield server.url
