"""Names as keys that match across scripts and transliteration schemes.

A name (``"Голощёкин"``, ``"Goloshchyokin"``, ``"F.I. Goloshchekin"``) becomes one or more
*readings*: tuples of :class:`Token`, each token a few *keys*. Two spellings of one Cyrillic
name share a key whatever scheme wrote them (BGN/PCGN, Library of Congress, ISO 9, the
scholarly system, Wikipedia's, the passport's ICAO 9303, the 2021 Kazakh Latin alphabet):

1. Cyrillic is read into Latin by the schemes a historian meets: ICU's BGN/PCGN transliterators
   for Russian and for Kazakh, ICU's ISO 9 (``Any-Latin``) and iuliia's Wikipedia and ICAO
   (passport) schemes. Each reading is kept; they mostly agree after step 3.
2. Every Latin text is folded to lower-case ASCII by ICU (``Any-Latin; Latin-ASCII``), after
   the diacritic letters whose ASCII fold would lose a sound are spelled out (``š`` is ``sh``,
   not ``s``; ISO 9's ``â`` is ``ia``).
3. Each word is reduced to a *skeleton*: the spellings that the schemes use for one Cyrillic
   letter become one (``kh``/``h``/``x`` for х, ``shch``/``sch``/``šč`` for щ, ``y``/``j``/``i``
   for й and ы, ``ya``/``ia``/``ja`` for я, ``ye``/``e`` for е, ``yo``/``ë``/``e`` for ё),
   doubled letters collapse (``Zhanbossinova``), ``q`` is ``k`` (Kazakh қ), ``gh`` is ``g``
   (ғ), ``ng`` is ``n`` (ң). Where a Latin spelling is ambiguous (``ch`` is х in German and
   Czech and ч in English; ``j`` is ж in Kazakh Latin and й elsewhere; ``c`` is ц in ISO 9 and
   Polish) the word keeps each reading as another key.

Tokens also say what they are: an initial (``P.``, ``Zh.``), a number, a function word (``of``,
``the``), or a word. The scorer (:mod:`shezhire.search.index`) weighs them differently.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache

import icu  # type: ignore[import-untyped]
import iuliia  # type: ignore[import-untyped]

# -- step 1: Cyrillic read into Latin ------------------------------------------------------------

_CYRILLIC = re.compile(r"[\u0400-\u04FF\u0500-\u052F]")
# The letters of Kazakh Cyrillic that Russian does not have.
_KAZAKH_LETTERS = re.compile("[әғқңөұүһіӘҒҚҢӨҰҮҺІ]")

# Kazakh letters spelled as Russian orthography spells Kazakh names (Қозыбаев is Козыбаев in a
# Russian text, and so Kozybaev in one transliterated from Russian). ICU ships no such
# transform: these nine pairs are the whole of it.
_KAZAKH_AS_RUSSIAN_RULES = """
ә > а ; Ә > А ; ғ > г ; Ғ > Г ; қ > к ; Қ > К ; ң > н ; Ң > Н ; ө > о ; Ө > О ;
ұ > у ; Ұ > У ; ү > у ; Ү > У ; һ > х ; Һ > Х ; і > и ; І > И ;
"""

# Step 2: letters whose plain ASCII fold would lose a sound are spelled out first (ISO 9,
# the scholarly system, Turkish and the 2021 Kazakh alphabet write one letter for a digraph);
# primes and apostrophes (ь, ъ) go, and so does BGN's middle dot ("Ts·er·en" for Цэрэн).
_FOLD_RULES = """
:: NFC ;
:: Lower ;
:: Any-Latin ;
ŝ > shch ; š > sh ; ş > sh ; ž > zh ; č > ch ; ç > ch ; ĉ > ch ; ẑ > dz ;
â > ia ; û > iu ; ə > a ;
[ʹʺ'’‘ʼˈˌ`´·] > ;
:: Latin-ASCII ;
:: NFD ;
:: [:Nonspacing Mark:] Remove ;
:: NFC ;
"""

_local = threading.local()


def _transliterators() -> dict[str, icu.Transliterator]:
    """ICU transliterators are not thread-safe: each thread builds its own, once."""
    cached: dict[str, icu.Transliterator] | None = getattr(_local, "transliterators", None)
    if cached is None:
        forward = icu.UTransDirection.FORWARD
        cached = {
            "ru": icu.Transliterator.createInstance("Russian-Latin/BGN"),
            "kk": icu.Transliterator.createInstance("Kazakh-Latin/BGN"),
            "kk-as-ru": icu.Transliterator.createFromRules(
                "shezhire-kk-ru", _KAZAKH_AS_RUSSIAN_RULES, forward
            ),
            "fold": icu.Transliterator.createFromRules("shezhire-fold", _FOLD_RULES, forward),
        }
        _local.transliterators = cached
    return cached


def latin_readings(text: str) -> list[str]:
    """``text`` in the Latin spellings a reader may meet it in (itself if it is Latin)."""
    if not _CYRILLIC.search(text):
        return [text]
    tr = _transliterators()
    readings: list[str] = []
    if _KAZAKH_LETTERS.search(text):
        readings.append(tr["kk"].transliterate(text))
        text = tr["kk-as-ru"].transliterate(text)
    readings.append(tr["ru"].transliterate(text))
    readings.append(iuliia.WIKIPEDIA.translate(text))
    readings.append(iuliia.ICAO_DOC_9303.translate(text))
    readings.append(text)  # the fold's Any-Latin reads it as ISO 9
    return list(dict.fromkeys(readings))


def fold(text: str) -> str:
    """Lower-case ASCII, sounds kept (``Goloŝëkin`` -> ``goloshchekin``)."""
    folded: str = _transliterators()["fold"].transliterate(text)
    return folded


# -- step 3: skeletons ---------------------------------------------------------------------------

# Applied in order to one folded word. Longer spellings first, so that ``shch`` is not read as
# ``s`` + ``hch``.
_FIRST = [
    (re.compile(r"shch|schtsch|szcz|shtsh|chtch"), "sh"),  # щ (ш-like for matching)
    (re.compile(r"tsch|tch|cz"), "ch"),  # ч in German, French, Polish
    (re.compile(r"sch|sz"), "sh"),  # ш in German, Polish
    (re.compile(r"kh"), "h"),  # х
    (re.compile(r"dzh"), "zh"),  # дж
]
_LAST = [
    (re.compile(r"x"), "ks"),
    (re.compile(r"q"), "k"),  # қ (Kazakh Latin)
    (re.compile(r"w"), "v"),  # German в
    (re.compile(r"ph"), "f"),
    (re.compile(r"gh"), "g"),  # ғ
    (re.compile(r"ng"), "n"),  # ң
    (re.compile(r"ou"), "u"),  # French у
    (re.compile(r"tz"), "ts"),
    (re.compile(r"y"), "i"),  # й, ы, and the y of ya, yu, ye, yo
    (re.compile(r"i+(?=e)"), ""),  # ye/ie/je/iye -> e: е
    (re.compile(r"io"), "e"),  # yo/io/jo -> e: ё (Pyotr, Goloshchyokin)
    (re.compile(r"(.)\1+"), r"\1"),  # doubled letters
]
MAX_KEYS = 4
MAX_MERGED_KEYS = 8  # of a word read by several schemes


def _finish(word: str) -> str:
    for pattern, replacement in _LAST:
        word = pattern.sub(replacement, word)
    return word


@lru_cache(maxsize=65536)
def skeletons(word: str) -> tuple[str, ...]:
    """The keys of one folded word: its skeleton, then those of its ambiguous spellings."""
    if word.isdigit():
        return (word,)
    for pattern, replacement in _FIRST:
        word = pattern.sub(replacement, word)
    spellings = [word]
    if "j" in word:
        # ж (Kazakh Latin, English "dj"/"j") or й/ь (ISO 9, scholarly, German)
        as_zh = re.sub(r"dj|j", "zh", word)
        as_i = word.replace("j", "i")
        after_vowel = re.search(r"[aeiouy]j", word) is not None
        spellings = [as_i, as_zh] if after_vowel else [as_zh, as_i]
    if re.search(r"c(?!h)", word):
        # ц (ISO 9, Polish, scholarly) or c as English writes it
        spellings += [re.sub(r"c(?!h)", "ts", s) for s in spellings]
    if "x" in word:
        # х in the scholarly system ("Xomutnikov"), ks in English
        spellings += [s.replace("x", "h") for s in spellings]
    if "ch" in word:
        # ч (English) or х (German, Czech, Polish): "Chomutnikov"
        spellings += [s.replace("ch", "h") for s in spellings]
    keys = dict.fromkeys(_finish(s) for s in spellings)
    return tuple(k for k in keys if k)[:MAX_KEYS]


# -- tokens ---------------------------------------------------------------------------------------


class Kind(IntEnum):
    WORD = 0
    INITIAL = 1
    NUMBER = 2
    STOP = 3


# Function words and forms of address: they weigh little in a name ("Comrade Aduchi").
STOP_WORDS = frozenset(
    {
        *("a", "an", "and", "at", "by", "de", "del", "der", "des", "di", "du", "en", "et"),
        *("for", "from", "in", "la", "le", "les", "of", "on", "the", "to", "van", "von"),
        *("comrade", "dr", "mr", "mrs", "ms", "prof"),
    }
)

_WORD = re.compile(r"([a-z]+|[0-9]+)(\.)?")


@dataclass(frozen=True, slots=True)
class Token:
    keys: tuple[str, ...]
    kind: Kind

    @property
    def key(self) -> str:
        return self.keys[0]


Reading = tuple[Token, ...]


def tokens(folded: str) -> Reading:
    """The tokens of a folded text: ``"f.i. goloshchekin"`` -> F (initial), I, GOLOSHCHEKIN."""
    found: list[Token] = []
    for match in _WORD.finditer(folded):
        word, dot = match.group(1), match.group(2)
        if word.isdigit():
            found.append(Token((word.lstrip("0") or "0",), Kind.NUMBER))
            continue
        # "A." is an initial, not the article
        initial = len(word) == 1 or (len(word) == 2 and dot is not None)
        if word in STOP_WORDS and not initial:
            found.append(Token((word,), Kind.STOP))
            continue
        keys = skeletons(word)
        if keys:
            found.append(Token(keys, Kind.INITIAL if initial else Kind.WORD))
    return tuple(found)


_PARENTHESES = re.compile(r"\s*[(\[][^)\]]*[)\]]")


def name_variants(name: str) -> list[str]:
    """The texts a name is matched as: itself, without its parenthetical remarks ("Aduchi
    (pseudonym)"), and with its hyphens closed up ("Alma-Ata" is also "AlmaAta")."""
    variants = [name]
    bare = _PARENTHESES.sub("", name).strip()
    if bare and bare != name:
        variants.append(bare)
    for text in list(variants):
        if "-" in text:
            variants.append(re.sub(r"(?<=\w)-(?=\w)", "", text))
    return list(dict.fromkeys(variants))


def readings(text: str) -> list[Reading]:
    """The distinct readings of ``text``: its Latin readings, folded and tokenized.

    Readings with the same shape (as many words, of the same kinds) are merged word by word,
    each word keeping the keys of all: the schemes mostly differ in a letter or two, and a
    scorer that takes the best key of each word then compares each name once, not per
    scheme."""
    text = unicodedata.normalize("NFC", text)
    merged: dict[tuple[Kind, ...], list[dict[str, None]]] = {}
    for latin in latin_readings(text):
        reading = tokens(fold(latin))
        if not reading:
            continue
        keys = merged.setdefault(tuple(t.kind for t in reading), [{} for _ in reading])
        for slot, token in zip(keys, reading, strict=True):
            slot.update(dict.fromkeys(token.keys))
    return [
        tuple(
            Token(tuple(slot)[:MAX_MERGED_KEYS], kind)
            for slot, kind in zip(keys, shape, strict=True)
        )
        for shape, keys in merged.items()
    ]


def has_cyrillic(text: str) -> bool:
    return _CYRILLIC.search(text) is not None
