"""Small Shezhire trees and the `shezhire` command, shared by the pipeline tests.

A tree here is the real ontology/ and shapes/ with one small valid data file: quick to build,
and complete enough to exercise the gate and every materialization rule.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[2]

PREFIXES = """\
@prefix shz: <https://w3id.org/shezhire/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix edtf: <http://id.loc.gov/datatypes/edtf/> .
@prefix kin: <https://w3id.org/shezhire/vocab/kin/> .
@prefix soc: <https://w3id.org/shezhire/vocab/soc/> .
@prefix mode: <https://w3id.org/shezhire/vocab/mode/> .
@prefix cert: <https://w3id.org/shezhire/vocab/cert/> .
@prefix evt: <https://w3id.org/shezhire/vocab/evt/> .
@prefix role: <https://w3id.org/shezhire/vocab/role/> .
@prefix ex: <https://example.org/> .
"""

CIT = 'shz:citation [ a shz:Citation ; shz:publication ex:pub ; shz:page "3" ; oa:exact "quote" ]'
CLAIM = f"shz:epistemicMode mode:stated ; shz:certainty cert:certain ; {CIT}"

VALID_DATA = (
    PREFIXES
    + f"""
ex:pub a shz:Publication ; rdfs:label "A source"@en ; dcterms:title "A source"@en ; {CIT} .

ex:father a shz:Person ; rdfs:label "Vasilii"@en ; shz:nameAsWritten "Vasilii" ; {CIT} .
ex:son a shz:Person ; rdfs:label "Petr"@en ; shz:nameAsWritten "Petr" ; {CIT} .
ex:wife a shz:Person ; rdfs:label "Wife of Petr (unnamed)"@en ; shz:unnamed true ; {CIT} .
ex:teacher a shz:Person ; rdfs:label "Ivan"@en ; shz:nameAsWritten "Ivan" ; {CIT} .

ex:tie-father a shz:KinTie ; rdfs:label "Vasilii is the father of Petr"@en ;
    shz:tieSubject ex:father ; shz:kinType kin:father ; shz:tieObject ex:son ; {CLAIM} .

ex:tie-wife a shz:KinTie ; rdfs:label "The unnamed woman is the wife of Petr"@en ;
    shz:tieSubject ex:wife ; shz:kinType kin:wife ; shz:tieObject ex:son ; {CLAIM} .

ex:tie-guarantor a shz:SocialTie ; rdfs:label "Ivan vouched for Petr"@en ;
    shz:tieSubject ex:teacher ; shz:socialTieType soc:guarantor-for ; shz:tieObject ex:son ;
    {CLAIM} .

ex:release a shz:Event ; rdfs:label "Release of Petr (July 1954)"@en ;
    shz:eventType evt:release ; shz:date "1954-07"^^edtf:EDTF ;
    shz:participation [ shz:agent ex:son ; shz:role role:subject ] ;
    {CLAIM} .

ex:deportation a shz:Event ; rdfs:label "Deportation of Petr"@en ;
    shz:eventType evt:deportation ; shz:date "1943/1944-02"^^edtf:EDTF ;
    {CLAIM} .
"""
)

DATA_FILE = "data/ttl/001-test.ttl"

VIOLATING = f"""
ex:self-tie a shz:KinTie ; rdfs:label "Petr is his own father"@en ;
    shz:tieSubject ex:son ; shz:kinType kin:father ; shz:tieObject ex:son ; {CLAIM} .
"""


def make_tree(root: Path) -> Path:
    """The real ontology and shapes and one small valid data file, under `root`."""
    shutil.copytree(ROOT / "ontology", root / "ontology")
    shutil.copytree(ROOT / "shapes", root / "shapes")
    (root / "data" / "ttl").mkdir(parents=True)
    (root / DATA_FILE).write_text(VALID_DATA, encoding="utf-8")
    return root


def write_data(root: Path, name: str, text: str) -> Path:
    path = root / "data" / "ttl" / name
    path.write_text(PREFIXES + text, encoding="utf-8")
    return path


def shezhire_command() -> list[str]:
    script = Path(sys.executable).with_name("shezhire")
    return [str(script)] if script.exists() else [sys.executable, "-m", "shezhire.cli"]


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without SHEZHIRE_* settings (they would override what a test gives)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEZHIRE_")}
    env.update(extra)
    return env


def run_cli(
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    preexec_fn: Callable[[], object] | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*shezhire_command(), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=dict(env) if env is not None else clean_env(),
        preexec_fn=preexec_fn,
        check=False,
    )


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`shezhire --root ROOT --store ROOT/var/store ARGS`."""
    return run_cli("--root", str(root), "--store", str(root / "var" / "store"), *args)


def store_snapshot(store_link: Path) -> tuple[str, frozenset[str]]:
    """The symlink target and every quad of the published store, opened read-only."""
    target = os.readlink(store_link)
    store = ox.Store.read_only(str(store_link.resolve()))
    try:
        quads = frozenset(str(q) for q in store.quads_for_pattern(None, None, None, None))
    finally:
        del store
    return target, quads
