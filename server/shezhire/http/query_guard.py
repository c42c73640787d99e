"""What a query must pass before pyoxigraph sees it: SERVICE only to allow-listed endpoints, and
no nesting deep enough to exhaust a stack.

:func:`check` runs inside a query worker (killable, time-limited), never on the event loop. An
ordinary query costs a few linear scans of its text (0.3 us for a short query, 5 us for 3 KB).
Only a query that

* mentions ``service`` in any letter case, anywhere (pyoxigraph's SERVICE keyword is ASCII, and
  it does not expand ``\\u`` escapes outside strings and IRIs, so a SERVICE clause always shows
  the word), or uses a codepoint escape (``\\u``, ``\\U``), or
* has more than :data:`MAX_QUERY_NESTING` opening brackets (``{``, ``(``, ``[``; at most that
  many means at most that deep),

is parsed with rdflib's SPARQL parser, within a recursion budget sized for
:data:`MAX_QUERY_NESTING` levels of the parser's hungriest construct (a RecursionError means
too deep). A query the parser refuses is refused (400, with the parser's message): nothing the
check cannot read runs. Every SERVICE endpoint found must be an IRI (after PREFIX and BASE) in the
allow-list; a variable endpoint is refused.

With codepoint escapes the query has two readings: pyoxigraph's (escapes count only inside
strings and IRIs; checked on a copy whose escapes lose their backslash, which keeps every string,
IRI and comment where it is) must parse, and the SPARQL specification's (escapes expanded before
parsing) is checked too when it parses: a SERVICE either reading shows is held to the allow-list.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Any
from urllib.parse import urljoin, urlsplit

# Deepest bracket nesting guaranteed to be accepted. pyoxigraph 0.5 overflows an 8 MiB stack
# (a segfault) at 837 nested FILTER EXISTS, 954 nested function calls, 2,190 nested groups.
MAX_QUERY_NESTING = 100
# Python frames rdflib's parser needs per level of nesting: at most 41 measured (nested function
# calls; groups 26, blank-node lists 13), plus what an ordinary query needs (107).
PARSE_FRAMES_PER_LEVEL = 45
PARSE_FRAMES_BASE = 300
PARSE_RECURSION_BUDGET = PARSE_FRAMES_BASE + PARSE_FRAMES_PER_LEVEL * MAX_QUERY_NESTING

_MAY_NAME_A_DATASET = re.compile(
    r"\bfrom(?:\s|#[^\n]*\n)+(?:named\b|<|[A-Za-z_][\w.-]*:|:)", re.IGNORECASE
)
_CODEPOINT_ESCAPE = re.compile(r"\\(\\|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})")
_LOCAL_ESCAPE = re.compile(r"\\(.)")
# rdflib records each SERVICE clause's text by searching the whole query again from its start,
# once per clause and per backtrack: quadratic (100 clauses in 3 KB took 5 s) and wrong when a
# '#' in an IRI or string comes first (taken for a comment: the clause is not found and the parse
# fails). That text is only for rdflib's own evaluator; the search is pointed at this instead.
_SERVICE_STAND_IN = "SERVICE <x:> {}"


@dataclass(frozen=True)
class Verdict:
    """``status`` 0: the query may run; otherwise the status and message to answer with."""

    status: int = 0
    message: str = ""
    services: tuple[str, ...] = ()  # the SERVICE endpoints it calls (all allow-listed)


ACCEPTED = Verdict()


class _Unresolvable(Exception):
    """A SERVICE endpoint whose prefix is not declared."""


def opening_brackets(query: str) -> int:
    return query.count("{") + query.count("(") + query.count("[")


def check(query: str, base_iri: str | None, allowlist: Collection[str]) -> Verdict:
    """Decide whether ``query`` may run; see the module docstring."""
    escaped = "\\" in query and ("\\u" in query or "\\U" in query)  # "\\" alone: memchr
    if (
        not escaped
        and "service" not in query.lower()
        and opening_brackets(query) <= MAX_QUERY_NESTING
    ):
        return ACCEPTED
    # pyoxigraph's reading; rdflib ends a comment only at \n, pyoxigraph at \r too.
    text = _without_codepoint_escapes(query) if escaped else query
    try:
        tree = _parse(text.replace("\r", "\n"), expand_escapes=False)
        targets = _service_endpoints(tree, base_iri)
    except RecursionError:
        return Verdict(
            400,
            f"The query is nested too deeply: at most {MAX_QUERY_NESTING} levels of brackets "
            "are accepted.",
        )
    except MemoryError:
        raise
    except Exception as error:  # pyparsing's ParseException, rdflib's, _Unresolvable
        return Verdict(400, f"Query syntax error: {error}")
    if escaped:  # the specification's reading, when it has one
        try:
            targets += _service_endpoints(
                _parse(query.replace("\r", "\n"), expand_escapes=True), base_iri
            )
        except MemoryError:
            raise
        except Exception:  # noqa: S110 - pyoxigraph's reading decides what is valid
            pass
    return _against_allowlist(targets, allowlist)


def _against_allowlist(targets: list[str], allowlist: Collection[str]) -> Verdict:
    allowed = ", ".join(sorted(allowlist)) or "none"
    for target in targets:
        if target.startswith("?"):
            return Verdict(
                403,
                f"SERVICE {target} refused: a SERVICE endpoint must be an IRI from this "
                f"endpoint's allow-list (service_allowlist: {allowed}), not a variable.",
            )
        if target not in allowlist:
            return Verdict(
                403,
                f"SERVICE <{target}> refused: this endpoint makes no outbound requests except "
                f"to its allow-list (service_allowlist: {allowed}).",
            )
    return Verdict(services=tuple(dict.fromkeys(targets)))


def service_failed(services: Collection[str]) -> str:
    """The message for a query with SERVICE that failed: never the remote's reply."""
    names = ", ".join(f"<{s}>" for s in services)
    return f"Query evaluation error: the SERVICE call to {names} failed."


def _without_codepoint_escapes(query: str) -> str:
    """``\\uXXXX`` -> ``uXXXX`` (an escaped backslash ``\\\\`` is left as it is)."""
    return _CODEPOINT_ESCAPE.sub(lambda m: m[0] if m[1] == "\\" else m[1], query)


def _frames() -> int:
    depth = 0
    frame: FrameType | None = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth


def _parse(text: str, *, expand_escapes: bool) -> Any:
    """rdflib's parse tree of a query, within :data:`PARSE_RECURSION_BUDGET` frames.

    The recursion limit and the SERVICE hook are the interpreter's and rdflib's, for the time of
    the parse: a worker answers one job at a time.
    """
    from rdflib.plugins.sparql import parser  # noqa: PLC0415 - 0.3 s: only workers that need it

    service = parser.ServiceGraphPattern
    stock: Callable[[str, int, Any], Any] = service.postParse
    limit = sys.getrecursionlimit()
    setattr(service, "postParse", lambda _text, loc, tokens: stock(_SERVICE_STAND_IN, 0, tokens))  # noqa: B010
    sys.setrecursionlimit(_frames() + PARSE_RECURSION_BUDGET)
    try:
        if expand_escapes:
            return parser.parseQuery(text)
        return parser.Query.parse_string(text, parse_all=True)
    finally:
        sys.setrecursionlimit(limit)
        delattr(service, "postParse")


@dataclass(frozen=True)
class Outline:
    """What a remote store needs to know of a query: its BASE and PREFIXes, and whether it
    names its own dataset (FROM or FROM NAMED)."""

    base: str
    prefixes: dict[str, str]
    has_dataset_clause: bool

    def resolve(self, term: Any) -> str | None:
        """The IRI of an rdflib IRI token (an IRIREF or a prefixed name); None if unresolvable."""
        from rdflib.plugins.sparql.parserutils import CompValue  # noqa: PLC0415

        if isinstance(term, CompValue):
            prefix = str(dict.get(term, "prefix") or "")
            if prefix not in self.prefixes:
                return None
            local = _LOCAL_ESCAPE.sub(r"\1", str(dict.get(term, "localname") or ""))
            return self.prefixes[prefix] + local
        return _resolve(self.base, str(term))


def outline(query: str, base_iri: str | None) -> Outline:
    """The query's :class:`Outline`, read by rdflib's parser (its errors propagate)."""
    from pyparsing import ParseResults  # noqa: PLC0415
    from rdflib.plugins.sparql.parserutils import CompValue  # noqa: PLC0415

    tree = _parse(query.replace("\r", "\n"), expand_escapes=False)
    base, prefixes = _prologue(tree, base_iri)
    dataset = any(n.name == "DatasetClause" for n in _nodes(tree, CompValue, ParseResults))
    return Outline(base, prefixes, dataset)


def may_name_a_dataset(query: str) -> bool:
    """Whether the query shows what a FROM or FROM NAMED clause is made of: the keyword, then
    (past white space and comments) NAMED, an IRI or a prefixed name. A query that does not
    has no such clause; one that does may (a string or a comment can show it too)."""
    return _MAY_NAME_A_DATASET.search(query) is not None


def names_dataset(query: str, base_iri: str | None) -> bool:
    """Whether the query has FROM or FROM NAMED (then it, not the union, is its dataset).

    Only a query that :func:`may_name_a_dataset` is parsed (40 ms for a page's query). A query
    rdflib cannot read is left to pyoxigraph, whose parser gives the client its message."""
    if not may_name_a_dataset(query):
        return False
    try:
        return outline(query, base_iri).has_dataset_clause
    except MemoryError:
        raise
    except Exception:
        return False


def _prologue(tree: Any, base_iri: str | None) -> tuple[str, dict[str, str]]:
    base = base_iri or ""
    prefixes: dict[str, str] = {}
    for declaration in tree[0]:
        iri = str(dict.get(declaration, "iri", ""))
        if declaration.name == "Base":
            base = _resolve(base, iri)
        elif declaration.name == "PrefixDecl":
            prefixes[str(dict.get(declaration, "prefix") or "")] = _resolve(base, iri)
    return base, prefixes


def _service_endpoints(tree: Any, base_iri: str | None) -> list[str]:
    """The endpoint of every SERVICE clause in the tree: an IRI, or ``?name`` for a variable."""
    from pyparsing import ParseResults  # noqa: PLC0415
    from rdflib.plugins.sparql.parserutils import CompValue  # noqa: PLC0415
    from rdflib.term import Variable  # noqa: PLC0415

    base, prefixes = _prologue(tree, base_iri)
    targets: list[str] = []
    for clause in _nodes(tree, CompValue, ParseResults):
        if clause.name != "ServiceGraphPattern":
            continue
        term = dict.get(clause, "term")
        if isinstance(term, Variable):
            targets.append(f"?{term}")
        elif isinstance(term, CompValue):  # a prefixed name
            prefix = str(dict.get(term, "prefix") or "")
            if prefix not in prefixes:
                raise _Unresolvable(f"the prefix {prefix}: of a SERVICE endpoint is not declared")
            local = _LOCAL_ESCAPE.sub(r"\1", str(dict.get(term, "localname") or ""))
            targets.append(prefixes[prefix] + local)
        else:
            targets.append(_resolve(base, str(term)))
    return targets


def _resolve(base: str, iri: str) -> str:
    return iri if urlsplit(iri).scheme or not base else urljoin(base, iri)


def _nodes(tree: Any, comp_value: type[Any], parse_results: type[Any]) -> Iterator[Any]:
    """Every CompValue in a parse tree, without recursion."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, comp_value):
            yield node
            stack.extend(dict.values(node))
        elif isinstance(node, list | tuple | parse_results):
            stack.extend(node)
