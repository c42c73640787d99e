"""One snapshot for every route: a newly published store reaches all routes together.

Each test publishes store versions the way ``shezhire build`` does (a complete store folder in
``<store>.versions/``, then one atomic rename of the ``<store>`` symlink) under a real server.
"""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from test_timeout import children

from shezhire.config import BASE_IRI, GRAPH_BASE, Settings
from shezhire.http.snapshot import LOCK_NAME, WORKDIR_PREFIX, remove_stale_workdirs
from shezhire.http.testing import LiveServer, build_plain_store
from shezhire.pipeline.dumps import write_dump
from shezhire.pipeline.store import read_version_meta, write_version_meta

RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
PERSON_CLASS = ox.NamedNode("https://w3id.org/shezhire/ontology#Person")
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
SWITCH_WITHIN_S = 10.0


def version_quads(name: str, persons: int) -> list[ox.Quad]:
    graph = ox.NamedNode(GRAPH_BASE + "snapshot-test")
    quads = []
    for i in range(persons):
        person = ox.NamedNode(f"{BASE_IRI}id/person/snapshot-{i}")
        quads += [
            ox.Quad(person, RDF_TYPE, PERSON_CLASS, graph),
            ox.Quad(person, RDFS_LABEL, ox.Literal(f"{name} person {i}", language="en"), graph),
        ]
    return quads


def publish(link: Path, name: str, persons: int) -> None:
    """Write a complete version, then swap the link in one atomic step (as the build does)."""
    version = link.with_name(link.name + ".versions") / name
    build_plain_store(version, [], version_quads(name, persons))
    temporary = link.with_name(f".{link.name}.{name}.link")
    temporary.symlink_to(version.relative_to(link.parent))
    os.replace(temporary, link)


def sparql_count(http: httpx.Client) -> int:
    response = http.get("/sparql", params={"query": COUNT})
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def page_label(http: httpx.Client) -> str:
    response = http.get("/id/person/snapshot-0", headers={"Accept": "application/n-triples"})
    assert response.status_code == 200, response.text
    return response.text


def wait_for(condition: object, within: float = SWITCH_WITHIN_S) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within:
        if callable(condition) and condition():
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"not within {within} s")


@pytest.fixture
def versioned(tmp_path: Path) -> Path:
    link = tmp_path / "store"
    publish(link, "first", 3)
    return link


def test_a_new_build_reaches_every_route_together(versioned: Path) -> None:
    settings = Settings(store_path=versioned, query_workers=2, result_cache_entries=64)
    with LiveServer(settings) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        first = http.get("/health").json()
        assert first["triples"] == 6 and sparql_count(http) == 6
        assert "first person 0" in page_label(http)
        publish(versioned, "second", 5)
        took = wait_for(lambda: http.get("/health").json()["build_id"] != first["build_id"])
        # Every route now reads the new build: counts, queries (also the cached one), pages.
        health = http.get("/health").json()
        assert health["triples"] == 10 and health["snapshot_reloads"] == 1
        assert health["store"] == str(versioned.resolve())
        assert sparql_count(http) == 10
        assert "second person 0" in page_label(http)
        void = http.get("/void", headers={"Accept": "application/n-triples"}).text
        assert "10" in void
        dump = http.get("/dump.nq").text
        assert "second person 4" in dump and "first person" not in dump
        # The old build is closed: its workers are gone, its working folder too.
        wait_for(lambda: len(children(server.pid)) == 2)
        assert http.get("/health").json()["snapshots_draining"] == 0
        assert "Traceback" not in server.log()
        print(f"switched in {took:.2f} s")


def test_sighup_switches_at_once_and_a_broken_build_keeps_the_old(versioned: Path) -> None:
    settings = Settings(store_path=versioned, query_workers=1)
    with LiveServer(settings) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        before = http.get("/health").json()
        # A "build" whose folder is not a store: the server keeps serving what it has.
        broken = versioned.with_name("store.versions") / "broken"
        broken.mkdir()
        (broken / "not-a-store").write_text("x")
        temporary = versioned.with_name(".store.broken.link")
        temporary.symlink_to(broken.relative_to(versioned.parent))
        os.replace(temporary, versioned)
        os.kill(server.pid, signal.SIGHUP)
        wait_for(lambda: http.get("/health").json()["last_reload_error"] is not None)
        assert http.get("/health").json()["build_id"] == before["build_id"]
        assert sparql_count(http) == 6
        publish(versioned, "third", 4)
        os.kill(server.pid, signal.SIGHUP)
        took = wait_for(lambda: http.get("/health").json()["triples"] == 8, within=5)
        assert sparql_count(http) == 8
        assert http.get("/health").json()["last_reload_error"] is None
        print(f"SIGHUP switch in {took:.2f} s")


def test_a_request_in_flight_finishes_on_its_snapshot(versioned: Path) -> None:
    publish(versioned, "big", 40_000)
    settings = Settings(store_path=versioned, query_workers=1)
    # A small fixed receive buffer turns off the kernel's autotuning (up to 32 MB here), so the
    # socket buffers cannot take the whole dump (some MB) before the switch.
    small_window = httpx.HTTPTransport(
        socket_options=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)]
    )
    with (
        LiveServer(settings) as server,
        httpx.Client(base_url=server.url, timeout=60) as http,
        httpx.Client(base_url=server.url, timeout=60, transport=small_window) as slow,
    ):
        expected = http.get("/dump.nq").content
        assert len(expected) > 3 * 4 * 1024 * 1024  # more than both sides' buffers can hold
        with slow.stream("GET", "/dump.nq") as response:
            chunks = response.iter_bytes(4096)
            received = [next(chunks)]
            publish(versioned, "after", 2)
            wait_for(lambda: http.get("/health").json()["triples"] == 4)
            assert sparql_count(http) == 4
            # The old build waits for this request before it closes.
            assert http.get("/health").json()["snapshots_draining"] == 1
            received += list(chunks)  # the old build's dump, whole
        assert b"".join(received) == expected
        assert http.get("/health").json()["snapshots_draining"] == 0 or wait_for(
            lambda: http.get("/health").json()["snapshots_draining"] == 0
        )


def test_a_store_without_triples_is_refused_at_start(tmp_path: Path) -> None:
    link = tmp_path / "store"
    empty = tmp_path / "store.versions" / "empty"
    build_plain_store(empty, [], [])
    link.symlink_to(empty.relative_to(tmp_path))
    with pytest.raises(RuntimeError) as failed:
        LiveServer(Settings(store_path=link)).start()
    assert "holds no triples" in str(failed.value)


def test_stale_working_folders_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    stale = tmp_path / f"{WORKDIR_PREFIX}stale"
    stale.mkdir()
    (stale / LOCK_NAME).write_bytes(b"")
    (stale / "store.nq").write_bytes(b"x" * 1000)
    live = tmp_path / f"{WORKDIR_PREFIX}live"
    live.mkdir()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time\n"
            f"f = open({str(live / LOCK_NAME)!r}, 'wb')\n"
            "fcntl.flock(f, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
        assert remove_stale_workdirs(tmp_path) == [stale]
        assert live.is_dir() and not stale.exists()
    finally:
        holder.kill()
        holder.wait()


def test_a_server_killed_uncleanly_leaves_nothing_behind_the_next_start(
    versioned: Path, tmp_path: Path
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    settings = Settings(store_path=versioned, query_workers=1)
    first = LiveServer(settings, extra_env={"TMPDIR": str(scratch)}).start()
    left = list(scratch.glob(WORKDIR_PREFIX + "*"))
    assert len(left) == 1
    os.kill(first.pid, signal.SIGKILL)
    first.process.wait()  # type: ignore[union-attr]
    deadline = time.monotonic() + 10  # its workers die with it (PDEATHSIG)
    while time.monotonic() < deadline and _lock_held(left[0]):
        time.sleep(0.1)
    with LiveServer(settings, extra_env={"TMPDIR": str(scratch)}):
        now = list(scratch.glob(WORKDIR_PREFIX + "*"))
        assert left[0] not in now and len(now) == 1


def _lock_held(folder: Path) -> bool:
    try:
        with (folder / LOCK_NAME).open("ab") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    return False


def test_concurrent_requests_during_switches_always_see_one_build(versioned: Path) -> None:
    """Pages, queries and health polled while builds are published: each answer is whole
    and belongs to a build that was published; no error at any moment."""
    settings = Settings(store_path=versioned, query_workers=2, result_cache_entries=0)
    errors: list[str] = []
    stop = threading.Event()
    with LiveServer(settings) as server:

        def poll() -> None:
            with httpx.Client(base_url=server.url, timeout=30) as http:
                while not stop.is_set():
                    for path in ("/health", "/sparql?query=ASK%7B%3Fs%3Fp%3Fo%7D", "/void"):
                        response = http.get(path)
                        if response.status_code != 200:
                            errors.append(f"{path}: {response.status_code} {response.text[:200]}")

        pollers = [threading.Thread(target=poll) for _ in range(3)]
        for thread in pollers:
            thread.start()
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for number in range(3):
                publish(versioned, f"round-{number}", 2 + number)
                wait_for(lambda n=number: http.get("/health").json()["triples"] == 4 + 2 * n)
        stop.set()
        for thread in pollers:
            thread.join()
    assert errors == []


def open_folders(pid: int, under: Path) -> set[Path]:
    """The folders under ``under`` whose files process ``pid`` holds open."""
    found: set[Path] = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = Path(os.readlink(fd))
        except OSError:
            continue
        if target.is_relative_to(under):
            found.add(target.parent)
    return found


def test_every_process_reads_the_published_folder_and_the_old_one_is_closed(
    versioned: Path,
) -> None:
    """The server and each worker open the version folder itself (no copy of the store, no
    N-Quads dump at start); after a switch the old version is no longer open anywhere."""
    versions = versioned.with_name("store.versions")
    settings = Settings(store_path=versioned, query_workers=2, server_store="read-only")
    with LiveServer(settings) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        assert page_label(http) and sparql_count(http) == 6
        workers = list(children(server.pid))
        assert len(workers) == 2
        for pid in [server.pid, *workers]:
            assert open_folders(pid, versions) == {versions / "first"}, pid
        publish(versioned, "second", 5)
        wait_for(lambda: http.get("/health").json()["triples"] == 10)
        assert page_label(http) and sparql_count(http) == 10
        wait_for(lambda: http.get("/health").json()["snapshots_draining"] == 0)
        wait_for(lambda: len(children(server.pid)) == 2)
        workers = list(children(server.pid))
        for pid in [server.pid, *workers]:
            wait_for(lambda p=pid: open_folders(p, versions) == {versions / "second"})


def test_the_counts_the_build_wrote_are_served_and_dumps_written_once(tmp_path: Path) -> None:
    link = tmp_path / "store"
    publish(link, "first", 3)
    version = link.resolve()
    store = ox.Store.read_only(str(version))
    write_version_meta(store, version)
    del store
    meta = read_version_meta(version)
    assert meta is not None and meta["triples"] == 6
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    settings = Settings(store_path=link, query_workers=1)
    with (
        LiveServer(settings, extra_env={"TMPDIR": str(scratch)}) as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):
        assert http.get("/health").json()["triples"] == 6
        (workdir,) = scratch.glob(WORKDIR_PREFIX + "*")
        for ext in ("nq", "trig", "ttl"):
            response = http.get(f"/dump.{ext}")
            assert response.status_code == 200
            assert response.content == (workdir / f"dump.{ext}").read_bytes()
        assert "first person 2" in http.get("/dump.ttl").text
        assert not list(version.glob("*dump*"))  # the version folder is never written


def test_the_store_copied_into_memory_is_served_alike(versioned: Path) -> None:
    settings = Settings(
        store_path=versioned, query_workers=1, server_store="memory", worker_store="memory"
    )
    with LiveServer(settings) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        assert sparql_count(http) == 6
        assert "first person 0" in page_label(http)
        for worker in children(server.pid):  # one, or two once the pool keeps one spare
            assert open_folders(worker, versioned.with_name("store.versions")) == set()
        publish(versioned, "second", 4)
        wait_for(lambda: http.get("/health").json()["triples"] == 8)
        assert sparql_count(http) == 8


def test_the_first_snapshot_serves_cold_and_warms_in_the_background(versioned: Path) -> None:
    """At the first start /health answers before the search and network indexes are computed
    (it says ``warm``: false until they are); a search before then computes what it needs
    itself. A reloaded snapshot goes live warm: the old one served meanwhile."""
    settings = Settings(store_path=versioned, query_workers=1)
    with LiveServer(settings) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        assert http.get("/health").json()["warm"] in (False, True)
        found = http.get(
            "/search", params={"q": "first person 1"}, headers={"Accept": "application/json"}
        )
        assert found.status_code == 200 and "snapshot-1" in found.text
        wait_for(lambda: http.get("/health").json()["warm"] is True)
        publish(versioned, "second", 4)
        wait_for(lambda: http.get("/health").json()["triples"] == 8)
        assert http.get("/health").json()["warm"] is True


def test_the_turtle_dump_holds_the_union_of_the_graphs(tmp_path: Path) -> None:
    link = tmp_path / "store"
    publish(link, "first", 3)
    version = link.resolve()
    store = ox.Store.read_only(str(version))
    write_dump(store, tmp_path / "dump.ttl", "ttl")
    union = {
        (q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, None)
    }
    del store
    read = {
        (t.subject, t.predicate, t.object)
        for t in ox.parse(path=str(tmp_path / "dump.ttl"), format=ox.RdfFormat.TURTLE)
    }
    assert read == union and len(read) == 6
