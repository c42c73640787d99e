"""``shezhire serve``: build the validated store when it is stale, then serve it with uvicorn.

``python -m shezhire.http.server`` serves without building (settings from ``SHEZHIRE_*``
environment variables): the tests and the benchmark use it on stores they built themselves.
"""

from __future__ import annotations

import resource
import sys

import uvicorn

from shezhire.backend.location import remote_target
from shezhire.backend.outbound import allow_only
from shezhire.config import Settings
from shezhire.errors import ShezhireError, StoreError
from shezhire.http.app import create_app
from shezhire.http.front import SparqlFront
from shezhire.http.security import SecurityHeaders
from shezhire.http.transport import (
    BACKLOG,
    LIMIT_CONCURRENCY,
    SPARE_FILE_DESCRIPTORS,
    LimitedHttpProtocol,
)
from shezhire.pipeline.build import ensure_built
from shezhire.pipeline.store import require_triples


def raise_file_limit(wanted: int) -> None:
    """Raise the soft limit of open files towards ``wanted`` (within the hard limit): with the
    usual soft limit of 1,024, a thousand idle connections would make accept() fail."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def serve(settings: Settings) -> None:
    """Serve the already-built store at settings.store (blocks until interrupted).

    A missing or empty store is refused here, in one line, before anything listens. With
    ``backend = "remote"`` the remote's manifest must name a build, and this process may then
    connect to the remote store's host alone (:func:`shezhire.backend.outbound.allow_only`).
    """
    if settings.backend == "remote":
        if not settings.remote_query_url:
            raise StoreError("backend 'remote' needs remote_query_url ($SHEZHIRE_REMOTE_QUERY_URL)")
        remote_target(settings.remote_query_url)
        allow_only([settings.remote_query_url])
    else:
        require_triples(settings.store)
    app = create_app(settings)
    raise_file_limit(LIMIT_CONCURRENCY + SPARE_FILE_DESCRIPTORS)
    uvicorn.run(
        # Security headers wrap everything, the SPARQL fast path included.
        SecurityHeaders(SparqlFront(app) if settings.sparql_fast_path else app),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http=LimitedHttpProtocol,  # httptools, with head size and read-time limits
        ws="none",  # no WebSocket routes: an Upgrade request is a plain HTTP request
        limit_concurrency=LIMIT_CONCURRENCY,
        backlog=BACKLOG,
        access_log=settings.access_log,
        log_level="info",
        timeout_graceful_shutdown=5,
    )


def run(settings: Settings) -> None:
    """What ``shezhire serve`` calls: build if missing or older than its inputs, then serve."""
    summary = ensure_built(settings) if settings.backend == "embedded" else None
    if summary is not None:
        print(summary.describe(), flush=True)
    print(f"serving http://{settings.host}:{settings.port}/sparql", flush=True)
    serve(settings)


if __name__ == "__main__":
    try:
        serve(Settings())
    except ShezhireError as error:
        sys.exit(f"shezhire serve: {error}")
