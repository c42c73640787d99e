"""A query worker process: holds an in-memory copy of the store and answers jobs over a socket.

Started by :class:`shezhire.http.engine.QueryEngine` as
``python -m shezhire.http.worker FD DUMP MEMORY_MB`` where FD is its end of a socket pair, DUMP
an N-Quads dump of the built store and MEMORY_MB its address-space limit (0: none). The parent
kills it (SIGKILL) when a query runs past its time limit and starts a fresh one: pyoxigraph
cannot interrupt a query, so the process is the unit of cancellation. Results are serialized
here, so the parent only relays bytes.
"""

from __future__ import annotations

import contextlib
import ctypes
import pickle
import resource
import signal
import socket
import sys
from itertools import islice
from typing import IO, Any, cast

import pyoxigraph as ox

from shezhire.http import wire
from shezhire.http.formats import (
    GRAPH_MEDIA,
    OX_GRAPH_FORMAT,
    RESULTS_MEDIA,
    ROW_WRITERS,
    GraphFormat,
    ResultsFormat,
    write_boolean,
)
from shezhire.http.prefixes import PREFIXES

TEXT = "text/plain; charset=utf-8"


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


def _too_many(max_rows: int, what: str) -> str:
    return (
        f"The result has more than {max_rows} {what} (the server's max_result_rows); "
        "add a LIMIT or narrow the query."
    )


def run_job(store: ox.Store, job: wire.Job, sock: socket.socket) -> None:
    """Evaluate one job and send its frames. Client mistakes become 4xx frames."""
    try:
        kwargs: dict[str, Any] = {"base_iri": job.base_iri}
        if job.default_graphs is None and job.named_graphs is None:
            kwargs["use_default_graph_as_union"] = True
        else:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs or ()]
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs or ()]
        result = store.query(job.query, **kwargs)
        if isinstance(result, ox.QuerySolutions):
            if job.results_format < 0:
                _error(sock, 406, "SELECT results cannot be given in the accepted media types.")
                return
            variables = [v.value for v in result.variables]
            rows = [tuple(s) for s in islice(result, job.max_rows + 1)]
            if len(rows) > job.max_rows:
                _error(sock, 400, _too_many(job.max_rows, "rows"))
                return
            rfmt = ResultsFormat(job.results_format)
            out = FrameWriter(sock, 200, RESULTS_MEDIA[rfmt].content_type)
            pieces: list[str] = []
            size = 0
            for piece in ROW_WRITERS[rfmt](variables, rows):
                pieces.append(piece)
                size += len(piece)
                if size >= wire.CHUNK_BYTES:
                    out.write("".join(pieces).encode())
                    pieces, size = [], 0
            out.write("".join(pieces).encode())
            out.close()
        elif isinstance(result, ox.QueryBoolean):
            if job.results_format < 0:
                _error(sock, 406, "ASK results cannot be given in the accepted media types.")
                return
            rfmt = ResultsFormat(job.results_format)
            out = FrameWriter(sock, 200, RESULTS_MEDIA[rfmt].content_type)
            out.write(write_boolean(rfmt, bool(result)))
            out.close()
        else:
            if job.graph_format < 0:
                _error(sock, 406, "Graph results cannot be given in the accepted media types.")
                return
            triples = list(islice(result, job.max_rows + 1))
            if len(triples) > job.max_rows:
                _error(sock, 400, _too_many(job.max_rows, "triples"))
                return
            gfmt = GraphFormat(job.graph_format)
            out = FrameWriter(sock, 200, GRAPH_MEDIA[gfmt].content_type)
            oxfmt = OX_GRAPH_FORMAT[gfmt]
            data: list[Any] = triples
            if oxfmt.supports_datasets:
                data = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
            prefixes = PREFIXES if gfmt in (GraphFormat.TURTLE, GraphFormat.TRIG) else None
            ox.serialize(data, cast(IO[bytes], out), oxfmt, prefixes=prefixes)
            out.close()
    except SyntaxError as error:
        _error(sock, 400, f"Query syntax error: {error}")
    except (OSError, ValueError, RuntimeError, TypeError) as error:
        _error(sock, 400, f"Query evaluation error: {error}")


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (best effort)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def load_store(dump: str) -> ox.Store:
    store = ox.Store()
    store.bulk_load(path=dump, format=ox.RdfFormat.N_QUADS)
    return store


def _limit_memory(megabytes: int) -> None:
    """Cap this process's address space: a query that needs more fails here, not the host."""
    if megabytes > 0:
        limit = megabytes * 1024 * 1024
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def serve(fd: int, dump: str, memory_mb: int = 0) -> None:
    _die_with_parent()
    _limit_memory(memory_mb)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    sock = socket.socket(fileno=fd)
    store = load_store(dump)
    reader = sock.makefile("rb")
    _send(sock, wire.READY, b"")
    head_size = wire.REQUEST_HEAD.size
    while True:
        head = reader.read(head_size)
        if len(head) < head_size:
            return  # the parent closed its end
        (length,) = wire.REQUEST_HEAD.unpack(head)
        job = wire.Job(*pickle.loads(reader.read(length)))  # noqa: S301 - from our parent only
        run_job(store, job, sock)


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 0)
