"""The build half of issue 11: each phase of ``shezhire build`` on a scaled tree.

:func:`measure` runs one build in a fresh process (``python -m scale.build ...``) so that each
path's peak memory is its own, and returns, per phase (parse, gate, materialize, publish,
stats), the wall time, the CPU time of the process (all threads) and the peak resident set
(VmHWM, reset at the start of each phase through /proc/self/clear_refs), plus the whole
build's and the load average at its end. Paths:

- ``new``: the default build (``--gate fast``, incremental gate on a cold record: full);
- ``reference``: the same build with pySHACL (``--gate pyshacl``), everything else equal;
- ``edit``: after ``new``, one data file changed (one triple added), built again: the
  incremental path (validates only the component of the changed file).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

PATHS = ("new", "reference", "edit")


def _peak_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def _run(root: Path, store: Path, gate: str, old_materialize: bool) -> dict[str, Any]:
    """One build in this process, phase by phase."""
    from shezhire.config import Settings  # noqa: PLC0415
    from shezhire.pipeline import build, materialize  # noqa: PLC0415
    from shezhire.pipeline.phases import PHASE_OBSERVERS  # noqa: PLC0415

    phases: dict[str, dict[str, float]] = {}
    started: dict[str, tuple[float, float]] = {}

    def observe(name: str, start: bool) -> None:
        if start:
            _reset_peak()
            started[name] = (time.perf_counter(), time.process_time())
        else:
            phases[name] = {
                "seconds": time.perf_counter() - started[name][0],
                "cpu_seconds": time.process_time() - started[name][1],
                "peak_mb": _peak_kib() / 1024,
            }

    PHASE_OBSERVERS.append(observe)
    if old_materialize:
        materialize.materialize = materialize.materialize_by_update  # type: ignore[assignment]
    settings = Settings(root=root, store_path=store, gate=gate)  # type: ignore[arg-type]
    begin, begin_cpu = time.perf_counter(), time.process_time()
    summary = build.build(settings)
    total = time.perf_counter() - begin
    return {
        "phases": phases,
        "seconds": total,
        "cpu_seconds": time.process_time() - begin_cpu,
        "load_average": os.getloadavg()[0],
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "quads": summary.quads + sum(summary.materialized.values()),
        "gate": summary.gate,
    }


def measure(root: Path, store: Path, gate: str, old_materialize: bool = False) -> dict[str, Any]:
    """One build of the tree at ``root`` into ``store``, in a fresh process."""
    command = [sys.executable, "-m", "scale.build", str(root), str(store), gate]
    if old_materialize:
        command.append("--old-materialize")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEZHIRE_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"build failed:\n{done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def edit_one_file(root: Path) -> Path:
    """Add one valid triple (a schema:description) to one data file of the tree."""
    data = sorted((root / "data" / "ttl").iterdir())
    path = next((p for p in data if p.suffix == ".nt"), data[-1])
    first = next(line for line in path.read_text(encoding="utf-8").splitlines() if "<" in line)
    if path.suffix == ".nt":
        subject = first.split(" ", 1)[0]
    else:  # a Turtle file: any IRI subject of the data
        import pyoxigraph as ox  # noqa: PLC0415

        quad = next(
            q
            for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
            if isinstance(q.subject, ox.NamedNode)
        )
        subject = str(quad.subject)
    with path.open("a", encoding="utf-8") as out:
        out.write(f'\n{subject} <https://schema.org/description> "edited {time.time()}" .\n')
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("root", type=Path)
    parser.add_argument("store", type=Path)
    parser.add_argument("gate")
    parser.add_argument("--old-materialize", action="store_true")
    args = parser.parse_args()
    print(json.dumps(_run(args.root, args.store, args.gate, args.old_materialize)))


if __name__ == "__main__":
    main()
