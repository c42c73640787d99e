"""Issue 11 at scale: the project's data replicated N times, built, served and measured.

    .venv/bin/python bench/scale_bench.py --scales 1,30,100 [--workdir /tmp]
        [--parts build,serve,sparql,pages,floor,remote] [--paths new,reference,edit]
        [--old-materialize]
        [--duration 3] [--rounds 3] [--clients 8]
    # the serving parts on a store already built (no tree, no build at that scale):
    .venv/bin/python bench/scale_bench.py --store 30=/tmp/sx30/store --parts serve,sparql,pages
    .venv/bin/python bench/scale_bench.py --scales 1 --store 30=/tmp/sx30/store \\
        --parts build,serve,sparql,pages

For each scale it writes the tree (bench/scale/data.py: N disjoint copies, each passing the gate
on its own; in a folder of the run's own under --workdir, never into data/ttl), then runs each
part, and removes the scale's working folder (tree, stores, Oxigraph copy, servers' files) when
the scale is done.
``build``
(bench/scale/build.py) builds the tree with the new path (fast gate), with the pySHACL
reference path in the same run, and once more after one data file changed (the incremental
path), each in a fresh process, and prints per scale and phase (parse, gate, materialize,
publish, stats) the wall time and peak memory, with reference/new ratios.
Beside each path's wall time: its CPU time (all threads; steadier than wall time on a machine
shared with other work) and the 1-minute load average when it ended.
``--old-materialize`` also uses the pre-issue-11 materialization in the reference path
(quadratic: minutes at x30). The build leaves its store (the new path's, after the edit) to
the serving parts, which start the servers on free 127.0.0.1 ports and always stop them:
``serve`` (bench/scale/serve.py): start-up time and memory (PSS of the process tree) of ours
and of ``oxigraph serve-read-only``, before and after use; ``sparql`` (bench/scale/sparql.py):
requests/s, p50 and p99 of ours and oxigraph per query class, cache missed and cache on;
``pages`` (bench/scale/pages.py): person pages and /network routes, with the ratios to x1;
``floor`` (bench/scale/floor.py): what any Python server reaches here, beside the goals (a
minimal one-hop Python SPARQL server's requests/s beside ours and oxigraph, ``oxigraph load``
alone, the in-memory copy); ``remote`` (bench/scale/remote.py, issue 12): publish time, and
lookups, ego, paths, pages and search of our server on the embedded store, on Oxigraph's
server and on Virtuoso.
Each table prints the goals beside the figures, and each part the 1-minute load average at its
start and end (the machine may be shared). ``--duration`` is the seconds of one measured slice
(``--rounds`` slices per server and cell). Run by hand; not a test.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import build as build_part
from scale import floor, pages, remote, serve, servers, sparql
from scale.data import make_tree

ROOT = Path(__file__).resolve().parents[1]
PHASES = ("parse", "gate", "materialize", "publish", "stats")


def run_build(
    tree: Path, work: Path, paths: list[str], old_materialize: bool
) -> tuple[dict[str, Any], Path]:
    """The build figures, and the store it leaves for the serving parts (under ``work``)."""
    figures: dict[str, Any] = {"load_before": servers.load_average()}
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
        if "new" in figures:
            shutil.rmtree(reference.parent, ignore_errors=True)
        else:
            store = reference
    if "edit" in paths:
        edited = build_part.edit_one_file(tree)
        figures["edit"] = build_part.measure(tree, store, "fast")
        print(f"  edit ({edited.name}): {figures['edit']['seconds']:.1f} s", flush=True)
    figures["load_after"] = servers.load_average()
    return figures, store


def table(results: dict[int, dict[str, Any]]) -> str:
    head = (
        f"{'scale':>5} {'quads':>9} {'path':<10} "
        + " ".join(f"{p + ' s/MB':>18}" for p in (*PHASES, "total"))
        + f" {'cpu s':>7} {'load':>5}"
    )
    lines = [head, "-" * len(head)]
    for scale, figures in results.items():
        for path in build_part.PATHS:
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
        for path in build_part.PATHS:
            if path in figures:
                lines.append(f"x{scale} {path}: {figures[path]['gate']}")
        lines.append(
            f"x{scale} load average {figures['load_before']:.2f} -> {figures['load_after']:.2f}"
        )
    return "\n".join(lines)


# The serving parts: run(Context) -> figures, and table({scale: figures}) -> text.
SERVING = {"serve": serve, "sparql": sparql, "pages": pages, "floor": floor, "remote": remote}
PARTS = ("build", *SERVING)


def given_stores(values: list[str], scales: list[int]) -> dict[int, Path]:
    """``--store N=PATH`` (or ``PATH`` with a single scale): built stores to serve as is."""
    stores: dict[int, Path] = {}
    for value in values:
        label, _, path = value.rpartition("=")
        if not label:
            if len(scales) != 1:
                raise SystemExit("--store PATH needs one scale (--scales N), or use N=PATH")
            label = str(scales[0])
        stores[int(label)] = Path(path)
    return stores


def run_scale(
    scale: int,
    args: argparse.Namespace,
    parts: list[str],
    store: Path | None,
    results: dict[str, dict[int, dict[str, Any]]],
) -> None:
    """Every part at one scale, its figures into ``results[part][scale]`` as each ends; a
    serving part that fails is reported and the next one runs; the scale's working folder is
    removed whatever happens."""
    work = args.run_dir / f"x{scale}"
    try:
        if "build" in parts and store is None:
            tree = work / "tree"
            print(f"x{scale}: writing the tree to {tree}", flush=True)
            make_tree(ROOT, tree, scale)
            results["build"][scale], store = run_build(
                tree, work / "build", args.paths.split(","), args.old_materialize
            )
            shutil.rmtree(tree, ignore_errors=True)
        serving = [p for p in parts if p != "build"]
        if serving:
            assert store is not None
            context = servers.Context(scale, store, work, args.duration, args.rounds, args.clients)
            for part in serving:
                print(f"x{scale}: {part} (load average {servers.load_average():.2f})", flush=True)
                try:
                    results[part][scale] = SERVING[part].run(context)
                except Exception:
                    print(f"x{scale}: {part} FAILED", file=sys.stderr, flush=True)
                    traceback.print_exc()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", default="1,30")
    parser.add_argument(
        "--workdir",
        type=Path,
        help="where the run's own folder (scale-bench-*, removed at the end) goes; default $TMPDIR",
    )
    parser.add_argument("--parts", default="build")
    parser.add_argument("--paths", default="new,reference,edit")
    parser.add_argument("--old-materialize", action="store_true")
    parser.add_argument(
        "--store",
        action="append",
        default=[],
        metavar="[N=]PATH",
        help="serve this built store as scale N (no tree, no build at N); repeatable",
    )
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per slice")
    parser.add_argument("--rounds", type=int, default=3, help="slices per server and cell")
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    parts = args.parts.split(",")
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}; parts: {', '.join(PARTS)}")
    scales = [int(s) for s in args.scales.split(",")]
    stores = given_stores(args.store, scales)
    if "build" in parts:
        scales = sorted(set(scales) | set(stores))  # built, except those given
    elif stores:
        scales = sorted(stores)
    else:
        parser.error("the serving parts need a store: add build to --parts, or give --store")
    results: dict[str, dict[int, dict[str, Any]]] = {part: {} for part in parts}
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    # A folder of this run's own: another run beside it (the machine is shared) has its own.
    args.run_dir = Path(tempfile.mkdtemp(prefix="scale-bench-", dir=args.workdir))
    try:
        for scale in scales:
            run_scale(scale, args, parts, stores.get(scale), results)
    finally:
        shutil.rmtree(args.run_dir, ignore_errors=True)
        for part in parts:
            if results[part]:
                print()
                print(
                    table(results[part]) if part == "build" else SERVING[part].table(results[part])
                )


if __name__ == "__main__":
    main()
