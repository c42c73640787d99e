"""``/queries``: the example (competency) queries shipped in ``queries/*.rq``."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.responses import Response

from shezhire.example_queries import read_examples
from shezhire.http.deps import SettingsDep
from shezhire.http.errors import HttpProblem

router = APIRouter(tags=["queries"])


@router.get("/queries", summary="The example queries, with titles and descriptions")
def list_queries(settings: SettingsDep) -> JSONResponse:
    examples = [asdict(e) for e in read_examples(settings.queries_dir)]
    for example in examples:
        example["url"] = f"/queries/{example['name']}"
    return JSONResponse(examples)


@router.get("/queries/{name}", summary="One example query, as application/sparql-query")
def get_query(name: str, settings: SettingsDep) -> Response:
    for example in read_examples(settings.queries_dir):
        if example.name == name:
            return Response(example.query, media_type="application/sparql-query")
    raise HttpProblem(404, f"No example query named {name!r}; see /queries.")
