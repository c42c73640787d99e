"""Constants shared by the network tests (a plain module: conftest is not importable)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
P = "https://w3id.org/shezhire/id/person/"
