"""Limits of the HTTP transport (shezhire.http.transport), over raw sockets to the live server:
header block size (431), URL length (414), header and body read timeouts (408 and close), and
that keep-alive, pipelining and bodies larger than the header limit still work."""

from __future__ import annotations

import contextlib
import selectors
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote_plus

import httpx

from shezhire.config import Settings
from shezhire.http.testing import LiveServer
from shezhire.http.transport import (
    BODY_READ_TIMEOUT_S,
    BODY_TOTAL_TIMEOUT_S,
    HEADER_READ_TIMEOUT_S,
    MAX_HEADER_BYTES,
    MAX_URL_BYTES,
)

# How much later than its timeout the server may close a stalled connection.
SLACK_S = 3.0
# Slow-header connections opened at once (the figure).
SLOW_CONNECTIONS = 1000


def _connect(server: LiveServer) -> socket.socket:
    sock = socket.create_connection((server.settings.host, server.settings.port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _read_until_closed(sock: socket.socket, timeout: float = 10) -> bytes:
    """Everything the server sends until it closes (or ``timeout`` passes: then fail)."""
    sock.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


def _status(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1.1 "), answer[:200]
    return int(answer[9:12])


class _Responses:
    """Reads responses with a Content-Length body, one by one, off a keep-alive connection."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""
        sock.settimeout(10)

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        assert chunk, self.buffer
        self.buffer += chunk

    def next(self) -> tuple[int, bytes]:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        fields = (line.partition(":") for line in lines[1:])
        headers = {name.strip().lower(): value.strip() for name, _, value in fields}
        length = int(headers["content-length"])
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(lines[0][9:12]), body


def test_a_header_block_over_the_limit_gets_431_without_waiting_for_its_end(
    server: LiveServer,
) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ")
        # Never finished: the server must answer once the limit is passed, not buffer on.
        sock.sendall(b"a" * (MAX_HEADER_BYTES + 1024))
        answer = _read_until_closed(sock)
    assert _status(answer) == 431
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"content-type: text/plain; charset=utf-8" in head
    assert b"connection: close" in head
    assert b"x-content-type-options: nosniff" in head
    assert str(MAX_HEADER_BYTES).encode() in body


def test_many_headers_summing_over_the_limit_get_431(server: LiveServer) -> None:
    fields = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 1000) for i in range(MAX_HEADER_BYTES // 1000))
    with _connect(server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n")
        assert _status(_read_until_closed(sock)) == 431


def test_a_refusal_waits_for_the_answer_in_progress(server: LiveServer) -> None:
    """A pipelined request whose head is too large is refused after the answer to the request
    before it, which arrives whole (a refusal written at once would cut into it)."""
    with _connect(server) as sock:
        sock.sendall(
            b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (MAX_HEADER_BYTES + 1024)
        )
        responses = _Responses(sock)
        status, answer = responses.next()
        assert status == 200 and b'"status":"ok"' in answer
        status, answer = responses.next()
        assert status == 431
        assert _read_until_closed(sock) == b""


def test_a_32_megabyte_header_is_refused_early(server: LiveServer) -> None:
    """The issue's case: the server answers and closes long before 32 MB are sent."""
    sent = 0
    with _connect(server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ")
        sock.settimeout(5)
        chunk = b"a" * 65536
        try:
            while sent < 32 * 1024 * 1024:
                sock.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass
        answer = _read_until_closed(sock)
    assert sent < 32 * 1024 * 1024, "the server should have closed the connection"
    assert _status(answer) == 431
    print(f"\n{sent // 1024} KiB of a 32 MiB header sent before the server closed (431)")


def test_headers_just_under_the_limit_are_served(server: LiveServer) -> None:
    request_line = b"GET /health HTTP/1.1\r\n"
    fixed = b"Host: x\r\nConnection: close\r\nX-Pad: \r\n\r\n"
    pad = b"p" * (MAX_HEADER_BYTES - len(request_line) - len(fixed) - 64)
    with _connect(server) as sock:
        sock.sendall(request_line + fixed.replace(b"X-Pad: ", b"X-Pad: " + pad))
        assert _status(_read_until_closed(sock)) == 200


def test_a_url_over_the_limit_gets_414_suggesting_post(server: LiveServer) -> None:
    url = b"/sparql?query=" + quote_plus("ASK {}" + " " * MAX_URL_BYTES).encode()
    with _connect(server) as sock:  # (httpx itself refuses URLs this long)
        sock.sendall(b"GET " + url + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = _read_until_closed(sock)
    assert _status(answer) == 414
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"connection: close" in head
    assert b"POST" in body and str(MAX_URL_BYTES).encode() in body


def test_a_long_url_under_the_limit_reaches_the_endpoint(
    server: LiveServer, settings: Settings
) -> None:
    """Under MAX_URL_BYTES the endpoint's own limit applies: 413 for a query that is too long."""
    query = "ASK {}" + " " * settings.max_query_length  # a space is one byte ("+") in a URL
    url = "/sparql?query=" + quote_plus(query)
    assert len(url) < MAX_URL_BYTES
    response = httpx.get(server.url + url, timeout=30)
    assert response.status_code == 413, response.text
    short = "ASK {}" + " " * (settings.max_query_length - 10)
    assert httpx.get(server.sparql, params={"query": short}, timeout=30).json()["boolean"] is True


def test_keep_alive_pipelining_and_a_body_larger_than_the_header_limit(
    server: LiveServer, settings: Settings
) -> None:
    # A form whose padding parameter the endpoint ignores: a body twice the header limit.
    body = b"query=ASK+%7B%7D&padding=" + b"p" * (MAX_HEADER_BYTES * 2)
    assert len(body) < settings.max_body_bytes
    post = (
        b"POST /sparql HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    ) + body
    get = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    with _connect(server) as sock:
        # Three requests in one write (pipelined), then the same byte by byte on the same
        # connection (keep-alive, every byte its own read).
        sock.sendall(post + get + post)
        responses = _Responses(sock)
        for expected in (b'{"head":{},"boolean":true}', b'"status":"ok"', b'"boolean":true'):
            status, answer = responses.next()
            assert status == 200 and expected in answer
        for byte in get:
            sock.send(bytes([byte]))
        status, answer = responses.next()
        assert status == 200 and b'"status":"ok"' in answer
        assert responses.buffer == b""


def _steady_slow_post(server: LiveServer, pieces: int, pause_s: float) -> bytes:
    """A form POST whose body comes in ``pieces``, ``pause_s`` apart: slow, never stalled."""
    body = b"query=ASK+%7B%7D&padding=" + b"p" * pieces
    with _connect(server) as sock:
        sock.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)
        )
        size = -(-len(body) // pieces)
        for i in range(0, len(body), size):
            time.sleep(pause_s)
            sock.sendall(body[i : i + size])
        return _read_until_closed(sock)


def test_stalled_connections_are_closed(server: LiveServer) -> None:
    """At once (the timeouts are 10 s; one wait serves every case):

    * SLOW_CONNECTIONS clients send their headers a byte a second (slowloris): each is answered
      408 and closed HEADER_READ_TIMEOUT_S after it connected, and others are served meanwhile;
    * a client that connects and sends nothing is closed without an answer (it may be a
      browser's preconnect: a 408 could be taken for the answer to a request sent meanwhile);
    * a body that stops coming is answered 408 and closed BODY_READ_TIMEOUT_S later;
    * a body that comes slowly but steadily, for longer than that, is served.
    """
    selector = selectors.DefaultSelector()
    socks: list[socket.socket] = []
    answers: dict[int, bytes] = {}
    closed_after: dict[int, float] = {}
    pool = ThreadPoolExecutor(max_workers=1)
    started = time.monotonic()
    try:
        steady = pool.submit(_steady_slow_post, server, 4, BODY_READ_TIMEOUT_S / 3)
        idle = _connect(server)
        stalled = _connect(server)
        stalled.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
            b"Content-Length: 1000\r\n\r\nASK"
        )
        for sock in (idle, stalled):
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, len(socks))
            socks.append(sock)
        slow = len(socks)
        for _ in range(SLOW_CONNECTIONS):
            sock = _connect(server)
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, len(socks))
            socks.append(sock)
        opened = time.monotonic() - started
        health = httpx.get(server.url + "/health", timeout=5)
        assert health.status_code == 200, "served while the slow connections are open"
        deadline = started + opened + HEADER_READ_TIMEOUT_S + SLACK_S
        next_drip = time.monotonic() + 1
        while len(closed_after) < len(socks) and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=0.2):
                sock, index = key.fileobj, key.data
                assert isinstance(sock, socket.socket)
                try:
                    chunk = sock.recv(65536)
                except (ConnectionResetError, BlockingIOError):
                    chunk = b""
                answers[index] = answers.get(index, b"") + chunk
                if not chunk:
                    closed_after[index] = time.monotonic() - started
                    selector.unregister(sock)
            if time.monotonic() >= next_drip:
                next_drip += 1
                for index in range(slow, len(socks)):
                    if index not in closed_after:
                        with contextlib.suppress(OSError):
                            socks[index].send(b"X")  # one more byte of a header never ended
        steady_answer = steady.result(timeout=60)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        for sock in socks:
            sock.close()
        selector.close()
    still_open = len(socks) - len(closed_after)
    assert still_open == 0, (
        f"{still_open} connections open after {HEADER_READ_TIMEOUT_S + SLACK_S} s"
    )
    slow_closed = [closed_after[i] for i in range(slow, len(socks))]
    assert min(slow_closed) >= HEADER_READ_TIMEOUT_S - 0.5
    assert all(_status(answers[i]) == 408 for i in range(slow, len(socks)))
    assert answers[0] == b"" and closed_after[0] >= HEADER_READ_TIMEOUT_S - 0.5
    assert _status(answers[1]) == 408
    assert closed_after[1] >= BODY_READ_TIMEOUT_S - 0.5
    assert _status(steady_answer) == 200, steady_answer[:300]
    assert steady_answer.endswith(b'{"head":{},"boolean":true}')
    print(
        f"\n{SLOW_CONNECTIONS} slow-header connections opened in {opened:.2f} s, all closed "
        f"with 408 between {min(slow_closed):.2f} and {max(slow_closed):.2f} s after the first "
        f"opened; idle connection closed at {closed_after[0]:.2f} s, stalled body at "
        f"{closed_after[1]:.2f} s"
    )


def test_a_body_dripped_byte_by_byte_is_refused_at_its_total_deadline(
    server: LiveServer,
) -> None:
    """A body that never stalls (a byte every half second) but never ends either: it may take
    BODY_TOTAL_TIMEOUT_S in all, then 408 and close (found by the soak: the stall timer alone
    let it hold a connection for as long as the client liked)."""
    with _connect(server) as sock:
        sock.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
            b"Content-Length: 100000\r\n\r\n"
        )
        started = time.monotonic()
        sock.settimeout(0.5)
        answer = b""
        while time.monotonic() - started < BODY_TOTAL_TIMEOUT_S + BODY_READ_TIMEOUT_S + SLACK_S:
            try:
                sock.send(b"#")
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            except (ConnectionResetError, BrokenPipeError):
                break
            if not chunk:
                break
            answer += chunk
        took = time.monotonic() - started
    assert _status(answer) == 408, answer[:200]
    assert b"did not arrive within" in answer
    assert (
        BODY_TOTAL_TIMEOUT_S - 0.5 <= took <= BODY_TOTAL_TIMEOUT_S + BODY_READ_TIMEOUT_S + SLACK_S
    )
