"""Fixtures shared by the whole suite: the repository's paths and one built store per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shezhire.config import Settings
from shezhire.http.testing import LiveServer
from shezhire.pipeline.build import BuildSummary, build

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared beside the checkout (CI has it); tests that need it skip without it."""
    if not SHARED.is_dir():
        pytest.skip("../shared is absent: the W3C suites and source texts live there")
    return SHARED


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, BuildSummary]:
    """The repository's real data, validated and built once into a temporary store."""
    store = tmp_path_factory.mktemp("store") / "store"
    settings = Settings(root=REPO, store_path=store, report_path=store.parent / "report.ttl")
    return settings, build(settings)


@pytest.fixture(scope="session")
def built_settings(built: tuple[Settings, BuildSummary]) -> Settings:
    return built[0]


@pytest.fixture(scope="session")
def site(built_settings: Settings) -> Iterator[LiveServer]:
    """The whole service (SPARQL, linked data, network) on the built store, on 127.0.0.1."""
    with LiveServer(built_settings) as server:
        yield server


@pytest.fixture(scope="session")
def base_url(site: LiveServer) -> str:
    """The server the ``client`` fixture talks to (a folder's conftest may name another)."""
    return site.url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=60) as http:
        yield http
