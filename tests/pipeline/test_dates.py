"""EDTF literals -> xsd:date bounds (server/shezhire/pipeline/dates.py)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import SH

from shezhire.pipeline import dates
from shezhire.pipeline.dates import EDTF_PATTERN, edtf_bounds, is_valid_edtf

SHAPES_FILE = Path(__file__).resolve().parents[2] / "shapes" / "shezhire.ttl"
SHAPE = rdflib.Namespace("https://w3id.org/shezhire/shapes#")

D = date

VALID = [
    # single dates at each precision
    ("1954", (D(1954, 1, 1), D(1954, 12, 31))),
    ("1954-07", (D(1954, 7, 1), D(1954, 7, 31))),
    ("1954-06", (D(1954, 6, 1), D(1954, 6, 30))),
    ("1954-02", (D(1954, 2, 1), D(1954, 2, 28))),
    ("1952-02", (D(1952, 2, 1), D(1952, 2, 29))),
    ("1954-07-15", (D(1954, 7, 15), D(1954, 7, 15))),
    ("1952-02-29", (D(1952, 2, 29), D(1952, 2, 29))),
    # qualifiers keep the bounds of the date they qualify
    ("1945?", (D(1945, 1, 1), D(1945, 12, 31))),
    ("1945~", (D(1945, 1, 1), D(1945, 12, 31))),
    ("1945%", (D(1945, 1, 1), D(1945, 12, 31))),
    ("1954-07?", (D(1954, 7, 1), D(1954, 7, 31))),
    ("1954-07-15~", (D(1954, 7, 15), D(1954, 7, 15))),
    # unspecified digits
    ("19XX", (D(1900, 1, 1), D(1999, 12, 31))),
    ("195X", (D(1950, 1, 1), D(1959, 12, 31))),
    ("1954-XX", (D(1954, 1, 1), D(1954, 12, 31))),
    ("1954-07-XX", (D(1954, 7, 1), D(1954, 7, 31))),
    ("195X-02", (D(1950, 2, 1), D(1959, 2, 28))),
    # intervals, closed and open
    ("1944/1956", (D(1944, 1, 1), D(1956, 12, 31))),
    ("1944-02-23/1956-07", (D(1944, 2, 23), D(1956, 7, 31))),
    ("1954-07-01/1954-07-31", (D(1954, 7, 1), D(1954, 7, 31))),
    ("1943?/1944", (D(1943, 1, 1), D(1944, 12, 31))),
    ("../1953", (None, D(1953, 12, 31))),
    ("/1953", (None, D(1953, 12, 31))),
    ("1953/..", (D(1953, 1, 1), None)),
    ("1953-03/", (D(1953, 3, 1), None)),
    # surrounding white space is ignored
    (" 1954 ", (D(1954, 1, 1), D(1954, 12, 31))),
]

INVALID = [
    "",
    "1954-02-30",  # no such calendar day
    "1953-02-29",  # not a leap year
    "1954-04-31",
    "1954-13",
    "1954-00",
    "1954-07-00",
    "54",
    "1954-7",
    "July 1954",
    "1956/1944",  # ends before it starts
    "1954-07-20/1954-07-01",
    "/",
    "../..",
    "1954/1955/1956",
    "1954-02-30/1955",
    "1954/1955-13",
]


@pytest.mark.parametrize(("value", "bounds"), VALID, ids=[v for v, _ in VALID])
def test_bounds_of_valid_values(value: str, bounds: tuple[date | None, date | None]) -> None:
    assert edtf_bounds(value) == bounds
    assert is_valid_edtf(value)


@pytest.mark.parametrize("value", INVALID, ids=[v or "empty" for v in INVALID])
def test_invalid_values_have_no_bounds(value: str) -> None:
    assert edtf_bounds(value) is None
    assert not is_valid_edtf(value)


@pytest.mark.parametrize("value", [v for v, _ in VALID])
def test_every_value_with_bounds_matches_the_shape_pattern(value: str) -> None:
    assert re.search(EDTF_PATTERN, value.strip())


@pytest.mark.parametrize(
    "value", ["1954-13", "1954-7", "54", "July 1954", "1954/1955/1956", "1954-00", "1954-07-32"]
)
def test_the_pattern_rejects_malformed_values(value: str) -> None:
    assert not re.search(EDTF_PATTERN, value)


def test_the_pattern_checks_form_not_the_calendar() -> None:
    """1954-02-30 passes the SHACL pattern; the build rejects it (see test_build_errors)."""
    assert re.search(EDTF_PATTERN, "1954-02-30")
    assert edtf_bounds("1954-02-30") is None


@pytest.mark.parametrize("shape", ["Date-date", "Date-refPeriod"])
def test_shapes_use_the_same_pattern(shape: str) -> None:
    shapes = rdflib.Graph().parse(SHAPES_FILE, format="turtle")
    patterns = list(shapes.objects(SHAPE[shape], SH.pattern))
    assert len(patterns) == 1
    assert str(patterns[0]) == dates.EDTF_PATTERN


def test_every_pattern_on_a_date_property_is_the_edtf_pattern() -> None:
    shapes = rdflib.Graph().parse(SHAPES_FILE, format="turtle")
    shz = rdflib.Namespace("https://w3id.org/shezhire/ontology#")
    for prop in (shz.date, shz.refPeriod):
        patterns = [
            str(pattern)
            for shape in shapes.subjects(SH.path, prop)
            for pattern in shapes.objects(shape, SH.pattern)
        ]
        assert patterns, f"no sh:pattern on {prop}"
        assert set(patterns) == {EDTF_PATTERN}
