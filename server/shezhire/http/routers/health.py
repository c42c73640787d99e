"""``/health``: is the service up, and what is it serving (which build, how many workers)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from shezhire.http.deps import PublisherDep, SnapshotDep

router = APIRouter(tags=["health"])


# async: it only reads counters, and must answer at once even when the thread pool is busy.
@router.get("/health", summary="Liveness and what is served")
async def health(snapshot: SnapshotDep, publisher: PublisherDep) -> JSONResponse:
    engine = snapshot.engine
    workers = len(engine.pids)
    cache = snapshot.service.cache
    # With no worker ready but some starting (all were just killed at their time limit), the
    # service is recovering, not down: queries wait for the new workers.
    status = "ok" if workers else "recovering" if engine.starting else "down"
    body = {
        "status": status,
        **snapshot.describe(),
        "query_workers": workers,
        "query_workers_busy": engine.busy,
        "query_workers_max": engine.max_workers,
        "worker_network": sorted(set(engine.network)),
        "queries_stopped_at_time_limit": engine.killed,
        "workers_died": engine.died,
        "queries_retried": engine.retried,
        "clients_refused": engine.refused_clients,
        "result_cache": {"hits": cache.hits, "misses": cache.misses, "bytes": cache.size},
        "snapshot_reloads": publisher.reloads,
        "snapshots_draining": publisher.retiring,
        "last_reload_error": publisher.last_error,
    }
    return JSONResponse(body, status_code=503 if status == "down" else 200)
