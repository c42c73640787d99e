"""Writes: SPARQL Update (``/update``) and the Graph Store Protocol (``/store``).

Every write is refused with 403 and a reason unless a write token is configured (writes are
not implemented yet either way). ``GET /store?graph=IRI`` (or ``?default``) reads a graph.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from shezhire.http.deps import ServiceDep
from shezhire.http.engine import problem
from shezhire.http.protocol import ProtocolError
from shezhire.http.responses import to_response

router = APIRouter(tags=["writes"])


@router.post("/update", summary="SPARQL Update: refused (read-only endpoint)")
def update(request: Request, service: ServiceDep) -> Response:
    return to_response(service.refuse_write(request.headers.get("authorization")))


@router.api_route(
    "/store",
    methods=["PUT", "POST", "DELETE", "PATCH"],
    summary="Graph Store Protocol writes: refused (read-only endpoint)",
)
def store_write(request: Request, service: ServiceDep) -> Response:
    return to_response(service.refuse_write(request.headers.get("authorization")))


@router.get("/store", summary="Graph Store Protocol read: ?graph=IRI or ?default")
async def store_read(request: Request, service: ServiceDep) -> Response:
    params = request.query_params
    graph = params.get("graph")
    if graph is None and "default" not in params:
        return to_response(problem(400, "Give ?graph=IRI or ?default."))
    if graph is not None:
        if any(c in graph for c in '<>"{}|^`\\ \n'):
            return to_response(problem(400, f"Not an IRI: {graph!r}."))
        query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    else:
        query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    try:
        outcome = await service.run_query(query, accept=request.headers.get("accept"))
    except ProtocolError as error:
        outcome = problem(error.status, error.message)
    return to_response(outcome)
