"""Dumps of a remote build: streamed graph by graph, the same quads as the embedded dumps.

The repository's build is published into Oxigraph's server (and Virtuoso, when installed).
``write_dumps`` on the remote store reads each published graph once, one request per graph, for
the three files (never the whole store in one answer, never a copy of it in memory), and the
files parse (pyoxigraph) to exactly the quads of the embedded store's dumps; so do the files of
``write_dump`` alone, and the dump files a remote-backed server serves.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import httpx
import pyoxigraph as ox
import pytest

from shezhire.backend.location import open_target, remote_target
from shezhire.backend.manifest import MANIFEST_GRAPH
from shezhire.backend.remote import RemoteStore
from shezhire.config import Settings
from shezhire.http.testing import LiveServer
from shezhire.pipeline.dumps import DUMP_FORMATS, write_dump, write_dumps

from .conftest import remote_settings
from .engines import RemoteEngine
from .test_remote_pages import CountingProxy

PARSERS = {"nq": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG, "ttl": ox.RdfFormat.TURTLE}
XSD_DURATION = ox.NamedNode("http://www.w3.org/2001/XMLSchema#duration")


@pytest.fixture(scope="module")
def engine(published_engine: RemoteEngine) -> RemoteEngine:
    """An engine holding the published build."""
    return published_engine


@pytest.fixture(scope="module")
def embedded_dumps(built_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("embedded-dumps")
    store = ox.Store.read_only(str(built_settings.store))
    for ext in DUMP_FORMATS:
        write_dump(store, folder / f"dump.{ext}", ext)
    del store
    return folder


def _read(data: bytes, ext: str) -> set[str]:
    """The file's quads (or triples, for Turtle) as N-Quads lines."""
    return {str(q) for q in ox.parse(data, PARSERS[ext])}


def _comparable(engine: str, data: bytes, ext: str) -> set[str]:
    """The file's quads, less what any read of Virtuoso changes (the plain RemoteStore's as
    well; measured on the repository's data: 24 of 58,730 quads):

    * it rewrites the typed literals it knows: xsd:duration "P3Y" comes back as "36" (months;
      test_parity.DURATION), so durations are left out of the comparison;
    * its SPARQL XML results write a literal's leading and trailing spaces as they are, and
      pyoxigraph's XML results parser drops them (Oxigraph's server writes ``&#32;``), so
      literals are compared without them.
    """
    if engine != "virtuoso":
        return _read(data, ext)
    found: set[str] = set()
    for quad in ox.parse(data, PARSERS[ext]):
        value = quad.object
        if isinstance(value, ox.Literal):
            if value.datatype == XSD_DURATION:
                continue
            value = (
                ox.Literal(value.value.strip(), language=value.language)
                if value.language
                else ox.Literal(value.value.strip(), datatype=value.datatype)
            )
        found.add(str(ox.Quad(quad.subject, quad.predicate, value, quad.graph_name)))
    return found


class RemoteDumps(NamedTuple):
    folder: Path
    graphs: list[str]  # the build's published graphs
    places: list[str]  # the stored graphs that hold them
    asked: list[str]  # the SPARQL text of every request sent to the remote


@pytest.fixture(scope="module")
def remote_dumps(engine: RemoteEngine, tmp_path_factory: pytest.TempPathFactory) -> RemoteDumps:
    """The three files written from the remote store (as the dump process does), with the
    requests it sent, counted by a relay in front of the engine."""
    target = remote_target(engine.query_url)
    folder = tmp_path_factory.mktemp(f"remote-dumps-{engine.name}")
    proxy = CountingProxy(engine.query_url)
    try:
        remote = RemoteStore(proxy.url, stored=target.stored, union=target.union)
        write_dumps(remote, {ext: folder / f"dump.{ext}" for ext in DUMP_FORMATS})
        remote.close()
        asked = proxy.page_requests(0)
    finally:
        proxy.close()
    return RemoteDumps(folder, sorted(target.graphs), sorted(target.stored.values()), asked)


def test_a_remote_build_is_read_once_graph_by_graph(remote_dumps: RemoteDumps) -> None:
    """One request per published graph for the three files, each naming its graph: never
    the whole store in one answer, nor a graph twice."""
    named = sorted(re.findall(r"GRAPH <([^>]+)>", "\n".join(remote_dumps.asked)))
    assert named == remote_dumps.places
    assert len(remote_dumps.asked) == len(remote_dumps.graphs)
    assert MANIFEST_GRAPH not in remote_dumps.graphs
    assert not list(remote_dumps.folder.glob("*.partial"))  # written beside, then renamed


@pytest.mark.parametrize("ext", DUMP_FORMATS)
def test_remote_dumps_hold_the_embedded_quads(
    ext: str, engine: RemoteEngine, remote_dumps: RemoteDumps, embedded_dumps: Path
) -> None:
    want = (embedded_dumps / f"dump.{ext}").read_bytes()
    got = (remote_dumps.folder / f"dump.{ext}").read_bytes()
    assert len(_read(got, ext)) == len(_read(want, ext))
    assert _comparable(engine.name, got, ext) == _comparable(engine.name, want, ext)


@pytest.mark.parametrize("ext", DUMP_FORMATS)
def test_one_remote_dump_holds_the_embedded_quads(
    ext: str, engine: RemoteEngine, embedded_dumps: Path, tmp_path: Path
) -> None:
    """``write_dump`` alone (what a request writes if the dump process failed)."""
    path = tmp_path / f"dump.{ext}"
    write_dump(open_target(remote_target(engine.query_url)), path, ext)
    want = (embedded_dumps / f"dump.{ext}").read_bytes()
    assert _comparable(engine.name, path.read_bytes(), ext) == _comparable(engine.name, want, ext)
    assert not list(tmp_path.glob("*.partial"))


def test_trig_declares_its_prefixes_once(remote_dumps: RemoteDumps, embedded_dumps: Path) -> None:
    text = (remote_dumps.folder / "dump.trig").read_text(encoding="utf-8")
    embedded = (embedded_dumps / "dump.trig").read_text(encoding="utf-8")
    assert text.count("@prefix shz: ") == embedded.count("@prefix shz: ") == 1


@pytest.fixture(scope="module")
def remote_server(
    engine: RemoteEngine, built_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    settings = remote_settings(built_settings, engine.query_url, tmp_path_factory.mktemp("dumps"))
    with LiveServer(settings) as server:
        yield server


@pytest.mark.parametrize("ext", DUMP_FORMATS)
def test_the_remote_servers_dumps_hold_the_embedded_quads(
    ext: str, engine: RemoteEngine, site: LiveServer, remote_server: LiveServer
) -> None:
    """What a remote-backed server serves (its dump process, ``python -m
    shezhire.pipeline.dumps``) parses to exactly the embedded server's quads."""
    got = httpx.get(f"{remote_server.url}/dump.{ext}", timeout=300)
    want = httpx.get(f"{site.url}/dump.{ext}", timeout=300)
    assert got.status_code == want.status_code == 200, got.text[:500]
    assert len(_read(got.content, ext)) == len(_read(want.content, ext))
    assert _comparable(engine.name, got.content, ext) == _comparable(engine.name, want.content, ext)
