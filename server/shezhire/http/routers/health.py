"""``/health``: is the service up, and what is it serving."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from shezhire.http.deps import DatasetDep, EngineDep, ServiceDep

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness and what is served")
def health(engine: EngineDep, dataset: DatasetDep, service: ServiceDep) -> JSONResponse:
    workers = len(engine.pids)
    body = {
        "status": "ok" if workers else "starting",
        "triples": dataset.triples,
        "named_graphs": len(dataset.graphs),
        "query_workers": workers,
        "queries_stopped_at_time_limit": engine.killed,
        "result_cache": {"hits": service.cache.hits, "misses": service.cache.misses},
    }
    return JSONResponse(body, status_code=200 if workers else 503)
