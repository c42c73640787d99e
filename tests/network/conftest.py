"""Fixtures: one real store of the project's current data, its network, a live server.

The store is built once per session by the real build (parse, SHACL gate, materialize,
publish) from a copy of ontology/, shapes/ and data/ttl/; if someone's data file is
mid-edit and fails the gate, the copy is built ungated and the test log says which files
the gate rejected (``shezhire.network.testing``). The server is the project's app
(``shezhire.http.app.create_app``) with the network router included, run by uvicorn in a
subprocess on 127.0.0.1.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import networkx as nx
import pytest
from network_support import HERE, ROOT

from shezhire.http.testing import free_port, settings_env
from shezhire.network import build_network
from shezhire.network.testing import BuiltCopy, build_current_store

SERVER_START_TIMEOUT_S = 90.0


@pytest.fixture(scope="session")
def current_data(tmp_path_factory: pytest.TempPathFactory) -> BuiltCopy:
    copy = build_current_store(ROOT, tmp_path_factory.mktemp("network-root"))
    print("\n" + copy.describe(), file=sys.stderr)
    return copy


@pytest.fixture(scope="session")
def store_path(current_data: BuiltCopy) -> Path:
    return current_data.settings.store


@pytest.fixture(scope="session")
def network(store_path: Path) -> nx.MultiDiGraph:
    return build_network(store_path)


@pytest.fixture(scope="session")
def kalmyk(current_data: BuiltCopy) -> None:
    """Skip (saying why) when the Bolatkhan 2023 data is not in the built store."""
    present = [n for n in current_data.data_files if n.startswith("000-bolatkhan-2023")]
    if not present:
        pytest.skip("no data/ttl/000-bolatkhan-2023-*.ttl could be loaded: "
                    f"{current_data.describe()}")


class Server:
    def __init__(self, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.url = url
        self.sparql = url + "/sparql"
        self.process = process
        self.log = log


@pytest.fixture(scope="session")
def server(
    current_data: BuiltCopy, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    port = free_port()
    settings = current_data.settings.model_copy(update={"port": port, "host": "127.0.0.1"})
    env = {**os.environ, **settings_env(settings)}
    log = tmp_path_factory.mktemp("network-server") / "server.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "--app-dir", str(HERE),
             "netapp:make_app", "--host", "127.0.0.1", "--port", str(port), "--loop", "asyncio",
             "--log-level", "warning"],
            env=env, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited:\n{log.read_text(errors='replace')}")
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"no /health in time:\n{log.read_text(errors='replace')}")
            time.sleep(0.2)
        yield Server(url, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
