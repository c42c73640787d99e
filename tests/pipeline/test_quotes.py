"""The quote check (`--texts`): every oa:exact occurs verbatim in its publication's text.

The repository's data is checked against ../shared/sources (the five texts; skipped without
../shared) and must cover as many quotes as the curation checker ../shared/tools/check_quotes.py
reports; a copy with one quote altered fails through the real command and publishes nothing.
The small-tree tests need no ../shared.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tree_support import ROOT, clean_env, make_tree, run, run_cli, store_snapshot, write_data

from shezhire.config import Settings
from shezhire.errors import QuoteProblem
from shezhire.pipeline.build import validate_inputs
from shezhire.pipeline.quotes import normalise

ALTERED_FILE = "data/ttl/000-bolatkhan-2023-a.ttl"
ORIGINAL = "a secondary school employee Petr Vasilievich Khomutnikov, born in Martynovsky raion"
ALTERED = "a primary school employee Petr Vasilievich Khomutnikov, born in Martynovsky raion"
FACT = "<https://w3id.org/shezhire/id/person/petr-vasilievich-khomutnikov>"


def outside_checker_figure(shared: Path) -> int:
    """How many quotes ../shared/tools/check_quotes.py finds verbatim in the repository's data."""
    done = subprocess.run(
        [sys.executable, str(shared / "tools" / "check_quotes.py"), str(ROOT / "data")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    found = re.search(r"(\d+) of (\d+) quotes found verbatim", done.stdout)
    assert found is not None, done.stdout
    assert found[1] == found[2]
    return int(found[1])


def test_repository_quotes_are_verbatim(shared_dir: Path, tmp_path: Path) -> None:
    settings = Settings(root=ROOT, store_path=tmp_path / "store", texts_dir=shared_dir / "sources")
    summary = validate_inputs(settings)
    assert summary.quotes is not None
    assert summary.quotes.quotes == outside_checker_figure(shared_dir)
    assert summary.quotes.quotes > 1000
    assert summary.quotes.citations >= summary.quotes.quotes
    assert summary.quotes.texts == 5
    assert f"quotes: {summary.quotes.quotes} " in summary.describe()
    assert not (tmp_path / "store").exists()


def test_altered_quote_fails_and_publishes_nothing(shared_dir: Path, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    for folder in ("ontology", "shapes", "data"):
        shutil.copytree(ROOT / folder, tree / folder)
    texts = str(shared_dir / "sources")
    done = run(tree, "build", "--texts", texts)
    assert done.returncode == 0, done.stderr
    assert "found verbatim in 5 texts" in done.stdout
    before = store_snapshot(tree / "var" / "store")

    data = tree / ALTERED_FILE
    text = data.read_text(encoding="utf-8")
    assert text.count(f'oa:exact "{ORIGINAL}') == 1
    data.write_text(text.replace(f'oa:exact "{ORIGINAL}', f'oa:exact "{ALTERED}'), "utf-8")

    for command in ("validate", "build"):
        done = run(tree, command, "--texts", texts)
        assert done.returncode == 1, done.stdout
        lines = done.stderr.strip().splitlines()
        assert lines[0].startswith(f"shezhire {command}: 1 quote problem(s) among ")
        assert len(lines) == 2, done.stderr
        failure = lines[1]
        assert failure.startswith(f"{ALTERED_FILE}: fact {FACT}: quote not in 000_")
        assert ALTERED in failure
        assert "published" not in done.stdout
    assert store_snapshot(tree / "var" / "store") == before

    # Without a texts folder the check is not run: the build stays what it was before.
    assert run(tree, "validate").returncode == 0


def test_normalisation_is_the_curation_checkers() -> None:
    assert normalise("«Sovietness» “a” ‘b’") == normalise('"Sovietness" "a" \'b\'')
    assert normalise("308–330 — x") == "308-330 - x"
    assert normalise("a\u00a0b") == "a b"
    assert normalise("*Qazaq Historical Review*, special_settlers") == (
        "qazaq historical review, specialsettlers"
    )
    assert normalise("  one\n two\t\tthree \n") == "one two three"
    assert normalise("POLICY OF THE SOVIET UNION") == "policy of the soviet union"
    # A word hyphenated at a line break is not joined: the quote must keep the hyphen.
    assert normalise("special-\nsettlers") == "special- settlers"
    assert normalise("specialsettlers") not in normalise("special-\nsettlers")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The small tree: every quote is "quote", cited to ex:pub, which registers no text yet."""
    return make_tree(tmp_path / "tree")


@pytest.fixture
def texts(tmp_path: Path) -> Path:
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "src.txt").write_text("The text gives this\nQUOTE and more.\n", encoding="utf-8")
    return folder


def register(project: Path, name: str) -> None:
    write_data(project, "002-registry.ttl", f'ex:pub shz:sourceFile "{name}" .\n')


def test_small_tree_passes_with_a_registered_text(project: Path, texts: Path) -> None:
    register(project, "src.txt")
    done = run(project, "validate", "--texts", str(texts))
    assert done.returncode == 0, done.stderr
    assert "quotes: 1 (" in done.stdout
    assert "found verbatim in 1 texts" in done.stdout


def test_texts_folder_from_the_environment(project: Path, texts: Path) -> None:
    register(project, "src.txt")
    (texts / "src.txt").write_text("no match here\n", encoding="utf-8")
    done = run_cli(
        "--root",
        str(project),
        "--store",
        str(project / "var" / "store"),
        "build",
        env=clean_env(SHEZHIRE_TEXTS_DIR=str(texts)),
    )
    assert done.returncode == 1
    assert "quote not in src.txt (publication <https://example.org/pub>): 'quote'" in done.stderr
    assert not (project / "var" / "store").exists()


def test_publication_without_a_registered_text(project: Path, texts: Path) -> None:
    done = run(project, "validate", "--texts", str(texts))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith("shezhire validate: 1 quote problem(s) among 1 quotes checked")
    assert lines[1] == (
        "data/ttl/001-test.ttl: publication <https://example.org/pub> has no registered text "
        "(shz:sourceFile); 10 quote(s) cited to it cannot be checked"
    )


def test_registered_text_missing_from_the_folder(project: Path, texts: Path) -> None:
    register(project, "absent.txt")
    with pytest.raises(QuoteProblem) as raised:
        validate_inputs(Settings(root=project, store_path=project / "var", texts_dir=texts))
    assert raised.value.failures == [
        f"data/ttl/001-test.ttl: publication <https://example.org/pub> registers the text "
        f"'absent.txt', which is not a file in {texts}; 10 quote(s) cited to it cannot be checked"
    ]


def test_registered_name_may_not_leave_the_folder(project: Path, texts: Path) -> None:
    register(project, "../texts/src.txt")
    with pytest.raises(QuoteProblem) as raised:
        validate_inputs(Settings(root=project, store_path=project / "var", texts_dir=texts))
    assert "registers the text '../texts/src.txt', which is not a file in" in str(raised.value)


def test_texts_folder_must_exist(project: Path, tmp_path: Path) -> None:
    done = run(project, "validate", "--texts", str(tmp_path / "nowhere"))
    assert done.returncode == 1
    assert f"the texts folder {tmp_path / 'nowhere'} is not a folder" in done.stderr
