"""Hatchling build hook: ship the curated graph inside regular wheels as shezhire/tree/, and
install the pages' JavaScript libraries from npm (every wheel; see install_assets below).

A wheel installed with `pip install .` has no checkout beside it, so without this the
installed `shezhire` would build an empty graph. Editable wheels skip it: they import the
package from the checkout, whose tree is the one to build (a copy in site-packages would go
stale at the first edit).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

TREE = {
    "ontology": "shezhire/tree/ontology",
    "shapes": "shezhire/tree/shapes",
    "data/ttl": "shezhire/tree/data/ttl",
    "queries": "shezhire/tree/queries",
}

# The pages' JavaScript and CSS libraries (package.json, package-lock.json): every wheel build,
# editable or regular, installs them into node_modules/ with npm when it is missing or older
# than package-lock.json. An editable install serves them from there; a regular wheel carries
# the files the pages load (listed in ASSETS_MANIFEST) as shezhire/assets/{name}/.
ASSETS_MANIFEST = "server/shezhire/linked_data/assets.json"
NPM_CI = ("npm", "ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund")


def _asset_files(root: Path) -> dict[str, str]:
    """node_modules path of each asset file -> its path in the wheel."""
    manifest = json.loads((root / ASSETS_MANIFEST).read_text(encoding="utf-8"))
    files: dict[str, str] = {}
    for name, spec in manifest.items():
        if name.startswith("_"):
            continue
        package = f"node_modules/{spec['package']}"
        files[f"{package}/package.json"] = f"shezhire/assets/{name}/package.json"
        for served, inside in spec["files"].items():
            files[f"{package}/{inside}"] = f"shezhire/assets/{name}/{served}"
    return files


def install_assets(root: Path) -> dict[str, str]:
    """`npm ci` when node_modules is missing, older than package-lock.json or lacks a file."""
    files = _asset_files(root)
    lock, marker = root / "package-lock.json", root / "node_modules" / ".package-lock.json"
    stale = (
        not marker.is_file()
        or (lock.is_file() and marker.stat().st_mtime < lock.stat().st_mtime)
        or not all((root / source).is_file() for source in files)
    )
    if stale:
        if not lock.is_file():
            raise RuntimeError(f"shezhire: {lock} is missing: it pins the pages' JS libraries")
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(
                "shezhire: building this package needs npm (Node.js) to install the pages' "
                "JavaScript libraries pinned in package-lock.json (cytoscape, @zazuko/yasgui, "
                "chart.js) from the npm registry. Install it (Debian: apt-get install npm) and "
                "run the install again."
            )
        done = subprocess.run(
            [npm, *NPM_CI[1:]], cwd=root, capture_output=True, text=True, check=False
        )
        missing = [source for source in files if not (root / source).is_file()]
        if done.returncode != 0 or missing:
            raise RuntimeError(
                f"shezhire: `{' '.join(NPM_CI)}` failed in {root} (exit {done.returncode})"
                + (f"; still missing: {', '.join(missing)}" if missing else "")
                + f"\n{(done.stdout + done.stderr)[-4000:]}"
            )
    return files


class TreeBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "shezhire-tree"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        assets = install_assets(Path(self.root)) if self.target_name == "wheel" else {}
        if self.target_name == "wheel" and version == "standard":
            build_data["force_include"].update(TREE)
            build_data["force_include"].update(assets)
