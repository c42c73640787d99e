"""Limits of the HTTP/1.1 transport: uvicorn's httptools protocol, bounded.

uvicorn's ``HttpToolsProtocol`` reads request heads of any size and waits for them, and for
request bodies, forever. :class:`LimitedHttpProtocol` (``uvicorn.run(..., http=...)``) keeps
all it does (keep-alive, pipelining, flow control, ``Expect: 100-continue``) and adds:

* **URL length**: a request target longer than :data:`MAX_URL_BYTES` is answered ``414`` (use
  POST). httptools' URL parser cannot split a longer one at all (16-bit offsets): uvicorn
  answered it with a bare ``400 Invalid HTTP request received.``
* **Header size**: a head (request line less the URL, header fields, the blank line) over
  :data:`MAX_HEADER_BYTES` is answered ``431`` as soon as the limit is passed; no more of it is
  read or buffered. Bytes are counted as they are handed to the parser, so one head never holds
  more than ``MAX_URL_BYTES + MAX_HEADER_BYTES`` (plus at most ``MAX_HEADER_BYTES`` when it
  is pipelined in the same read as the end of the previous request's body).
* **Header read timeout**: the head must be complete :data:`HEADER_READ_TIMEOUT_S` after the
  connection was accepted, or after the first byte of a later request on a kept-alive
  connection (the idle time between requests is uvicorn's keep-alive timeout); else ``408`` and
  close (a connection that sent nothing at all is closed without an answer).
* **Body read timeout**: while a request body is being read, some of it must arrive every
  :data:`BODY_READ_TIMEOUT_S` (time the server itself stops reading, by flow control or before
  answering ``100 Continue``, does not count), and all of it within
  :data:`BODY_TOTAL_TIMEOUT_S` of the end of the head (a body dripped a byte at a time is not
  progress); else ``408`` (or a plain close when the answer has started) and close.

A refusal is written only when no answer to an earlier request is being written on the
connection (pipelining); otherwise it waits for that answer to finish, reading nothing more.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

# httptools.parse_url (which uvicorn calls on every request) keeps offsets in 16 bits: it
# cannot parse a longer request target. Longer queries are sent with POST (up to the endpoint's
# max_body_bytes), as the SPARQL protocol provides; a GET query of max_query_length (100,000)
# characters percent-encoded would not fit, and few clients or proxies pass such URLs anyway.
MAX_URL_BYTES = 65_535
# The rest of a request head. Browsers send 1-2 KiB, cookies included, and common servers take
# 8-32 KiB (nginx's 4 x 8 KiB, Node's 16 KiB): 64 KiB refuses no real client.
MAX_HEADER_BYTES = 64 * 1024
# A real client sends its whole head in one packet; 10 s leaves room for a slow link while
# a slow-header attacker (slowloris) must reconnect every 10 s, which the accept queue sees.
HEADER_READ_TIMEOUT_S = 10.0
# Longest pause allowed inside a request body (bodies are at most max_body_bytes, 1 MB).
BODY_READ_TIMEOUT_S = 10.0
# Longest a whole body may take while the server reads it: 1 MB (max_body_bytes) at 17 KB/s.
BODY_TOTAL_TIMEOUT_S = 60.0
# uvicorn answers 503 to new requests past this many open connections or running requests; it
# bounds the memory of request tasks. Idle connections cost a few KiB and the timeouts above
# close them, so the bound is high enough that 1,000 of them do not lock clients out.
LIMIT_CONCURRENCY = 4096
# Connections the kernel queues before accept() (uvicorn's default, named here).
BACKLOG = 2048
# File descriptors this process needs beyond its connections: store, logs, worker pipes.
SPARE_FILE_DESCRIPTORS = 256

CLOSE = b"connection: close\r\n"
NOSNIFF = b"x-content-type-options: nosniff\r\n"


class _Refused(Exception):
    """Raised inside a parser callback to stop parsing; the refusal is on the protocol."""


class LimitedHttpProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` with head size and read-time limits (see the module docstring)."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._in_head = True  # the parser is reading a request head (or waits for one)
        self._head_bytes = 0  # bytes of the current head handed to the parser so far
        self._url_bytes = 0  # bytes of the current head's URL (which the header limit omits)
        self._head_begun = False  # the parser has seen the first byte of the current head
        self._head_started: float | None = None  # loop time the current head's wait began
        # One timer per connection, not per request: when it fires it looks at the head then
        # in progress, and sets itself again for what is left of that head's time.
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._body_bytes = 0  # bytes handed to the parser outside heads (progress of bodies)
        self._body_bytes_seen = 0  # ... when the body timer was last armed
        self._body_started = 0.0  # loop time the current request's head ended
        self._refusal: tuple[int, str] | None = None  # decided, not yet written

    # -- connection ------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_started = self.loop.time()
        self._head_timer = self.loop.call_later(HEADER_READ_TIMEOUT_S, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        super().connection_lost(exc)

    def handle_websocket_upgrade(self) -> None:
        self._cancel_timers()
        super().handle_websocket_upgrade()

    def _cancel_timers(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    # -- reading ---------------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        if self._refusal is not None:
            return  # a refusal waits for an answer in progress: read no more of this request
        if self._in_head and self._head_started is None:
            self._start_head_clock()  # the first byte of a request on a kept-alive connection
        try:
            self._feed(data)
        except _Refused:
            pass
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        except httptools.HttpParserError:
            if self._refusal is None:  # not ours: what uvicorn answers
                msg = "Invalid HTTP request received."
                self.logger.warning(msg)
                self.send_400_response(msg)
            return
        if not self._in_head and self._body_timer is None and not self.transport.is_closing():
            self._body_bytes_seen = self._body_bytes
            self._body_timer = self.loop.call_later(BODY_READ_TIMEOUT_S, self._body_timed_out)

    def _head_room(self) -> int:
        """Bytes the current head may still have (its URL does not count)."""
        return MAX_HEADER_BYTES + self._url_bytes - self._head_bytes

    def _feed(self, data: bytes) -> None:
        """Hand ``data`` to the parser in pieces: a head's blank line ends a piece, so the next
        head is counted from its first byte; no head is given more than its room."""
        size = len(data)
        position = 0
        while position < size:
            if self._in_head:
                room = self._head_room()
                if room <= 0:
                    self._too_large()
                end = data.find(b"\r\n\r\n", position, position + room)
                stop = min(size, position + room if end < 0 else end + 4)
                self._head_bytes += stop - position
            else:
                # Bodies go in pieces too: a head that begins inside a piece (after a body) is
                # counted from the next piece on, so it gains at most one piece.
                stop = min(size, position + MAX_HEADER_BYTES)
                self._body_bytes += stop - position
            if position == 0 and stop == size:
                self.parser.feed_data(data)  # the usual case: one read, one head (or body)
            else:
                self.parser.feed_data(memoryview(data)[position:stop])
            position = stop
        if self._in_head and self._head_room() <= 0:
            self._too_large()

    def _too_large(self) -> None:
        self._refuse(431, f"The request header fields exceed {MAX_HEADER_BYTES} bytes.")
        raise _Refused

    # -- parser callbacks ------------------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_begun = True
        if self._head_started is None:  # a head that began in the read that ended a request
            self._start_head_clock()

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._url_bytes += len(url)
        if self._url_bytes > MAX_URL_BYTES:
            self._refuse(
                414,
                f"The request URL exceeds {MAX_URL_BYTES} bytes. Send long SPARQL queries with "
                "POST: a form (query=...) or an application/sparql-query body.",
            )
            raise _Refused

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._body_started = self.loop.time()
        self._head_started = None  # the timer, if set, finds no head and lapses
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True
        self._head_bytes = 0
        self._url_bytes = 0
        self._head_begun = False
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    # -- timeouts --------------------------------------------------------------------------------

    def _start_head_clock(self) -> None:
        self._head_started = self.loop.time()
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(HEADER_READ_TIMEOUT_S, self._head_timed_out)

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._head_started is None or not self._in_head or self.transport.is_closing():
            return
        left = self._head_started + HEADER_READ_TIMEOUT_S - self.loop.time()
        if left > 0:  # a later head than the one the timer was set for
            self._head_timer = self.loop.call_later(left, self._head_timed_out)
            return
        if not self._head_begun:
            # Nothing was sent: a browser's preconnect, or an idle attacker. A 408 could be
            # taken for the answer to a request the client sends just now.
            self._close_when_idle()
            return
        self._refuse(408, f"The request head did not arrive within {HEADER_READ_TIMEOUT_S:g} s.")

    def _body_timed_out(self) -> None:
        self._body_timer = None
        if self._in_head or self.transport.is_closing():
            return
        cycle = self.cycle
        waiting = self.flow.read_paused or (cycle is not None and cycle.waiting_for_100_continue)
        overdue = self.loop.time() - self._body_started > BODY_TOTAL_TIMEOUT_S
        if waiting or (self._body_bytes != self._body_bytes_seen and not overdue):
            # Progress, or the server is not reading: wait on.
            self._body_bytes_seen = self._body_bytes
            self._body_timer = self.loop.call_later(BODY_READ_TIMEOUT_S, self._body_timed_out)
            return
        message = (
            f"The request body did not arrive within {BODY_TOTAL_TIMEOUT_S:g} s."
            if overdue
            else f"The request body stalled for {BODY_READ_TIMEOUT_S:g} s."
        )
        self.logger.warning(message)
        if cycle is None or cycle.response_started or self.pipeline:
            # An answer is being written (to this or an earlier request): no room for ours.
            self.transport.close()
            return
        # The application may be waiting for the body: it gets a disconnect, and whatever it
        # sends later is dropped.
        cycle.disconnected = True
        cycle.message_event.set()
        self._write_refusal(408, message)

    # -- refusals --------------------------------------------------------------------------------

    def _answer_in_progress(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _refuse(self, status: int, message: str) -> None:
        """Answer ``status`` and close; after the answer in progress when there is one."""
        self.logger.warning(message)
        self._refusal = (status, message)
        self._cancel_timers()
        if self._answer_in_progress():
            self.flow.pause_reading()
        else:
            self._write_refusal(status, message)

    def _close_when_idle(self) -> None:
        if self._answer_in_progress():
            self.cycle.keep_alive = False  # closes once the answer is written
        else:
            self.transport.close()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._refusal is not None and not self._answer_in_progress():
            self._write_refusal(*self._refusal)

    def _write_refusal(self, status: int, message: str) -> None:
        if self.transport.is_closing():
            return
        body = message.encode("utf-8")
        content = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content += [name, b": ", value, b"\r\n"]
        content += [
            b"content-type: text/plain; charset=utf-8\r\n",
            NOSNIFF,
            b"content-length: %d\r\n" % len(body),
            CLOSE,
            b"\r\n",
            body,
        ]
        self.transport.write(b"".join(content))
        self.transport.close()
