"""Every competency query in queries/ runs against the built store and returns what it should.

Each query has an expectation: the columns it is checked on and the rows (as plain strings)
that must come back. `exact` expectations must match the projected result set exactly;
the others must be contained in it (the graph keeps growing, the facts below must stay).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest

from shezhire.config import Settings
from shezhire.example_queries import read_examples
from shezhire.pipeline.store import open_read_only

QUERIES_DIR = Path(__file__).resolve().parents[2] / "queries"
QUERY_FILES = sorted(QUERIES_DIR.glob("*.rq"))

STATED = "stated in the source"
INFERRED = "inferred by the author"
REPORTED = "reported by a historical actor or document"

WORK = "https://w3id.org/shezhire/id/work/"
B2023 = WORK + "bolatkhan-2023"
A2025 = WORK + "atantayeva-2025"
MG = WORK + "mendikulova-gabdullina"


@dataclass(frozen=True)
class Expect:
    columns: tuple[str, ...]
    rows: frozenset[tuple[str, ...]]
    exact: bool = False


def expect(columns: str, rows: list[tuple[str, ...]], exact: bool = False) -> Expect:
    return Expect(tuple(columns.split()), frozenset(rows), exact)


EXPECTED: dict[str, Expect] = {
    "01-path-aduchi-petr-khomutnikov": expect(
        "length step fromLabel type toLabel mode certainty",
        [
            (
                "1",
                "1",
                "Aduchi (pseudonym)",
                "relative or fictive kin",
                "Petr Vasilievich Khomutnikov",
                INFERRED,
                "probable",
            ),
            ("2", "1", "Aduchi (pseudonym)", "son", "Mergen (pseudonym)", STATED, "certain"),
            (
                "2",
                "2",
                "Mergen (pseudonym)",
                "relative (unspecified)",
                "Petr Vasilievich Khomutnikov",
                INFERRED,  # mode corrected from "reported" in issue 10 (the author's inference)
                "probable",
            ),
        ],
        exact=True,
    ),
    "02-petr-khomutnikov-two-hop-network": expect(
        "hops personLabel",
        [
            ("1", "Aduchi (pseudonym)"),
            ("1", "Mergen (pseudonym)"),
            ("1", "Tseden (pseudonym)"),
            ("1", "Vasilii Alekseevich Khomutnikov"),
            ("1", "Ochki Kolpakovna Khomutnikova"),
            ("1", "Viktor Vasilyevich Khomutnikov"),
            ("1", "Wife of Petr Vasilievich Khomutnikov (unnamed)"),
            ("1", "Sanji Kalyaev"),
            ("2", "Wife of Tseden (unnamed)"),
            ("2", "Son-in-law of Tseden (unnamed)"),
            ("2", "Harti Kanukov"),
            ("2", "Wife of Aduchi (unnamed)"),
            ("2", "Lenin"),
        ],
    ),
    "03-tseden-ego-network": expect(
        "otherLabel kind type mode certainty",
        [
            (
                "Petr Vasilievich Khomutnikov",
                "social",
                "vouched for (guarantee)",
                STATED,
                "certain",
            ),
            (
                "Petr Vasilievich Khomutnikov",
                "social",
                "employed, arranged work for",
                STATED,
                "certain",
            ),
            ("Petr Vasilievich Khomutnikov", "social", "acquainted with", REPORTED, "probable"),
            ("Petr Vasilievich Khomutnikov", "kin", "wives are relatives", REPORTED, "probable"),
            ("Wife of Tseden (unnamed)", "kin", "wife", STATED, "certain"),
            ("Son-in-law of Tseden (unnamed)", "kin", "son-in-law", STATED, "certain"),
            ("Child 1 of 4 of Tseden (unnamed)", "kin", "child", STATED, "certain"),
            ("Child 2 of 4 of Tseden (unnamed)", "kin", "child", STATED, "certain"),
            ("Child 3 of 4 of Tseden (unnamed)", "kin", "child", STATED, "certain"),
            ("Child 4 of 4 of Tseden (unnamed)", "kin", "child", STATED, "certain"),
        ],
        exact=True,
    ),
    "04-who-links-kalyaev-nominkhanov": expect(
        "linkLabel typeToKalyaev typeToNominkhanov",
        [("Harti Kanukov", "associated with", "served under")],
        exact=True,
    ),
    "05-releases-from-special-settlement": expect(
        "date releaseLabel personLabel roleLabel approverLabel",
        [
            (
                "1952-03-26",
                "Release of Aduchi and his family from the special settlement (26 March 1952)",
                "Aduchi (pseudonym)",
                "subject (the person the event is about)",
                "Petr Kondakov",
            ),
            (
                "1952-03-26",
                "Release of Aduchi and his family from the special settlement (26 March 1952)",
                "Wife of Aduchi (unnamed)",
                "family member included",
                "Petr Kondakov",
            ),
            (
                "1954-07",
                "Release of Petr Khomutnikov and his family from the special settlement "
                "(July 1954)",
                "Petr Vasilievich Khomutnikov",
                "subject (the person the event is about)",
                "",
            ),
        ],
    ),
    "06-archival-files-for-a-person": expect(
        "holderLabel fond file folios footnote",
        [
            ("QR BP QSAEAKA, Astana branch", "9", "21", "118–120", "24"),
            ("QR BP QSAEAKA, Astana branch", "9", "22", "17", "24"),
            ("QR BP QSAEAKA, Astana branch", "9", "21", "31–36", "23"),
        ],
    ),
    "07-editorial-pseudonyms": expect(
        "nameLabel footnote",
        [
            ("Aduchi (pseudonym)", "19"),
            ("Mergen (pseudonym)", "29"),
            ("Tseden (pseudonym)", "32"),
            ("Alexander (pseudonym)", "35"),
            ("Oleg (pseudonym)", "40"),
            ("Svyatoslav (pseudonym)", "43"),
            ("Galsan (pseudonym)", "45"),
            ("Nikolai (pseudonym)", "47"),
        ],
        exact=True,
    ),
    "08-decrees-by-date": expect(
        "date number typeLabel",
        [
            ("1938-10-22", "", "decree"),
            ("1943-12-28", "1432/425cc", "decree"),
            ("1945-10-01", "52/680", "permission"),
            ("1948-07-23", "", "directive"),
            ("1952-03-26", "", "release order"),
        ],
    ),
    "09-open-questions-and-contradictions": expect(
        "kind memberLabel certainty",
        [
            ("identity question", "Ochki Kolpakovna Khomutnikova", "uncertain, contested"),
            (
                "identity question",
                "Mother of Petr Vasilievich Khomutnikov released with him in 1954 (unnamed)",
                "uncertain, contested",
            ),
        ],
    ),
    "10-kin-ties-by-type-and-certainty": expect(
        "type mode certainty",
        [
            ("relative or fictive kin", INFERRED, "probable"),
            ("wives are relatives", REPORTED, "probable"),
            ("father", STATED, "certain"),
            ("stepmother", STATED, "certain"),
            ("half-brother", STATED, "certain"),
        ],
    ),
    "11-kalmyk-special-settlers-by-oblast-1953": expect(
        "placeLabel value footnote",
        [
            ("Qyzyl-Orda oblast", "2006", "11"),
            ("Alma-Ata oblast", "143", "11"),
            ("Karaganda oblast", "73", "11"),
            ("Taldy-Kurgan oblast", "50", "11"),
            ("Dzhambul oblast", "31", "11"),
            ("Kustanai oblast", "28", "11"),
            ("Semipalatinsk oblast", "27", "11"),
            ("South Qazaqstan oblast", "25", "11"),
            ("Pavlodar oblast", "22", "11"),
            ("Aktobe oblast", "20", "11"),
            ("Guryev oblast", "15", "11"),
            ("North Qazaqstan oblast", "11", "11"),
            ("Akmola oblast", "10", "11"),
            ("Kokchetav oblast", "8", "11"),
            ("West Qazaqstan oblast", "2", "11"),
            ("East Qazaqstan oblast", "1", "11"),
        ],
    ),
    "12-life-of-sanji-kalyaev": expect(
        "date what placeLabel",
        [
            ("1924", "admission to the party", ""),
            ("1935-08-30", "award", ""),
            ("1936-11-06", "founding, establishment", ""),
            ("1937", "arrest", "Elista"),
        ],
    ),
    "13-persons-in-more-than-one-source": expect(
        "personLabel sources",
        [
            ("M.K. Kozybaev", "3"),
            ("F.I. Goloshchekin", "2"),
            ("Joseph Stalin", "2"),
            ("Gulnara Mendikulova", "2"),
        ],
    ),
    "14-who-replaced-whom": expect(
        "kind successorLabel predecessorLabel mode certainty",
        [
            ("successor-of tie", "L.I. Mirzoyan", "F.I. Goloshchekin", STATED, "certain"),
            ("appointment event", "L.I. Mirzoyan", "F.I. Goloshchekin", STATED, "certain"),
        ],
    ),
    "15-facts-resting-on-a-cited-page": expect(
        "factLabel printed locator",
        [
            (
                "Kalmyks affected by the deportation, December 1943 – May 1944",
                "Maksimov 2013: 319",
                "Theoretical Framework and Historiography",
            ),
            (
                "Total number of Kalmyks deported, December 1943 – May 1944 [Maksimov 2013: 319]",
                "Maksimov 2013: 319",
                "Theoretical Framework and Historiography",
            ),
        ],
    ),
    "16-mentions-of-a-person-across-sources": expect(
        "personLabel publication mentionLabel identity",
        [
            ("M.K. Kozybaev", B2023, "M.K. Kozybaev", "decided: one IRI"),
            ("M.K. Kozybaev", A2025, "M.K. Kozybaev", "decided: one IRI"),
            ("M.K. Kozybaev", MG, "M.K. Kozybaev", "decided: one IRI"),
            ("K.S. Aldazhumanov", A2025, "K.S. Aldazhumanov", "this person node"),
            ("K.S. Aldazhumanov", B2023, "K.S. Aldajumanov", "candidate, identity open"),
            ("K.S. Aldazhumanov", MG, "K. Aldazhumanov", "candidate, identity open"),
        ],
    ),
    "17-dates-derived-not-read": expect(
        "date basis factLabel",
        [
            (
                "1945-06-18",
                "date of the reporting document",
                "An unnamed person is the spouse of Mazhit Bektanov",
            ),
            (
                "1946",
                "derived by the curators",
                "Arrival of Galsan and his family in Alma-Ata (1946)",
            ),
        ],
    ),
    "18-assessments-attributed-to-a-person": expect(
        "assessorLabel assessmentLabel",
        [
            (
                "N. Pianciola",
                "Pianciola's assessment that collectivization was disastrous for Kazakh herdsmen",
            ),
            (
                "Mambet Koigeldiev",
                "Koigeldiev's assessment of the opposing aims of the Alash movement and "
                "Goloshchekin (1927)",
            ),
        ],
    ),
    "41-path-goloshchekin-mirzoyan": expect(
        "subjectLabel length step fromLabel type toLabel mode certainty",
        [
            (
                "F.I. Goloshchekin",
                "1",
                "1",
                "F.I. Goloshchekin",
                "successor of (in a post)",
                "L.I. Mirzoyan",
                STATED,
                "certain",
            ),
        ],
    ),
    "42-network-of-the-report-of-1930-11-24": expect(
        "kind label tieType otherLabel",
        [
            ("person", "Dara Sadykov", "", ""),
            ("person", "Mukoy Azhibekov", "accomplice, co-organiser", "Rakhatov Srabil"),
            ("person", "Rakhatov Srabil", "accomplice, co-organiser", "Mukoy Azhibekov"),
            ("group or institution", "Koljai border outpost", "", ""),
            ("place", "China", "", ""),
        ],
    ),
    "43-timeline-of-mazhit-bektanov": expect(
        "date type archival",
        [
            ("1945-06-18", "repatriation", "Riksarkivet, RA / S-1681 / D / Db / L0015"),
            ("1950-01-24", "arrest", ""),
            ("1950-04-12", "sentence, conviction", ""),
            ("1989-12-22", "rehabilitation", ""),
        ],
    ),
    "44-documents-in-ap-rk-fond-141": expect(
        "opis file",
        [("1", "5056"), ("1", "5057"), ("1", "5061"), ("17", "465a")],
        exact=True,
    ),
    "45-who-cites-zemskov-2005a": expect(
        "citingLabel",
        [
            (
                "Bolatkhan 2023, Selective Favoritism and Confirmed 'Sovietness' among Kalmyk "
                "Special Settlers within the Qazaq SSR",
            )
        ],
    ),
    "46-scholars-in-several-sources": expect(
        "scholarLabel sources",
        [("M.K. Kozybaev", "3"), ("N. Pianciola", "2"), ("Gulnara Mendikulova", "2")],
    ),
    "48-why-mentions-were-merged": expect(
        "entityLabel certainty sources",
        [
            ("M.K. Kozybaev", "probable", "3"),
            ("F.I. Goloshchekin", "probable", "2"),
            ("Joseph Stalin", "certain", "2"),
            ("Gulnara Mendikulova", "certain", "2"),
            ("OGPU (United State Political Administration)", "certain", "2"),
        ],
    ),
    "47-figures-that-do-not-add-up": expect(
        "label value",
        [
            (
                "Tarbagatai district: 697 farms rose to migrate to China "
                "(total as printed, May 1931)",
                "697",
            ),
            (
                "Tarbagatai district: 436 (column 'Collective farms', total as printed, May 1931)",
                "436",
            ),
        ],
    ),
}


def _run(settings: Settings, path: Path) -> list[dict[str, str]]:
    with open_read_only(settings.store) as store:
        solutions = store.query(path.read_text(encoding="utf-8"), use_default_graph_as_union=True)
        assert isinstance(solutions, ox.QuerySolutions)
        names = [v.value for v in solutions.variables]
        return [
            {n: (row[n].value if row[n] is not None else "") for n in names}  # type: ignore[union-attr]
            for row in solutions
        ]


def test_there_are_at_least_twelve_competency_queries() -> None:
    assert len(QUERY_FILES) >= 12


@pytest.mark.parametrize("path", QUERY_FILES, ids=[p.stem for p in QUERY_FILES])
def test_query_is_documented_and_has_an_expectation(path: Path) -> None:
    (example,) = [e for e in read_examples(QUERIES_DIR) if e.name == path.stem]
    assert example.title != path.stem, f"{path.name} has no '# title:' line"
    assert example.description, f"{path.name} has no '# description:' line"
    assert path.stem in EXPECTED or path.stem.startswith("5"), f"no expected result for {path.name}"


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_query_returns_its_expected_result(built_settings: Settings, stem: str) -> None:
    expectation = EXPECTED[stem]
    rows = _run(built_settings, QUERIES_DIR / f"{stem}.rq")
    projected = {tuple(row.get(c, "") for c in expectation.columns) for row in rows}
    if expectation.exact:
        assert projected == expectation.rows
    else:
        missing = expectation.rows - projected
        assert not missing, f"missing rows: {sorted(missing)}"
