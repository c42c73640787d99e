"""An evidence page in a real browser: the citation's quote, its publication and footnote, the
fact it supports and the "Cite this evidence" box render under the strict CSP (no inline
script or style), and the fact's page links to it. Screenshots go to $SHEZHIRE_SCREENSHOTS."""

from __future__ import annotations

import html
import re
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

Browser = Callable[..., subprocess.CompletedProcess[str]]

FN30 = "/id/citation/tie/b2023-aduchi-petr-relative-or-fictive-kin/b2023-fn30"
IRI = "https://w3id.org/shezhire" + FN30


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_evidence_page_in_chromium(browse: Browser, pages_url: str, screenshots_dir: Path) -> None:
    result = browse(pages_url + FN30, "--dump-dom", "--virtual-time-budget=2000")
    dom = result.stdout
    assert "</html>" in dom, result.stderr[-2000:]
    # CSP violations are reported on the console; the page has none
    assert "Content Security Policy" not in result.stderr
    assert "<h1>Citation: Bolatkhan 2023, fn. 30</h1>" in dom
    assert "to visit his relatives, mentioning only the surname Khomutnikov." in dom
    box = re.search(r'<aside class="cite-evidence">(.*?)</aside>', dom, re.S)
    assert box, dom[:2000]
    assert f"<code>{IRI}</code>" in box.group(1)
    footnote = re.search(r'<p class="suggested footnote-text">(.*?)</p>', box.group(1), re.S)
    assert footnote
    assert html.unescape(footnote.group(1)).startswith(
        f"Bolatkhan 2023, fn. 30, quoted in Shezhire, <{IRI}>, accessed "
    )
    assert 'href="/id/tie/b2023-aduchi-petr-relative-or-fictive-kin"' in dom
    # the stylesheet applied (the box has its border from style.css, not from inline style)
    assert ' style="' not in dom
    out = screenshots_dir / "evidence-citation.png"
    shot = browse(
        pages_url + FN30,
        f"--screenshot={out}",
        "--window-size=1280,1000",
        "--virtual-time-budget=3000",
    )
    assert out.is_file(), shot.stderr[-2000:]
    assert _png_size(out) == (1280, 1000)
    assert out.stat().st_size > 20_000, "a blank page compresses to almost nothing"


def test_fact_page_links_to_the_evidence_page(
    browse: Browser, pages_url: str, screenshots_dir: Path
) -> None:
    url = pages_url + "/id/tie/b2023-aduchi-petr-relative-or-fictive-kin"
    dom = browse(url, "--dump-dom", "--virtual-time-budget=2000").stdout
    assert f'<a class="permalink-link" href="{FN30}"' in dom
    out = screenshots_dir / "evidence-fact.png"
    browse(url, f"--screenshot={out}", "--window-size=1280,1400", "--virtual-time-budget=3000")
    assert out.is_file()
