"""The framework-free parts of the core, called directly: protocol parsing, negotiation, the
example-query reader. (SERVICE detection: test_service_guard.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from shezhire.http.formats import GraphFormat, ResultsFormat
from shezhire.http.negotiation import negotiate_query, parse_accept
from shezhire.http.protocol import ProtocolError, parse_operation
from shezhire.http.routers.queries import read_examples


def test_parse_operation_merges_url_and_form() -> None:
    op = parse_operation(
        "POST",
        b"default-graph-uri=http%3A%2F%2Fg%2F1",
        "application/x-www-form-urlencoded; charset=UTF-8",
        b"query=ASK+%7B%7D&named-graph-uri=http%3A%2F%2Fg%2F2",
    )
    assert op.query == "ASK {}"
    assert op.default_graphs == ("http://g/1",)
    assert op.named_graphs == ("http://g/2",)


def test_parse_operation_decodes_once() -> None:
    # %2541 is "%41" after one decoding; decoding twice would give "A".
    op = parse_operation("GET", b"query=%2541", None, b"")
    assert op.query == "%41"


@pytest.mark.parametrize(
    ("method", "qs", "ctype", "body", "status"),
    [
        ("POST", b"", "text/plain", b"ASK {}", 415),
        ("POST", b"", None, b"query=ASK", 415),
        ("POST", b"query=ASK", "application/sparql-query", b"ASK {}", 400),
        ("GET", b"query=a&query=b", None, b"", 400),
        ("GET", b"query=%FF", None, b"", 400),
        ("POST", b"", "application/sparql-query; charset=latin-1", b"ASK {}", 415),
    ],
)
def test_parse_operation_errors(
    method: str, qs: bytes, ctype: str | None, body: bytes, status: int
) -> None:
    with pytest.raises(ProtocolError) as error:
        parse_operation(method, qs, ctype, body)
    assert error.value.status == status


def test_negotiation_tables() -> None:
    assert negotiate_query(None) == (ResultsFormat.JSON, GraphFormat.TURTLE)
    assert negotiate_query("text/csv;q=0.5, application/n-triples") == (
        ResultsFormat.CSV,
        GraphFormat.NTRIPLES,
    )
    assert negotiate_query("image/png") == (None, None)
    assert negotiate_query("*/*", "tsv") == (ResultsFormat.TSV, None)
    assert parse_accept("text/html;level=1;q=0.5, bad, */*;q=x") == (
        ("text", "html", 0.5),
        ("*", "*", 0.0),
    )


def test_read_examples(tmp_path: Path) -> None:
    (tmp_path / "01-a.rq").write_text(
        "# title: First\n# description: Line one\n# description: line two\nSELECT * {}\n"
    )
    (tmp_path / "02-b.rq").write_text("SELECT * {}\n")
    first, second = read_examples(tmp_path)
    assert (first.name, first.title, first.description) == ("01-a", "First", "Line one line two")
    assert (second.title, second.description) == ("02-b", "")
