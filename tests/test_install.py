"""A regular (non-editable) install builds and serves the curated graph from any folder.

The wheel is built from this checkout without network (hatchling comes with the `test`
extra), installed into a fresh virtualenv that borrows this environment's dependencies
through a .pth line, and run from an empty folder: it must find the graph it ships, publish
its store to the per-user data folder (never into site-packages), and serve it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from shezhire.http.testing import free_port

REPO = Path(__file__).resolve().parents[1]
SERVER_START_TIMEOUT_S = 120.0
# No network at test time: nothing is resolved or downloaded, only this checkout is built.
OFFLINE = ("--no-deps", "--no-index")
PERSONS_QUERY = (
    "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a <https://w3id.org/shezhire/ontology#Person> }"
)

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Install:
    venv: Path
    site_packages: Path
    cwd: Path
    env: dict[str, str]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.venv / "bin" / "shezhire"), *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    def python(self, code: str) -> str:
        done = subprocess.run(
            [str(self.venv / "bin" / "python"), "-c", code],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout.strip()


def _files(folder: Path) -> dict[str, int]:
    # .pyc files are left out: Python may cache bytecode beside a module it imports, which is
    # not the build writing into site-packages.
    return {
        str(path.relative_to(folder)): path.stat().st_size
        for path in folder.rglob("*")
        if path.is_file() and path.suffix != ".pyc"
    }


def _checked(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def install(tmp_path_factory: pytest.TempPathFactory) -> Install:
    base = tmp_path_factory.mktemp("install")
    wheels = base / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    _checked(
        subprocess.run(
            [*pip, "wheel", str(REPO), "-w", str(wheels), "--no-build-isolation", *OFFLINE],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    )
    (wheel,) = wheels.glob("shezhire-*.whl")
    venv = base / "venv"
    _checked(
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(venv)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    )
    python = venv / "bin" / "python"
    site_packages = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # The dependencies come from this environment. A plain path line: the .pth files in that
    # folder (among them the editable install of this checkout) are not processed, so the
    # only `shezhire` the new venv can import is the wheel's.
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site_packages / "zz-test-dependencies.pth").write_text(
        "".join(f"{path}\n" for path in sorted(ours)), encoding="utf-8"
    )
    _checked(
        subprocess.run(
            [*pip, "--python", str(python), "install", *OFFLINE, str(wheel)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    )
    cwd = base / "elsewhere"
    cwd.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SHEZHIRE_", "PYTHON", "VIRTUAL_ENV"))
    }
    env["XDG_DATA_HOME"] = str(base / "xdg")
    return Install(venv=venv, site_packages=site_packages, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def built(install: Install) -> tuple[str, dict[str, int]]:
    """`shezhire build` from the empty folder; returns its output and site-packages before."""
    before = _files(install.site_packages)
    done = _checked(install.run("build"))
    assert _files(install.site_packages) == before, "the build wrote into site-packages"
    return done.stdout, before


def test_the_wheel_is_what_runs(install: Install) -> None:
    where = install.python("import shezhire; print(shezhire.__file__)")
    assert Path(where).is_relative_to(install.site_packages), where
    root = install.python("from shezhire.config import DEFAULT_ROOT; print(DEFAULT_ROOT)")
    assert Path(root) == install.site_packages / "shezhire" / "tree"
    for part in ("ontology", "shapes", "data/ttl", "queries"):
        assert any((Path(root) / part).iterdir()), part
    # The package's own files ship too.
    assert (install.site_packages / "shezhire" / "py.typed").is_file()
    assert any((install.site_packages / "shezhire" / "linked_data" / "templates").glob("*.html"))


def test_build_from_another_folder_builds_the_shipped_graph(
    install: Install, built: tuple[str, dict[str, int]]
) -> None:
    stdout, _before = built
    files = stdout.splitlines()[0].split(" files, ")[0]
    assert int(files) >= 20, stdout
    published = stdout.splitlines()[-1]
    assert published.startswith("published "), stdout
    count = int(published.split()[1])
    assert count >= 38_000, stdout
    store = Path(published.split(" to ", 1)[1])
    assert store.is_relative_to(Path(install.env["XDG_DATA_HOME"]) / "shezhire" / "trees")
    assert not store.is_relative_to(install.venv)
    assert list(install.cwd.iterdir()) == []

    stats = json.loads(_checked(install.run("stats", "--json")).stdout)
    assert stats["(all graphs)"]["persons"] >= 200
    assert stats["(all graphs)"]["triples"] == count


@pytest.fixture(scope="module")
def served(install: Install, built: tuple[str, dict[str, int]]) -> Iterator[str]:
    port = free_port()
    log = (install.cwd.parent / "serve.log").open("wb")
    server = subprocess.Popen(
        [str(install.venv / "bin" / "shezhire"), "serve", "--port", str(port)],
        cwd=install.cwd,
        env=install.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    log.close()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            assert server.poll() is None, (install.cwd.parent / "serve.log").read_text()
            try:
                if httpx.get(url + "/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (install.cwd.parent / "serve.log").read_text()
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_serve_from_another_folder_serves_the_shipped_graph(
    install: Install, built: tuple[str, dict[str, int]], served: str
) -> None:
    _stdout, before = built
    answer = httpx.get(
        served + "/sparql",
        params={"query": PERSONS_QUERY},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    persons = int(answer.json()["results"]["bindings"][0]["n"]["value"])
    assert persons >= 200
    log = (install.cwd.parent / "serve.log").read_text()
    assert "0 files" not in log
    assert _files(install.site_packages) == before, "serving wrote into site-packages"
    assert list(install.cwd.iterdir()) == []
