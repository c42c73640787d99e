"""``/sparql`` and ``/query``: the SPARQL 1.1 Protocol (queries; updates are refused)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from shezhire.http.deps import ServiceDep, SettingsDep
from shezhire.http.responses import read_body, to_response

router = APIRouter(tags=["sparql"])


def endpoint_of(request: Request) -> str:
    scope = request.scope
    scheme = scope.get("scheme", "http")
    host = request.headers.get("host")
    if not host:
        server = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scheme}://{host}{scope.get('root_path', '')}{scope['path']}"


@router.get("/sparql", summary="SPARQL query (GET ?query=), or the service description")
@router.get("/query", include_in_schema=False)
async def sparql_get(request: Request, service: ServiceDep) -> Response:
    outcome = await service.handle(
        "GET", request.scope["query_string"], request.headers, b"", endpoint_of(request)
    )
    return to_response(outcome)


@router.post("/sparql", summary="SPARQL query (form or application/sparql-query body)")
@router.post("/query", include_in_schema=False)
async def sparql_post(request: Request, service: ServiceDep, settings: SettingsDep) -> Response:
    body = await read_body(request, settings.max_body_bytes)
    outcome = await service.handle(
        "POST", request.scope["query_string"], request.headers, body, endpoint_of(request)
    )
    return to_response(outcome)
