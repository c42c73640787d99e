"""EDTF literals -> earliest and latest xsd:date bounds, for SPARQL filters.

The subset the curated data uses: YYYY, YYYY-MM, YYYY-MM-DD, each optionally with a
qualifier (? ~ %), unspecified digits (X), and intervals A/B with open ends (.. or empty).
``parse_edtf`` gives the parts of a value (the pages write dates from them, see
``shezhire.linked_data.dates``); ``edtf_bounds`` the first and last day, from the same parse.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_QUALIFIERS = "?~%"
_SINGLE = re.compile(r"^(?P<y>[0-9X]{4})(?:-(?P<m>[0-9X]{2}))?(?:-(?P<d>[0-9X]{2}))?$")
_DAY = r"[0-9X]{4}(-(0[1-9]|1[0-2]|XX)(-(0[1-9]|[12][0-9]|3[01]|XX))?)?[?~%]?"
# The SHACL shapes use this pattern; shapes/shezhire.ttl repeats it (a test keeps them equal).
EDTF_PATTERN = rf"^({_DAY}|({_DAY}|\.\.)?/({_DAY}|\.\.)?)$"


@dataclass(frozen=True)
class EdtfDate:
    """One EDTF date as written: ``year`` is four digits or X, ``month`` and ``day`` two (or
    None when absent), the qualifiers ``?`` (uncertain), ``~`` (approximate), ``%`` (both), and
    the first and last day it can mean."""

    year: str
    month: str | None
    day: str | None
    uncertain: bool
    approximate: bool
    first: date
    last: date


@dataclass(frozen=True)
class Edtf:
    """An EDTF value: a single date (``start`` only, ``interval`` False) or an interval whose
    ends may be open (``..``) or unknown (empty), both given as None."""

    start: EdtfDate | None
    end: EdtfDate | None
    interval: bool


def parse_date(text: str) -> EdtfDate | None:
    """One date of the subset (no interval); None when it is not one."""
    core = text.rstrip(_QUALIFIERS)
    qualifiers = text[len(core) :]
    match = _SINGLE.match(core)
    if not match:
        return None
    year, month, day = match["y"], match["m"], match["d"]
    uncertain = "?" in qualifiers or "%" in qualifiers
    approximate = "~" in qualifiers or "%" in qualifiers
    first_year, last_year = int(year.replace("X", "0")), int(year.replace("X", "9"))
    if month is None or "X" in month:
        first, last = date(first_year, 1, 1), date(last_year, 12, 31)
        return EdtfDate(year, month, day, uncertain, approximate, first, last)
    m = int(month)
    if not 1 <= m <= 12:
        return None
    last_day = calendar.monthrange(last_year, m)[1]
    if day is None or "X" in day:
        first, last = date(first_year, m, 1), date(last_year, m, last_day)
        return EdtfDate(year, month, day, uncertain, approximate, first, last)
    d = int(day)
    if not 1 <= d <= calendar.monthrange(first_year, m)[1]:
        return None
    first, last = date(first_year, m, d), date(last_year, m, d)
    return EdtfDate(year, month, day, uncertain, approximate, first, last)


def parse_edtf(value: str) -> Edtf | None:
    """The parts of an EDTF value of the subset; None when it is not valid EDTF."""
    value = value.strip()
    if "/" not in value:
        single = parse_date(value)
        return None if single is None else Edtf(single, None, interval=False)
    start_text, _, end_text = value.partition("/")
    start = None if start_text in ("", "..") else parse_date(start_text)
    end = None if end_text in ("", "..") else parse_date(end_text)
    if (start_text not in ("", "..") and start is None) or (
        end_text not in ("", "..") and end is None
    ):
        return None
    if start is None and end is None:
        return None
    if start and end and start.first > end.last:
        return None
    return Edtf(start, end, interval=True)


def edtf_bounds(value: str) -> tuple[date | None, date | None] | None:
    """The first and last day an EDTF value can mean; None when it is not valid EDTF."""
    parsed = parse_edtf(value)
    if parsed is None:
        return None
    if not parsed.interval:
        assert parsed.start is not None
        return parsed.start.first, parsed.start.last
    return (
        parsed.start.first if parsed.start else None,
        parsed.end.last if parsed.end else None,
    )


def is_valid_edtf(value: str) -> bool:
    return value.strip() != "" and edtf_bounds(value) is not None
