"""``GET /search`` and ``GET /search/suggest``: names across scripts and spellings (an
``APIRouter``: ``router``).

Include it with ``app.include_router(router)``. Like the linked-data routes it reads the
request's snapshot (``request.scope[SNAPSHOT_KEY]``, 503 without one) and that build's name
index (:func:`shezhire.search.index.name_index`, made on first use); handlers are plain
``def`` and run in the thread pool.

* ``GET /search?q=&type=&limit=``: ``{"query": q, "results": [{"id", "label", "type",
  "matched", "score", "pseudonym", "href"}]}``, best first; ``type`` (repeatable or
  comma-separated) is ``person``, ``institution``, ``place``, ``act``, ``item`` or ``work``;
  ``limit`` 1-100 (20). A browser (``Accept: text/html``, or ``?format=html``) gets the
  results page instead.
* ``GET /search/suggest?q=&type=``: the same JSON, at most 8 results, for type-ahead boxes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse, JSONResponse, Response

from shezhire.config import BASE_IRI
from shezhire.http.errors import HttpProblem
from shezhire.http.negotiation import choose
from shezhire.http.snapshot import request_snapshot
from shezhire.linked_data import router as linked_data
from shezhire.search.index import TYPES, Hit, NameIndex, name_index

HERE = Path(__file__).resolve().parent
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
SUGGEST_LIMIT = 8
TYPE_TITLES = {
    "person": "persons",
    "institution": "institutions",
    "place": "places",
    "act": "legal acts",
    "item": "archival items",
    "work": "publications",
}

router = APIRouter(tags=["search"])

# The pages' layout (base.html) comes from the linked-data templates; this folder adds its own.
templates = Environment(
    loader=ChoiceLoader(
        [
            FileSystemLoader(str(HERE / "templates")),
            FileSystemLoader(str(Path(linked_data.__file__).resolve().parent / "templates")),
        ]
    ),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
# whatever helpers the shared layout calls (asset URLs...)
templates.globals.update(linked_data._templates.globals)

_OFFERS = [("application/json", "json"), ("text/html", "html")]

TypeParam = Annotated[
    list[str] | None,
    Query(description="person, institution, place, act, item, work (repeat or comma-separate)"),
]


def index_of(request: Request) -> NameIndex:
    return name_index(request_snapshot(request).dataset)


def root_of(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def page_path(iri: str, root: str = "") -> str:
    """Where this site serves ``iri`` (``/id/person/slug``)."""
    return f"{root}/{iri[len(BASE_IRI) :]}" if iri.startswith(BASE_IRI) else iri


def parse_types(values: list[str] | None) -> list[str]:
    wanted = [v.strip() for value in values or [] for v in value.split(",") if v.strip()]
    unknown = [v for v in wanted if v not in TYPES]
    if unknown:
        raise HttpProblem(
            400, f"Unknown type {unknown[0]!r}; use one of: {', '.join(TYPES)}.", {"Vary": "Accept"}
        )
    return wanted


def hit_json(hit: Hit, root: str = "") -> dict[str, Any]:
    entity = hit.entity
    return {
        "id": entity.iri,
        "label": entity.label,
        "type": entity.type,
        "matched": hit.matched,
        "score": hit.score,
        "pseudonym": entity.pseudonym,
        "href": page_path(entity.iri, root),
    }


def _answer(query: str, hits: list[Hit], root: str) -> dict[str, Any]:
    return {"query": query, "results": [hit_json(h, root) for h in hits]}


@router.api_route("/search", methods=["GET", "HEAD"], summary="Find names (JSON or a page)")
def search(
    request: Request,
    q: Annotated[str, Query(description="a name in any script or spelling")] = "",
    type: TypeParam = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    format: Annotated[str | None, Query(description="json or html (else Accept)")] = None,
) -> Response:
    if format:
        chosen: str | None = format.strip().lower()
        if chosen not in ("json", "html"):
            raise HttpProblem(400, f"Unknown format {format!r}; use json or html.")
    else:
        chosen = choose(request.headers.get("accept"), _OFFERS)
    if chosen is None:
        return Response(
            "Not acceptable: /search answers application/json or text/html.\n",
            status_code=406,
            media_type="text/plain",
            headers={"Vary": "Accept"},
        )
    types = parse_types(type)
    root = root_of(request)
    hits = index_of(request).search(q, types, limit) if q.strip() else []
    answer = _answer(q, hits, root)
    if chosen == "json":
        return JSONResponse(answer, headers={"Vary": "Accept"})
    json_href = f"{root}/search?" + urlencode(
        [("q", q), *(("type", t) for t in types), ("format", "json")]
    )
    html = templates.get_template("search.html").render(
        root=root,
        title=f"Search: {q}" if q.strip() else "Search",
        alternates=[],
        query=q,
        results=answer["results"],
        types=list(TYPE_TITLES.items()),
        selected=types[0] if len(types) == 1 else "",
        json_href=json_href,
    )
    return HTMLResponse(html, headers={"Vary": "Accept"})


@router.api_route("/search/suggest", methods=["GET", "HEAD"], summary="Type-ahead (JSON)")
def suggest(
    request: Request,
    q: Annotated[str, Query(description="what has been typed so far")] = "",
    type: TypeParam = None,
    limit: Annotated[int, Query(ge=1, le=SUGGEST_LIMIT)] = SUGGEST_LIMIT,
) -> Response:
    types = parse_types(type)
    hits = index_of(request).search(q, types, limit) if q.strip() else []
    return JSONResponse(_answer(q, hits, root_of(request)))
