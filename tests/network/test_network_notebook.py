"""notebooks/khomutnikov-aduchi.ipynb runs with a real kernel against a live server."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from network_support import ROOT

NOTEBOOK = ROOT / "notebooks" / "khomutnikov-aduchi.ipynb"


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def stdout_of(cell: nbformat.NotebookNode) -> str:
    return "".join(
        o.get("text", "")
        for o in cell.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stdout"
    )


@pytest.fixture(scope="module")
def executed(server, tmp_path_factory) -> tuple[nbformat.NotebookNode, Path]:
    output = tmp_path_factory.mktemp("notebook-output")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    previous = {
        k: os.environ.get(k) for k in ("SHEZHIRE_SPARQL_ENDPOINT", "SHEZHIRE_NOTEBOOK_OUTPUT")
    }
    os.environ["SHEZHIRE_SPARQL_ENDPOINT"] = server.sparql  # the kernel inherits it
    os.environ["SHEZHIRE_NOTEBOOK_OUTPUT"] = str(output)
    try:
        NotebookClient(
            notebook,
            timeout=180,
            kernel_name="python3",
            resources={"metadata": {"path": str(output)}},
        ).execute()
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return notebook, output


def test_notebook_draws_the_ego_network(executed):
    notebook, output = executed
    png = output / "petr-khomutnikov-ego-2-hops.png"
    assert png.exists()
    assert png.stat().st_size > 100_000  # a drawing, not an empty canvas
    width, height = png_size(png)
    assert width >= 1500 and height >= 1500
    text = "".join(stdout_of(c) for c in notebook.cells if c.cell_type == "code")
    # issue 10: Alexander (connected through Vasilii) brings his family, the agents reporting on
    # it and Gorodovikov (Vasilii's comrade) within two hops of Petr
    assert "ego network: 37 persons, 44 ties" in text
    images = [
        o
        for c in notebook.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "image/png" in o.get("data", {})
    ]
    assert images, "the PNG is displayed in the notebook"


def test_notebook_prints_the_explained_path(executed):
    notebook, _ = executed
    text = "".join(stdout_of(c) for c in notebook.cells if c.cell_type == "code")
    assert (
        "Aduchi (pseudonym) → Petr Vasilievich Khomutnikov → "
        "Vasilii Alekseevich Khomutnikov  (2 steps)"
    ) in text
    assert "relative-or-fictive-kin; inferred, probable" in text
    assert "fn. 30" in text and "mentioning only the surname Khomutnikov" in text
    assert "fn. 31" in text and "Hence, it becomes apparent that Aduchi and Petr" in text
    assert "father; stated, certain" in text and "fn. 23" in text
    assert "all 5 paths of up to 4 ties:" in text
    assert (
        "Aduchi (pseudonym) → Petr Vasilievich Khomutnikov → Alexander (pseudonym) → "
        "Youngest son of Alexander (unnamed) → Vasilii Alekseevich Khomutnikov"
    ) in text
    assert "paths using certain ties only: 0" in text
    assert "Sanji Kalyaev → Harti Kanukov → Tseren-Dorzhi Nominkhanov" in text
    assert (
        "Tseden (pseudonym) → Petr Vasilievich Khomutnikov → Vasilii Alekseevich "
        "Khomutnikov → Oka Ivanovich Gorodovikov"
    ) in text


def test_notebook_prints_the_centrality_table(executed):
    notebook, _ = executed
    table = stdout_of(notebook.cells[-1]).splitlines()
    assert table[0].split() == ["label", "ties", "neighbours", "degree", "betweenness"]
    first = table[2]
    assert first.startswith("Petr Vasilievich Khomutnikov")
    assert first.split()[-4:-2] == ["17", "14"]  # ties, neighbours
    assert len(table) == 2 + 12
    labels = "\n".join(table)
    assert "Sanji Kalyaev" in labels and "Vasilii Alekseevich Khomutnikov" in labels
