"""Below the parser check: a worker started with no SERVICE endpoint allow-listed has no network
at all (a network namespace of its own), so even a query the check let through reaches nothing;
with an allow-list it does reach the endpoint, and a failed call never repeats the reply."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from worker_support import DirectWorker, RemoteEndpoint, tiny_store

from shezhire.config import Settings
from shezhire.http import wire
from shezhire.http.testing import LiveServer

PROBE = """
import json, socket, sys
from shezhire.http.worker import isolate_network

def connect(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            return 0
    except OSError as error:
        return error.errno

port = int(sys.argv[1])
before = connect(port)
if len(sys.argv) > 2:  # drop root first: the unprivileged path
    import os
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)
network = isolate_network()
print(json.dumps({"before": before, "network": network, "after": connect(port)}))
"""


def probe(port: int, *extra: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(port), *extra],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    return tiny_store(tmp_path / "store")


def service_query(url: str) -> str:
    return f"SELECT ?x WHERE {{ SERVICE <{url}> {{ ?s ?p ?x }} }}"


def test_isolation_blocks_even_loopback() -> None:
    with RemoteEndpoint() as remote:
        result = probe(remote.port)
    assert result == {"before": 0, "network": "isolated", "after": errno.ENETUNREACH}
    assert remote.connections == 1  # the connection made before isolating, no other


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become an unprivileged user")
def test_isolation_without_privileges_takes_a_user_namespace() -> None:
    with RemoteEndpoint() as remote:
        result = probe(remote.port, "unprivileged")
    if result["network"] == "open":
        pytest.skip("this kernel gives unprivileged users no user namespaces")
    assert result == {"before": 0, "network": "userns-isolated", "after": errno.ENETUNREACH}


def test_worker_without_allowlist_reaches_nothing_even_past_the_check(dump: Path) -> None:
    with RemoteEndpoint() as remote, DirectWorker(dump) as worker:
        assert worker.ready == {"network": "isolated"}
        # This job's own allow-list names the endpoint, as a parser bypass would: the check
        # lets it through, pyoxigraph tries, and the kernel stops it.
        answer = worker.run(service_query(remote.url), allowlist=(remote.url,))
        assert answer.kinds == [wire.ACCEPTED, wire.COMPLETE]
        assert answer.status == 502
        assert f"the SERVICE call to <{remote.url}> failed" in answer.text
        assert "no network" in answer.text
        assert worker.run("ASK {}").status == 200
    assert remote.connections == 0


def test_worker_with_allowlist_reaches_the_endpoint(dump: Path) -> None:
    with RemoteEndpoint() as remote, DirectWorker(dump, [remote.url]) as worker:
        assert worker.ready == {"network": "open"}
        answer = worker.run(service_query(remote.url), allowlist=(remote.url,))
        assert answer.status == 200, answer.text
        assert json.loads(answer.body)["results"]["bindings"] == [
            {"x": {"type": "literal", "value": "from the remote"}}
        ]
        refused = worker.run(service_query(remote.url.replace("/sparql", "/other")))
        assert refused.status == 403
    assert remote.connections >= 1


@pytest.mark.parametrize(
    "reply",
    [
        (500, "text/plain", b"SECRET-TOKEN internal details"),
        (404, "text/html", b"<h1>SECRET-TOKEN</h1>"),
        (200, "application/sparql-results+json", b'{"head": SECRET-TOKEN'),
        (200, "application/sparql-results+xml", b"<sparql SECRET-TOKEN"),
    ],
)
def test_a_failed_service_call_never_repeats_the_reply(
    dump: Path, reply: tuple[int, str, bytes]
) -> None:
    with RemoteEndpoint(reply) as remote, DirectWorker(dump, [remote.url]) as worker:
        for query in (
            service_query(remote.url),
            f"ASK {{ SERVICE <{remote.url}> {{ ?s ?p ?o }} }}",
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{remote.url}> {{ ?s ?p ?o }} }}",
        ):
            answer = worker.run(query, allowlist=(remote.url,))
            assert answer.status == 502, answer.text
            assert answer.text == (
                f"Query evaluation error: the SERVICE call to <{remote.url}> failed.\n"
            )
        # A syntax error is still the parser's own message.
        broken = worker.run(service_query(remote.url)[:-2], allowlist=(remote.url,))
        assert broken.status == 400
        assert broken.text.startswith("Query syntax error: ")
    assert remote.connections >= 3


def test_live_allowlisted_service_reaches_the_endpoint(settings: Settings) -> None:
    with RemoteEndpoint() as remote:
        allowed = settings.model_copy(
            update={"service_allowlist": [remote.url], "port": 8000, "query_workers": 1}
        )
        with LiveServer(allowed) as server:
            response = httpx.get(
                server.sparql, params={"query": service_query(remote.url)}, timeout=30
            )
        assert response.status_code == 200, response.text
        assert "from the remote" in response.text
    assert remote.connections >= 1
