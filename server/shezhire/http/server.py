"""``shezhire serve``: build the validated store when it is stale, then serve it with uvicorn.

``python -m shezhire.http.server`` serves without building (settings from ``SHEZHIRE_*``
environment variables): the tests and the benchmark use it on stores they built themselves.
"""

from __future__ import annotations

import uvicorn

from shezhire.config import Settings
from shezhire.http.app import create_app
from shezhire.http.front import SparqlFront
from shezhire.pipeline.build import ensure_built


def serve(settings: Settings) -> None:
    """Serve the already-built store at settings.store (blocks until interrupted)."""
    app = create_app(settings)
    uvicorn.run(
        SparqlFront(app) if settings.sparql_fast_path else app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        access_log=settings.access_log,
        log_level="info",
        timeout_graceful_shutdown=5,
    )


def run(settings: Settings) -> None:
    """What ``shezhire serve`` calls: build if missing or older than its inputs, then serve."""
    summary = ensure_built(settings)
    if summary is not None:
        print(summary.describe(), flush=True)
    print(f"serving http://{settings.host}:{settings.port}/sparql", flush=True)
    serve(settings)


if __name__ == "__main__":
    serve(Settings())
