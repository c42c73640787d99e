"""Routes of the pages' interactive parts: the library files, the connection page, and what
the query editor completes (a FastAPI ``APIRouter``: ``router``).

* ``GET /assets/{name}/{version}/{file}``: one file of a JavaScript/CSS library the pages
  load (:mod:`shezhire.linked_data.assets`: an allow-list, nothing else is reachable), cached
  for a year when the version is the installed one.
* ``GET /connect?from=&to=``: "how are these two connected?": two persons picked with the
  search box, the paths between them drawn and explained step by step (the page reads
  ``/network/path``).
* ``GET /query-ui/completions``: JSON for the query editor: the prefixes it declares and
  completes, and the classes and properties of this graph.

Like :mod:`shezhire.linked_data.router`, it reads the request's snapshot
(``request.scope[SNAPSHOT_KEY]``) and renders with the same templates.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
)

from shezhire.http.prefixes import PREFIXES as DECLARED_PREFIXES
from shezhire.http.snapshot import request_snapshot
from shezhire.linked_data.assets import LIBRARIES, media_type
from shezhire.linked_data.graph import ID_BASE, PREFIXES, Dataset
from shezhire.linked_data.router import _templates

router = APIRouter(tags=["linked data"])

IMMUTABLE = "public, max-age=31536000, immutable"
PERSON_BASE = ID_BASE + "person/"
MAX_PATH_LENGTH = 6

_CLASSES = """
SELECT DISTINCT ?c WHERE {
  { ?c a owl:Class } UNION { ?c a rdfs:Class } UNION { [] a ?c }
  FILTER(isIRI(?c))
} ORDER BY ?c
"""
_PROPERTIES = """
SELECT DISTINCT ?p WHERE {
  { ?p a owl:ObjectProperty } UNION { ?p a owl:DatatypeProperty }
  UNION { ?p a owl:AnnotationProperty } UNION { ?p a rdf:Property } UNION { [] ?p [] }
  FILTER(isIRI(?p))
} ORDER BY ?p
"""


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _dataset(request: Request) -> Dataset:
    return request_snapshot(request).dataset


# -- library files ----------------------------------------------------------------------------


@router.api_route(
    "/assets/{name}/{version}/{file}",
    methods=["GET", "HEAD"],
    summary="A JavaScript/CSS library file the pages load (installed from npm)",
)
def asset(name: str, version: str, file: str) -> Response:
    library = LIBRARIES.get(name)
    path = library.path(file) if library is not None else None
    if library is None or path is None:
        known = ", ".join(f"{n}/{f}" for n, lib in LIBRARIES.items() for f in lib.files)
        reason = (
            f"{name}/{file} is not installed: run the set-up again (`pip install -e .` runs "
            "`npm ci`, which needs npm)."
            if library is not None and file in library.files
            else f"No library file {name}/{file}; served: {known}."
        )
        return PlainTextResponse(reason + "\n", status_code=404)
    cache = IMMUTABLE if version == library.version else "no-cache"
    return FileResponse(path, media_type=media_type(file), headers={"Cache-Control": cache})


# -- how are these two connected? -------------------------------------------------------------


def _person(dataset: Dataset, value: str) -> dict[str, str] | None:
    """A person given as an IRI, ``person:slug`` or a slug, with its label; None if unknown."""
    value = value.strip()
    if not value:
        return None
    if value.startswith("person:"):
        iri = PERSON_BASE + value.removeprefix("person:")
    elif "/" not in value and ":" not in value:
        iri = PERSON_BASE + value
    else:
        iri = value
    if not iri.startswith(PERSON_BASE) or not dataset.exists(iri):
        return None
    return {"id": iri, "label": dataset.label(iri)}


@router.api_route("/connect", methods=["GET", "HEAD"], summary="How are two persons connected?")
def connect(
    request: Request,
    from_: Annotated[str, Query(alias="from", description="person IRI, person:slug or slug")] = "",
    to: Annotated[str, Query(description="person IRI, person:slug or slug")] = "",
    max_length: Annotated[int, Query(alias="max", description="longest path, 1..6")] = 4,
) -> Response:
    dataset = _dataset(request)
    ends = {"from": _person(dataset, from_), "to": _person(dataset, to)}
    unknown = [
        f"{key}: no person {value!r} in the graph"
        for key, value in (("from", from_), ("to", to))
        if value.strip() and ends[key] is None
    ]
    root = _root(request)
    config = {
        "root": root,
        "from": ends["from"],
        "to": ends["to"],
        "max": min(max(max_length, 1), MAX_PATH_LENGTH),
        "kind": request.query_params.get("kind", ""),
        "min_certainty": request.query_params.get("min_certainty", ""),
    }
    html = _templates.get_template("connect.html").render(
        root=root,
        title="How are they connected?",
        alternates=[],
        config=config,
        ends=ends,
        unknown=unknown,
        max_length=config["max"],
    )
    return HTMLResponse(html, status_code=404 if unknown else 200)


# -- what the query editor completes ----------------------------------------------------------


def _completions(dataset: Dataset) -> dict[str, object]:
    def iris(query: str, var: str) -> list[str]:
        return [row[var].value for row in dataset.select(query) if var in row]

    return {
        "declared": DECLARED_PREFIXES,
        "prefixes": {**PREFIXES, **DECLARED_PREFIXES},
        "classes": iris(_CLASSES, "c"),
        "properties": iris(_PROPERTIES, "p"),
    }


@router.get(
    "/query-ui/completions", summary="Prefixes, classes and properties the editor completes"
)
def completions(request: Request) -> Response:
    dataset = _dataset(request)
    body = dataset.memo("query-ui/completions", lambda: _completions(dataset))
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=300"})
