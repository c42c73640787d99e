"""A query worker process: opens the published store read-only and answers jobs over a socket.

Started by :class:`shezhire.http.engine.QueryEngine` as
``python -m shezhire.http.worker FD STORE MEMORY_MB [ALLOWLIST [MODE]]`` where FD is its end of a
socket pair, STORE the published version folder (never written again, so any number of processes
read it at once and the page cache holds it once), MEMORY_MB the address space queries may add
to what the opened store takes (0: no limit; the query thread's stack reservation,
:data:`QUERY_STACK_BYTES`, comes on top), ALLOWLIST the
SERVICE endpoints as a JSON list (absent: none) and MODE ``read-only`` (the default) or
``memory`` (copy the store into this process's memory first). The parent kills it (SIGKILL)
when a query runs past its time limit and starts a fresh one: pyoxigraph cannot interrupt a
query, so the process is the unit of cancellation. Results are serialized here, so the parent
only relays bytes.

Defences, in order:

* With no endpoint allow-listed the worker leaves the host's network before it loads the store
  (:func:`isolate_network`: a new, empty network namespace), so no query can reach anything,
  whatever the parser check below decides. Its READY frame says which it got.
* Each job is checked by :func:`shezhire.http.query_guard.check` (SERVICE endpoints against the
  job's allow-list, nesting depth) before pyoxigraph sees it.
* Jobs run on a thread with a :data:`QUERY_STACK_BYTES` stack, so what slips through the nesting
  check (long flat chains such as ``1+1+...``, which pyoxigraph also evaluates recursively) cannot
  overflow it: pyoxigraph needs at most about 1 KB of stack per query character (measured).
* Anything a query raises becomes an error frame; the worker only exits when an answer it had
  begun to stream fails (the parent then aborts that response) or its parent goes away.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import pickle
import resource
import signal
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, cast

import pyoxigraph as ox

from shezhire.backend.interface import GraphStore
from shezhire.backend.location import is_remote, open_store
from shezhire.backend.outbound import allow_only
from shezhire.backend.remote import RemoteError, RemoteQueryError, RemoteStore, RemoteTruncated
from shezhire.http import query_guard, wire
from shezhire.http.formats import (
    GRAPH_MEDIA,
    OX_GRAPH_FORMAT,
    OX_RESULTS_FORMAT,
    RESULTS_MEDIA,
    GraphFormat,
    ResultsFormat,
)
from shezhire.http.prefixes import PREFIXES

TEXT = "text/plain; charset=utf-8"
log = logging.getLogger("shezhire.http.worker")

# The stack of the thread that runs jobs. pyoxigraph parses and evaluates recursively: nested
# brackets, but also flat chains (``!!!...1``, ``1+1+...``, ``{} UNION {} ...``) overflowed the
# 8 MiB main stack at 9 to 65 KB of query; on this stack every such query of 100,000 characters
# ran (at most about 1 KB of stack per character). Reserved address space, touched only as used.
QUERY_STACK_BYTES = 256 * 1024 * 1024
# A job whose query is longer than QUERY_STACK_BYTES / STACK_BYTES_PER_CHAR characters runs on
# a thread of its own with a stack of that many bytes per character.
STACK_BYTES_PER_CHAR = 2048

# unshare(2) flags (<sched.h>); Python 3.11 has no os.unshare.
CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000

# What isolate_network() achieved; reported in the READY frame (see shezhire.http.wire).
network = "open"


class StreamBroken(Exception):
    """A query failed after its answer began to stream: only closing the socket can say so."""


class FrameWriter:
    """A file-like sink that sends what it is given as frames, at most CHUNK_BYTES at a time."""

    def __init__(self, sock: socket.socket, status: int, content_type: str) -> None:
        self.sock = sock
        self.status = status
        self.content_type = content_type
        self.parts: list[bytes] = []
        self.size = 0
        self.started = False

    def write(self, data: bytes | str) -> int:
        if isinstance(data, str):
            data = data.encode()
        self.parts.append(data)
        self.size += len(data)
        if self.size >= wire.CHUNK_BYTES:
            self._flush()
        return len(data)

    def flush(self) -> None:
        """File-like API; frames are only sent when full or at close."""

    def _flush(self) -> None:
        body = b"".join(self.parts)
        self.parts, self.size = [], 0
        if self.started:
            _send(self.sock, wire.CHUNK, body)
        else:
            self.started = True
            _send(self.sock, wire.START, wire.status_payload(self.status, self.content_type, body))

    def close(self) -> None:
        body = b"".join(self.parts)
        self.parts, self.size = [], 0
        if self.started:
            if body:
                _send(self.sock, wire.CHUNK, body)
            _send(self.sock, wire.END, b"")
        else:
            payload = wire.status_payload(self.status, self.content_type, body)
            _send(self.sock, wire.COMPLETE, payload)


def _send(sock: socket.socket, kind: int, payload: bytes) -> None:
    sock.sendall(wire.FRAME_HEAD.pack(len(payload), kind) + payload)


def _error(sock: socket.socket, status: int, message: str) -> None:
    _send(sock, wire.COMPLETE, wire.status_payload(status, TEXT, message.encode() + b"\n"))


class ResultTooLarge(Exception):
    """The serialized answer passed the job's byte limit."""


class BoundedBuffer:
    """A file-like sink that pyoxigraph's serializers write into, holding at most ``limit``
    bytes: the whole answer is known to fit (or not) before any status is sent, so an answer
    over the limit is a clean 400, never a truncated 200."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes | str) -> int:
        if isinstance(data, str):
            data = data.encode()
        self.size += len(data)
        if self.size > self.limit:
            raise ResultTooLarge
        self.parts.append(data)
        return len(data)

    def flush(self) -> None:
        """File-like API; nothing to flush."""

    def send(self, sock: socket.socket, content_type: str) -> None:
        """Send what was written: one frame when it is at most WHOLE_ANSWER_BYTES, else frames
        of at most CHUNK_BYTES and the end."""
        if self.size <= wire.WHOLE_ANSWER_BYTES:
            payload = wire.status_payload(200, content_type, b"".join(self.parts))
            self.parts = []
            _send(sock, wire.COMPLETE, payload)
            return
        out = FrameWriter(sock, 200, content_type)
        for part in self.parts:
            for start in range(0, len(part), wire.CHUNK_BYTES):
                out.write(part[start : start + wire.CHUNK_BYTES])
        self.parts = []
        out.close()


def _too_large(max_bytes: int) -> str:
    return (
        f"The answer is larger than {max_bytes} bytes (the server's max_result_bytes); "
        "add a LIMIT or narrow the query."
    )


def run_job(store: GraphStore, job: wire.Job, sock: socket.socket) -> None:
    """Check and evaluate one job and send its frames; never raises for what the query does.

    The answer is written by pyoxigraph's serializers into a :class:`BoundedBuffer`, then sent
    in frames; client mistakes become 4xx frames, a failed SERVICE call a 502 that never repeats
    the remote's reply. Raises :class:`StreamBroken` when an answer already streaming fails.
    """
    verdict = query_guard.ACCEPTED
    sending = False
    try:
        verdict = query_guard.check(job.query, job.base_iri, job.service_allowlist)
        if verdict.status:
            _error(sock, verdict.status, verdict.message)
            return
        kwargs: dict[str, Any] = {"base_iri": job.base_iri}
        if job.default_graphs is None and job.named_graphs is None:
            # pyoxigraph's union flag overrides a query's own FROM (measured): set it only
            # for a query that names no dataset. (A RemoteStore ignores the flag and reads
            # the query's FROM itself: no parse here for it.)
            if isinstance(store, RemoteStore) or not query_guard.names_dataset(
                job.query, job.base_iri
            ):
                kwargs["use_default_graph_as_union"] = True
        else:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs or ()]
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs or ()]
        result = store.query(job.query, **kwargs)
        out = BoundedBuffer(job.max_bytes)
        if isinstance(result, ox.QuerySolutions | ox.QueryBoolean):
            if job.results_format < 0:
                kind = "SELECT" if isinstance(result, ox.QuerySolutions) else "ASK"
                _error(sock, 406, f"{kind} results cannot be given in the accepted media types.")
                return
            rfmt = ResultsFormat(job.results_format)
            result.serialize(cast(IO[bytes], out), OX_RESULTS_FORMAT[rfmt])
            content_type = RESULTS_MEDIA[rfmt].content_type
        else:
            if job.graph_format < 0:
                _error(sock, 406, "Graph results cannot be given in the accepted media types.")
                return
            gfmt = GraphFormat(job.graph_format)
            prefixes = PREFIXES if gfmt in (GraphFormat.TURTLE, GraphFormat.TRIG) else None
            ox.serialize(result, cast(IO[bytes], out), OX_GRAPH_FORMAT[gfmt], prefixes=prefixes)
            content_type = GRAPH_MEDIA[gfmt].content_type
        sending = True
        out.send(sock, content_type)
    except ResultTooLarge:
        _error(sock, 400, _too_large(job.max_bytes))
    except Exception as error:
        if sending:
            raise StreamBroken(str(error)) from error
        status, message = _failure(error, verdict.services)
        _error(sock, status, message)


def _failure(error: Exception, services: Sequence[str]) -> tuple[int, str]:
    """The status and message for an exception raised while answering a query."""
    if isinstance(error, SyntaxError):  # pyoxigraph's parser: the client's to read
        return 400, f"Query syntax error: {error}"
    if isinstance(error, RemoteQueryError):  # the remote engine's parser or evaluator
        return 400, f"The remote store refused the query: {error}"
    if isinstance(error, RemoteTruncated):
        return 502, f"The remote store's answer may be incomplete: {error}"
    if isinstance(error, RemoteError):
        return 502, f"The remote store did not answer: {error}"
    if isinstance(error, RecursionError):
        return 400, (
            "The query is nested too deeply: at most "
            f"{query_guard.MAX_QUERY_NESTING} levels of brackets are accepted."
        )
    if isinstance(error, MemoryError):
        return 503, (
            "Query stopped: it needed more memory than a query worker may use "
            "(worker_memory_mb). Narrow the query."
        )
    if services:  # the remote's status and body stay out of the answer
        message = query_guard.service_failed(services)
        if network != "open":
            message += " (The query workers have no network: none was allow-listed at start.)"
        return 502, message
    if isinstance(error, OSError | ValueError | RuntimeError | TypeError):
        return 400, f"Query evaluation error: {error}"
    log.exception("query failed unexpectedly")
    return 500, f"The query failed unexpectedly ({type(error).__name__})."


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (best effort)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _address_space() -> int:
    """This process's address space now (VmSize), in bytes; 0 when unknown."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _limit_memory(megabytes: int) -> None:
    """Cap this process's address space at what it has now (the store opened, RocksDB's threads
    and their reservations) plus ``megabytes`` plus the job thread's stack reservation: a query
    that needs more fails here, not the host. Applied after the store is open: RocksDB reserves
    about 470 MB of address space (threads, arenas) when it opens a store, and a thread it could
    not start would end the process."""
    if megabytes > 0:
        limit = _address_space() + megabytes * 1024 * 1024 + QUERY_STACK_BYTES
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def isolate_network() -> str:
    """Move this process into a new network namespace, where no interface is up (connect()
    fails with ENETUNREACH, even to 127.0.0.1); needs a single-threaded process.

    Returns ``"isolated"``; ``"userns-isolated"`` when that took a user namespace too (a user
    without CAP_SYS_ADMIN may do that where the kernel allows it); ``"open"`` with a warning when
    neither worked (only the parser check then stands between a query and the network).
    """
    try:
        unshare: Callable[[int], int] = ctypes.CDLL(None, use_errno=True).unshare
    except (OSError, AttributeError) as error:
        log.warning(
            "query worker %d keeps the host's network: no unshare(): %s", os.getpid(), error
        )
        return "open"
    if unshare(CLONE_NEWNET) == 0:
        return "isolated"
    if unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0:
        return "userns-isolated"
    log.warning(
        "query worker %d keeps the host's network: unshare(CLONE_NEWNET) failed (%s); "
        "SERVICE is refused by the query check alone",
        os.getpid(),
        os.strerror(ctypes.get_errno()),
    )
    return "open"


def on_stack(stack_bytes: int, function: Callable[..., None], *args: Any) -> None:
    """Call ``function(*args)`` on a new thread with a stack of ``stack_bytes``, and wait.

    Raises RuntimeError when the thread cannot be made (e.g. past the address-space limit).
    Exceptions ``function`` raises are re-raised here.
    """
    raised: list[BaseException] = []

    def run() -> None:
        try:
            function(*args)
        except BaseException as error:
            raised.append(error)

    previous = threading.stack_size(stack_bytes)
    try:
        thread = threading.Thread(target=run, name="query", daemon=True)
        thread.start()
    finally:
        threading.stack_size(previous)
    thread.join()
    if raised:
        raise raised[0]


def _answer(store: GraphStore, job: wire.Job, sock: socket.socket) -> None:
    """Run one job; one longer than the job thread's stack is sized for gets a thread of its own."""
    needed = len(job.query) * STACK_BYTES_PER_CHAR
    if needed <= QUERY_STACK_BYTES:
        run_job(store, job, sock)
        return
    try:
        on_stack(-(-needed // 65536) * 65536, run_job, store, job, sock)
    except RuntimeError as error:  # no thread: too little address space for its stack
        _error(sock, 503, f"Query refused: this worker cannot run a query this long ({error}).")


def _answer_jobs(store: GraphStore, sock: socket.socket) -> None:
    reader = sock.makefile("rb")
    head_size = wire.REQUEST_HEAD.size
    while True:
        head = reader.read(head_size)
        if len(head) < head_size:
            return  # the parent closed its end
        (length,) = wire.REQUEST_HEAD.unpack(head)
        job = wire.Job(*pickle.loads(reader.read(length)))  # noqa: S301 - from our parent only
        _send(sock, wire.ACCEPTED, b"")
        try:
            _answer(store, job, sock)
        except StreamBroken as error:
            log.warning("query worker %d stops: a streamed answer failed: %s", os.getpid(), error)
            return


def serve(
    fd: int,
    store_path: str,
    memory_mb: int = 0,
    allowlist: Sequence[str] = (),
    mode: str = "read-only",
) -> None:
    global network  # noqa: PLW0603 - once, at start, for the messages of failed SERVICE calls
    remote = is_remote(store_path)
    # first: isolation needs a single thread
    network = "open" if allowlist or remote else isolate_network()
    if network == "open":
        # Below the application: a connect() anywhere else fails, whatever asked for it.
        allow_only([*allowlist, *([store_path] if remote else [])])
    _die_with_parent()  # after: entering a user namespace would clear it
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    sock = socket.socket(fileno=fd)
    store = open_store(store_path, mode)
    _limit_memory(memory_mb)
    _send(sock, wire.READY, json.dumps({"network": network}).encode())
    on_stack(QUERY_STACK_BYTES, _answer_jobs, store, sock)


if __name__ == "__main__":
    serve(
        int(sys.argv[1]),
        sys.argv[2],
        int(sys.argv[3]) if len(sys.argv) > 3 else 0,
        json.loads(sys.argv[4]) if len(sys.argv) > 4 else (),
        sys.argv[5] if len(sys.argv) > 5 else "read-only",
    )
