"""The pages' JavaScript and CSS libraries, served by this server (never from a CDN).

They come from npm: ``package.json`` and ``package-lock.json`` at the repository root pin
them, and the package build (``hatch_build.py``) installs them into ``node_modules/`` with
``npm ci``. ``assets.json`` beside this module names the files the pages load, per library.
A regular wheel carries those files as ``shezhire/assets/{name}/`` (with the library's
``package.json``, for its version); an editable install (a checkout) serves them from
``node_modules/``. Only the files of ``assets.json`` are served: nothing else of the package
or of ``node_modules`` is reachable.

URLs are versioned, ``/assets/{name}/{version}/{file}`` (``asset_url``), so that the answer
can be cached for a year; a URL with another version (a page cached before an upgrade) gets
the current file, not cached.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

PACKAGE_DIR = Path(__file__).resolve().parents[1]
MANIFEST = Path(__file__).resolve().parent / "assets.json"
# A regular wheel's copy (hatch_build.py), else the checkout's node_modules (editable install).
PACKAGED = PACKAGE_DIR / "assets"
NODE_MODULES = PACKAGE_DIR.parents[1] / "node_modules"
MISSING_VERSION = "missing"

MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json; charset=utf-8",
    "": "text/plain; charset=utf-8",
}


@dataclass(frozen=True)
class Library:
    """One npm package the pages use, and the files of it that are served."""

    name: str
    package: str
    files: dict[str, str]  # served file name -> path inside the npm package

    def _sources(self, file: str) -> tuple[Path, Path]:
        return (PACKAGED / self.name / file, NODE_MODULES / self.package / self.files[file])

    def path(self, file: str) -> Path | None:
        """Where ``file`` is read from: the wheel's copy, else node_modules; None if absent."""
        if file not in self.files:
            return None
        return next((p for p in self._sources(file) if p.is_file()), None)

    def package_json(self) -> Path | None:
        for folder in (PACKAGED / self.name, NODE_MODULES / self.package):
            if (folder / "package.json").is_file():
                return folder / "package.json"
        return None

    @property
    def version(self) -> str:
        """The installed version (its package.json), or ``missing``."""
        found = self.package_json()
        if found is None:
            return MISSING_VERSION
        return _version_of(found)


_versions: dict[tuple[str, int], str] = {}
_versions_lock = threading.Lock()


def _version_of(package_json: Path) -> str:
    try:
        key = (str(package_json), package_json.stat().st_mtime_ns)
    except OSError:
        return MISSING_VERSION
    with _versions_lock:
        if key not in _versions:
            try:
                version = str(json.loads(package_json.read_text(encoding="utf-8"))["version"])
            except (OSError, ValueError, KeyError):
                version = MISSING_VERSION
            _versions[key] = version
        return _versions[key]


def _load_manifest() -> dict[str, Library]:
    raw = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return {
        name: Library(name=name, package=str(spec["package"]), files=dict(spec["files"]))
        for name, spec in raw.items()
        if not name.startswith("_")
    }


LIBRARIES: dict[str, Library] = _load_manifest()


def asset_url(name: str, file: str) -> str:
    """The versioned path (without the app's root path) of one library file."""
    library = LIBRARIES[name]
    if file not in library.files:
        raise KeyError(f"{file!r} is not a served file of {name!r}: see {MANIFEST.name}")
    return f"/assets/{quote(name)}/{quote(library.version)}/{quote(file)}"


def media_type(file: str) -> str:
    return MEDIA_TYPES.get(Path(file).suffix, MEDIA_TYPES[""])


def missing() -> list[str]:
    """Every served file that is absent (say why the pages cannot draw)."""
    return [
        f"{library.name}/{file}"
        for library in LIBRARIES.values()
        for file in library.files
        if library.path(file) is None
    ]
