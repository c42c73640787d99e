"""A query worker driven directly over its socket, and a local HTTP endpoint standing in for a
remote SPARQL service (imported as a plain module by the HTTP tests)."""

from __future__ import annotations

import json
import pickle
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

import pyoxigraph as ox

from shezhire.http import wire

EX = "http://example.org/"


def tiny_store(path: Path) -> Path:
    """An on-disk store (what a worker opens read-only) with three quads in one named graph."""
    graph = ox.NamedNode(EX + "graph")
    quads = [
        ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "p"), ox.Literal(f"o{i}"), graph)
        for i in range(3)
    ]
    store = ox.Store(str(path))
    store.bulk_extend(quads)
    store.flush()
    del store
    return path


class Answer:
    def __init__(self, kinds: list[int], status: int, content_type: str, body: bytes) -> None:
        self.kinds = kinds
        self.status = status
        self.content_type = content_type
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode()


class DirectWorker:
    """``python -m shezhire.http.worker`` on a socket pair, as the engine starts it."""

    def __init__(self, store: Path, allowlist: list[str] | None = None, memory_mb: int = 0) -> None:
        parent, child = socket.socketpair()
        command = [sys.executable, "-m", "shezhire.http.worker", str(child.fileno()), str(store)]
        command.append(str(memory_mb))
        if allowlist is not None:
            command.append(json.dumps(allowlist))
        self.process = subprocess.Popen(
            command, pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL
        )
        child.close()
        self.sock = parent
        self.reader = parent.makefile("rb")
        kind, payload = self.frame()
        assert kind == wire.READY, kind
        self.ready: dict[str, Any] = json.loads(payload)

    def frame(self) -> tuple[int, bytes]:
        head = self.reader.read(wire.FRAME_HEAD.size)
        if len(head) < wire.FRAME_HEAD.size:
            raise ConnectionError("the worker closed its socket")
        length, kind = wire.FRAME_HEAD.unpack(head)
        return kind, self.reader.read(length)

    def run(self, query: str, allowlist: tuple[str, ...] = (), graph_format: int = 0) -> Answer:
        job = wire.Job(query, 0, graph_format, None, None, 1000, EX + "sparql", allowlist)
        payload = pickle.dumps(tuple(job), protocol=pickle.HIGHEST_PROTOCOL)
        self.sock.sendall(wire.REQUEST_HEAD.pack(len(payload)) + payload)
        kinds: list[int] = []
        body = b""
        while True:
            kind, frame = self.frame()
            kinds.append(kind)
            if kind in (wire.COMPLETE, wire.START):
                status, ctype, body = wire.parse_status_payload(frame)
                if kind == wire.COMPLETE:
                    return Answer(kinds, status, ctype, body)
            elif kind == wire.CHUNK:
                body += frame
            elif kind == wire.END:
                return Answer(kinds, status, ctype, body)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        self.reader.close()
        self.sock.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> DirectWorker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


SELECT_REPLY = json.dumps(
    {
        "head": {"vars": ["x"]},
        "results": {"bindings": [{"x": {"type": "literal", "value": "from the remote"}}]},
    }
).encode()


class RemoteEndpoint:
    """An HTTP server on 127.0.0.1 that counts connections and answers every request with
    ``reply`` (status, content type, body)."""

    def __init__(
        self,
        reply: tuple[int, str, bytes] = (200, "application/sparql-results+json", SELECT_REPLY),
    ) -> None:
        self.reply = reply
        self.connections = 0
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def answer(self) -> None:
                status, ctype, body = endpoint.reply
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = answer
            do_POST = answer

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def verify_request(self, request: Any, client_address: Any) -> bool:
                endpoint.connections += 1
                return True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def __enter__(self) -> RemoteEndpoint:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
