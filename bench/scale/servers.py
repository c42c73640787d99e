"""The servers the serving parts compare, started on free 127.0.0.1 ports and always stopped.

- ours: ``python -m shezhire.http.server`` (this checkout's venv Python) on a built store, with
  ``SHEZHIRE_STORE_PATH``, ``SHEZHIRE_HOST``, ``SHEZHIRE_PORT`` (every other ``SHEZHIRE_*``
  variable of the caller dropped) and ``TMPDIR`` inside the part's working folder (the server
  keeps its working copy and dump files there);
- oxigraph: ``oxigraph serve-read-only --union-default-graph`` (the ``oxigraph`` command of
  the PyPI package) on a copy of the same store loaded into an Oxigraph folder
  (:func:`load_oxigraph`: dump to N-Quads, ``oxigraph load``; timed apart from its start, and
  the ``oxigraph load`` alone in wall and CPU seconds, from the children's rusage).

Start-up is the seconds from the process start to the first 200 answer (``/health`` for ours,
``ASK {}`` for oxigraph), polled every 20 ms. Each server runs in its own session: stopping it
sends SIGTERM to it, then SIGKILL to its process group (its query workers included). Memory is
the sum over the process and all its descendants of PSS (proportional set size: shared pages
divided among the processes sharing them, so that the query workers' shared memory is counted
once) and of RSS, read from ``/proc/PID/smaps_rollup``.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import httpx
import pyoxigraph as ox

from shezhire.http.testing import free_port
from shezhire.pipeline.store import open_read_only

ROOT = Path(__file__).resolve().parents[2]
POLL_S = 0.02


def python() -> str:
    """The checkout's venv Python (the one running this when run as documented)."""
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def oxigraph_binary() -> str:
    beside = Path(python()).with_name("oxigraph")
    return str(beside) if beside.exists() else (shutil.which("oxigraph") or "oxigraph")


def load_average() -> float:
    return os.getloadavg()[0]


def descendants(pid: int) -> list[int]:
    """``pid``'s children, their children, and so on (from /proc)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = list(Path(f"/proc/{parent}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            found.extend(children)
            todo.extend(children)
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) of a process and its descendants so far, from /proc."""
    total = 0
    for one in [pid, *descendants(pid)]:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def settle(pid: int, limit: float = 600.0, window: float = 1.0) -> float:
    """Wait until the process tree is idle (under 5% of a core over ``window`` seconds: the
    dump files our server writes after its start, its workers loading, are done); the seconds
    waited."""
    began = time.perf_counter()
    before = cpu_seconds(pid)
    while time.perf_counter() - began < limit:
        time.sleep(window)
        now = cpu_seconds(pid)
        if now - before < 0.05 * window:
            break
        before = now
    return time.perf_counter() - began


@dataclass
class Memory:
    """PSS and RSS of a process tree, in MB, and how many processes it counted."""

    pss_mb: float
    rss_mb: float
    processes: int

    def __str__(self) -> str:
        return f"{self.pss_mb:.0f} MB PSS ({self.rss_mb:.0f} MB RSS, {self.processes} processes)"


def memory(pid: int) -> Memory:
    pss = rss = 0
    counted = 0
    for one in [pid, *descendants(pid)]:
        try:
            text = Path(f"/proc/{one}/smaps_rollup").read_text()
        except OSError:
            continue
        counted += 1
        for line in text.splitlines():
            if line.startswith("Pss:"):
                pss += int(line.split()[1])
            elif line.startswith("Rss:"):
                rss += int(line.split()[1])
    return Memory(pss / 1024, rss / 1024, counted)


class PeakMemory:
    """The largest PSS of a process tree seen while the ``with`` block runs (sampled)."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = Memory(0, 0, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            now = memory(self.pid)
            if now.pss_mb > self.peak.pss_mb:
                self.peak = now
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Server:
    """A started server: ``url`` is its base (``http://127.0.0.1:PORT``)."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    endpoint: str  # its SPARQL endpoint
    log_path: Path
    start_s: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    def memory(self) -> Memory:
        return memory(self.pid)

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM (a clean shutdown removes the server's working folders), then SIGKILL to
        the process group it leads, so that no worker outlives it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


def _wait_ready(server: Server, probe: str, params: Mapping[str, str], timeout: float) -> None:
    """Poll until ``probe`` answers 200; the seconds since the process started go in start_s."""
    began = time.perf_counter()
    deadline = began + timeout
    with httpx.Client(timeout=5) as client:
        while time.perf_counter() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"{server.name} exited at start:\n{server.log()}")
            try:
                if client.get(probe, params=params).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(POLL_S)
    server.stop()
    raise RuntimeError(f"{server.name} did not answer {probe} in {timeout:.0f} s:\n{server.log()}")


def _popen(command: list[str], env: Mapping[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def start_server(
    name: str,
    command: list[str],
    env: Mapping[str, str],
    port: int,
    work: Path,
    endpoint: str,
    probe: str,
    params: Mapping[str, str] | None = None,
    timeout: float = 300,
) -> Server:
    """``command`` (listening on 127.0.0.1:``port``; its log under ``work``) started and polled
    until the path ``probe`` answers 200; start_s = the seconds since the process started."""
    url = f"http://127.0.0.1:{port}"
    log_path = work / f"{name}-{port}.log"
    began = time.perf_counter()
    process = _popen(command, env, log_path)
    server = Server(name, process, url, url + endpoint, log_path)
    try:
        _wait_ready(server, url + probe, params or {}, timeout)
    except BaseException:
        server.stop()
        raise
    server.start_s = time.perf_counter() - began
    return server


def start_ours(
    store: Path, work: Path, extra_env: Mapping[str, str] | None = None, timeout: float = 900
) -> Server:
    """``python -m shezhire.http.server`` on ``store``; start_s = until /health answers 200."""
    port = free_port()
    tmp = work / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEZHIRE_")}
    env.update(
        SHEZHIRE_STORE_PATH=str(store),
        SHEZHIRE_HOST="127.0.0.1",
        SHEZHIRE_PORT=str(port),
        TMPDIR=str(tmp),
        **(extra_env or {}),
    )
    command = [python(), "-m", "shezhire.http.server"]
    return start_server("ours", command, env, port, work, "/sparql", "/health", timeout=timeout)


def run_timed(command: list[str]) -> tuple[float, float]:
    """``command`` run to its end (output captured): its wall and CPU seconds (user and system,
    its threads and children, from this process's children's rusage)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


class OxigraphCopy(NamedTuple):
    """A store loaded into an Oxigraph folder: where, the seconds of dump and load, and of
    ``oxigraph load`` alone (wall and CPU)."""

    location: Path
    seconds: float
    load_s: float
    load_cpu_s: float


def load_oxigraph(store: Path, work: Path) -> OxigraphCopy:
    """``store`` copied into an Oxigraph folder under ``work`` (dump and ``oxigraph load``: not
    part of oxigraph's start-up)."""
    began = time.perf_counter()
    work.mkdir(parents=True, exist_ok=True)
    dump = work / "dump.nq"
    with open_read_only(store) as source:
        source.dump(str(dump), ox.RdfFormat.N_QUADS)
    location = work / "oxigraph"
    shutil.rmtree(location, ignore_errors=True)
    load_s, load_cpu_s = run_timed(
        [oxigraph_binary(), "load", "--location", str(location), "--file", str(dump)]
    )
    dump.unlink()
    return OxigraphCopy(location, time.perf_counter() - began, load_s, load_cpu_s)


def serve_oxigraph(location: Path, work: Path, timeout: float = 300) -> Server:
    """``oxigraph serve-read-only`` on ``location``; start_s = until ``ASK {}`` answers 200."""
    port = free_port()
    command = [
        oxigraph_binary(),
        "serve-read-only",
        "--location",
        str(location),
        "--bind",
        f"127.0.0.1:{port}",
        "--union-default-graph",
    ]
    params = {"query": "ASK {}"}
    return start_server(
        "oxigraph", command, os.environ, port, work, "/query", "/query", params, timeout
    )


def start_oxigraph(store: Path, work: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Load ``store`` and serve it with oxigraph: the process and its SPARQL endpoint."""
    server = serve_oxigraph(load_oxigraph(store, work).location, work)
    return server.process, server.endpoint


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    """Stop ``server`` when the block ends; on an error, show the end of its log first."""
    try:
        yield server
    except BaseException:
        print(f"--- end of the {server.name} log ---\n{server.log()}", file=sys.stderr)
        raise
    finally:
        server.stop()


@dataclass
class Context:
    """What the serving parts of one scale share: the built store, the part's options, and one
    Oxigraph copy of the store (loaded by the first part that needs it, under ``work``)."""

    scale: int
    store: Path
    work: Path  # removed by the caller when the scale is done
    duration: float = 3.0  # seconds per measured slice
    rounds: int = 3
    clients: int = 8
    _oxigraph: OxigraphCopy | None = None

    def oxigraph_copy(self) -> OxigraphCopy:
        """The Oxigraph folder holding the store, and the seconds its load took."""
        if self._oxigraph is None:
            self._oxigraph = load_oxigraph(self.store, self.work / "oxigraph-copy")
        return self._oxigraph
