"""The pages' libraries: installed from npm by the build hook, served from this server only.

``/assets/{name}/{version}/{file}`` serves the files of ``assets.json`` and nothing else, with
a year of caching for the installed version; the version comes from the installed package,
which ``package-lock.json`` pins; the build hook runs ``npm ci`` only when node_modules is
missing or older than the lockfile, and says clearly when npm is missing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from shezhire.http.testing import LiveServer
from shezhire.linked_data import assets

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def client(site: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=site.url, timeout=60)


@pytest.fixture(scope="module")
def hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("shezhire_hatch_build", REPO / "hatch_build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_versions_are_the_locked_ones() -> None:
    lock = json.loads((REPO / "package-lock.json").read_text(encoding="utf-8"))
    wanted = json.loads((REPO / "package.json").read_text(encoding="utf-8"))["dependencies"]
    for library in assets.LIBRARIES.values():
        locked = lock["packages"][f"node_modules/{library.package}"]["version"]
        assert wanted[library.package] == locked, "package.json pins exact versions"
        assert library.version == locked, f"{library.name}: installed {library.version}"
        assert assets.missing() == []


def test_library_files_are_served_with_long_caching(client: httpx.Client) -> None:
    for name, library in assets.LIBRARIES.items():
        for file in library.files:
            url = assets.asset_url(name, file)
            assert url == f"/assets/{name}/{library.version}/{file}"
            answer = client.get(url)
            assert answer.status_code == 200, url
            assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
            assert answer.headers["x-content-type-options"] == "nosniff"
            if file.endswith(".js"):
                assert answer.headers["content-type"].startswith("text/javascript")
            source = library.path(file)
            assert source is not None and answer.content == source.read_bytes()


def test_another_version_gets_the_current_file_uncached(client: httpx.Client) -> None:
    answer = client.get("/assets/cytoscape/0.0.1/cytoscape.min.js")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "path",
    [
        "/assets/cytoscape/{v}/package.json",
        "/assets/cytoscape/{v}/..%2F..%2F..%2Fpyproject.toml",
        "/assets/cytoscape/{v}/%2E%2E",
        "/assets/yasgui/{v}/yasgui.min.js.map",
        "/assets/lodash-es/{v}/lodash.js",
        "/assets/cytoscape/{v}/dist/cytoscape.min.js",
    ],
)
def test_only_the_allow_list_is_reachable(client: httpx.Client, path: str) -> None:
    answer = client.get(path.format(v=assets.LIBRARIES["cytoscape"].version))
    assert answer.status_code == 404, answer.text[:200]


def test_pages_load_libraries_from_here(client: httpx.Client) -> None:
    for page, names in (
        ("/id/person/petr-vasilievich-khomutnikov", ["cytoscape"]),
        ("/connect", ["cytoscape"]),
        ("/query-ui", ["cytoscape", "yasgui"]),
    ):
        html = client.get(page, headers={"Accept": "text/html"}).text
        for name in names:
            assert f'src="/assets/{name}/{assets.LIBRARIES[name].version}/' in html, page
        loaded = re.findall(r'<(?:script|link)\b[^>]*?(?:src|href)="([^"]+)"', html)
        assert loaded, page
        assert [u for u in loaded if re.match(r"(https?:)?//", u)] == [], page


def test_completions_come_from_the_graph(client: httpx.Client) -> None:
    body = client.get("/query-ui/completions").json()
    assert body["declared"]["shz"] == "https://w3id.org/shezhire/ontology#"
    assert body["prefixes"]["kin"] == "https://w3id.org/shezhire/vocab/kin/"
    assert "https://w3id.org/shezhire/ontology#Person" in body["classes"]
    assert "https://w3id.org/shezhire/ontology#tieSubject" in body["properties"]


def test_connect_page_resolves_persons(client: httpx.Client) -> None:
    page = client.get("/connect", params={"from": "person:aduchi", "to": "tseden"})
    assert page.status_code == 200
    assert (
        "Aduchi (pseudonym)" in page.text
        and "https://w3id.org/shezhire/id/person/tseden" in page.text
    )
    unknown = client.get("/connect", params={"from": "person:nobody-at-all", "to": "tseden"})
    assert unknown.status_code == 404
    assert "no person" in unknown.text


def test_packaged_copy_is_preferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "cytoscape"
    folder.mkdir()
    (folder / "cytoscape.min.js").write_text("/* the wheel's copy */")
    (folder / "package.json").write_text('{"version": "9.9.9"}')
    monkeypatch.setattr(assets, "PACKAGED", tmp_path)
    library = assets.LIBRARIES["cytoscape"]
    assert library.path("cytoscape.min.js") == folder / "cytoscape.min.js"
    assert library.version == "9.9.9"
    assert library.path("LICENSE") == assets.NODE_MODULES / "cytoscape" / "LICENSE"


def test_hook_maps_every_file_into_the_wheel(hook: ModuleType) -> None:
    files = hook._asset_files(REPO)
    for name, library in assets.LIBRARIES.items():
        assert files[f"node_modules/{library.package}/package.json"] == (
            f"shezhire/assets/{name}/package.json"
        )
        for served, inside in library.files.items():
            assert files[f"node_modules/{library.package}/{inside}"] == (
                f"shezhire/assets/{name}/{served}"
            )
    assert all((REPO / source).is_file() for source in files)


def _fake_checkout(tmp_path: Path, installed: bool) -> Path:
    manifest = tmp_path / "server/shezhire/linked_data/assets.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"lib": {"package": "lib", "files": {"lib.js": "dist/lib.js"}}}))
    (tmp_path / "package-lock.json").write_text("{}")
    if installed:
        (tmp_path / "node_modules/lib/dist").mkdir(parents=True)
        (tmp_path / "node_modules/lib/dist/lib.js").write_text("")
        (tmp_path / "node_modules/lib/package.json").write_text('{"version": "1.0.0"}')
        (tmp_path / "node_modules/.package-lock.json").write_text("{}")
    return tmp_path


def test_hook_skips_npm_when_node_modules_is_fresh(
    hook: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _fake_checkout(tmp_path, installed=True)
    monkeypatch.setattr(hook.shutil, "which", lambda _name: pytest.fail("npm was run"))
    files = hook.install_assets(root)
    assert files["node_modules/lib/dist/lib.js"] == "shezhire/assets/lib/lib.js"


@pytest.mark.parametrize("installed", [False, True])
def test_hook_says_npm_is_needed(
    hook: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, installed: bool
) -> None:
    root = _fake_checkout(tmp_path, installed=installed)
    if installed:  # installed, but the lockfile changed since
        marker = root / "node_modules/.package-lock.json"
        os.utime(marker, (1_000_000, 1_000_000))
    monkeypatch.setattr(hook.shutil, "which", lambda _name: None)
    with pytest.raises(RuntimeError, match="needs npm"):
        hook.install_assets(root)
