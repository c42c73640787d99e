"""Which tree a command builds, where its store goes, and that an empty graph is an error.

The rule: --root, else SHEZHIRE_ROOT, else the current folder when it holds a tree, else the
graph shipped with the package; the store goes to --store / SHEZHIRE_STORE_PATH, else to a
per-user data folder keyed by the tree (never into the tree, never into site-packages).
"""

from __future__ import annotations

import shutil
import sysconfig
from pathlib import Path

import pyoxigraph as ox
import pytest
from tree_support import ROOT, VIOLATING, clean_env, make_tree, run, run_cli, write_data

from shezhire.config import DEFAULT_ROOT, Settings, is_tree
from shezhire.errors import StoreError
from shezhire.http.testing import free_port
from shezhire.pipeline.store import require_triples


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private XDG_DATA_HOME, and no SHEZHIRE_* settings from the calling environment."""
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    for name in ("SHEZHIRE_ROOT", "SHEZHIRE_STORE_PATH", "SHEZHIRE_REPORT_PATH"):
        monkeypatch.delenv(name, raising=False)
    return home


def test_packaged_tree_is_the_checkout_in_a_source_install() -> None:
    assert is_tree(DEFAULT_ROOT)
    assert (DEFAULT_ROOT / "queries").is_dir()
    assert DEFAULT_ROOT == ROOT


def test_a_folder_without_a_tree_falls_back_to_the_packaged_tree(
    tmp_path: Path, xdg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    monkeypatch.chdir(empty)
    assert Settings().root == DEFAULT_ROOT


def test_the_current_folder_is_the_tree_when_it_holds_one(
    tmp_path: Path, xdg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = make_tree(tmp_path / "copy")
    monkeypatch.chdir(tree)
    assert Settings().root == tree


def test_shezhire_root_beats_the_current_folder_and_root_beats_both(
    tmp_path: Path, xdg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = make_tree(tmp_path / "here")
    named = make_tree(tmp_path / "named")
    given = make_tree(tmp_path / "given")
    monkeypatch.chdir(here)
    monkeypatch.setenv("SHEZHIRE_ROOT", str(named))
    assert Settings().root == named
    assert Settings(root=given).root == given


def test_the_store_goes_to_a_user_folder_keyed_by_the_tree(tmp_path: Path, xdg: Path) -> None:
    first = make_tree(tmp_path / "first")
    second = make_tree(tmp_path / "second")
    a, b = Settings(root=first), Settings(root=second)
    assert a.store.is_relative_to(xdg / "shezhire" / "trees")
    assert not a.store.is_relative_to(first)
    assert a.store != b.store
    assert a.store.parent.name.startswith("first-")
    # The same tree named another way is the same store.
    assert Settings(root=first / ".." / "first").store == a.store
    assert a.report.parent == a.store.parent
    assert not a.report.is_relative_to(first)
    site_packages = Path(sysconfig.get_paths()["purelib"])
    assert not a.store.is_relative_to(site_packages)


def test_explicit_store_and_report_paths_are_kept(tmp_path: Path, xdg: Path) -> None:
    settings = Settings(root=ROOT, store_path=tmp_path / "s", report_path=tmp_path / "r.ttl")
    assert (settings.store, settings.report) == (tmp_path / "s", tmp_path / "r.ttl")
    # Without a report path the report goes beside the store.
    assert Settings(store_path=tmp_path / "v" / "store").report == tmp_path / "v" / (
        "shacl-report.ttl"
    )


def test_build_in_a_copy_builds_the_copy_into_the_user_folder(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "copy")
    home = tmp_path / "xdg"
    done = run_cli("build", cwd=tree, env=clean_env(XDG_DATA_HOME=str(home)))
    assert done.returncode == 0, done.stderr
    stores = list((home / "shezhire" / "trees").glob("copy-*/store"))
    assert len(stores) == 1, done.stdout
    assert f"to {stores[0]}" in done.stdout
    assert sorted(p.name for p in tree.iterdir()) == ["data", "ontology", "shapes"]
    assert require_triples(stores[0]) > 0
    store = ox.Store.read_only(str(stores[0].resolve()))
    graphs = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
    del store
    assert "https://w3id.org/shezhire/graph/001-test" in graphs
    assert not any("bolatkhan" in g for g in graphs), "built the checkout, not the copy"


@pytest.mark.slow
def test_validate_in_a_copy_of_the_repository_validates_the_copy(tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    for part in ("ontology", "shapes", "data/ttl", "queries"):
        shutil.copytree(ROOT / part, copy / part)
    write_data(copy, "999-violating.ttl", VIOLATING)
    home = tmp_path / "xdg"
    done = run_cli("validate", cwd=copy, env=clean_env(XDG_DATA_HOME=str(home)))
    assert done.returncode == 1, done.stdout
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if "<https://example.org/self-tie>" in line]
    assert lines, done.stderr
    assert all("data/ttl/999-violating.ttl" in line for line in lines)
    assert any("Tie-noSelfTie" in line for line in lines), done.stderr
    # The report is beside the (unbuilt) store of the copy, not in the copy or the checkout.
    reports = list((home / "shezhire" / "trees").glob("copy-*/shacl-report.ttl"))
    assert len(reports) == 1
    assert str(reports[0]) in done.stderr


@pytest.mark.parametrize("command", ["validate", "build"])
def test_an_empty_data_folder_is_an_error(tmp_path: Path, command: str) -> None:
    tree = make_tree(tmp_path)
    for path in (tree / "data" / "ttl").iterdir():
        path.unlink()
    done = run(tree, command)
    assert done.returncode == 1, done.stdout
    assert "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert "no data files" in done.stderr
    assert str(tree / "data" / "ttl") in done.stderr
    assert "conforms" not in done.stdout
    assert not (tree / "var" / "store").exists()


def test_data_files_without_triples_are_an_error(tmp_path: Path) -> None:
    tree = make_tree(tmp_path)
    (tree / "data" / "ttl" / "001-test.ttl").write_text("# nothing yet\n", encoding="utf-8")
    done = run(tree, "build")
    assert done.returncode == 1, done.stdout
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert "hold no triples" in done.stderr
    assert not (tree / "var" / "store").exists()


def test_a_tree_without_shapes_is_an_error(tmp_path: Path) -> None:
    """Without shapes the gate would pass anything."""
    tree = make_tree(tmp_path)
    shutil.rmtree(tree / "shapes")
    done = run(tree, "build")
    assert done.returncode == 1, done.stdout
    assert "no shapes files" in done.stderr
    assert not (tree / "var" / "store").exists()


def test_a_folder_that_is_no_tree_is_an_error(tmp_path: Path) -> None:
    done = run(tmp_path, "validate")
    assert done.returncode == 1, done.stdout
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert "no ontology files" in done.stderr


def _empty_store(path: Path) -> Path:
    store = ox.Store(str(path))
    store.flush()
    del store
    return path


def test_require_triples(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store at"):
        require_triples(tmp_path / "missing")
    with pytest.raises(StoreError, match="holds no triples"):
        require_triples(_empty_store(tmp_path / "empty"))
    tree = make_tree(tmp_path / "tree")
    assert run(tree, "build").returncode == 0
    assert require_triples(tree / "var" / "store") > 1000


@pytest.mark.parametrize("command", [["stats"], ["query", "ASK { ?s ?p ?o }"]])
def test_commands_on_an_empty_store_fail(tmp_path: Path, command: list[str]) -> None:
    store = _empty_store(tmp_path / "empty")
    done = run_cli("--store", str(store), *command)
    assert done.returncode == 1, done.stdout
    assert "holds no triples" in done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr


def test_serve_refuses_a_published_store_without_triples(tmp_path: Path) -> None:
    """Up to date by its build record, but empty (e.g. built by a version that read no data)."""
    tree = make_tree(tmp_path / "tree")
    store_link = tree / "var" / "store"
    assert run(tree, "build").returncode == 0
    version = store_link.resolve()
    shutil.rmtree(version)
    _empty_store(version)
    done = run(tree, "serve", "--port", str(free_port()))
    assert done.returncode == 1, done.stdout
    assert "Traceback" not in done.stderr
    assert "holds no triples" in done.stderr
    assert "serving" not in done.stdout
