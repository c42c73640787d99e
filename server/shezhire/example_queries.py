"""The example (competency) queries of ``queries/*.rq``, with their header comments.

Each file starts with ``# title: ...`` and ``# description: ...`` lines; an indented comment
line continues the field above it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class ExampleQuery:
    name: str
    title: str
    description: str
    query: str


def read_examples(folder: Path) -> list[ExampleQuery]:
    """``queries/*.rq`` with their ``# title:`` and ``# description:`` header lines."""
    examples: list[ExampleQuery] = []
    if not folder.is_dir():
        return examples
    for path in sorted(folder.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        header: dict[str, list[str]] = {"title": [], "description": []}
        current: str | None = None
        for line in text.splitlines():
            stripped = line.strip()
            if not stripped.startswith("#"):
                if stripped:
                    break
                continue
            body = stripped.lstrip("#")
            key, sep, value = body.strip().partition(":")
            if sep and key.strip().lower() in header:
                current = key.strip().lower()
                header[current].append(value.strip())
            elif current and body.startswith(("  ", "\t")) and body.strip():
                header[current].append(body.strip())  # an indented continuation line
            else:
                current = None
        examples.append(
            ExampleQuery(
                path.stem,
                " ".join(header["title"]) or path.stem,
                " ".join(header["description"]),
                text,
            )
        )
    return examples
