"""The published store survives concurrent builds and a disk that fills up mid-build.

Real `shezhire build` processes against real stores: two builds of one store at once take turns
(the second waits and says for whom), and a build whose writes fail says so in one line, leaves
the published store as it was and removes what it had started to write.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from tree_support import clean_env, make_tree, run, run_cli, shezhire_command, store_snapshot

PAIRS = 6


def _quad_count(store_link: Path) -> int:
    store = ox.Store.read_only(str(store_link.resolve()))
    try:
        return len(store)
    finally:
        del store


def _versions(store_link: Path) -> list[Path]:
    return sorted(store_link.with_name(store_link.name + ".versions").iterdir())


def _build_info(store_link: Path) -> dict[str, object]:
    info: dict[str, object] = json.loads(
        store_link.with_name(store_link.name + ".build.json").read_text(encoding="utf-8")
    )
    return info


@pytest.mark.slow
def test_concurrent_builds_never_lose_the_published_store(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "tree")
    store_link = tree / "var" / "store"
    assert run(tree, "build").returncode == 0
    quads = _quad_count(store_link)
    command = [*shezhire_command(), "--root", str(tree), "--store", str(store_link), "build"]
    waits: list[tuple[str, int]] = []
    for _pair in range(PAIRS):
        builds = [
            subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=clean_env(),
            )
            for _ in range(2)
        ]
        outputs = [build.communicate(timeout=300) for build in builds]
        for build, (stdout, stderr) in zip(builds, outputs, strict=True):
            assert build.returncode == 0, stderr
            assert "Traceback" not in stderr, stderr
            assert f"published {quads} quads" in stdout
            other = builds[1] if build is builds[0] else builds[0]
            waits += [(line, other.pid) for line in stderr.splitlines() if "waiting" in line]
        # The link resolves to a complete store, the one the build record names.
        assert store_link.resolve().is_dir()
        assert _quad_count(store_link) == quads
        assert Path(str(_build_info(store_link)["target"])) == store_link.resolve()
        # Clean-up kept the current version and at most the one before it, nothing else.
        versions = _versions(store_link)
        assert store_link.resolve() in versions
        assert len(versions) <= 2, versions
        assert not list(store_link.parent.glob(".store.*.link"))
    assert waits, "no build ever waited: the pairs did not overlap"
    for line, _other in waits:
        assert re.fullmatch(r"waiting for the other build of \S+ \(pid (\d+|\?)\) to finish", line)
    assert any(f"(pid {other})" in line for line, other in waits), waits


def _limit_file_size(limit: int) -> Callable[[], None]:
    """For preexec_fn: writes past `limit` bytes fail with EFBIG (Python ignores SIGXFSZ)."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def _assert_failed_cleanly(
    done: subprocess.CompletedProcess[str],
    store_link: Path,
    before: tuple[str, frozenset[str]],
    info_before: str,
    reason: str,
) -> None:
    assert done.returncode == 1, done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert reason in done.stderr
    assert str(store_link.with_name("store.versions")) in done.stderr
    assert "the published store is unchanged" in done.stderr
    assert store_snapshot(store_link) == before
    assert store_link.with_name("store.build.json").read_text() == info_before
    # The half-written version is gone: only the published one is left.
    assert _versions(store_link) == [store_link.resolve()]
    assert not list(store_link.parent.glob(".store.*.link"))


def test_a_build_that_cannot_write_fails_in_one_line(tmp_path: Path) -> None:
    tree = make_tree(tmp_path)
    store_link = tree / "var" / "store"
    assert run(tree, "build").returncode == 0
    before = store_snapshot(store_link)
    info_before = store_link.with_name("store.build.json").read_text()

    args = ["--root", str(tree), "--store", str(store_link), "build"]
    done = run_cli(*args, preexec_fn=_limit_file_size(32 * 1024))
    _assert_failed_cleanly(done, store_link, before, info_before, "File too large")

    # Nothing was left behind that stops the next build.
    assert run(tree, "build").returncode == 0
    assert len(_versions(store_link)) == 2


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 MB tmpfs, where a full disk is a real ENOSPC (needs root and mount rights)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_build_on_a_full_disk_fails_in_one_line(tmp_path: Path, small_disk: Path) -> None:
    tree = make_tree(tmp_path / "tree")
    store_link = small_disk / "store"
    args = ["--root", str(tree), "--store", str(store_link), "build"]
    assert run_cli(*args).returncode == 0
    before = store_snapshot(store_link)
    info_before = store_link.with_name("store.build.json").read_text()

    # Fill the disk but for a few pages: the new version cannot be written.
    stat = os.statvfs(small_disk)
    filler = small_disk / "filler"
    with filler.open("wb") as out:
        out.truncate(0)
        chunk = b"\0" * (1 << 20)
        room = stat.f_bavail * stat.f_frsize - 64 * 1024
        while room > 0:
            room -= out.write(chunk[: min(len(chunk), room)])
    done = run_cli(*args)
    _assert_failed_cleanly(done, store_link, before, info_before, "No space left on device")

    filler.unlink()
    assert run_cli(*args).returncode == 0
