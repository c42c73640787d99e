"""One published store, served whole: every route answers from the same snapshot.

A :class:`Snapshot` is one build of the store as the service holds it: the store this process
reads (pages, network, search), the query workers, the service description, the result cache
and the dump files. A published version folder is never written again, so any number of
processes may open it read-only at once and the operating system's page cache holds its files
once per machine: this process and the query workers all do so by default (the store held
once; it opens at once, so the server answers within a second or two of its start).
The :class:`SnapshotPublisher` owns the current snapshot and
replaces it when the published store link points at a new build (it watches the link, and
``SIGHUP`` asks it to look at once): the new snapshot is opened and its workers started
*before* it becomes current, so no request sees a half-loaded build; each request holds the
snapshot it started on (:meth:`SnapshotPublisher.use`) until its answer is sent, and a replaced
snapshot is closed when its last request is done.

The counts (quads per named graph) come from the version folder, where the build wrote them
(:func:`shezhire.pipeline.store.write_version_meta`); for a store written otherwise (tests,
older builds) the store counts them here. The dump files are written by pyoxigraph in the
background, once per snapshot (the build does not: a rebuild of one file would pay for them).
``SHEZHIRE_SERVER_STORE`` and ``SHEZHIRE_WORKER_STORE`` (both ``read-only`` by default) choose,
for this process and for the workers, between reading the folder and an in-memory copy (faster
for what reads many strings, one copy per process, loaded at every start).

What search, reconciliation and the network routes compute from a build (name index, facts,
the network's tie cache: :func:`warm_dataset`) is computed before a reloaded snapshot goes live
(the old one serves meanwhile), but after the first one does: at the start there is nothing
else to serve, so ``/health`` answers at once and reports ``warm`` false until it is done.

Each snapshot has a working folder ``$TMPDIR/shezhire-serve-*`` (its dump files) with a lock file
held while the snapshot lives, so a server that died without cleaning up leaves folders that the
next server start recognises and removes.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from shezhire.backend.location import RemoteTarget, open_target, remote_target
from shezhire.config import Settings
from shezhire.errors import StoreError
from shezhire.http.dataset import DatasetInfo
from shezhire.http.engine import QueryEngine
from shezhire.http.errors import HttpProblem
from shezhire.http.protocol import SparqlService
from shezhire.http.service_description import ServiceDescription
from shezhire.linked_data.graph import Dataset, build_identity
from shezhire.network.local import ReadCache, warm
from shezhire.pipeline.dumps import DUMP_FORMATS, dump_path, write_dump
from shezhire.pipeline.store import version_counts
from shezhire.search.facts import entity_facts
from shezhire.search.index import name_index

log = logging.getLogger("shezhire.http.snapshot")

WORKDIR_PREFIX = "shezhire-serve-"
LOCK_NAME = "lock"
# How often the published store link is compared with the snapshot being served.
WATCH_INTERVAL_S = 1.0
# A replaced snapshot is closed when its last request ends, or after this long regardless
# (a client reading a dump for longer than this loses its connection).
RETIRE_AFTER_S = 600.0
# How long a dump request waits for the snapshot's dump process before writing the file itself.
DUMP_WAIT_S = 600.0


@dataclass(eq=False)  # compared and hashed by identity: the publisher keeps sets of them
class Snapshot:
    """One build of the store, as every route serves it."""

    target: Path | RemoteTarget  # the version folder the link pointed at, or a remote build
    build_id: str
    built: float
    dataset: Dataset  # the store as this process reads it (pages, network, search)
    info: DatasetInfo  # counts
    workdir: Path
    engine: QueryEngine
    service: SparqlService
    warm: bool = False  # search, reconciliation and network indexes computed
    _lock_file: IO[bytes] | None = field(default=None, repr=False)
    _users: int = field(default=0, repr=False)
    _idle: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _dumps_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # Set when the dump process ended (written or failed); its process, while it runs.
    _dumps_ended: threading.Event = field(default_factory=threading.Event, repr=False)
    _dump_process: asyncio.subprocess.Process | None = field(default=None, repr=False)

    @property
    def triples(self) -> int:
        return self.info.triples

    def dump_file(self, ext: str) -> Path:
        """The whole store as a file (``nq``, ``trig`` or ``ttl``) in the working folder.

        The snapshot's dump process writes them (:mod:`shezhire.pipeline.dumps`), started when
        the snapshot goes live; a request that comes first waits for it (a blocking wait: dump
        routes run on the thread pool), and writes the file itself if the process failed. A file
        lets any number of clients read at their own pace.
        """
        if ext not in DUMP_FORMATS:
            raise ValueError(f"no dump format {ext!r}")
        path = dump_path(self.workdir, ext)
        if not path.exists():
            self._dumps_ended.wait(DUMP_WAIT_S)
            with self._dumps_lock:
                if not path.exists():
                    write_dump(self.dataset.store, path, ext)
        return path

    def describe(self) -> dict[str, Any]:
        return {
            "build_id": self.build_id,
            "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.built)),
            "store": str(self.target),
            "triples": self.info.triples,
            "named_graphs": len(self.info.graphs),
            "warm": self.warm,
            "dumps": all(dump_path(self.workdir, ext).exists() for ext in DUMP_FORMATS),
        }


def _hold_lock(workdir: Path) -> IO[bytes]:
    handle = (workdir / LOCK_NAME).open("wb")
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return handle


def remove_stale_workdirs(parent: Path | None = None) -> list[Path]:
    """Delete the working folders of servers that are gone (their lock is free)."""
    removed: list[Path] = []
    base = Path(parent or tempfile.gettempdir())
    for folder in base.glob(WORKDIR_PREFIX + "*"):
        if not folder.is_dir() or folder.is_symlink():
            continue
        lock = folder / LOCK_NAME
        if not lock.is_file():
            # Caught between mkdtemp and its lock, or a server of a version without locks that
            # may still be running: nothing proves it is gone, so it stays.
            continue
        try:
            with lock.open("ab") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # locked: a live server's
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _load(
    settings: Settings, target: Path | RemoteTarget, workdir_parent: Path | None, warm_now: bool
) -> tuple[Any, ...]:
    """The blocking part of loading a snapshot (run in a thread)."""
    store = open_target(target, settings.server_store)
    if isinstance(target, RemoteTarget):
        built, build_id = target.built, target.build_id
        graphs, default = dict(target.graphs), 0
    else:
        assert isinstance(store, ox.Store)
        built, build_id = build_identity(settings.store, target)
        graphs, default = version_counts(target, store)
    if not graphs and not default:
        raise StoreError(f"the store at {target} holds no triples: nothing to serve")
    workdir = Path(tempfile.mkdtemp(prefix=WORKDIR_PREFIX, dir=workdir_parent))
    try:
        lock_file = _hold_lock(workdir)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    info = DatasetInfo(target, dict(sorted(graphs.items())), default)
    dataset = Dataset(store, target, built, build_id)
    if warm_now:
        warm_dataset(dataset)
    return dataset, info, workdir, lock_file


def warm_dataset(dataset: Dataset) -> None:
    """Compute what search, reconciliation and the network routes read of a build: the name
    index, the entity facts, and the network's cache of the ties, their ends and evidence
    (about 12 s at x30). Each is also computed by the first request that needs it (once: the
    dataset's memo holds a lock), so warming only moves the cost off the first requests."""
    warm(dataset.store, network_cache(dataset))  # first: the network routes have latency goals
    name_index(dataset)
    entity_facts(dataset)


async def open_snapshot(
    settings: Settings,
    target: Path | RemoteTarget,
    workdir_parent: Path | None = None,
    *,
    warm_now: bool = True,
) -> Snapshot:
    """Load ``target`` and start its query workers; raises StoreError if it cannot be served.

    ``warm_now`` computes the dataset's indexes (:func:`warm_dataset`) before returning: what a
    reload does, since the old snapshot serves meanwhile. At the first start nothing would be
    served meanwhile, so the publisher opens it cold and warms it in the background."""
    if isinstance(target, Path) and not target.is_dir():
        raise StoreError(f"no store at {settings.store}: run `shezhire build` first")
    try:
        dataset, info, workdir, lock_file = await asyncio.to_thread(
            _load, settings, target, workdir_parent, warm_now
        )
    except OSError as error:
        raise StoreError(f"cannot load the store at {target}: {error}") from error
    engine = QueryEngine(
        target,
        settings.query_workers,
        max_workers=max(settings.max_query_workers, settings.query_workers),
        memory_mb=settings.worker_memory_mb,
        client_limit=settings.max_client_queries,
        service_allowlist=tuple(settings.service_allowlist),
        in_memory=settings.worker_store == "memory",
    )
    try:
        await engine.start()
    except BaseException:
        await engine.close()
        lock_file.close()
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    service = SparqlService(settings, engine, ServiceDescription(info, settings))
    return Snapshot(
        target,
        dataset.build_id,
        dataset.built,
        dataset,
        info,
        workdir,
        engine,
        service,
        warm=warm_now,
        _lock_file=lock_file,
    )


async def close_snapshot(snapshot: Snapshot) -> None:
    process = snapshot._dump_process
    if process is not None and process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
    await snapshot.engine.close()
    if snapshot._lock_file is not None:
        snapshot._lock_file.close()
    shutil.rmtree(snapshot.workdir, ignore_errors=True)


class SnapshotPublisher:
    """Holds the current snapshot; follows the published store link; retires old snapshots."""

    def __init__(self, settings: Settings, workdir_parent: Path | None = None) -> None:
        self.settings = settings
        self.workdir_parent = workdir_parent
        self._current: Snapshot | None = None
        self._retiring: set[Snapshot] = set()
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._failed_target: Path | RemoteTarget | None = None
        self.reloads = 0
        self.last_error: str | None = None

    @property
    def current(self) -> Snapshot:
        if self._current is None:
            raise StoreError("the service has no snapshot yet")
        return self._current

    @property
    def retiring(self) -> int:
        return len(self._retiring)

    async def _published_target(self) -> Path | RemoteTarget:
        """The build to serve: the folder the store link points at, or the build the remote's
        manifest names (``backend = "remote"``)."""
        if self.settings.backend == "remote":
            if not self.settings.remote_query_url:
                raise StoreError("backend 'remote' needs remote_query_url")
            return await asyncio.to_thread(remote_target, self.settings.remote_query_url)
        return Path(os.path.realpath(self.settings.store))

    async def start(self) -> None:
        removed = await asyncio.to_thread(remove_stale_workdirs, self.workdir_parent)
        if removed:
            log.info("removed %d working folder(s) left by servers that are gone", len(removed))
        self._current = await open_snapshot(
            self.settings, await self._published_target(), self.workdir_parent, warm_now=False
        )
        self._spawn(self._warm(self._current))
        self._spawn(self._write_dumps(self._current))
        self._spawn(self._watch())

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        snapshots = [*self._retiring, *([self._current] if self._current else [])]
        self._current = None
        self._retiring.clear()
        for snapshot in snapshots:
            await close_snapshot(snapshot)

    def request_reload(self) -> None:
        """Look at the published store now (what SIGHUP does); also retries a failed load."""
        self._failed_target = None
        self._wake.set()

    @contextlib.contextmanager
    def use(self) -> Iterator[Snapshot]:
        """The current snapshot, held until the block ends (a request's whole life)."""
        snapshot = self.current
        snapshot._users += 1
        snapshot._idle.clear()
        try:
            yield snapshot
        finally:
            snapshot._users -= 1
            if snapshot._users == 0:
                snapshot._idle.set()

    async def reload_if_changed(self) -> bool:
        """Switch to the published build if it is not the one served; True if it switched."""
        try:
            target = await self._published_target()
        except StoreError as error:  # the remote unreachable for a moment: keep serving
            self.last_error = str(error)
            return False
        current = self.current
        if target in (current.target, self._failed_target):
            return False
        try:
            fresh = await open_snapshot(self.settings, target, self.workdir_parent)
        except (StoreError, OSError, RuntimeError) as error:
            # A build being deleted under us, or a broken one: keep serving what we have.
            self._failed_target = target
            self.last_error = f"{target}: {error}"
            log.error("kept build %s; could not load %s: %s", current.build_id, target, error)
            return False
        self._current = fresh
        self._spawn(self._write_dumps(fresh))
        self.reloads += 1
        self.last_error = None
        log.info("now serving build %s (%d triples)", fresh.build_id, fresh.triples)
        self._retiring.add(current)
        self._spawn(self._retire(current))
        return True

    async def _watch(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(WATCH_INTERVAL_S):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.reload_if_changed()
            except Exception:  # the watcher must outlive any one failed reload
                log.exception("reloading the store failed")

    @staticmethod
    async def _warm(snapshot: Snapshot) -> None:
        started = time.perf_counter()
        try:
            await asyncio.to_thread(warm_dataset, snapshot.dataset)
        except Exception:  # a request that needs the index computes it (and reports) itself
            log.exception("warming build %s failed", snapshot.build_id)
            return
        snapshot.warm = True
        log.info("build %s warm in %.1f s", snapshot.build_id, time.perf_counter() - started)

    @staticmethod
    async def _write_dumps(snapshot: Snapshot) -> None:
        """The dump files, written by a process of their own once the snapshot serves."""
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "shezhire.pipeline.dumps",
                str(snapshot.target),
                str(snapshot.workdir),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            snapshot._dump_process = process
            _, errors = await process.communicate()
            if process.returncode:  # killed at close, or a full disk: requests write their own
                log.warning(
                    "dump files of build %s not written (exit %s): %s",
                    snapshot.build_id,
                    process.returncode,
                    errors.decode(errors="replace").strip().splitlines()[-1:],
                )
        except OSError as error:
            log.warning("dump files of build %s not written: %s", snapshot.build_id, error)
        finally:
            snapshot._dump_process = None
            snapshot._dumps_ended.set()

    async def _retire(self, snapshot: Snapshot) -> None:
        try:
            if snapshot._users:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(RETIRE_AFTER_S):
                        await snapshot._idle.wait()
        finally:
            self._retiring.discard(snapshot)
            await close_snapshot(snapshot)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


SNAPSHOT_KEY = "shezhire.snapshot"


def network_cache(dataset: Dataset) -> ReadCache:
    """The network routes' read cache of this build (filled when the snapshot is loaded)."""
    cache = dataset.memo("network-read-cache", ReadCache)
    assert isinstance(cache, ReadCache)
    return cache


def request_snapshot(request: Any) -> Snapshot:
    """The snapshot a request reads (a Starlette ``Request``); 503 before one is loaded."""
    snapshot = request.scope.get(SNAPSHOT_KEY)
    if not isinstance(snapshot, Snapshot):
        raise HttpProblem(503, "The service is starting: no store is loaded yet.")
    return snapshot


def publisher_of(app: Any) -> SnapshotPublisher | None:
    publisher = getattr(getattr(app, "state", None), "publisher", None)
    return publisher if isinstance(publisher, SnapshotPublisher) else None


class SnapshotScope:
    """ASGI middleware: each HTTP request holds the current snapshot until its answer is sent.

    Routes find it as ``request.scope[SNAPSHOT_KEY]`` (see ``deps.SnapshotDep``).
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        publisher = publisher_of(scope.get("app"))
        if scope["type"] != "http" or publisher is None or SNAPSHOT_KEY in scope:
            await self.app(scope, receive, send)
            return
        with publisher.use() as snapshot:
            scope[SNAPSHOT_KEY] = snapshot
            await self.app(scope, receive, send)
