"""Serving the linked-data router for tests and by hand, standalone or inside the SPARQL app.

``python -m shezhire.linked_data.testing`` serves, on ``SHEZHIRE_HOST:SHEZHIRE_PORT`` (settings
from ``SHEZHIRE_*`` variables), the app of :func:`make_app`: ``shezhire.http.app.create_app``
with this router included when that works, else (or with ``SHEZHIRE_LD_STANDALONE=1``) a bare
FastAPI app with the router and a minimal SPARQL query endpoint over the same in-memory store,
so that the query page works without the SPARQL service.
"""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import parse_qs

import pyoxigraph as ox
from fastapi import FastAPI, Request
from starlette.responses import PlainTextResponse, Response

from shezhire.config import Settings
from shezhire.linked_data.graph import dataset_for
from shezhire.linked_data.router import router

log = logging.getLogger("shezhire.linked_data")


def standalone_app(settings: Settings) -> FastAPI:
    """The router alone, plus ``POST/GET /sparql`` answering SELECT/ASK as SPARQL JSON."""
    app = FastAPI(title="Shezhire linked data (standalone)")
    app.state.settings = settings
    app.state.linked_data_mode = "standalone"
    app.include_router(router)

    async def _query_text(request: Request) -> str:
        if request.method == "GET":
            return request.query_params.get("query", "")
        body = (await request.body()).decode("utf-8")
        if request.headers.get("content-type", "").startswith("application/sparql-query"):
            return body
        return parse_qs(body).get("query", [""])[0]

    @app.api_route("/sparql", methods=["GET", "POST"])
    async def sparql(request: Request) -> Response:
        text = await _query_text(request)
        if not text:
            return PlainTextResponse("Give a query.\n", status_code=400)
        store = dataset_for(settings).store
        try:
            results = store.query(text, use_default_graph_as_union=True)
        except SyntaxError as error:
            return PlainTextResponse(f"Bad query: {error}\n", status_code=400)
        if isinstance(results, ox.QueryBoolean):
            body = b'{"head":{},"boolean":' + (b"true" if bool(results) else b"false") + b"}"
            return Response(body, media_type="application/sparql-results+json")
        if isinstance(results, ox.QuerySolutions):
            out = results.serialize(format=ox.QueryResultsFormat.JSON) or b""
            return Response(out, media_type="application/sparql-results+json")
        out = results.serialize(format=ox.RdfFormat.TURTLE) or b""
        return Response(out, media_type="text/turtle")

    return app


def make_app(settings: Settings | None = None) -> Any:
    """The SPARQL app with this router included, or the standalone app."""
    settings = settings or Settings()
    if os.environ.get("SHEZHIRE_LD_STANDALONE") != "1":
        try:
            from shezhire.http.app import create_app  # noqa: PLC0415

            app = create_app(settings)
            app.include_router(router)
            app.state.linked_data_mode = "http-app"
            return app
        except Exception:  # the SPARQL app is someone else's work in progress
            log.exception("create_app failed; serving the linked-data router standalone")
    return standalone_app(settings)


def main() -> None:
    import uvicorn  # noqa: PLC0415

    settings = Settings()
    uvicorn.run(make_app(settings), host=settings.host, port=settings.port, log_level="warning")


if __name__ == "__main__":
    main()
