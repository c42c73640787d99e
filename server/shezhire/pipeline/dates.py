"""EDTF literals -> earliest and latest xsd:date bounds, for SPARQL filters.

The subset the curated data uses: YYYY, YYYY-MM, YYYY-MM-DD, each optionally with a
qualifier (? ~ %), unspecified digits (X), and intervals A/B with open ends (.. or empty).
"""

from __future__ import annotations

import calendar
import re
from datetime import date

_QUALIFIERS = "?~%"
_SINGLE = re.compile(r"^(?P<y>[0-9X]{4})(?:-(?P<m>[0-9X]{2}))?(?:-(?P<d>[0-9X]{2}))?$")
_DAY = r"[0-9X]{4}(-(0[1-9]|1[0-2]|XX)(-(0[1-9]|[12][0-9]|3[01]|XX))?)?[?~%]?"
# The SHACL shapes use this pattern; shapes/shezhire.ttl repeats it (a test keeps them equal).
EDTF_PATTERN = rf"^({_DAY}|({_DAY}|\.\.)?/({_DAY}|\.\.)?)$"


def _bounds(text: str) -> tuple[date, date] | None:
    match = _SINGLE.match(text.rstrip(_QUALIFIERS))
    if not match:
        return None
    year, month, day = match["y"], match["m"], match["d"]
    first_year, last_year = int(year.replace("X", "0")), int(year.replace("X", "9"))
    if month is None or "X" in month:
        return date(first_year, 1, 1), date(last_year, 12, 31)
    m = int(month)
    if not 1 <= m <= 12:
        return None
    last_day = calendar.monthrange(last_year, m)[1]
    if day is None or "X" in day:
        return date(first_year, m, 1), date(last_year, m, last_day)
    d = int(day)
    if not 1 <= d <= calendar.monthrange(first_year, m)[1]:
        return None
    return date(first_year, m, d), date(last_year, m, d)


def edtf_bounds(value: str) -> tuple[date | None, date | None] | None:
    """The first and last day an EDTF value can mean; None when it is not valid EDTF."""
    value = value.strip()
    if "/" not in value:
        single = _bounds(value)
        return single if single is None else (single[0], single[1])
    start_text, _, end_text = value.partition("/")
    start = None if start_text in ("", "..") else _bounds(start_text)
    end = None if end_text in ("", "..") else _bounds(end_text)
    if (start_text not in ("", "..") and start is None) or (
        end_text not in ("", "..") and end is None
    ):
        return None
    if start is None and end is None:
        return None
    earliest = start[0] if start else None
    latest = end[1] if end else None
    if earliest and latest and earliest > latest:
        return None
    return earliest, latest


def is_valid_edtf(value: str) -> bool:
    return value.strip() != "" and edtf_bounds(value) is not None
