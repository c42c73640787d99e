"""One Virtuoso and one Oxigraph server per session, each in its own temporary folder.

Without the engine's binary a test that needs it is skipped, unless CI is set: there the
binary must be installed (.ci/run installs both), so its absence fails the test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from shezhire.backend.publish import publish
from shezhire.config import Settings

from .engines import RemoteEngine, find_binary, start_oxigraph, start_virtuoso


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def require_binary(name: str, install: str) -> None:
    """Skip (locally) or fail (CI) when ``name`` is neither beside Python nor on PATH."""
    if find_binary(name) is not None:
        return
    reason = f"{name} is not installed ({install})"
    if in_ci():
        pytest.fail(f"CI is set and {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RemoteEngine]:
    """Virtuoso as Debian configures it (ResultSetMaxRows 10,000), anonymous writes granted."""
    require_binary("virtuoso-t", "apt-get install virtuoso-opensource")
    with start_virtuoso(tmp_path_factory.mktemp("virtuoso")) as engine:
        yield engine


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RemoteEngine]:
    """``oxigraph serve`` on an empty store."""
    require_binary("oxigraph", "pip install 'oxigraph>=0.5,<0.6', the test extra")
    with start_oxigraph(tmp_path_factory.mktemp("oxigraph")) as engine:
        yield engine


def remote_settings(settings: Settings, query_url: str, folder: Path) -> Settings:
    """``settings`` for a server reading the build published at ``query_url`` (``folder``:
    where its unused store path points)."""
    return settings.model_copy(
        update={
            "backend": "remote",
            "remote_query_url": query_url,
            "port": 8000,  # LiveServer picks a free one
            "store_path": folder / "unused-store",
        }
    )


@pytest.fixture(scope="session", params=["oxigraph", "virtuoso"])
def published_engine(
    request: pytest.FixtureRequest,
    built_settings: Settings,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RemoteEngine]:
    """The repository's build published into a fresh engine of each kind, shared by the tests
    that only read it (parity, pages, dumps, graph names)."""
    folder = tmp_path_factory.mktemp(f"published-{request.param}")
    engine: RemoteEngine
    if request.param == "virtuoso":
        require_binary("virtuoso-t", "apt-get install virtuoso-opensource")
        # No ResultSetMaxRows (Debian's is 10,000): reading every label of the graph takes
        # more, and a capped answer is refused (test_remote_store.py).
        engine = start_virtuoso(folder, max_rows=None)
    else:
        require_binary("oxigraph", "pip install 'oxigraph>=0.5,<0.6'")
        engine = start_oxigraph(folder)
    with engine:
        publish(built_settings.store, engine.query_url, engine.update_url, engine.graph_store_url)
        yield engine
