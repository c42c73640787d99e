"""Session fixtures for the HTTP tests: a store built from the repository's Turtle files plus a
synthetic test graph, and a real uvicorn server on 127.0.0.1 serving it in a subprocess."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from http_support import ALLOWED_SERVICE, fixture_quads, repository_turtle

from shezhire.config import Settings
from shezhire.http.testing import LiveServer, build_plain_store


@pytest.fixture(scope="session")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("http") / "store"
    build_plain_store(path, repository_turtle(), fixture_quads())
    return path


@pytest.fixture(scope="session")
def settings(store_path: Path) -> Settings:
    return Settings(
        store_path=store_path,
        query_timeout_s=20.0,
        max_result_bytes=4_000_000,
        max_body_bytes=200_000,
        max_query_length=50_000,
        query_workers=2,
        service_allowlist=[ALLOWED_SERVICE],
    )


@pytest.fixture(scope="session")
def server(settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(settings) as live:
        yield live


@pytest.fixture(scope="session")
def base_url(server: LiveServer) -> str:
    return server.url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        yield http
