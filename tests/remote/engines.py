"""Start and stop the remote SPARQL 1.1 stores the client is tested and benchmarked against.

Two engines, each a child process in its own session on 127.0.0.1, with its data and log in a
folder the caller gives:

* ``start_virtuoso``: OpenLink Virtuoso 7.2 (Debian's ``virtuoso-t``) with a virtuoso.ini of
  its own (database files in the folder, free HTTP and ISQL ports, ~200 MB of buffers). Once
  ``/sparql`` answers, the anonymous ``SPARQL`` user is granted ``SPARQL_UPDATE``, which opens
  SPARQL Update on ``/sparql`` and the Graph Store Protocol on ``/sparql-graph-crud``.
* ``start_oxigraph``: ``oxigraph serve`` (the PyPI package ``oxigraph``), the conformant
  reference: ``/query``, ``/update`` and the Graph Store Protocol on ``/store``.

``RemoteEngine.stop`` ends the process group (SIGTERM, then SIGKILL) and deletes nothing.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx

from shezhire.http.testing import free_port

#: ``ResultSetMaxRows`` in the virtuoso.ini Debian ships: the packaged server answers at most
#: this many rows per query. Without the key, ``virtuoso-t`` caps nothing (measured).
DEBIAN_RESULT_SET_MAX_ROWS = 10_000
#: ``MaxSortedTopRows``, Virtuoso's compiled-in default: ORDER BY with OFFSET + LIMIT above it
#: fails with SR353 (measured).
VIRTUOSO_SORTED_TOP_ROWS = 10_000

STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
LOG_TAIL_CHARS = 3_000


class EngineError(RuntimeError):
    """An engine did not start, or could not be configured."""


@dataclass
class RemoteEngine:
    """One running store: its SPARQL endpoints, its process and its log."""

    name: str
    query_url: str
    update_url: str
    graph_store_url: str
    process: subprocess.Popen[bytes]
    log: Path
    folder: Path
    #: Virtuoso's SQL (ISQL) port; None for Oxigraph.
    isql_port: int | None = None
    _stopped: bool = field(default=False, repr=False)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, chars: int = LOG_TAIL_CHARS) -> str:
        return _tail(self.log, chars)

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """SIGTERM to the process group, at most ``timeout`` seconds of waiting, then SIGKILL.
        Idempotent; the folder and its files stay."""
        if self._stopped:
            return
        self._stopped = True
        _end_group(self.process, timeout)

    def __enter__(self) -> RemoteEngine:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def find_binary(name: str) -> str | None:
    """``name`` beside this interpreter (a venv's bin), else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


def virtuoso_ini(
    folder: Path,
    *,
    http_port: int,
    isql_port: int,
    max_rows: int | None = DEBIAN_RESULT_SET_MAX_ROWS,
    max_sorted_top_rows: int = VIRTUOSO_SORTED_TOP_ROWS,
    query_timeout_s: int = 60,
) -> str:
    """A virtuoso.ini after Debian's (/etc/virtuoso-opensource-7/virtuoso.ini), everything in
    ``folder``, both ports on 127.0.0.1. ``max_rows=None`` leaves ResultSetMaxRows out: no cap."""
    folder = folder.resolve()
    max_rows_line = "" if max_rows is None else f"ResultSetMaxRows           = {max_rows}\n"
    return f"""\
; Written by tests/remote/engines.py for one test or benchmark run.
[Database]
DatabaseFile       = {folder}/virtuoso.db
ErrorLogFile       = {folder}/virtuoso.log
LockFile           = {folder}/virtuoso.lck
TransactionFile    = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {folder}/virtuoso-temp.db
TransactionFile    = {folder}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort               = 127.0.0.1:{isql_port}
LiteMode                 = 0
DisableUnixSocket        = 1
DisableTcpSocket         = 0
MaxClientConnections     = 10
CheckpointInterval       = 60
O_DIRECT                 = 0
CaseMode                 = 2
MaxStaticCursorRows      = 5000
CheckpointAuditTrail     = 0
AllowOSCalls             = 0
SchedulerInterval        = 10
DirsAllowed              = ., {folder}, /usr/share/virtuoso-opensource-7/vad
ThreadCleanupInterval    = 0
ThreadThreshold          = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize        = 100000
SingleCPU                = 0
PrefixResultNames        = 0
RdfFreeTextRulesSize     = 100
IndexTreeMaps            = 64
MaxMemPoolSize           = 50000000
MaxQueryMem              = 200M
VectorSize               = 1000
MaxVectorSize            = 1000000
AdjustVectorSize         = 0
ThreadsPerQuery          = 2
AsyncQueueMaxThreads     = 4
MaxSortedTopRows         = {max_sorted_top_rows}
; shezhire publish switches every graph in one transaction: at x30 (1.67 M quads) its log
; went past the default 50 MB ("SR325 Transaction aborted because it's log after image size
; went above the limit").
TransactionAfterImageLimit = 1500000000
; 8 KB pages: ~140 MB of buffers (Virtuoso's guide: 85,000 per GB of RAM to spare).
NumberOfBuffers          = 17000
MaxDirtyBuffers          = 13000

[HTTPServer]
ServerPort                  = 127.0.0.1:{http_port}
ServerRoot                  = {folder}/vsp
MaxClientConnections        = 10
DavRoot                     = DAV
EnabledDavVSP               = 0
HTTPProxyEnabled            = 0
TempASPXDir                 = 0
ServerThreads               = 10
MaxKeepAlives               = 10
KeepAliveTimeout            = 10
HTTPThreadSize              = 280000
HttpPrintWarningsInOutput   = 0
Charset                     = UTF-8
EnabledGzipContent          = 1

[AutoRepair]
BadParentLinks = 0

[Client]
SQL_PREFETCH_ROWS  = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT  = 0
SQL_TXN_TIMEOUT    = 0

[SPARQL]
{max_rows_line}MaxQueryCostEstimationTime = {query_timeout_s}
MaxQueryExecutionTime      = {query_timeout_s}
DeferInferenceRulesInit    = 0
"""


def start_virtuoso(
    folder: Path,
    *,
    max_rows: int | None = DEBIAN_RESULT_SET_MAX_ROWS,
    max_sorted_top_rows: int = VIRTUOSO_SORTED_TOP_ROWS,
    query_timeout_s: int = 60,
    grant_update: bool = True,
    startup_timeout: float = STARTUP_TIMEOUT_S,
) -> RemoteEngine:
    """Virtuoso with a fresh database in ``folder`` (an existing one there is reused).

    ``max_rows`` is ResultSetMaxRows: Debian's 10,000 unless given, None for no cap.
    ``grant_update`` grants SPARQL_UPDATE to the anonymous ``SPARQL`` user (over ISQL as dba),
    which opens SPARQL Update on /sparql and the Graph Store Protocol on /sparql-graph-crud.
    """
    binary = find_binary("virtuoso-t")
    if binary is None:
        raise EngineError("virtuoso-t is not installed (apt-get install virtuoso-opensource)")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vsp").mkdir(exist_ok=True)
    http_port, isql_port = _two_free_ports()
    ini = folder / "virtuoso.ini"
    ini.write_text(
        virtuoso_ini(
            folder,
            http_port=http_port,
            isql_port=isql_port,
            max_rows=max_rows,
            max_sorted_top_rows=max_sorted_top_rows,
            query_timeout_s=query_timeout_s,
        ),
        encoding="utf-8",
    )
    base = f"http://127.0.0.1:{http_port}"
    engine = RemoteEngine(
        name="virtuoso",
        query_url=f"{base}/sparql",
        update_url=f"{base}/sparql",
        graph_store_url=f"{base}/sparql-graph-crud",
        process=_spawn([binary, "+foreground", "+configfile", str(ini)], folder, "virtuoso.out"),
        log=folder / "virtuoso.out",
        folder=folder,
        isql_port=isql_port,
    )
    try:
        _wait_until_up(engine, f"{engine.query_url}?query=ASK%7B%7D", startup_timeout)
        if grant_update:
            grant_sparql_update(engine)
    except BaseException:
        engine.stop()
        raise
    return engine


def grant_sparql_update(engine: RemoteEngine) -> None:
    """Let the anonymous ``SPARQL`` user write: SPARQL Update on /sparql, the Graph Store
    Protocol on /sparql-graph-crud. A database that has the grant already keeps it."""
    try:
        isql(engine, 'grant SPARQL_UPDATE to "SPARQL";')
    except EngineError as error:
        if "already have role" not in str(error):
            raise


def isql(engine: RemoteEngine, statements: str, timeout: float = 60) -> str:
    """Run SQL on a Virtuoso engine as dba (default password) with ``isql-vt``; its output."""
    if engine.isql_port is None:
        raise EngineError(f"{engine.name} has no ISQL port")
    binary = find_binary("isql-vt") or find_binary("isql")
    if binary is None:
        raise EngineError("isql-vt is not installed")
    result = subprocess.run(
        [binary, f"127.0.0.1:{engine.isql_port}", "dba", "dba", f"exec={statements}"],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0 or "*** Error" in output:
        raise EngineError(f"isql failed ({result.returncode}): {output.strip()}")
    return output


def start_oxigraph(
    folder: Path,
    *,
    startup_timeout: float = STARTUP_TIMEOUT_S,
) -> RemoteEngine:
    """``oxigraph serve`` on a store in ``folder/db`` (created, or reused)."""
    binary = find_binary("oxigraph")
    if binary is None:
        raise EngineError("oxigraph is not installed (pip install 'oxigraph>=0.5,<0.6')")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = [binary, "serve", "--location", str(folder / "db"), "--bind", f"127.0.0.1:{port}"]
    base = f"http://127.0.0.1:{port}"
    engine = RemoteEngine(
        name="oxigraph",
        query_url=f"{base}/query",
        update_url=f"{base}/update",
        graph_store_url=f"{base}/store",
        process=_spawn(command, folder, "oxigraph.out"),
        log=folder / "oxigraph.out",
        folder=folder,
    )
    try:
        _wait_until_up(engine, f"{engine.query_url}?query=ASK%7B%7D", startup_timeout)
    except BaseException:
        engine.stop()
        raise
    return engine


def _two_free_ports() -> tuple[int, int]:
    first = free_port()
    second = free_port()
    while second == first:
        second = free_port()
    return first, second


def _spawn(command: list[str], folder: Path, log_name: str) -> subprocess.Popen[bytes]:
    with (folder / log_name).open("ab") as log:
        return subprocess.Popen(
            command,
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_until_up(engine: RemoteEngine, probe: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        if not engine.running:
            raise EngineError(
                f"{engine.name} exited with {engine.process.returncode} before answering;"
                f" {engine.log}:\n{engine.log_tail()}"
            )
        try:
            answer = httpx.get(probe, timeout=5)
        except httpx.HTTPError as error:
            last = repr(error)
        else:
            if answer.status_code == 200:
                return
            last = f"HTTP {answer.status_code}: {answer.text[:200]}"
        time.sleep(0.25)
    raise EngineError(
        f"{engine.name} did not answer {probe} with 200 within {timeout:.0f} s ({last});"
        f" {engine.log}:\n{engine.log_tail()}"
    )


def _end_group(process: subprocess.Popen[bytes], timeout: float) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        process.wait(timeout=timeout)


def _tail(path: Path, chars: int) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        return f"(no log: {error})"
    return text[-chars:]
