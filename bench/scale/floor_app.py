"""The ``floor`` part's minimal Python SPARQL server: one hop, nothing but the query.

    SHEZHIRE_FLOOR_STORE=STORE .venv/bin/python -m uvicorn floor_app:app --app-dir bench/scale \\
        --workers 2 --loop uvloop --http httptools

A raw ASGI app: each process opens the store with ``pyoxigraph.Store.read_only`` at its lifespan
start and answers ``GET ?query=`` inline, in the event loop: the query over the union of the
named graphs, serialized as SPARQL JSON results, Content-Length set; a query pyoxigraph refuses
is a 400 with its message. No limits, no cache, no worker processes, no logging: whatever any
Python server with pyoxigraph on the request path adds to a query, this adds the least.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import pyoxigraph as ox

STORE_VARIABLE = "SHEZHIRE_FLOOR_STORE"
JSON = b"application/sparql-results+json"

Message = dict[str, Any]
_stores: list[ox.Store] = []  # this process's store, opened at the lifespan start


async def app(
    scope: Message,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                _stores.append(ox.Store.read_only(os.environ[STORE_VARIABLE]))
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    query = parse_qs(scope["query_string"].decode()).get("query", [""])[0]
    try:
        results = _stores[0].query(query, use_default_graph_as_union=True)
        if isinstance(results, ox.QueryTriples):
            raise TypeError("CONSTRUCT and DESCRIBE are not answered here")
        body = results.serialize(format=ox.QueryResultsFormat.JSON) or b""
        status, kind = 200, JSON
    except (SyntaxError, OSError, TypeError, ValueError) as error:
        body, status, kind = str(error).encode(), 400, b"text/plain"
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
