"""A thin ASGI front that answers ``GET``/``POST`` on ``/sparql`` and ``/query`` directly.

It calls the same core as the FastAPI routes (:meth:`SparqlService.handle`) but skips
Starlette's routing, dependency solving and middleware layers, which cost more per request than
the query itself on a lookup. Everything else (and OPTIONS preflights) goes to the FastAPI app.
``serve`` installs it unless ``Settings.sparql_fast_path`` is false.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI

from shezhire.http.engine import Outcome, problem
from shezhire.http.protocol import SparqlService
from shezhire.http.snapshot import SNAPSHOT_KEY, publisher_of
from shezhire.http.urls import public_endpoint

log = logging.getLogger("shezhire.http.front")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

PATHS = frozenset({"/sparql", "/query"})
WANTED = frozenset({b"accept", b"content-type", b"authorization", b"origin", b"content-length"})
VARY = (b"vary", b"Accept, Origin")
CORS = (b"access-control-allow-origin", b"*")


class SparqlFront:
    """ASGI app: the SPARQL fast path in front of ``app``."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.state = app.state  # so code that reaches for app.state still finds it

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] not in PATHS
            or scope["method"] not in ("GET", "POST")
        ):
            await self.app(scope, receive, send)
            return
        publisher = publisher_of(self.app)
        if publisher is None:
            await self.app(scope, receive, send)
            return
        with publisher.use() as snapshot:
            scope[SNAPSHOT_KEY] = snapshot
            await self._answer(snapshot.service, scope, receive, send)

    async def _answer(
        self, service: SparqlService, scope: Scope, receive: Receive, send: Send
    ) -> None:
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            if name in WANTED:
                headers[name.decode("latin-1")] = value.decode("latin-1")
        try:
            if scope["method"] == "POST":
                body_or_problem = await self._body(
                    receive, headers, service.settings.max_body_bytes
                )
                if isinstance(body_or_problem, Outcome):
                    await self._send(send, body_or_problem, headers)
                    return
                body = body_or_problem
            else:
                body = b""
            endpoint = public_endpoint(service.settings, scope)  # never from the Host header
            client = scope.get("client")
            outcome = await service.handle(
                scope["method"],
                scope["query_string"],
                headers,
                body,
                endpoint,
                client=client[0] if client else None,
            )
        except Exception:  # a bug of ours; never a client's doing
            log.exception("internal error on %s", scope["path"])
            outcome = problem(500, "Internal server error.")
        await self._send(send, outcome, headers)

    @staticmethod
    async def _body(receive: Receive, headers: dict[str, str], limit: int) -> bytes | Outcome:
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                return problem(400, "Content-Length is not a number.")
            if int(declared) > limit:
                return problem(413, f"The request body has {declared} bytes; the limit is {limit}.")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return problem(400, "The client went away.")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return problem(413, f"The request body exceeds the limit of {limit} bytes.")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    @staticmethod
    async def _send(send: Send, outcome: Outcome, request_headers: dict[str, str]) -> None:
        response_headers = [(b"content-type", outcome.content_type.encode("latin-1")), VARY]
        response_headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in outcome.headers]
        if "origin" in request_headers:
            response_headers.append(CORS)
        if outcome.body is not None:
            response_headers.append((b"content-length", str(len(outcome.body)).encode()))
            await send(
                {
                    "type": "http.response.start",
                    "status": outcome.status,
                    "headers": response_headers,
                }
            )
            await send({"type": "http.response.body", "body": outcome.body})
            return
        stream = outcome.stream
        assert stream is not None
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": outcome.status,
                    "headers": response_headers,
                }
            )
            # StreamAborted propagates: the server closes the connection without the final
            # chunk, so the client sees an incomplete answer, never a truncated 200.
            async for chunk in stream:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await stream.aclose()
