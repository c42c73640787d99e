"""Fixtures for the search and reconciliation tests: the whole service on the repository's
built store (``site``, from tests/conftest.py), the name index built in-process from the same
store, the W3C Reconciliation API schemas from ../shared/reconciliation, and a second server
on a small store whose names try to inject markup."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from search_support import (
    INJECTED,
    INJECTED_LABEL,
    INJECTED_NAME,
    RDF_TYPE,
    RDFS_LABEL,
    SHZ,
    Schemas,
)

from shezhire.config import BASE_IRI, Settings
from shezhire.http.testing import LiveServer, build_plain_store
from shezhire.pipeline.store import load_in_memory
from shezhire.search.index import NameIndex, build_name_index


@pytest.fixture(scope="session")
def index(built_settings: Settings) -> NameIndex:
    """The name index of the built store, made as the server makes it."""
    store = load_in_memory(Path(os.path.realpath(built_settings.store)))
    return build_name_index(store)


@pytest.fixture(scope="session")
def schemas(shared_dir: Path) -> Schemas:
    return Schemas(shared_dir / "reconciliation" / "0.2" / "schemas")


@pytest.fixture(scope="session")
def schemas_v1(shared_dir: Path) -> Schemas:
    return Schemas(shared_dir / "reconciliation" / "1.0-draft" / "schemas")


@pytest.fixture(scope="session")
def examples(shared_dir: Path) -> Path:
    return shared_dir / "reconciliation" / "0.2" / "examples"


@pytest.fixture(scope="session")
def injected_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server whose one person's label and name carry markup."""
    folder = tmp_path_factory.mktemp("injected")
    graph = ox.NamedNode(BASE_IRI + "graph/injected")
    person = ox.NamedNode(INJECTED)
    quads = [
        ox.Quad(person, RDF_TYPE, ox.NamedNode(SHZ + "Person"), graph),
        ox.Quad(person, RDF_TYPE, ox.NamedNode(SHZ + "EditorialPseudonym"), graph),
        ox.Quad(person, RDFS_LABEL, ox.Literal(INJECTED_LABEL, language="en"), graph),
        ox.Quad(person, ox.NamedNode(SHZ + "nameAsWritten"), ox.Literal(INJECTED_NAME), graph),
    ]
    store = folder / "store"
    build_plain_store(store, extra_quads=quads)
    settings = Settings(root=Path(__file__).resolve().parents[2], store_path=store)
    with LiveServer(settings) as server:
        yield server
