"""Helpers for tests and benchmarks: a plain store built without the gate, a live server.

``build_plain_store`` loads Turtle files into named graphs (``.../graph/{stem}``) without
validation, skipping files that do not parse; ``LiveServer`` runs ``python -m
shezhire.http.server`` on 127.0.0.1 in a subprocess and stops it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import pyoxigraph as ox

from shezhire.config import GRAPH_BASE, ONTOLOGY_GRAPH, Settings
from shezhire.pipeline import evidence
from shezhire.pipeline.store import open_read_only

SERVER_START_TIMEOUT_S = 60.0
# How the page tests run headless Chromium (Debian's ``chromium``): nothing in the background
# may reach out, and screenshots have no scroll bars.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def timed(action: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    """Run ``action`` ``repeat`` times: the seconds of each run, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return times, result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def select_rows(store_path: Path, query: str) -> list[dict[str, str]]:
    """The solutions of a SELECT over the union of a built store's graphs, as plain strings
    (an unbound variable is left out of its row)."""
    with open_read_only(store_path) as store:
        solutions = store.query(query, use_default_graph_as_union=True)
        assert isinstance(solutions, ox.QuerySolutions)
        names = [v.value for v in solutions.variables]
        return [{n: term.value for n in names if (term := row[n]) is not None} for row in solutions]


def build_plain_store(
    destination: Path,
    turtle_files: Iterable[Path] = (),
    extra_quads: Iterable[ox.Quad] = (),
) -> list[str]:
    """Write an on-disk store; returns the files that were skipped (with their errors).

    Files under an ``ontology`` folder go to ``.../graph/ontology``, others to
    ``.../graph/{stem}``; no validation, no materialization.
    """
    skipped: list[str] = []
    memory = ox.Store()
    for path in turtle_files:
        # As the pipeline names them: ontology files share one graph, data files get their own.
        iri = ONTOLOGY_GRAPH if path.parent.name == "ontology" else GRAPH_BASE + path.stem
        graph = ox.NamedNode(iri)
        try:
            quads = [
                ox.Quad(q.subject, q.predicate, q.object, graph)
                for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
            ]
        except (SyntaxError, OSError, ValueError) as error:
            skipped.append(f"{path}: {error}")
            continue
        memory.extend(quads)
    # The files' evidence gets the IRIs the build gives it (citations, quotes, participations),
    # so that /id/citation/... answers here too; extra quads are kept exactly as given.
    evidence.name_evidence(memory)
    memory.extend(extra_quads)
    destination.parent.mkdir(parents=True, exist_ok=True)
    disk = ox.Store(str(destination))
    disk.bulk_extend(memory.quads_for_pattern(None, None, None, None))
    disk.flush()
    del disk
    return skipped


def settings_env(settings: Settings) -> dict[str, str]:
    """The ``SHEZHIRE_*`` environment that reproduces ``settings`` in a child process."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if isinstance(value, list):
            env[f"SHEZHIRE_{name.upper()}"] = json.dumps(value)
        else:
            env[f"SHEZHIRE_{name.upper()}"] = str(value)
    return env


class LiveServer:
    """``with LiveServer(settings) as server: httpx.get(server.url + "/health")``."""

    def __init__(
        self,
        settings: Settings,
        extra_env: Mapping[str, str] | None = None,
        factory: tuple[Path, str] | None = None,
    ) -> None:
        """``factory`` = (folder, "module:function") serves another app factory under uvicorn
        (tests of a router on its own); by default the whole service runs."""
        if settings.port == 8000:
            settings = settings.model_copy(update={"port": free_port()})
        self.settings = settings
        self.url = f"http://{settings.host}:{settings.port}"
        self.sparql = self.url + "/sparql"
        self.extra_env = dict(extra_env or {})
        self.factory = factory
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> LiveServer:
        env = {**os.environ, **settings_env(self.settings), **self.extra_env}
        if self.log_path is None:
            self.log_path = Path(self.settings.store).parent / f"server-{self.settings.port}.log"
        log = self.log_path.open("wb")
        command = [sys.executable, "-m", "shezhire.http.server"]
        probe = "/health"
        if self.factory is not None:
            folder, app = self.factory
            command = [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "--app-dir",
                str(folder),
                app,
                "--host",
                self.settings.host,
                "--port",
                str(self.settings.port),
                "--log-level",
                "warning",
            ]
            probe = "/openapi.json"
        self.process = subprocess.Popen(
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited at start:\n{self.log()}")
            try:
                if httpx.get(self.url + probe, timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not answer {probe} in time:\n{self.log()}")

    def log(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
