"""The name index of one build: every name of every person, institution, place, legal act,
archival item and publication, searchable across scripts, spellings, typos and name order.

``build_name_index(store)`` reads the names once (see :data:`NAME_PREDICATES`), turns each into
its readings (:mod:`shezhire.search.names`) and indexes their keys. ``name_index(dataset)`` is
the index of a loaded build, made on first use and kept with it (``Dataset.memo``: one per
snapshot, built once even when requests race for it).

``NameIndex.search(query)`` finds candidates by key (exact, prefix, then fuzzy over the
vocabulary with rapidfuzz), then scores each candidate name against the query, whatever the
order of the words: each query word is paired with the name word most like it (an initial
pairs with a word it begins, ``P.`` with ``Petr``); the score is the weighted share of the
query that was found, less a little for each word of the name the query did not mention.
A score is 0-100; 100 is an exact match of one of the entity's names.
"""

from __future__ import annotations

import bisect
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox
from rapidfuzz import fuzz, process

from shezhire.backend.interface import GraphStore
from shezhire.linked_data.graph import DCTERMS, RDF_TYPE, RDFS, SCHEMA, SHZ, SKOS, Dataset
from shezhire.search.names import Kind, Reading, Token, name_variants, readings

FOAF = "http://xmlns.com/foaf/0.1/"

# What a result's "type" says -> the classes whose members are of that type (first wins).
TYPES: dict[str, tuple[str, ...]] = {
    "person": (SHZ + "Person",),
    "institution": (SHZ + "Institution",),
    "place": (SHZ + "Place",),
    "act": (SHZ + "LegalAct",),
    "item": (SHZ + "ArchivalItem",),
    "work": (SHZ + "Publication", SHZ + "SourceText"),
}

# Properties whose values are names (each value is matched on its own).
NAME_PREDICATES: tuple[str, ...] = (
    RDFS + "label",
    SKOS + "prefLabel",
    SKOS + "altLabel",
    SKOS + "hiddenLabel",
    SCHEMA + "name",
    SCHEMA + "alternateName",
    FOAF + "name",
    SHZ + "nameAsWritten",
    SHZ + "historicalName",
    SHZ + "currentName",
    SHZ + "title",
    DCTERMS + "title",
    DCTERMS + "alternative",
)
# The names an entity goes by now (not variants, former names or spellings): among results of
# equal score, an entity matched on one of these comes first ("Almaty" is the city's current
# name and only a variant of the oblast's).
PRIMARY_PREDICATES = frozenset(
    {RDFS + "label", SKOS + "prefLabel", SCHEMA + "name", SHZ + "currentName", SHZ + "title"}
)
# Parts of a person's name: each family name is a name on its own ("Khomutnikov"), and the
# parts together are one more ("Petr Vasilievich Khomutnikov").
GIVEN = (SCHEMA + "givenName", FOAF + "givenName")
PATRONYMIC = (SHZ + "patronymic",)
FAMILY = (SCHEMA + "familyName", FOAF + "familyName")
PSEUDONYM_CLASS = SHZ + "EditorialPseudonym"
UNNAMED = SHZ + "unnamed"
XSD_BOOLEAN = ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")

# How much a query word counts (coverage) and what an unmatched name word costs (penalty).
WEIGHT = {Kind.WORD: 1.0, Kind.NUMBER: 1.0, Kind.INITIAL: 0.35, Kind.STOP: 0.15}
PENALTY = {Kind.WORD: 0.07, Kind.NUMBER: 0.05, Kind.INITIAL: 0.02, Kind.STOP: 0.01}
MAX_PENALTY = 0.5
# A person the source does not name is known by a description ("Wife of Petr ..."): it ranks
# below the named persons that the same words describe.
UNNAMED_FACTOR = 0.8
# rapidfuzz ratio (0-100) a word needs to count as a misspelling of another: stricter for short
# words, where one letter is a larger share.
FUZZY_CUTOFF = 75.0
FUZZY_CUTOFF_SHORT = 85.0
SHORT_WORD = 5
FUZZY_MIN_LENGTH = 4
FUZZY_CANDIDATES = 40
PREFIX_MIN_LENGTH = 2
PREFIX_CANDIDATES = 300
MAX_TOKENS = 40  # of one name (titles can be long); the rest is not matched
MIN_SCORE = 45.0
MAX_CANDIDATES = 600  # names scored for one query
MAX_QUERY_LENGTH = 300


@dataclass(frozen=True, slots=True)
class Entity:
    iri: str
    type: str  # a key of TYPES
    label: str
    pseudonym: bool
    unnamed: bool


@dataclass(frozen=True, slots=True)
class Name:
    entity: int
    text: str  # as the data writes it
    reading: Reading
    primary: bool  # from PRIMARY_PREDICATES
    token_ids: tuple[int, ...]  # one id per distinct word of the index (QueryScorer's memo)
    penalties: tuple[float, ...]  # what each word costs when the query does not mention it


@dataclass(frozen=True, slots=True)
class Hit:
    entity: Entity
    score: float
    matched: str  # the name that matched best
    primary: bool = False  # ... and it is a name the entity goes by now


@dataclass
class NameIndex:
    entities: list[Entity]
    names: list[Name]
    vocabulary: dict[str, list[int]]  # key -> ids of the names that have it
    texts: list[list[str]] = field(default_factory=list)  # each entity's names as written
    build_seconds: float = 0.0
    by_iri: dict[str, int] = field(default_factory=dict)
    _keys: list[str] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._keys = sorted(self.vocabulary)
        self.by_iri = {e.iri: i for i, e in enumerate(self.entities)}

    def entity(self, iri: str) -> Entity | None:
        found = self.by_iri.get(iri)
        return self.entities[found] if found is not None else None

    def names_of(self, iri: str) -> list[str]:
        """Every name of the entity as the data writes it (its label first)."""
        found = self.by_iri.get(iri)
        if found is None:
            return []
        label = self.entities[found].label
        return [label, *(t for t in self.texts[found] if t != label)]

    # -- search -----------------------------------------------------------------------------

    def search(self, query: str, types: Iterable[str] | None = None, limit: int = 20) -> list[Hit]:
        """Entities whose names match ``query``, best first (at most ``limit``)."""
        query = query.strip()[:MAX_QUERY_LENGTH]
        if not query or limit <= 0:
            return []
        wanted = set(types) if types else None
        query_readings: list[Reading] = []
        seen: set[tuple[tuple[str, ...], ...]] = set()
        for variant in name_variants(query):
            for reading in readings(variant):
                signature = tuple(t.keys for t in reading)
                if signature not in seen:
                    seen.add(signature)
                    query_readings.append(reading)
        if not query_readings:
            return []
        best: dict[int, tuple[float, bool, str]] = {}
        scorers = [QueryScorer(r) for r in query_readings]
        candidates = self._candidates(query_readings)
        # the likeliest first, and no more than MAX_CANDIDATES: a query of common words
        # ("Kazakh", "district") would otherwise score hundreds of long titles
        ranked = sorted(
            (n for n, bound in candidates.items() if bound >= MIN_SCORE),
            key=lambda n: -candidates[n],
        )
        scored = 0
        for name_id in ranked:
            name = self.names[name_id]
            entity = self.entities[name.entity]
            if wanted is not None and entity.type not in wanted:
                continue
            scored += 1
            if scored > MAX_CANDIDATES:
                break
            score = max(scorer.score(name) for scorer in scorers)
            if entity.unnamed:
                score *= UNNAMED_FACTOR
            candidate = (round(score, 1), name.primary, name.text)
            current = best.get(name.entity)
            if current is None or candidate[:2] > current[:2]:
                best[name.entity] = candidate
        hits = [
            Hit(self.entities[i], score, matched, primary)
            for i, (score, primary, matched) in best.items()
            if score >= MIN_SCORE
        ]
        hits.sort(
            key=lambda h: (
                -h.score,
                not h.primary,
                h.entity.unnamed,
                len(h.entity.label),
                h.entity.label,
            )
        )
        return hits[:limit]

    def _candidates(self, query_readings: Sequence[Reading]) -> dict[int, float]:
        """Names that share a key with the query, begin with one, or misspell one, each with
        the most it can score (the weighted share of the query words that found it).

        Any word may be a prefix of a name's word when it is long enough to say something;
        the last word (what a reader is still typing) may be shorter."""
        bounds: dict[int, float] = {}
        for reading in query_readings:
            total = sum(WEIGHT[t.kind] for t in reading)
            content = [t for t in reading if t.kind in (Kind.WORD, Kind.NUMBER)]
            if not content:
                content = [t for t in reading if t.kind is Kind.STOP]
            # words that find no candidates (initials) may still match: counted as found
            free = total - sum(WEIGHT[t.kind] for t in content)
            shares: dict[int, float] = {}
            for position, token in enumerate(content):
                found = self._names_for(token, last=position == len(content) - 1)
                for name_id in found:
                    shares[name_id] = shares.get(name_id, 0.0) + WEIGHT[token.kind]
            for name_id, share in shares.items():
                bound = 100.0 * (share + free) / total if total else 0.0
                if bound > bounds.get(name_id, 0.0):
                    bounds[name_id] = bound
        return bounds

    def _names_for(self, token: Token, last: bool) -> set[int]:
        found: set[int] = set()
        for key in token.keys:
            found.update(self.vocabulary.get(key, ()))
            if token.kind is Kind.NUMBER:
                continue
            if len(key) >= PREFIX_MIN_LENGTH + (0 if last else 1):
                start = bisect.bisect_left(self._keys, key)
                for other in self._keys[start : start + PREFIX_CANDIDATES]:
                    if not other.startswith(key):
                        break
                    found.update(self.vocabulary[other])
            if len(key) >= FUZZY_MIN_LENGTH:
                cutoff = FUZZY_CUTOFF if len(key) >= SHORT_WORD else FUZZY_CUTOFF_SHORT
                for other, _score, _index in process.extract(
                    key, self._keys, scorer=fuzz.ratio, score_cutoff=cutoff, limit=FUZZY_CANDIDATES
                ):
                    found.update(self.vocabulary[other])
        return found


# -- scoring -------------------------------------------------------------------------------------


def word_similarity(a: str, b: str) -> float:
    """How alike query key ``a`` and name key ``b`` are (0-100): equal, misspelt, or a prefix."""
    if a == b:
        return 100.0
    best = 0.0
    shortest = min(len(a), len(b))
    if shortest >= FUZZY_MIN_LENGTH:
        cutoff = FUZZY_CUTOFF if shortest >= SHORT_WORD else FUZZY_CUTOFF_SHORT
        best = float(fuzz.ratio(a, b, score_cutoff=cutoff))
    if len(a) >= PREFIX_MIN_LENGTH and b.startswith(a):
        # what a reader types so far: the longer the prefix, the surer
        best = max(best, 80.0 + 20.0 * len(a) / len(b))
    return best


def token_similarity(query: Token, name: Token) -> float:
    exact_only = (Kind.NUMBER, Kind.STOP)
    if query.kind in exact_only or name.kind in exact_only:
        return 100.0 if query.kind is name.kind and query.key == name.key else 0.0
    if query.kind is Kind.INITIAL:
        if any(n.startswith(q) for q in query.keys for n in name.keys):
            return 100.0
        if name.kind is Kind.INITIAL and any(
            q.startswith(n) for q in query.keys for n in name.keys
        ):
            return 90.0
        return 0.0
    if name.kind is Kind.INITIAL:
        # a full word for an initial: likely, not certain
        return 95.0 if any(q.startswith(n) for q in query.keys for n in name.keys) else 0.0
    return max(word_similarity(q, n) for q in query.keys for n in name.keys)


class QueryScorer:
    """Scores names against one reading of a query.

    Names share most of their words, so each (query word, index word) pair is compared once
    per search and remembered by the index word's id."""

    def __init__(self, query: Reading) -> None:
        self.query = query
        self.weights = [WEIGHT[t.kind] for t in query]
        self.total = sum(self.weights)
        self.memo: list[dict[int, float]] = [{} for _ in query]

    def score(self, name: Name) -> float:
        """0-100: how well ``name`` answers the query, in any word order."""
        if self.total <= 0:
            return 0.0
        pairs: list[tuple[float, int, int]] = []
        words = name.reading
        for i, q in enumerate(self.query):
            row = self.memo[i]
            for j, word_id in enumerate(name.token_ids):
                similarity = row.get(word_id)
                if similarity is None:
                    similarity = row[word_id] = token_similarity(q, words[j])
                if similarity > 0:
                    pairs.append((similarity, i, j))
        if not pairs:
            return 0.0
        pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
        matched = [0.0] * len(self.query)
        used_query: set[int] = set()
        used_name: set[int] = set()
        for similarity, i, j in pairs:
            if i in used_query or j in used_name:
                continue
            used_query.add(i)
            used_name.add(j)
            matched[i] = similarity
        coverage = sum(w * m for w, m in zip(self.weights, matched, strict=True)) / self.total
        penalty = sum(name.penalties) - sum(name.penalties[j] for j in used_name)
        return coverage * (1.0 - min(MAX_PENALTY, penalty))


def match_score(query: Reading, name: Reading) -> float:
    """0-100: how well the words of ``name`` answer ``query`` (see :class:`QueryScorer`)."""
    penalties = tuple(PENALTY[t.kind] for t in name)
    return QueryScorer(query).score(Name(0, "", name, False, tuple(range(len(name))), penalties))


# -- building -------------------------------------------------------------------------------------

_CITATION = re.compile(r"(.{1,80}?\b\d{4}[a-z]?)\b")


def citation_form(label: str) -> str | None:
    """How a publication is cited: its label up to the year ("Atantayeva et al. 2025")."""
    found = _CITATION.match(label)
    return found.group(1) if found and found.group(1) != label else None


def _literals(store: GraphStore, predicate: str) -> Iterable[tuple[str, ox.Literal]]:
    for quad in store.quads_for_pattern(None, ox.NamedNode(predicate), None, None):
        if isinstance(quad.subject, ox.NamedNode) and isinstance(quad.object, ox.Literal):
            yield quad.subject.value, quad.object


def _subjects(
    store: GraphStore, predicate: ox.NamedNode, obj: ox.NamedNode | ox.Literal
) -> set[str]:
    return {
        q.subject.value
        for q in store.quads_for_pattern(None, predicate, obj, None)
        if isinstance(q.subject, ox.NamedNode)
    }


def _display_labels(store: GraphStore, iris: Iterable[str]) -> dict[str, str]:
    """rdfs:label@en, else an unmarked label, else any (as the pages choose)."""
    wanted = set(iris)
    ranked: dict[str, tuple[int, str]] = {}
    for iri, literal in _literals(store, RDFS + "label"):
        if iri not in wanted:
            continue
        lang = (literal.language or "").lower()
        rank = 0 if lang == "en" else 1 if not lang else 2
        current = ranked.get(iri)
        if current is None or (rank, literal.value) < current:
            ranked[iri] = (rank, literal.value)
    return {iri: value for iri, (_rank, value) in ranked.items()}


def build_name_index(store: GraphStore, labels: Mapping[str, str] | None = None) -> NameIndex:
    """Read every name of the store's persons, institutions, places, acts, items and works."""
    started = time.perf_counter()
    kinds: dict[str, str] = {}
    for kind, classes in TYPES.items():
        for cls in classes:
            for iri in sorted(_subjects(store, RDF_TYPE, ox.NamedNode(cls))):
                kinds.setdefault(iri, kind)
    pseudonyms = _subjects(store, RDF_TYPE, ox.NamedNode(PSEUDONYM_CLASS))
    unnamed = _subjects(store, ox.NamedNode(UNNAMED), ox.Literal("true", datatype=XSD_BOOLEAN))

    texts: dict[str, dict[str, bool]] = {iri: {} for iri in kinds}  # name -> primary

    def add(iri: str, text: str, primary: bool) -> None:
        names = texts[iri]
        names[text] = names.get(text, False) or primary

    for predicate in NAME_PREDICATES:
        for iri, literal in _literals(store, predicate):
            if iri in texts:
                add(iri, literal.value, predicate in PRIMARY_PREDICATES)
    parts: dict[str, dict[str, list[str]]] = {}
    for group, predicates in (("given", GIVEN), ("patronymic", PATRONYMIC), ("family", FAMILY)):
        for predicate in predicates:
            for iri, literal in _literals(store, predicate):
                if iri in texts:
                    parts.setdefault(iri, {}).setdefault(group, []).append(literal.value)
    for iri, groups in parts.items():
        family = sorted(set(groups.get("family", [])))
        for surname in family:
            add(iri, surname, False)
        for given in sorted(set(groups.get("given", []))) or [""]:
            for patronymic in sorted(set(groups.get("patronymic", []))) or [""]:
                for surname in family or [""]:
                    whole = " ".join(p for p in (given, patronymic, surname) if p)
                    if whole and whole != surname:
                        add(iri, whole, False)

    shown = dict(labels) if labels is not None else _display_labels(store, kinds)
    for iri, kind in kinds.items():
        if kind == "work":
            # works are cited by author and year more often than by title
            for text in list(texts[iri]):
                cited = citation_form(text)
                if cited:
                    add(iri, cited, False)
    entities: list[Entity] = []
    names: list[Name] = []
    entity_texts: list[list[str]] = []
    vocabulary: dict[str, set[int]] = {}
    readings_of: dict[str, list[Reading]] = {}
    # an id per distinct word, so that a search compares each word once (QueryScorer)
    word_ids: dict[Token, int] = {}
    for iri in sorted(kinds):
        values = sorted(texts[iri].items(), key=lambda item: (not item[1], item[0]))
        label = shown.get(iri) or (values[0][0] if values else iri.rsplit("/", 1)[-1])
        entity_id = len(entities)
        entities.append(Entity(iri, kinds[iri], label, iri in pseudonyms, iri in unnamed))
        entity_texts.append([text for text, _primary in values])
        seen: set[tuple[tuple[str, ...], ...]] = set()
        for text, primary in values or [(label, True)]:
            for variant in name_variants(text):
                if variant not in readings_of:
                    readings_of[variant] = readings(variant)
                for full_reading in readings_of[variant]:
                    reading = full_reading[:MAX_TOKENS]
                    signature = tuple(t.keys for t in reading)
                    if signature in seen:
                        continue
                    seen.add(signature)
                    name_id = len(names)
                    ids = tuple(word_ids.setdefault(t, len(word_ids)) for t in reading)
                    penalties = tuple(PENALTY[t.kind] for t in reading)
                    names.append(Name(entity_id, text, reading, primary, ids, penalties))
                    for token in reading:
                        if token.kind is Kind.INITIAL:
                            continue  # a letter finds everything; initials only score
                        for key in token.keys:
                            vocabulary.setdefault(key, set()).add(name_id)
    return NameIndex(
        entities,
        names,
        {key: sorted(ids) for key, ids in vocabulary.items()},
        entity_texts,
        build_seconds=time.perf_counter() - started,
    )


NAME_INDEX_KEY = "name-index"


def name_index(dataset: Dataset) -> NameIndex:
    """The index of ``dataset``'s build, made once (thread-safe) and kept with it."""
    index = dataset.memo(NAME_INDEX_KEY, lambda: build_name_index(dataset.store, dataset.labels))
    assert isinstance(index, NameIndex)
    return index
