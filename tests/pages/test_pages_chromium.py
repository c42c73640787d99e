"""The pages in a real browser: screenshots of the home and a person page, and the query page
(YASGUI) running an example query and rendering its results table. The interactive parts
(typing, clicking) are in test_interactive_pages.py."""

from __future__ import annotations

import re
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

Browser = Callable[..., subprocess.CompletedProcess[str]]

PETR = "/id/person/petr-vasilievich-khomutnikov"


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _screenshot(browse: Browser, url: str, out: Path, height: int = 1600) -> None:
    result = browse(
        url, f"--screenshot={out}", f"--window-size=1280,{height}", "--virtual-time-budget=3000"
    )
    assert out.is_file(), result.stderr[-2000:]
    assert _png_size(out) == (1280, height)
    assert out.stat().st_size > 20_000, "a blank page compresses to almost nothing"


def test_home_page_screenshot(browse: Browser, pages_url: str, screenshots_dir: Path) -> None:
    _screenshot(browse, pages_url + "/", screenshots_dir / "home.png")


def test_person_page_screenshot(browse: Browser, pages_url: str, screenshots_dir: Path) -> None:
    _screenshot(browse, pages_url + PETR, screenshots_dir / "person.png")
    dom = browse(pages_url + PETR, "--dump-dom", "--virtual-time-budget=2000").stdout
    assert "<h1>Petr Vasilievich Khomutnikov</h1>" in dom
    assert "Kin ties" in dom


def test_query_page_runs_an_example(browse: Browser, pages_url: str, screenshots_dir: Path) -> None:
    url = pages_url + "/query-ui?example=07-editorial-pseudonyms&run=1"
    dom = browse(url, "--dump-dom", "--virtual-time-budget=8000").stdout
    # YASR's table (DataTables), its IRIs rewritten to the local pages.
    table = re.search(r'<table [^>]*class="[^"]*dataTable[^"]*"[^>]*>(.*?)</table>', dom, re.S)
    assert table, dom[-3000:]
    rows = re.findall(r"<tr[ >]", table.group(1))
    assert len(rows) >= 2, "a header and at least one result row"
    assert 'href="/id/person/' in table.group(1), "IRIs link to the local pages"
    assert re.search(r'id="status"[^>]*>\d+ rows? in \d+ ms<', dom)
    _screenshot(browse, url, screenshots_dir / "query.png")
