"""The historian's pages in a real browser: the browse facets (a click on a facet value narrows
the list and shows a chip that removes it), the persons' tabs, and a person's timeline with
its dates written out. Screenshots go to $SHEZHIRE_SCREENSHOTS when set."""

from __future__ import annotations

import html
import re
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

Browser = Callable[..., subprocess.CompletedProcess[str]]


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _screenshot(browse: Browser, url: str, out: Path, height: int = 1400) -> None:
    result = browse(
        url, f"--screenshot={out}", f"--window-size=1280,{height}", "--virtual-time-budget=3000"
    )
    assert out.is_file(), result.stderr[-2000:]
    assert _png_size(out) == (1280, height)
    assert out.stat().st_size > 20_000, "a blank page compresses to almost nothing"


def _dom(browse: Browser, url: str) -> str:
    dom = browse(url, "--dump-dom", "--virtual-time-budget=2000").stdout
    assert "</html>" in dom, dom[-2000:]
    return dom


def _rows(dom: str) -> int:
    return len(re.findall(r'<td class="name">', dom))


def _facet_link(dom: str, facet: str, value: str) -> tuple[str, int]:
    section = re.search(rf'<section class="facet" id="facet-{facet}">(.*?)</section>', dom, re.S)
    assert section, f"no facet {facet}"
    link = re.search(
        rf'<a href="([^"]+)" class="fv[^"]*"[^>]*data-value="{re.escape(value)}"[^>]*>'
        r'<span class="fv-label">[^<]*</span><span class="fv-n">(\d+)</span>',
        section.group(1),
    )
    assert link, section.group(1)[:1000]
    return html.unescape(link.group(1)), int(link.group(2))


def test_browse_facets_narrow_the_list(
    browse: Browser, pages_url: str, screenshots_dir: Path
) -> None:
    start = _dom(browse, pages_url + "/browse/events")
    total = _rows(start)
    assert total > 100
    href, count = _facet_link(start, "period", "1950s")
    narrowed = _dom(browse, pages_url + href)
    assert _rows(narrowed) == count < total
    assert re.search(r'<a class="chip" href="[^"]+"[^>]*>Period: 1950s', narrowed)
    # a second facet narrows further; the chips remove one filter each
    href2, count2 = _facet_link(narrowed, "certainty", "probable")
    both = _dom(browse, pages_url + href2)
    assert _rows(both) == count2 <= count
    chips = re.findall(r'<a class="chip" href="([^"]+)"', both)
    assert len(chips) == 2
    assert _rows(_dom(browse, pages_url + html.unescape(chips[1]))) == count
    _screenshot(browse, pages_url + href, screenshots_dir / "browse-events-1950s.png")


def test_persons_tabs_and_index_letters(
    browse: Browser, pages_url: str, screenshots_dir: Path
) -> None:
    dom = _dom(browse, pages_url + "/browse/persons")
    tabs = re.findall(r'data-group="(\w+)"[^>]*>([^<]+)<span class="count">(\d+)</span>', dom)
    assert [(key, title.strip()) for key, title, _n in tabs] == [
        ("actors", "Historical actors"),
        ("scholars", "Scholars"),
        ("unnamed", "Unnamed persons"),
    ]
    assert _rows(dom) == int(tabs[0][2])
    assert 'id="letter-K"' in dom
    _screenshot(browse, pages_url + "/browse/persons", screenshots_dir / "browse-persons.png")
    scholars = _dom(browse, pages_url + "/browse/persons?group=scholars")
    assert _rows(scholars) == int(tabs[1][2])
    _screenshot(
        browse,
        pages_url + "/browse/persons?group=scholars&source=atantayeva-2025",
        screenshots_dir / "browse-scholars.png",
    )


def test_person_timeline(browse: Browser, pages_url: str, screenshots_dir: Path) -> None:
    dom = _dom(browse, pages_url + "/id/person/kermen")
    timeline = re.search(r'<ol class="timeline" id="timeline">(.*?)</ol>', dom, re.S)
    assert timeline, dom[-3000:]
    keys = re.findall(r'data-sort="([^"]+)"', timeline.group(1))
    assert len(keys) >= 3 and keys == sorted(keys)
    whens = re.findall(r'<span class="edtf" title="EDTF ([^"]+)">([^<]+)</span>', timeline.group(1))
    assert ("194X/..", "from the 1940s") in whens
    assert ("196X", "1960s") in whens
    _screenshot(browse, pages_url + "/id/person/kermen", screenshots_dir / "timeline-kermen.png")
    _screenshot(browse, pages_url + "/data", screenshots_dir / "data.png")
