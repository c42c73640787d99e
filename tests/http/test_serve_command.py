"""``shezhire serve`` builds the validated store when it is missing, then serves it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from shezhire.config import DEFAULT_ROOT
from shezhire.http.testing import free_port

BUILD_AND_START_TIMEOUT_S = 240


def test_serve_builds_a_missing_store_then_serves(tmp_path: Path) -> None:
    store = tmp_path / "store"
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "shezhire.cli",
                "--root",
                str(DEFAULT_ROOT),
                "--store",
                str(store),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + BUILD_AND_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                text = log.read_text(errors="replace")
                if "SHACL violation" in text or "syntax error" in text:
                    pytest.skip(
                        "the repository's data does not pass the gate now (the pipeline "
                        "tests report it); serve rightly refused to start"
                    )
                pytest.fail(f"shezhire serve exited with {process.returncode}:\n{text}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        else:
            pytest.fail(f"shezhire serve did not come up:\n{log.read_text(errors='replace')}")
        assert store.exists()  # it built the store first
        assert f"serving http://127.0.0.1:{port}/sparql" in log.read_text()
        answer = httpx.get(
            f"http://127.0.0.1:{port}/sparql",
            params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
        )
        assert int(answer.json()["results"]["bindings"][0]["n"]["value"]) > 0
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert process.returncode in (0, -15)
