"""Literals a remote store rewrites, given back in the lexical form the embedded store gives.

Virtuoso 7.2 stores a typed ``xsd:duration`` (or ``xsd:yearMonthDuration``) that has years or
months as a number of months, and returns that number as the literal's lexical form: ``"P20Y"``
comes back as ``"240"^^xsd:duration`` (measured, ``tests/remote/README.md``). Such a lexical
form is not a valid duration, and the number is exact, so :func:`restore_durations` writes the
canonical duration for it (``"P20Y"``), as pyoxigraph's store canonicalises every duration
(``"P12M"`` is stored as ``"P1Y"``).

Nothing else is restored, because nothing else can be derived exactly:

* a duration with both year/month and day/time parts loses the day/time part in Virtuoso
  (``"P1Y1D"`` comes back as ``"12"``): the months are restored, the days are gone;
* a day/time duration comes back as a floating-point number of seconds, not always the right
  one (``"-PT1S"`` came back as ``"-0.9"``, ``"P10000D"`` as ``"8.64e+08"``): left as it is;
* a lexical form that is a valid duration (Oxigraph's, or the few Virtuoso keeps verbatim,
  such as ``"P1Y2M3DT4H"``) is never touched.
"""

from __future__ import annotations

import re

XSD = "http://www.w3.org/2001/XMLSchema#"
DURATION = XSD + "duration"
YEAR_MONTH_DURATION = XSD + "yearMonthDuration"

_DATATYPES = rb"http://www\.w3\.org/2001/XMLSchema#(?:duration|yearMonthDuration)"
# A typed literal whose lexical form is a whole number, in SPARQL XML results (the form
# Virtuoso writes: <literal datatype="...">240</literal>) and in N-Triples.
_XML_LITERAL = re.compile(rb'(<literal datatype="(' + _DATATYPES + rb')">)(-?[0-9]+)(</literal>)')
_NT_LITERAL = re.compile(rb'(?<![\\])"(-?[0-9]+)"(\^\^<(' + _DATATYPES + rb")>)")


def duration_from_months(months: int, datatype: str = DURATION) -> str:
    """The canonical lexical form of a duration of ``months`` months (pyoxigraph's).

    ``240`` gives ``"P20Y"``, ``-14`` gives ``"-P1Y2M"``; zero is ``"PT0S"`` for
    ``xsd:duration`` and ``"P0M"`` for ``xsd:yearMonthDuration``.
    """
    if months == 0:
        return "P0M" if datatype == YEAR_MONTH_DURATION else "PT0S"
    years, rest = divmod(abs(months), 12)
    text = ("-" if months < 0 else "") + "P"
    if years:
        text += f"{years}Y"
    if rest:
        text += f"{rest}M"
    return text


def restore_durations(content: bytes) -> bytes:
    """``content`` (SPARQL XML results or N-Triples) with every duration given as a number of
    months written back as a duration; anything else, byte for byte as it was."""
    if b"Duration" not in content and b"#duration" not in content:
        return content

    def xml(match: re.Match[bytes]) -> bytes:
        datatype = match.group(2).decode()
        lexical = duration_from_months(int(match.group(3)), datatype)
        return match.group(1) + lexical.encode() + match.group(4)

    def n_triples(match: re.Match[bytes]) -> bytes:
        datatype = match.group(3).decode()
        lexical = duration_from_months(int(match.group(1)), datatype)
        return b'"' + lexical.encode() + b'"' + match.group(2)

    return _NT_LITERAL.sub(n_triples, _XML_LITERAL.sub(xml, content))


# A literal element of SPARQL XML results: its text cannot hold a raw "<" (XML escapes it).
_XML_LITERAL_TEXT = re.compile(rb"(<literal(?:\s[^>]*)?>)([^<]*)(</literal>)")
_EDGE_WHITESPACE = re.compile(rb"^[ \t\r\n]+|[ \t\r\n]+$")
_CHARACTER_REFERENCE = {b" ": b"&#32;", b"\t": b"&#9;", b"\r": b"&#13;", b"\n": b"&#10;"}


def keep_edge_whitespace(content: bytes) -> bytes:
    """SPARQL XML results whose literals keep their leading and trailing white space.

    pyoxigraph's XML results parser trims white space at the edges of a literal's text, so a
    literal Virtuoso writes raw (``<literal> a </literal>``) would come back as ``"a"``;
    Oxigraph's server writes ``&#32;``, which is kept (measured). The edge white space is
    written as character references; everything else stays byte for byte."""

    def edges(match: re.Match[bytes]) -> bytes:
        text = _EDGE_WHITESPACE.sub(
            lambda run: b"".join(_CHARACTER_REFERENCE[bytes([c])] for c in run[0]), match[2]
        )
        return match[1] + text + match[3]

    return _XML_LITERAL_TEXT.sub(edges, content)
