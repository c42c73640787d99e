"""`shezhire publish` into Oxigraph's server: once, idempotent, and all-or-nothing."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from shezhire.backend.manifest import MANIFEST_GRAPH, read_manifest
from shezhire.backend.publish import STAGING_PREFIX, PublishError, publish
from shezhire.backend.remote import RemoteStore
from shezhire.config import Settings

from .engines import RemoteEngine


def _graphs(engine: RemoteEngine) -> dict[str, int]:
    store = RemoteStore(engine.query_url, graphs=[])
    try:
        rows = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        return {row["g"].value: int(row["n"].value) for row in rows}  # type: ignore[union-attr]
    finally:
        store.close()


def test_publish_writes_every_graph_and_a_manifest_once(
    oxigraph_server: RemoteEngine, built_settings: Settings
) -> None:
    first = publish(built_settings.store, oxigraph_server.query_url, oxigraph_server.update_url)
    manifest = read_manifest(oxigraph_server.query_url)
    assert manifest is not None and manifest.build_id == first.build_id
    held = _graphs(oxigraph_server)
    assert {g: n for g, n in held.items() if g != MANIFEST_GRAPH} == manifest.graphs
    assert not [g for g in held if g.startswith(STAGING_PREFIX)]
    assert manifest.triples == first.triples > 0

    again = publish(built_settings.store, oxigraph_server.query_url, oxigraph_server.update_url)
    assert not again.changed
    assert _graphs(oxigraph_server) == held


def test_a_failed_publish_leaves_the_served_build(
    oxigraph_server: RemoteEngine, built_settings: Settings
) -> None:
    publish(built_settings.store, oxigraph_server.query_url, oxigraph_server.update_url)
    # Make the remote hold "another" build, so that the next publish has work to do.
    httpx.post(
        oxigraph_server.update_url,
        data={
            "update": f"DELETE {{ GRAPH <{MANIFEST_GRAPH}> {{ <{MANIFEST_GRAPH}> "
            f"<http://purl.org/dc/terms/identifier> ?id }} }} INSERT {{ GRAPH <{MANIFEST_GRAPH}> "
            f'{{ <{MANIFEST_GRAPH}> <http://purl.org/dc/terms/identifier> "older" }} }} '
            f"WHERE {{ GRAPH <{MANIFEST_GRAPH}> {{ <{MANIFEST_GRAPH}> "
            "<http://purl.org/dc/terms/identifier> ?id } }"
        },
        timeout=30,
    ).raise_for_status()
    before = _graphs(oxigraph_server)
    with pytest.raises(PublishError, match="still serves build older"):
        publish(
            built_settings.store, oxigraph_server.query_url, oxigraph_server.query_url + "-none"
        )
    assert _graphs(oxigraph_server) == before
    manifest = read_manifest(oxigraph_server.query_url)
    assert manifest is not None and manifest.build_id == "older"


def test_the_cli_publishes(oxigraph_server: RemoteEngine, built_settings: Settings) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "shezhire.cli",
            "--root",
            str(built_settings.root),
            "--store",
            str(built_settings.store),
            "publish",
            "--query-url",
            oxigraph_server.query_url,
            "--update-url",
            oxigraph_server.update_url,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "published: build" in done.stdout


def test_outbound_connections_are_refused_but_to_the_remote(oxigraph_server: RemoteEngine) -> None:
    """The guard serving installs (an audit hook): the remote answers, any other port refuses."""
    other = oxigraph_server.query_url.rsplit(":", 1)[0] + ":9/"
    code = (
        "import httpx\n"
        "from shezhire.backend.outbound import allow_only\n"
        f"allow_only([{oxigraph_server.query_url!r}])\n"
        f"answer = httpx.get({oxigraph_server.query_url!r}, params={{'query': 'ASK {{}}'}})\n"
        "print(answer.status_code)\n"
        "try:\n"
        f"    httpx.get({other!r})\n"
        "except httpx.ConnectError as error:\n"
        "    print('refused', error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "200"
    assert lines[1].startswith("refused outbound connection to 127.0.0.1 port 9 refused")
