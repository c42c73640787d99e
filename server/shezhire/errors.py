"""The small exception hierarchy of the build and the service."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class ShezhireError(Exception):
    """Base class: every error the CLI reports as a message and exit code 1."""


@dataclass
class SyntaxProblem(ShezhireError):
    """A file that does not parse strictly; names the file and the line."""

    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        return f"{where}: syntax error: {self.message}"


@dataclass
class ValidationProblem(ShezhireError):
    """The data violates the shapes; carries one line per SHACL result and the report path."""

    results: list[str]
    report_path: Path | None

    def __str__(self) -> str:
        head = f"{len(self.results)} SHACL violation(s)"
        if self.report_path is not None:
            head += f"; full report: {self.report_path}"
        return "\n".join([head, *self.results])


class TreeError(ShezhireError):
    """The tree to build (ontology/, shapes/, data/ttl/) is missing, empty or inconsistent."""


class StoreError(ShezhireError):
    """The built store is missing, empty or cannot be published."""


@dataclass
class QuoteProblem(ShezhireError):
    """Quotes not found verbatim in their registered texts; one line per failure."""

    failures: list[str]
    checked: int
    texts_dir: Path

    def __str__(self) -> str:
        head = (
            f"{len(self.failures)} quote problem(s) among {self.checked} quotes checked "
            f"against the texts in {self.texts_dir}"
        )
        return "\n".join([head, *self.failures])
