"""``/docs`` works offline: Swagger UI's files are served by this service (long-cached), the
page has no inline script, and headless Chromium, with every host but 127.0.0.1 unresolvable,
renders the operations without a request leaving the server's origin."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shezhire.http.routers.docs import ASSET_CACHE_CONTROL, ASSETS
from shezhire.http.testing import CHROMIUM_FLAGS, LiveServer

OFFLINE_CHROMIUM_FLAGS = [
    *CHROMIUM_FLAGS,
    # Any other host is unreachable, as it would be offline.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[list[str]]:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")
    profile = tempfile.mkdtemp(prefix="shezhire-chromium-")
    yield [path, *OFFLINE_CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
    shutil.rmtree(profile, ignore_errors=True)


def test_the_page_and_its_assets(client: httpx.Client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert len(scripts) == 2
    assert all("src=" in attributes and not body.strip() for attributes, body in scripts)
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert urls and all(url.startswith("/docs/assets/") for url in urls), urls
    assert 'data-openapi-url="/openapi.json"' in page.text
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["cache-control"] == ASSET_CACHE_CONTROL
        assert asset.headers["content-type"].split("/")[0] in ("text", "image")
    assert len(client.get("/docs/assets/swagger-ui-bundle.js").content) > 500_000
    assert client.get("/docs/assets/..%2Fapp.py").status_code == 404
    assert client.get("/docs/assets/nothing.js").status_code == 404
    assert set(ASSETS) == {url.split("/")[-1].split("?")[0] for url in urls}


def _page_requests(net_log: Path) -> list[str]:
    """URLs the page asked for (the browser's own background requests carry no client
    hints; those of a page do)."""
    log = json.loads(net_log.read_text(encoding="utf-8"))
    urls = []
    for event in log["events"]:
        params = event.get("params") or {}
        headers = (params.get("request_headers") or {}).get("headers") or []
        if "url" in params and any(h.lower().startswith("sec-ch-ua:") for h in headers):
            urls.append(params["url"])
    return urls


def test_swagger_ui_renders_offline(
    server: LiveServer, chromium: list[str], tmp_path: Path
) -> None:
    url = server.url + "/docs"
    net_log = tmp_path / "net-log.json"
    screenshot = tmp_path / "docs.png"
    dom = subprocess.run(
        [*chromium, f"--log-net-log={net_log}", "--virtual-time-budget=8000", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    ).stdout
    operations = re.findall(r'class="opblock-summary-path" data-path="([^"]+)"', dom)
    assert {"/sparql", "/health", "/queries", "/network/ego"} <= set(operations), dom[-2000:]
    requests = _page_requests(net_log)
    assert server.url + "/openapi.json" in requests
    assert all(r.startswith(server.url + "/") for r in requests), requests
    subprocess.run(
        [
            *chromium,
            f"--screenshot={screenshot}",
            "--window-size=1280,900",
            "--virtual-time-budget=8000",
            url,
        ],
        capture_output=True,
        timeout=90,
        check=False,
    )
    data = screenshot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1280, 900)
    assert len(data) > 40_000, "a blank page compresses to almost nothing"
