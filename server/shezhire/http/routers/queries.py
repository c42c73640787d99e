"""``/queries``: the example (competency) queries shipped in ``queries/*.rq``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.responses import Response

from shezhire.http.deps import SettingsDep
from shezhire.http.errors import HttpProblem

router = APIRouter(tags=["queries"])


@dataclass
class ExampleQuery:
    name: str
    title: str
    description: str
    query: str


def read_examples(folder: Path) -> list[ExampleQuery]:
    """Each ``.rq`` file with its ``# title:`` and ``# description:`` header lines."""
    examples = []
    for path in sorted(folder.glob("*.rq")) if folder.is_dir() else []:
        text = path.read_text(encoding="utf-8")
        header: dict[str, list[str]] = {"title": [], "description": []}
        for line in text.splitlines():
            stripped = line.strip()
            if not stripped.startswith("#"):
                if stripped:
                    break
                continue
            key, sep, value = stripped.lstrip("#").strip().partition(":")
            if sep and key.strip().lower() in header:
                header[key.strip().lower()].append(value.strip())
        examples.append(
            ExampleQuery(
                name=path.stem,
                title=" ".join(header["title"]) or path.stem,
                description=" ".join(header["description"]),
                query=text,
            )
        )
    return examples


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
