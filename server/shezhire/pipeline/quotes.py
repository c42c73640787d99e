"""The quote check: every ``oa:exact`` occurs verbatim in the text registered for its source.

A quote is the ``oa:exact`` of a node in a data file: a citation (a blank node hanging off the
fact it supports) or a node that quotes for itself (an archival reference). The node names its
publication with ``shz:publication``; the publication registers its plain text with
``shz:sourceFile`` (a file name, looked up in the texts folder given with ``--texts`` or
SHEZHIRE_TEXTS_DIR). The quote must occur in that text; occurring in another is not enough.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from shezhire.errors import QuoteProblem, TreeError

OA_EXACT = ox.NamedNode("http://www.w3.org/ns/oa#exact")
PUBLICATION = ox.NamedNode("https://w3id.org/shezhire/ontology#publication")
SOURCE_FILE = ox.NamedNode("https://w3id.org/shezhire/ontology#sourceFile")
OA_HAS_SELECTOR = ox.NamedNode("http://www.w3.org/ns/oa#hasSelector")

# The tolerances, each one the curation rule of data/README.md (rule 1) that the quotes were
# checked against; none more, so a quote passes here exactly when it passed there.
_FOLD = str.maketrans(
    {
        # Typographic quotes: the texts print «», “” and ‘’ where a quote copied from another
        # rendering of the same article has straight ones (titles: «Sovietness» / 'Sovietness').
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        # En and em dashes: page and year ranges are printed with either ("308–330", "1929-1930").
        "\u2013": "-",
        "\u2014": "-",
        # A no-break space is a space to the reader.
        "\u00a0": " ",
    }
)
# `*` and `_` are Markdown emphasis of the plain-text conversion (*Qazaq Historical Review*),
# not characters the publication prints.
_EMPHASIS = re.compile(r"[*_]")
# Any run of white space is one space: the texts break lines (and pages) inside sentences.
# A word hyphenated at a line break is NOT joined: the quote must keep the hyphen ("special-
# settlers"), as the curation checker demands.
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """`text` folded as above, trimmed and lower-cased.

    Lower case: the curation checker compares without case (headings printed in capitals are
    quoted as they are printed or as a sentence), so this check does the same.
    """
    text = _EMPHASIS.sub("", text.translate(_FOLD))
    return _SPACE.sub(" ", text).strip().lower()


@dataclass(frozen=True)
class QuoteCount:
    """What a passing check covered."""

    quotes: int  # distinct quote texts
    citations: int  # oa:exact statements (one quote may be cited for several facts)
    texts: int  # registered texts the quotes were found in
    texts_dir: Path

    def describe(self) -> str:
        return (
            f"quotes: {self.quotes} ({self.citations} citations) found verbatim in "
            f"{self.texts} texts in {self.texts_dir}"
        )


def _term(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<{term.value}>"
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return str(term)


_CITING = (
    ox.NamedNode("https://w3id.org/shezhire/ontology#citation"),
    ox.NamedNode("https://w3id.org/shezhire/ontology#pseudonymDeclaredIn"),
)


def _fact(store: ox.Store, node: ox.NamedNode | ox.BlankNode) -> str:
    """The node the quote supports: climb from a citation (blank, or named by the build) to
    the IRI that carries it."""
    if isinstance(node, ox.NamedNode):
        for predicate in _CITING:
            holders = sorted(
                {q.subject for q in store.quads_for_pattern(None, predicate, node, None)},
                key=_term,
            )
            if holders and isinstance(holders[0], ox.NamedNode | ox.BlankNode):
                node = holders[0]
                break
    seen: set[ox.BlankNode] = set()
    current: ox.NamedNode | ox.BlankNode = node
    while isinstance(current, ox.BlankNode) and current not in seen:
        seen.add(current)
        holders = sorted(
            {q.subject for q in store.quads_for_pattern(None, None, current, None)},
            key=_term,
        )
        if not holders:
            break
        subject = holders[0]
        if not isinstance(subject, ox.NamedNode | ox.BlankNode):
            break
        current = subject
    return _term(current)


Object = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


def _values(
    store: ox.Store, subject: ox.NamedNode | ox.BlankNode, predicate: ox.NamedNode
) -> list[Object]:
    """The objects of `subject predicate` in any graph, in a stable order."""
    found = {q.object for q in store.quads_for_pattern(subject, predicate, None, None)}
    return sorted(found, key=_term)


def _text(term: Object) -> str:
    return term.value if isinstance(term, ox.Literal | ox.NamedNode | ox.BlankNode) else str(term)


class _Texts:
    """The registered texts of the folder, read and normalised once each."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._cache: dict[str, str | None] = {}

    def get(self, name: str) -> str | None:
        if name not in self._cache:
            path = self.folder / name
            # A registered name is a file in the folder, never a path out of it.
            if Path(name).name != name or name in ("", ".", "..") or not path.is_file():
                self._cache[name] = None
            else:
                self._cache[name] = normalise(path.read_text(encoding="utf-8"))
        return self._cache[name]

    @property
    def used(self) -> int:
        return sum(1 for text in self._cache.values() if text is not None)


def check(store: ox.Store, data_files: dict[str, Path], texts_dir: Path) -> QuoteCount:
    """Check every quote of the data graphs (graph IRI -> file) against its registered text.

    Raises QuoteProblem naming, one line each, the data file, the fact and the quote of every
    quote not found, and each publication whose text is not registered or not in `texts_dir`.
    """
    if not texts_dir.is_dir():
        raise TreeError(f"the texts folder {texts_dir} is not a folder")
    texts = _Texts(texts_dir)
    failures: list[str] = []
    # Publications whose text cannot be had: reported once each, with the quotes they leave
    # unchecked, rather than once per quote.
    unusable: dict[str, str] = {}
    unchecked: dict[str, int] = defaultdict(int)
    unchecked_files: dict[str, set[str]] = defaultdict(set)
    quotes: set[str] = set()
    citations = 0
    for quad in store.quads_for_pattern(None, OA_EXACT, None, None):
        graph = quad.graph_name
        if not isinstance(graph, ox.NamedNode) or graph.value not in data_files:
            continue
        node = quad.subject
        if not isinstance(node, ox.NamedNode | ox.BlankNode):
            continue
        if any(True for _ in store.quads_for_pattern(None, OA_HAS_SELECTOR, node, None)):
            continue  # the quote selector of a citation: the citation's own quote is checked
        quote = _text(quad.object)
        file = str(data_files[graph.value])
        citations += 1
        quotes.add(quote)
        wanted = normalise(quote)
        publications = _values(store, node, PUBLICATION)
        if not publications:
            failures.append(
                f"{file}: fact {_fact(store, node)}: the quote names no publication "
                f"(shz:publication): {quote!r}"
            )
            continue
        for publication in publications:
            key = _term(publication)
            names = (
                _values(store, publication, SOURCE_FILE)
                if isinstance(publication, ox.NamedNode | ox.BlankNode)
                else []
            )
            text = None
            if not names:
                unusable[key] = "has no registered text (shz:sourceFile)"
            elif len(names) > 1:
                unusable[key] = "registers more than one text (shz:sourceFile)"
            else:
                name = _text(names[0])
                text = texts.get(name)
                if text is None:
                    unusable[key] = (
                        f"registers the text {name!r}, which is not a file in {texts_dir}"
                    )
            if text is None:
                unchecked[key] += 1
                unchecked_files[key].add(file)
            elif not wanted or wanted not in text:
                # An empty quote (only emphasis marks) would occur in every text; it is no
                # evidence, so it fails too.
                failures.append(
                    f"{file}: fact {_fact(store, node)}: quote not in {_text(names[0])} "
                    f"(publication {key}): {quote!r}"
                )
    for key, reason in sorted(unusable.items()):
        files = ", ".join(sorted(unchecked_files[key]))
        failures.append(
            f"{files}: publication {key} {reason}; {unchecked[key]} quote(s) cited to it "
            "cannot be checked"
        )
    if failures:
        raise QuoteProblem(failures, len(quotes), texts_dir)
    return QuoteCount(len(quotes), citations, texts.used, texts_dir)
