"""literals.py: Virtuoso's durations as months, written back as pyoxigraph writes them.

The inputs are Virtuoso 7.2.5's answers as measured (tests/remote/README.md); the expected
lexical forms are pyoxigraph's own, read back from a store (which canonicalises durations).
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from shezhire.backend.literals import (
    DURATION,
    YEAR_MONTH_DURATION,
    duration_from_months,
    keep_edge_whitespace,
    restore_durations,
)

XSD = "http://www.w3.org/2001/XMLSchema#"
S = ox.NamedNode("urn:s")


def pyoxigraph_canonical(lexical: str, datatype: str) -> str:
    """The lexical form pyoxigraph's store gives back for a duration literal."""
    store = ox.Store()
    store.add(ox.Quad(S, S, ox.Literal(lexical, datatype=ox.NamedNode(datatype))))
    (quad,) = store.quads_for_pattern(S, S, None)
    assert isinstance(quad.object, ox.Literal)
    return quad.object.value


@pytest.mark.parametrize("datatype", [DURATION, YEAR_MONTH_DURATION])
@pytest.mark.parametrize("months", [*range(-30, 31), 240, 56, 1200, 12000, 123457])
def test_months_give_pyoxigraphs_canonical_form(months: int, datatype: str) -> None:
    expected = pyoxigraph_canonical(("-" if months < 0 else "") + f"P{abs(months)}M", datatype)
    assert duration_from_months(months, datatype) == expected


def test_the_durations_of_the_data() -> None:
    """Every duration in data/ttl (all years and months), as Virtuoso returns it."""
    for lexical, months in [
        ("P20Y", 240),
        ("P25Y", 300),
        ("P13Y", 156),
        ("P6Y", 72),
        ("P3Y", 36),
        ("P2Y", 24),
        ("P4Y8M", 56),
        ("P2M", 2),
    ]:
        assert duration_from_months(months) == lexical


# Virtuoso's answers, verbatim in form (measured): SPARQL XML results and N-Triples.
XML_ANSWER = b"""<sparql xmlns="http://www.w3.org/2005/sparql-results#">
 <head>
  <variable name="o"/>
 </head>
 <results distinct="false" ordered="true">
  <result>
   <binding name="o"><literal datatype="http://www.w3.org/2001/XMLSchema#duration">240</literal></binding>
  </result>
  <result>
   <binding name="o"><literal datatype="http://www.w3.org/2001/XMLSchema#yearMonthDuration">-14</literal></binding>
  </result>
  <result>
   <binding name="o"><literal datatype="http://www.w3.org/2001/XMLSchema#duration">1.5</literal></binding>
  </result>
  <result>
   <binding name="o"><literal datatype="http://www.w3.org/2001/XMLSchema#dayTimeDuration">129600.0</literal></binding>
  </result>
  <result>
   <binding name="o"><literal datatype="http://www.w3.org/2001/XMLSchema#duration">P1Y2M3DT4H</literal></binding>
  </result>
  <result>
   <binding name="o"><literal datatype="http://www.w3.org/2001/XMLSchema#integer">240</literal></binding>
  </result>
  <result>
   <binding name="o"><literal>240</literal></binding>
  </result>
 </results>
</sparql>
"""
RESTORED = [
    ox.Literal("P20Y", datatype=ox.NamedNode(XSD + "duration")),
    ox.Literal("-P1Y2M", datatype=ox.NamedNode(XSD + "yearMonthDuration")),
    # Seconds, printed as a double by Virtuoso: not derivable exactly, left as they are.
    ox.Literal("1.5", datatype=ox.NamedNode(XSD + "duration")),
    ox.Literal("129600.0", datatype=ox.NamedNode(XSD + "dayTimeDuration")),
    # A valid duration, and literals of other datatypes: untouched.
    ox.Literal("P1Y2M3DT4H", datatype=ox.NamedNode(XSD + "duration")),
    ox.Literal("240", datatype=ox.NamedNode(XSD + "integer")),
    ox.Literal("240"),
]


def test_xml_results() -> None:
    results = ox.parse_query_results(restore_durations(XML_ANSWER), ox.QueryResultsFormat.XML)
    assert isinstance(results, ox.QuerySolutions)
    assert [row["o"] for row in results] == RESTORED


def test_n_triples() -> None:
    answer = (
        b'<urn:s>\t<urn:v>\t"240"^^<http://www.w3.org/2001/XMLSchema#duration> .\n'
        b'<urn:s>\t<urn:v>\t"-14"^^<http://www.w3.org/2001/XMLSchema#yearMonthDuration> .\n'
        b'<urn:s>\t<urn:v>\t"1.5"^^<http://www.w3.org/2001/XMLSchema#duration> .\n'
        b'<urn:s>\t<urn:v>\t"129600.0"^^<http://www.w3.org/2001/XMLSchema#dayTimeDuration> .\n'
        b'<urn:s>\t<urn:v>\t"P1Y2M3DT4H"^^<http://www.w3.org/2001/XMLSchema#duration> .\n'
        b'<urn:s>\t<urn:v>\t"240"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
        b'<urn:s>\t<urn:v>\t"240" .\n'
    )
    triples = ox.parse(restore_durations(answer), ox.RdfFormat.N_TRIPLES)
    assert [t.object for t in triples] == RESTORED


def test_text_that_looks_like_a_duration_is_left_alone() -> None:
    """A string whose text is a typed duration (escaped quotes) is not a literal to restore."""
    text = '"240"^^<http://www.w3.org/2001/XMLSchema#duration>'
    string = ox.Literal(text)
    answer = f"<urn:s> <urn:v> {string} .\n".encode()
    assert restore_durations(answer) == answer
    escaped = text.replace("<", "&lt;").replace(">", "&gt;")
    xml = f"<binding name='o'><literal>{escaped}</literal></binding>".encode()
    assert restore_durations(xml) == xml


def test_an_answer_without_durations_is_returned_as_it_is() -> None:
    answer = b'<urn:s> <urn:v> "240"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
    assert restore_durations(answer) is answer


def test_edge_whitespace_of_literals_is_kept() -> None:
    """Virtuoso writes a literal's edge spaces raw, which pyoxigraph's XML parser trims."""
    xml = (
        b'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
        b'<head><variable name="o"/></head><results>'
        b'<result><binding name="o"><literal xml:lang="en"> a  b \n</literal></binding></result>'
        b'<result><binding name="o"><literal> </literal></binding></result>'
        b'<result><binding name="o"><literal>&#32;c</literal></binding></result>'
        b'<result><binding name="o"><uri>urn:x</uri></binding></result>'
        b"</results></sparql>"
    )
    rows = ox.parse_query_results(keep_edge_whitespace(xml), ox.QueryResultsFormat.XML)
    assert isinstance(rows, ox.QuerySolutions)
    assert [row["o"] for row in rows] == [
        ox.Literal(" a  b \n", language="en"),
        ox.Literal(" "),
        ox.Literal(" c"),
        ox.NamedNode("urn:x"),
    ]
