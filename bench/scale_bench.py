"""Issue 11 at scale: the project's data replicated N times, built and measured phase by phase.

    .venv/bin/python bench/scale_bench.py --scales 1,30,100 [--workdir /tmp/shezhire-scale]
        [--parts build] [--paths new,reference,edit] [--old-materialize]

For each scale it writes the tree (bench/scale/data.py: N disjoint copies, each passing the gate
on its own; under --workdir, never into data/ttl), then runs each part. ``build``
(bench/scale/build.py) builds the tree with the new path (fast gate), with the pySHACL
reference path in the same run, and once more after one data file changed (the incremental
path), each in a fresh process, and prints per scale and phase (parse, gate, materialize,
publish, stats) the wall time and peak memory, with reference/new ratios.
Beside each path's wall time: its CPU time (all threads; steadier than wall time on a machine
shared with other work) and the 1-minute load average when it ended.
``--old-materialize`` also uses the pre-issue-11 materialization in the reference path
(quadratic: minutes at x30). Run by hand; not a test.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import build as build_part
from scale.data import make_tree

ROOT = Path(__file__).resolve().parents[1]
PHASES = ("parse", "gate", "materialize", "publish", "stats")


def run_build(tree: Path, work: Path, paths: list[str], old_materialize: bool) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    store = work / "store-new" / "store"
    if "new" in paths or "edit" in paths:
        shutil.rmtree(store.parent, ignore_errors=True)
        figures["new"] = build_part.measure(tree, store, "fast")
        print(f"  new: {figures['new']['seconds']:.1f} s", flush=True)
    if "reference" in paths:
        reference = work / "store-ref" / "store"
        shutil.rmtree(reference.parent, ignore_errors=True)
        figures["reference"] = build_part.measure(tree, reference, "pyshacl", old_materialize)
        print(f"  reference: {figures['reference']['seconds']:.1f} s", flush=True)
        shutil.rmtree(reference.parent, ignore_errors=True)
    if "edit" in paths:
        edited = build_part.edit_one_file(tree)
        figures["edit"] = build_part.measure(tree, store, "fast")
        print(f"  edit ({edited.name}): {figures['edit']['seconds']:.1f} s", flush=True)
    shutil.rmtree(store.parent, ignore_errors=True)
    return figures


def table(results: dict[int, dict[str, Any]]) -> str:
    head = (
        f"{'scale':>5} {'quads':>9} {'path':<10} "
        + " ".join(f"{p + ' s/MB':>18}" for p in (*PHASES, "total"))
        + f" {'cpu s':>7} {'load':>5}"
    )
    lines = [head, "-" * len(head)]
    for scale, figures in results.items():
        for path in ("new", "reference", "edit"):
            if path not in figures:
                continue
            f = figures[path]
            cells = [
                f"{f['phases'][p]['seconds']:8.2f}/{f['phases'][p]['peak_mb']:<7.0f}"
                if p in f["phases"]
                else f"{'-':>16}"
                for p in PHASES
            ]
            cells.append(f"{f['seconds']:8.2f}/{f['peak_mb']:<7.0f}")
            lines.append(
                f"{scale:>5} {f['quads']:>9} {path:<10} "
                + " ".join(f"{c:>18}" for c in cells)
                + f" {f.get('cpu_seconds', 0):7.1f} {f.get('load_average', 0):5.1f}"
            )
        if "new" in figures and "reference" in figures:
            new, ref = figures["new"], figures["reference"]
            ratios = [
                f"{ref['phases'][p]['seconds'] / max(new['phases'][p]['seconds'], 1e-9):8.1f}x"
                f"{'':8}"
                if p in new["phases"] and p in ref["phases"]
                else f"{'-':>16}"
                for p in PHASES
            ]
            ratios.append(f"{ref['seconds'] / max(new['seconds'], 1e-9):8.1f}x{'':8}")
            lines.append(f"{'':>5} {'':>9} {'ref/new':<10} " + " ".join(f"{c:>18}" for c in ratios))
    for scale, figures in results.items():
        for path, f in figures.items():
            lines.append(f"x{scale} {path}: {f['gate']}")
    return "\n".join(lines)


PARTS = {"build": run_build}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", default="1,30")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/shezhire-scale"))
    parser.add_argument("--parts", default="build")
    parser.add_argument("--paths", default="new,reference,edit")
    parser.add_argument("--old-materialize", action="store_true")
    args = parser.parse_args()
    paths = args.paths.split(",")
    results: dict[int, dict[str, Any]] = {}
    for scale in (int(s) for s in args.scales.split(",")):
        tree = args.workdir / f"x{scale}"
        print(f"x{scale}: writing the tree to {tree}", flush=True)
        make_tree(ROOT, tree, scale)
        for part in args.parts.split(","):
            results[scale] = PARTS[part](
                tree, args.workdir / f"x{scale}-{part}", paths, args.old_materialize
            )
        shutil.rmtree(tree, ignore_errors=True)
    print()
    print(table(results))


if __name__ == "__main__":
    main()
