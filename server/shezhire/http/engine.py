"""The query core: run SPARQL with limits in killable worker processes; return bytes or a stream.

This is the one place that evaluates queries for the HTTP service (``/sparql``, ``/id/...``,
``/void``, and the routes other teams add). Use it from any coroutine::

    outcome = await engine.run(Job(query, ResultsFormat.JSON, GraphFormat.TURTLE, None, None,
                                    settings.max_result_rows, None), timeout_s=5)
    outcome.status, outcome.content_type, outcome.body   # small results
    async for chunk in outcome.stream: ...                # large ones (outcome.body is None)

or ``await outcome.read_all()`` for the whole body. A query past its time limit gets its
worker killed (SIGKILL frees the CPU at once) and replaced; the caller gets a 503 outcome. The
workers each hold an in-memory copy of the store loaded from an N-Quads dump.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
import socket
import sys
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from shezhire.http import wire

log = logging.getLogger("shezhire.http.engine")

TEXT = "text/plain; charset=utf-8"
# How long a new worker may take to load the store before the engine gives up on it.
WORKER_START_TIMEOUT_S = 120.0


@dataclass
class Outcome:
    """What a query produced: a status, a content type, and either a body or a stream."""

    status: int
    content_type: str
    body: bytes | None
    stream: AsyncIterator[bytes] | None = None

    async def read_all(self) -> bytes:
        if self.body is not None:
            return self.body
        assert self.stream is not None
        return b"".join([chunk async for chunk in self.stream])


def problem(status: int, message: str) -> Outcome:
    return Outcome(status, TEXT, message.encode() + b"\n")


class WorkerConnection(asyncio.Protocol):
    """The parent's end of a worker's socket: splits what arrives into frames.

    A plain Protocol (no StreamReader) keeps the per-request cost to one callback and one
    future; most answers arrive as one COMPLETE frame in one read.
    """

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.frames: deque[tuple[int, bytes]] = deque()
        self.waiter: asyncio.Future[None] | None = None
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def data_received(self, data: bytes) -> None:
        head = wire.FRAME_HEAD
        if self.buffer:
            self.buffer += data
            data = bytes(self.buffer)
            self.buffer.clear()
        offset = 0
        size = len(data)
        while size - offset >= head.size:
            length, kind = head.unpack_from(data, offset)
            end = offset + head.size + length
            if end > size:
                break
            self.frames.append((kind, data[offset + head.size : end]))
            offset = end
        if offset < size:
            self.buffer += data[offset:]
        self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done() and (self.frames or self.lost):
            waiter.set_result(None)

    async def read_frame(self) -> tuple[int, bytes]:
        while not self.frames:
            if self.lost:
                raise ConnectionError("the worker closed its socket")
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        return self.frames.popleft()

    def send(self, data: bytes) -> None:
        if self.lost or self.transport is None:
            raise ConnectionError("the worker closed its socket")
        self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Worker:
    """One worker process and the parent's end of its socket."""

    __slots__ = ("connection", "process")

    def __init__(self, process: asyncio.subprocess.Process, connection: WorkerConnection) -> None:
        self.process = process
        self.connection = connection

    @property
    def pid(self) -> int:
        return self.process.pid


class QueryEngine:
    """A pool of long-lived worker processes; see the module docstring."""

    def __init__(self, dump_path: Path, workers: int, memory_mb: int = 0) -> None:
        self.dump_path = dump_path
        self.size = workers
        self.memory_mb = memory_mb
        self._idle: asyncio.Queue[Worker] = asyncio.Queue()
        self._all: set[Worker] = set()  # every live process, starting or ready
        self._ready: set[Worker] = set()  # those that have loaded the store
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self.killed = 0  # workers killed for running past their limit (for /health)

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        await asyncio.gather(*(self._spawn() for _ in range(self.size)))

    async def close(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        for worker in list(self._all):
            await self._kill(worker)

    @property
    def pids(self) -> list[int]:
        """Process ids of the workers ready to take queries."""
        return sorted(w.pid for w in self._ready)

    async def _spawn(self) -> None:
        parent, child = socket.socketpair()
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "shezhire.http.worker",
                str(child.fileno()),
                str(self.dump_path),
                str(self.memory_mb),
                pass_fds=(child.fileno(),),
                stdin=asyncio.subprocess.DEVNULL,
            )
        finally:
            child.close()
        loop = asyncio.get_running_loop()
        _, connection = await loop.create_unix_connection(WorkerConnection, sock=parent)
        worker = Worker(process, connection)
        self._all.add(worker)
        try:
            async with asyncio.timeout(WORKER_START_TIMEOUT_S):
                kind, _ = await worker.connection.read_frame()
            if kind != wire.READY:
                raise RuntimeError(f"worker sent frame kind {kind} before READY")
        except BaseException:
            await self._kill(worker)
            raise
        if self._closed:
            await self._kill(worker)
            return
        self._ready.add(worker)
        self._idle.put_nowait(worker)

    def _respawn_later(self) -> None:
        if self._closed:
            return
        task = asyncio.get_running_loop().create_task(self._spawn())
        self._tasks.add(task)
        task.add_done_callback(self._spawned)

    def _spawned(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("could not start a query worker: %s", task.exception())
            self._respawn_later()

    async def _kill(self, worker: Worker) -> None:
        self._all.discard(worker)
        self._ready.discard(worker)
        with contextlib.suppress(ProcessLookupError):
            worker.process.kill()
        worker.connection.close()
        with contextlib.suppress(Exception):
            await worker.process.wait()

    def _discard(self, worker: Worker) -> None:
        """Kill a worker whose state is unknown (timed out, client gone) and replace it."""
        self._all.discard(worker)
        self._ready.discard(worker)
        with contextlib.suppress(ProcessLookupError):
            worker.process.kill()
        worker.connection.close()
        task = asyncio.get_running_loop().create_task(self._reap(worker))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._respawn_later()

    @staticmethod
    async def _reap(worker: Worker) -> None:
        with contextlib.suppress(Exception):
            await worker.process.wait()

    # --- queries ------------------------------------------------------------------------------

    async def run(self, job: wire.Job, timeout_s: float) -> Outcome:
        """Evaluate ``job``; never raises for anything the query does (errors are outcomes)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            try:
                worker = self._idle.get_nowait()
            except asyncio.QueueEmpty:
                try:
                    async with asyncio.timeout_at(deadline):
                        worker = await self._idle.get()
                except TimeoutError:
                    return problem(
                        503,
                        f"The server is busy: no query worker became free within {timeout_s:g} s.",
                    )
            if not worker.connection.lost:
                break
            self._discard(worker)  # died while idle (killed from outside): replace, take another
        payload = pickle.dumps(tuple(job), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            async with asyncio.timeout_at(deadline):
                worker.connection.send(wire.REQUEST_HEAD.pack(len(payload)) + payload)
                kind, frame = await worker.connection.read_frame()
        except TimeoutError:
            self._discard(worker)
            self.killed += 1
            return problem(
                503,
                f"Query stopped: it ran past its time limit of {timeout_s:g} s. "
                "Narrow it, add a LIMIT, or ask for a longer timeout (up to the server's limit).",
            )
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            self._discard(worker)
            return problem(
                503,
                "Query stopped: its worker process died, most likely past its memory limit "
                "(worker_memory_mb). Narrow the query.",
            )
        except BaseException:  # cancelled: the client went away
            self._discard(worker)
            raise
        if kind == wire.COMPLETE:
            self._idle.put_nowait(worker)
            status, ctype, body = wire.parse_status_payload(frame)
            return Outcome(status, ctype, body)
        status, ctype, first = wire.parse_status_payload(frame)
        return Outcome(status, ctype, None, self._stream(worker, first, deadline))

    async def _stream(self, worker: Worker, first: bytes, deadline: float) -> AsyncIterator[bytes]:
        finished = False
        try:
            yield first
            while True:
                async with asyncio.timeout_at(deadline):
                    kind, frame = await worker.connection.read_frame()
                if kind == wire.END:
                    finished = True
                    break
                yield frame
        finally:
            if finished:
                self._idle.put_nowait(worker)
            else:  # timed out mid-stream, or the client went away: the worker is mid-result
                self._discard(worker)
