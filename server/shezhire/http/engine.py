"""The query core: run SPARQL with limits in killable worker processes; return bytes or a stream.

This is the one place that evaluates queries for the HTTP service. Use it from any coroutine::

    outcome = await engine.run(job, timeout_s=5, client="203.0.113.9")
    outcome.status, outcome.content_type, outcome.body   # small results
    async for chunk in outcome.stream: ...                # large ones (outcome.body is None)

or ``await outcome.read_all()`` for the whole body. Guarantees:

* A query past its time limit gets its worker killed (SIGKILL frees the CPU at once) and
  replaced; the caller gets a 503 outcome.
* The pool grows on demand from ``min_workers`` to ``max_workers`` and keeps one worker
  spare while it can, so short queries are answered while long ones run; workers above the
  minimum that stay idle are retired. A client (an IP address) may have at most
  ``client_limit`` queries in the engine at once; past that it gets 429 with Retry-After.
* Work that never started (the worker died before it acknowledged the job, e.g. killed
  while idle) is retried on another worker; a worker that dies mid-query is a 503.
* A result that streams is read from the worker only as fast as the client takes it (the
  worker's socket is paused past a high-water mark), and a stream that breaks (worker died,
  time limit) raises :class:`StreamAborted`, so the client sees an incomplete response, never
  a silently truncated 200.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import pickle
import socket
import sys
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from shezhire.http import wire

log = logging.getLogger("shezhire.http.engine")

TEXT = "text/plain; charset=utf-8"
# How long a new worker may take to open the store before the engine gives up on it.
WORKER_START_TIMEOUT_S = 120.0
# Workers above the minimum that have been idle this long are stopped.
IDLE_RETIRE_S = 30.0
# How many times work that a dead worker never started is tried on another worker.
RETRIES_OF_UNSTARTED_WORK = 2
# A streamed answer may take this long past the query's time limit to reach a slow client.
STREAM_TRANSFER_S = 60.0
# Frames buffered from one worker before its socket stops being read (back-pressure).
HIGH_WATER_BYTES = 1024 * 1024
LOW_WATER_BYTES = 256 * 1024
# Pause before replacing a worker that failed to start.
SPAWN_RETRY_S = 1.0
# Seconds a client over its concurrency limit is asked to wait.
RETRY_AFTER_S = 1


class StreamAborted(Exception):
    """A streamed answer could not be completed; the connection must be closed unfinished."""


@dataclass
class Outcome:
    """What a query produced: a status, a content type, and either a body or a stream."""

    status: int
    content_type: str
    body: bytes | None
    stream: ResultStream | None = None
    headers: tuple[tuple[str, str], ...] = ()

    async def read_all(self) -> bytes:
        if self.body is not None:
            return self.body
        assert self.stream is not None
        try:
            return b"".join([chunk async for chunk in self.stream])
        finally:
            await self.stream.aclose()


def problem(status: int, message: str, headers: tuple[tuple[str, str], ...] = ()) -> Outcome:
    return Outcome(status, TEXT, message.encode() + b"\n", headers=headers)


class WorkerConnection(asyncio.Protocol):
    """The parent's end of a worker's socket: splits what arrives into frames.

    A plain Protocol (no StreamReader) keeps the per-request cost to one callback and one
    future; most answers arrive as one COMPLETE frame in one read. ACCEPTED frames only set
    :attr:`accepted` (nobody waits for them).
    """

    def __init__(self, on_lost: Callable[[], None] = lambda: None) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.frames: deque[tuple[int, bytes]] = deque()
        self.buffered = 0
        self.paused = False
        self.waiter: asyncio.Future[None] | None = None
        self.lost = False
        self.accepted = False
        self.on_lost = on_lost

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
            if kind == wire.ACCEPTED:
                self.accepted = True
            else:
                self.frames.append((kind, data[offset + head.size : end]))
                self.buffered += length
            offset = end
        if offset < size:
            self.buffer += data[offset:]
        if self.buffered > HIGH_WATER_BYTES and not self.paused and self.transport is not None:
            self.transport.pause_reading()
            self.paused = True
        self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self._wake()
        self.on_lost()

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
        kind, payload = self.frames.popleft()
        self.buffered -= len(payload)
        if self.paused and self.buffered < LOW_WATER_BYTES and self.transport is not None:
            self.transport.resume_reading()
            self.paused = False
        return kind, payload

    def send(self, data: bytes) -> None:
        if self.lost or self.transport is None:
            raise ConnectionError("the worker closed its socket")
        self.accepted = False
        self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Worker:
    """One worker process and the parent's end of its socket."""

    __slots__ = ("connection", "idle_since", "network", "process")

    def __init__(self, process: asyncio.subprocess.Process, connection: WorkerConnection) -> None:
        self.process = process
        self.connection = connection
        self.idle_since = 0.0
        self.network = "unknown"  # what the worker reported in its READY frame

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return not self.connection.lost and self.process.returncode is None


class QueryEngine:
    """A pool of long-lived worker processes; see the module docstring."""

    def __init__(
        self,
        store_path: Path | object,  # a version folder, or a remote build (its str: the URL)
        min_workers: int,
        *,
        max_workers: int | None = None,
        memory_mb: int = 0,
        client_limit: int = 0,
        service_allowlist: tuple[str, ...] = (),
        in_memory: bool = False,
    ) -> None:
        # The published version folder, which each worker opens read-only (or copies into its
        # memory when ``in_memory``).
        self.store_path = store_path
        self.in_memory = in_memory
        self.min_workers = min_workers
        self.max_workers = max(max_workers or min_workers, min_workers)
        self.memory_mb = memory_mb
        self.client_limit = client_limit
        # Workers start without network unless SERVICE may reach somewhere (see worker.py).
        self.service_allowlist = service_allowlist
        self._idle: deque[Worker] = deque()
        self._waiters: deque[asyncio.Future[Worker]] = deque()
        self._all: set[Worker] = set()  # every live process, starting or ready
        self._ready: set[Worker] = set()  # those that have loaded the store
        self._starting = 0
        self._clients: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self.killed = 0  # workers killed for running past their limit (for /health)
        self.died = 0  # workers that died on their own (killed from outside, crashed)
        self.retried = 0  # jobs moved to another worker because theirs died before starting
        self.refused_clients = 0  # 429 answers

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        self._starting += self.min_workers
        await asyncio.gather(*(self._spawn(counted=True) for _ in range(self.min_workers)))
        self._background(self._trim_idle())

    async def close(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        for waiter in self._waiters:
            if not waiter.done():
                waiter.cancel()
        for worker in list(self._all):
            await self._kill(worker)

    @property
    def pids(self) -> list[int]:
        """Process ids of the workers ready to take queries."""
        return sorted(w.pid for w in self._ready)

    @property
    def starting(self) -> int:
        """Workers being started (loading the store)."""
        return self._starting

    @property
    def busy(self) -> int:
        return len(self._ready) - len(self._idle)

    @property
    def network(self) -> list[str]:
        """Each ready worker's network access as it reported it (``isolated``...)."""
        return sorted(w.network for w in self._ready)

    def _background(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _spawn(self, *, counted: bool = False) -> None:
        """Start one worker; ``counted``: the caller already added it to ``_starting``."""
        if not counted:
            self._starting += 1
        worker: Worker | None = None
        try:
            parent, child = socket.socketpair()
            try:
                process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "shezhire.http.worker",
                    str(child.fileno()),
                    str(self.store_path),
                    str(self.memory_mb),
                    json.dumps(list(self.service_allowlist)),
                    "memory" if self.in_memory else "read-only",
                    pass_fds=(child.fileno(),),
                    stdin=asyncio.subprocess.DEVNULL,
                )
            finally:
                child.close()
            loop = asyncio.get_running_loop()
            connection = WorkerConnection()
            await loop.create_unix_connection(lambda: connection, sock=parent)
            worker = Worker(process, connection)
            self._all.add(worker)
            async with asyncio.timeout(WORKER_START_TIMEOUT_S):
                kind, payload = await connection.read_frame()
            if kind != wire.READY:
                raise RuntimeError(f"worker sent frame kind {kind} before READY")
            worker.network = _reported_network(payload)
        except BaseException:
            if worker is not None:
                await self._kill(worker)
            raise
        finally:
            self._starting -= 1
        if self._closed:
            await self._kill(worker)
            return
        connection.on_lost = lambda: self._lost(worker)
        self._ready.add(worker)
        if not worker.alive:  # died while starting up
            self._lost(worker)
            return
        self._release(worker)

    def _spawn_later(self) -> None:
        if self._closed or len(self._ready) + self._starting >= self.max_workers:
            return
        self._starting += 1

        async def spawn() -> None:
            try:
                await self._spawn(counted=True)
            except Exception as error:
                log.error("could not start a query worker: %s", error)
                await asyncio.sleep(SPAWN_RETRY_S)  # a worker that cannot start: no hot loop
                self._replace()

        self._background(spawn())

    def _grow_if_needed(self) -> None:
        """Keep one worker spare (and one per waiting request) while below the maximum."""
        wanted = len(self._waiters) + 1
        while (
            not self._closed
            and len(self._idle) + self._starting < wanted
            and len(self._ready) + self._starting < self.max_workers
        ):
            self._spawn_later()

    async def _kill(self, worker: Worker) -> None:
        self._forget(worker)
        with contextlib.suppress(ProcessLookupError):
            worker.process.kill()
        worker.connection.close()
        with contextlib.suppress(Exception):
            await worker.process.wait()

    def _forget(self, worker: Worker) -> None:
        self._all.discard(worker)
        self._ready.discard(worker)
        with contextlib.suppress(ValueError):
            self._idle.remove(worker)

    def _discard(self, worker: Worker) -> None:
        """Kill a worker whose state is unknown (timed out, client gone) and replace it."""
        worker.connection.on_lost = lambda: None
        self._forget(worker)
        with contextlib.suppress(ProcessLookupError):
            worker.process.kill()
        worker.connection.close()
        self._background(_reap(worker))
        self._replace()

    def _lost(self, worker: Worker) -> None:
        """A worker's socket closed on its own (it died): forget it, start another."""
        if worker not in self._all:
            return
        self.died += 1
        log.warning("query worker %d died (exit %s)", worker.pid, worker.process.returncode)
        self._forget(worker)
        self._background(_reap(worker))
        self._replace()

    def _replace(self) -> None:
        if len(self._ready) + self._starting < self.min_workers or self._waiters:
            self._spawn_later()

    async def _trim_idle(self) -> None:
        while True:
            await asyncio.sleep(IDLE_RETIRE_S / 3)
            now = time.monotonic()
            while len(self._ready) > self.min_workers and self._idle:
                oldest = self._idle[0]  # the left end is the least recently used
                if now - oldest.idle_since < IDLE_RETIRE_S:
                    break
                await self._kill(oldest)

    # --- taking and returning workers ---------------------------------------------------------

    def _release(self, worker: Worker) -> None:
        if not worker.alive:
            self._lost(worker)
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(worker)
                return
        worker.idle_since = time.monotonic()
        self._idle.append(worker)

    async def _acquire(self, deadline: float) -> Worker | None:
        while True:
            while self._idle:
                worker = self._idle.pop()  # most recently used: its caches are warm
                if worker.alive:
                    self._grow_if_needed()
                    return worker
                self._lost(worker)
            waiter: asyncio.Future[Worker] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            self._grow_if_needed()
            try:
                async with asyncio.timeout_at(deadline):
                    worker = await waiter
            except TimeoutError:
                return None
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    self._release(waiter.result())
                raise
            finally:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            if worker.alive:
                return worker
            self._lost(worker)

    # --- queries ------------------------------------------------------------------------------

    async def run(self, job: wire.Job, timeout_s: float, client: str | None = None) -> Outcome:
        """Evaluate ``job``; never raises for anything the query does (errors are outcomes)."""
        if client is not None and self.client_limit:
            if self._clients.get(client, 0) >= self.client_limit:
                self.refused_clients += 1
                return problem(
                    429,
                    f"Too many queries at once from {client}: at most {self.client_limit} "
                    "may run together. Retry when one has finished.",
                    (("retry-after", str(RETRY_AFTER_S)),),
                )
            self._clients[client] = self._clients.get(client, 0) + 1
        done = _Release(self, client)
        try:
            outcome = await self._run(job, timeout_s, done)
        except BaseException:
            done()
            raise
        if outcome.stream is None:
            done()
        return outcome

    def _client_done(self, client: str | None) -> None:
        if client is None or not self.client_limit:
            return
        left = self._clients.get(client, 0) - 1
        if left > 0:
            self._clients[client] = left
        else:
            self._clients.pop(client, None)

    async def _run(self, job: wire.Job, timeout_s: float, done: _Release) -> Outcome:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        payload = pickle.dumps(tuple(job), protocol=pickle.HIGHEST_PROTOCOL)
        request = wire.REQUEST_HEAD.pack(len(payload)) + payload
        retries = 0
        while True:
            worker = await self._acquire(deadline)
            if worker is None:
                return problem(
                    503,
                    f"The server is busy: no query worker became free within {timeout_s:g} s.",
                    (("retry-after", str(RETRY_AFTER_S)),),
                )
            connection = worker.connection
            try:
                async with asyncio.timeout_at(deadline):
                    connection.send(request)
                    kind, frame = await connection.read_frame()
                break
            except TimeoutError:
                self._discard(worker)
                self.killed += 1
                return problem(
                    503,
                    f"Query stopped: it ran past its time limit of {timeout_s:g} s. Narrow it, "
                    "add a LIMIT, or ask for a longer timeout (up to the server's limit).",
                )
            except (ConnectionError, OSError):
                started = connection.accepted
                self._lost(worker)
                if not started and retries < RETRIES_OF_UNSTARTED_WORK:
                    retries += 1
                    self.retried += 1
                    continue  # it never began: another worker may take it
                return problem(
                    503,
                    "Query stopped: its worker process died, most likely past its memory limit "
                    "(worker_memory_mb). Narrow the query.",
                )
            except BaseException:  # cancelled: the client went away
                self._discard(worker)
                raise
        if kind == wire.COMPLETE:
            self._release(worker)
            status, ctype, body = wire.parse_status_payload(frame)
            return Outcome(status, ctype, body)
        status, ctype, first = wire.parse_status_payload(frame)
        stream = ResultStream(self, worker, first, deadline + STREAM_TRANSFER_S, done)
        return Outcome(status, ctype, None, stream)


class ResultStream:
    """The frames of one streamed answer, read from its worker as the client takes them.

    Whoever consumes it calls :meth:`aclose` when done (or gives up): the worker goes back to
    the pool when the answer ended, and is killed and replaced when it did not.
    """

    def __init__(
        self, engine: QueryEngine, worker: Worker, first: bytes, deadline: float, done: _Release
    ) -> None:
        self.engine = engine
        self.worker = worker
        self.first: bytes | None = first
        self.deadline = deadline
        self.done = done
        self.closed = False

    def __aiter__(self) -> ResultStream:
        return self

    async def __anext__(self) -> bytes:
        if self.closed:
            raise StopAsyncIteration
        if self.first is not None:
            first, self.first = self.first, None
            return first
        try:
            async with asyncio.timeout_at(self.deadline):
                kind, frame = await self.worker.connection.read_frame()
        except TimeoutError:
            self.engine.killed += 1
            self._close(finished=False)
            raise StreamAborted("the answer ran past its time limit") from None
        except (ConnectionError, OSError):
            self._close(finished=False)
            raise StreamAborted("the query worker died while sending the answer") from None
        except BaseException:
            self._close(finished=False)
            raise
        if kind == wire.END:
            self._close(finished=True)
            raise StopAsyncIteration
        return frame

    def _close(self, *, finished: bool) -> None:
        if self.closed:
            return
        self.closed = True
        if finished:
            self.engine._release(self.worker)
        else:  # broken, timed out, or the client went away: the worker is mid-result
            self.engine._discard(self.worker)
        self.done()

    async def aclose(self) -> None:
        self._close(finished=False)


class _Release:
    """Calls the engine's per-client bookkeeping once, however often it is called."""

    __slots__ = ("client", "engine", "spent")

    def __init__(self, engine: QueryEngine, client: str | None) -> None:
        self.engine = engine
        self.client = client
        self.spent = False

    def __call__(self) -> None:
        if not self.spent:
            self.spent = True
            self.engine._client_done(self.client)


async def _reap(worker: Worker) -> None:
    with contextlib.suppress(Exception):
        await worker.process.wait()


def _reported_network(payload: bytes) -> str:
    """The ``network`` field of a READY payload (older workers send none)."""
    try:
        value = json.loads(payload or b"{}").get("network", "unknown")
    except (ValueError, AttributeError):
        return "unknown"
    return str(value)
