"""Constants and the live-server helper shared by the network tests (a plain module: a
conftest is not importable by name)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from shezhire.config import Settings
from shezhire.http.testing import free_port, settings_env

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
P = "https://w3id.org/shezhire/id/person/"
SERVER_START_TIMEOUT_S = 90.0


class Server:
    def __init__(self, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.url = url
        self.sparql = url + "/sparql"
        self.process = process
        self.log = log

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start_server(
    settings: Settings,
    folder: Path,
    factory: str,
    extra_env: dict[str, str] | None = None,
) -> Server:
    """uvicorn on a free 127.0.0.1 port serving ``netapp:<factory>`` (the router alone, or fed
    by a provider: the whole service is the session's ``site`` fixture)."""
    port = free_port()
    settings = settings.model_copy(update={"port": port, "host": "127.0.0.1"})
    env = {**os.environ, **settings_env(settings), **(extra_env or {})}
    log = folder / f"server-{port}.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "--app-dir",
                str(HERE),
                f"netapp:{factory}",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    probe = "/openapi.json"
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(server.url + probe, timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"no {probe} in time:\n{log.read_text(errors='replace')}")
        time.sleep(0.2)
