"""Fixtures for the page tests: a linked-data server on the repository's data, and headless
Chromium (the tests skip, saying why, when it is not installed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shezhire.http.testing import CHROMIUM_FLAGS, LiveServer


@pytest.fixture(scope="session")
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def pages_url(site: LiveServer) -> str:
    return site.url


@pytest.fixture(scope="session")
def screenshots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: $SHEZHIRE_SCREENSHOTS when set (to look at them), else a temp dir."""
    wanted = os.environ.get("SHEZHIRE_SCREENSHOTS")
    if wanted:
        path = Path(wanted)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")


Browser = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def browse(chromium: str) -> Iterator[Browser]:
    """``browse(url, "--screenshot=FILE", ...)``: one headless Chromium run, its own profile."""
    profiles: list[str] = []

    def run(url: str, *flags: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        profile = tempfile.mkdtemp(prefix="shezhire-chromium-")
        profiles.append(profile)
        return subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *flags, url],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    yield run
    for profile in profiles:
        shutil.rmtree(profile, ignore_errors=True)
