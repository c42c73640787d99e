"""EDTF dates written the way a historian writes them, and keys that sort them.

``human_date("../1954-07")`` is "before July 1954", ``"1945~"`` "c. 1945", ``"1949/1954"``
"1949–1954", ``"1930/.."`` "after 1930", ``"194X/.."`` "from the 1940s", ``"195X"`` "1950s",
``"19XX"`` "20th century", ``"1937?"`` "1937?", ``"1930-06-04/1930-09-02"`` "4 June –
2 September 1930". The parsing is :func:`shezhire.pipeline.dates.parse_edtf` (the subset the
data uses); a value it does not parse is shown as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shezhire.pipeline.dates import EdtfDate, parse_edtf

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
EN_DASH = "\u2013"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _year(year: str) -> tuple[str, bool]:
    """The year as words, and whether it reads as a period ("the 1950s") rather than a year."""
    if "X" not in year:
        return year, False
    if year[:3].isdigit() and year[3] == "X":
        return f"{year[:3]}0s", True
    if year[:2].isdigit() and year[2:] == "XX":
        return f"{_ordinal(int(year[:2]) + 1)} century", True
    digits = year.replace("X", "0"), year.replace("X", "9")
    return f"{digits[0]}{EN_DASH}{digits[1]}", True


@dataclass(frozen=True)
class _Parts:
    day: str  # "" when not given
    month: str  # "" when not given
    year: str
    period: bool  # the year is a decade or a century
    uncertain: bool
    approximate: bool


def _parts(d: EdtfDate) -> _Parts:
    year, period = _year(d.year)
    month = MONTHS[int(d.month) - 1] if d.month and "X" not in d.month else ""
    day = str(int(d.day)) if month and d.day and "X" not in d.day else ""
    return _Parts(day, month, year, period, d.uncertain, d.approximate)


def _qualify(text: str, p: _Parts) -> str:
    if p.approximate:
        text = "c. " + text
    if p.uncertain:
        text += "?"
    return text


def _single(p: _Parts) -> str:
    return _qualify(" ".join(x for x in (p.day, p.month, p.year) if x), p)


def _open(start: bool, p: _Parts) -> str:
    """One end open: "after 1930", "before July 1954"; a decade or century, which the value
    may fall in, "from the 1940s", "until the 1940s"."""
    text = _single(p)
    if p.period and not p.day and not p.month:
        if not p.approximate:
            text = "the " + text
        return f"{'from' if start else 'until'} {text}"
    return f"{'after' if start else 'before'} {text}"


def _range(a: _Parts, b: _Parts) -> str:
    """Two ends, with what they share written once: "13–26 June 1945", "May–June 1931"."""
    plain = not (a.uncertain or a.approximate or b.uncertain or b.approximate)
    if plain and a.year == b.year and not a.period:
        if a.month and b.month and a.month == b.month and a.day and b.day:
            return f"{a.day}{EN_DASH}{b.day} {a.month} {a.year}"
        if a.month and b.month and not a.day and not b.day:
            return f"{a.month}{EN_DASH}{b.month} {a.year}"
        if a.month and b.month:
            left = " ".join(x for x in (a.day, a.month) if x)
            return f"{left} {EN_DASH} {_single(b)}"
    left, right = _single(a), _single(b)
    if plain and a.period and b.period and left.endswith(" century") and right.endswith(" century"):
        return f"{left.removesuffix(' century')}{EN_DASH}{right}"
    sep = f" {EN_DASH} " if " " in left or " " in right else EN_DASH
    return f"{left}{sep}{right}"


def human_date(value: str) -> str:
    """An EDTF value in words; the value itself when it is not EDTF of the subset."""
    parsed = parse_edtf(value)
    if parsed is None:
        return value.strip()
    start = _parts(parsed.start) if parsed.start else None
    end = _parts(parsed.end) if parsed.end else None
    if not parsed.interval:
        assert start is not None
        return _single(start)
    if start and end:
        return _range(start, end)
    if start:
        return _open(True, start)
    assert end is not None
    return _open(False, end)


def date_sort_key(earliest: date | str | None, latest: date | str | None) -> str:
    """Orders dated things by their earliest day, then their latest; an open start ("before
    July 1954") sorts at its latest day; undated things last."""
    first = str(earliest) if earliest else ""
    last = str(latest) if latest else ""
    return f"{first or last or '9999-99-99'}|{last or '9999-99-99'}"


def edtf_sort_key(value: str) -> str:
    """:func:`date_sort_key` of an EDTF value (undated when it does not parse)."""
    parsed = parse_edtf(value)
    if parsed is None:
        return date_sort_key(None, None)
    if not parsed.interval:
        assert parsed.start is not None
        return date_sort_key(parsed.start.first, parsed.start.last)
    return date_sort_key(
        parsed.start.first if parsed.start else None, parsed.end.last if parsed.end else None
    )


def decades(value: str, widest: int = 3) -> list[str]:
    """The decades ("1950s") an EDTF value falls in; none when it is vaguer than ``widest``
    decades (a "19XX" belongs in no decade) or open at both ends."""
    parsed = parse_edtf(value)
    if parsed is None:
        return []
    if not parsed.interval:
        assert parsed.start is not None
        first, last = parsed.start.first.year, parsed.start.last.year
    elif parsed.start and parsed.end:
        first, last = parsed.start.first.year, parsed.end.last.year
    elif parsed.start:
        first = last = parsed.start.first.year
    else:
        assert parsed.end is not None
        first = last = parsed.end.last.year
    span = range(first // 10, last // 10 + 1)
    if len(span) > widest:
        return []
    return [f"{d * 10}s" for d in span]


__all__ = ["MONTHS", "date_sort_key", "decades", "edtf_sort_key", "human_date"]
