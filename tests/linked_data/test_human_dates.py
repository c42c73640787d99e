"""EDTF dates as a historian writes them (shezhire.linked_data.human_dates): each form the data
uses, the sort keys, the decades of the period facet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shezhire.linked_data.human_dates import decades, edtf_sort_key, human_date

DATA = Path(__file__).resolve().parents[2] / "data" / "ttl"

# Every form of EDTF value in data/ttl, and more of the subset the shapes allow.
TABLE = [
    # a year, a month, a day
    ("1954", "1954"),
    ("1954-07", "July 1954"),
    ("1930-08-06", "6 August 1930"),
    # approximate (~), uncertain (?), both (%)
    ("1945~", "c. 1945"),
    ("1945-07~", "c. July 1945"),
    ("1930-08-06~", "c. 6 August 1930"),
    ("1937?", "1937?"),
    ("1954-07?", "July 1954?"),
    ("1945%", "c. 1945?"),
    # unspecified digits: a decade, a century, an unknown month or day
    ("195X", "1950s"),
    ("192X", "1920s"),
    ("19XX", "20th century"),
    ("1954-XX", "1954"),
    ("1954-07-XX", "July 1954"),
    # closed intervals
    ("1949/1954", "1949\u20131954"),
    ("1930-01/1930-08", "January\u2013August 1930"),
    ("1945-06-13/1945-06-26", "13\u201326 June 1945"),
    ("1930-06-04/1930-09-02", "4 June \u2013 2 September 1930"),
    ("1931-02-26/1931-03", "26 February \u2013 March 1931"),
    ("1944-10/1949-03", "October 1944 \u2013 March 1949"),
    ("1930-01-01/1931-05-01", "1 January 1930 \u2013 1 May 1931"),
    ("1939/1946-05-15", "1939 \u2013 15 May 1946"),
    ("1945-06/1946-03-01", "June 1945 \u2013 1 March 1946"),
    ("1943/1943-12", "1943 \u2013 December 1943"),
    ("192X/193X", "1920s\u20131930s"),
    ("19XX/20XX", "20th\u201321st century"),
    ("1943?/1944", "1943?\u20131944"),
    ("1945~/1950", "c. 1945 \u2013 1950"),
    # open and unknown ends
    ("../1954-07", "before July 1954"),
    ("../1943-03-01", "before 1 March 1943"),
    ("../1946", "before 1946"),
    ("/1953", "before 1953"),
    ("1930/..", "after 1930"),
    ("1946-05-15/..", "after 15 May 1946"),
    ("1946-07/..", "after July 1946"),
    ("192X/..", "from the 1920s"),
    ("../194X", "until the 1940s"),
    ("1953-03/", "after March 1953"),
    # not EDTF: shown as written
    ("July 1954", "July 1954"),
    ("1954-02-30", "1954-02-30"),
]


@pytest.mark.parametrize(("value", "expected"), TABLE, ids=[v for v, _ in TABLE])
def test_human_date(value: str, expected: str) -> None:
    assert human_date(value) == expected


def _data_values() -> set[str]:
    values: set[str] = set()
    for path in DATA.glob("*.ttl"):
        values |= set(re.findall(r'"([^"]*)"\^\^edtf:EDTF', path.read_text(encoding="utf-8")))
    return values


def test_the_table_covers_every_form_in_the_data() -> None:
    """Each EDTF value in data/ttl has the shape of a value in the table (digits as 9)."""

    def form(value: str) -> str:
        return re.sub(r"[0-9]", "9", value)

    values = _data_values()
    assert len(values) > 100
    missing = {form(v) for v in values} - {form(v) for v, _ in TABLE}
    assert not missing, sorted(missing)


def test_every_value_in_the_data_is_written_out() -> None:
    for value in _data_values():
        text = human_date(value)
        assert text, value
        if "-" in value or "/" in value or "X" in value or value[-1] in "~%":
            assert text != value, value  # parsed, not shown as written


def test_sort_keys_follow_the_earliest_day_then_the_latest() -> None:
    ordered = [
        "19XX/20XX",
        "1930/..",
        "1930-08-06",
        "1930-08-06~",
        "1930-08-09",
        "1930-10/1930-12",
        "1954-07",
        "../1954-07",
        "not a date",
    ]
    keys = [edtf_sort_key(v) for v in ordered]
    assert keys == sorted(keys)
    # an open start sorts at its latest day, before a date of that month's end
    assert edtf_sort_key("../1954-07") > edtf_sort_key("1954-07-30")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1954-07", ["1950s"]),
        ("1944/1953", ["1940s", "1950s"]),
        ("192X/194X", ["1920s", "1930s", "1940s"]),
        ("../1954-07", ["1950s"]),
        ("1930/..", ["1930s"]),
        ("19XX", []),  # too vague for any decade
        ("1910/1960", []),
        ("nonsense", []),
    ],
)
def test_decades(value: str, expected: list[str]) -> None:
    assert decades(value) == expected
