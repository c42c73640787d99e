"""Every curl example in the README's routes section runs against the live server, and every
route of the app has one."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from typing import Any

import pytest
from fastapi.routing import APIRoute
from starlette.routing import Route

from shezhire.config import DEFAULT_ROOT, Settings
from shezhire.http.app import create_app

README = DEFAULT_ROOT / "README.md"
README_BASE = "http://127.0.0.1:8000"


def curl_examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("<!-- routes:start -->") : text.index("<!-- routes:end -->")]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL):
        joined = block.replace("\\\n", " ")
        commands += [line.strip() for line in joined.splitlines() if line.startswith("curl ")]
    return commands


EXAMPLES = curl_examples()


def expected_status(command: str) -> int:
    return 403 if "-X PUT" in command or "/update" in command else 200


def example_path(command: str) -> str:
    url = next(arg for arg in shlex.split(command) if arg.startswith(README_BASE))
    return url[len(README_BASE) :].split("?")[0]


def test_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 10


def _route_paths(routes: list[Any]) -> set[str]:
    """Every path of the app, included routers too (FastAPI keeps those as nested objects)."""
    paths: set[str] = set()
    for route in routes:
        if isinstance(route, APIRoute | Route):
            paths.add(route.path)
        elif hasattr(route, "original_router"):
            paths |= _route_paths(route.original_router.routes)
    return paths


def test_every_route_has_an_example(settings: Settings) -> None:
    app = create_app(settings)
    paths = _route_paths(app.routes)
    assert {"/sparql", "/network/ego", "/void"} <= paths
    covered = {example_path(c) for c in EXAMPLES}
    for path in paths:
        pattern = re.sub(r"\{[^}]+:path\}", ".+", path)
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", pattern)
        assert any(re.fullmatch(pattern, c) for c in covered), f"no README example for {path}"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize("command", EXAMPLES, ids=[example_path(c) for c in EXAMPLES])
def test_curl_example(command: str, base_url: str) -> None:
    args = [a.replace(README_BASE, base_url) for a in shlex.split(command)]
    args += ["--silent", "--show-error", "--write-out", "\n%{http_code}"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    body, _, status = result.stdout.rpartition("\n")
    assert int(status) == expected_status(command), body[:500]
    assert body.strip()
