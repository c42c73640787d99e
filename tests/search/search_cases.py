"""The table of searches that must work: each query finds the expected entities among its first
results. Every name here is one the data holds, written as a historian may meet it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

KHOMUTNIKOVS = (
    "person/petr-vasilievich-khomutnikov",
    "person/vasilii-alekseevich-khomutnikov",
    "person/viktor-vasilyevich-khomutnikov",
    "person/ochki-kolpakovna-khomutnikova",
)


@dataclass(frozen=True)
class Case:
    query: str
    expected: tuple[str, ...]  # paths after https://w3id.org/shezhire/id/
    within: int = 0  # all expected among the first `within` results (0: len(expected))
    type: str = ""
    pseudonym: bool = False  # the first result is an editorial pseudonym

    @property
    def top(self) -> int:
        return self.within or len(self.expected)


def case(query: str, *expected: str, why: str, **options: Any) -> Any:
    return pytest.param(Case(query, expected, **options), id=f"{why}: {query}")


CASES = [
    # the four Khomutnikovs, across scripts and schemes
    case("Khomutnikov", *KHOMUTNIKOVS, why="English (BGN, LC)"),
    case("Хомутников", *KHOMUTNIKOVS, why="Russian Cyrillic"),
    case("Homutnikov", *KHOMUTNIKOVS, why="ISO 9 / GOST"),
    case("Chomutnikov", *KHOMUTNIKOVS, why="German / Czech ch"),
    case("Xomutnikov", *KHOMUTNIKOVS, why="scholarly x"),
    case("Khomutnikoff", *KHOMUTNIKOVS, why="French -off"),
    case("Хомутникова", "person/ochki-kolpakovna-khomutnikova", why="feminine form"),
    # Goloshchekin
    case("Goloshchekin", "person/f-i-goloshchekin", why="BGN"),
    case("Голощёкин", "person/f-i-goloshchekin", why="Russian with ё"),
    case("Голощекин", "person/f-i-goloshchekin", why="Russian, ё as е"),
    case("Goloshchyokin", "person/f-i-goloshchekin", why="Wikipedia yo"),
    case("Gološčekin", "person/f-i-goloshchekin", why="scholarly"),
    case("Goloŝëkin", "person/f-i-goloshchekin", why="ISO 9"),
    case("Goloschtschokin", "person/f-i-goloshchekin", why="German"),
    case("Filipp Goloshchekin", "person/f-i-goloshchekin", why="full given name for an initial"),
    # Kazakh Cyrillic and the 2021 Kazakh Latin alphabet for names the data spells in Latin
    case("Қозыбаев", "person/m-k-kozybaev", why="Kazakh қ"),
    case("Qozybaev", "person/m-k-kozybaev", why="Kazakh Latin q"),
    case("Мәжит Бектанов", "person/mazhit-bektanov", why="Kazakh ә"),
    case("Әли Шәукенов", "person/a-shaukenov", why="Kazakh ә, ш"),
    case("Şaukenov Äli", "person/a-shaukenov", why="Kazakh Latin ş, ä"),
    case("Өтеулі Бисенғалиев", "person/uteuli-bisengaliev", why="Kazakh ө, і, ғ"),
    case("Жұмағұл Ибраев", "person/zhumagul-ibraev", why="Kazakh ұ, ғ"),
    case("Түрлыбаев", "person/m-turlybayev", why="Kazakh ү"),
    case("Жаңбосынова", "person/a-s-zhanbossinova", why="Kazakh ң"),
    case("Һарти Кануков", "person/harti-kanukov", why="Kazakh һ"),
    case("Тәтімов", "person/m-tatimov", why="Kazakh ә, і"),
    case("Олжас Жақиянов", "person/olzhas-zhakiyanov", why="Kazakh қ in a Latin-spelled name"),
    case("Мөлдағалиев", "person/abu-moldagaliev", why="Kazakh ө, ғ"),
    case("Көкпекті", "place/kokpektinsky-district", why="Kazakh place name"),
    # Latin queries for names the data prints in Cyrillic
    case("Zhumaitov Abukhair", "person/abukhair-zhumaitov", why="BGN for a Cyrillic name"),
    case("Abukhayr Zhumaytov", "person/abukhair-zhumaitov", why="reversed, y for й"),
    case("Žumajtov", "person/abukhair-zhumaitov", why="ISO 9 for a Cyrillic name"),
    case("Bakyt Atantaeva", "person/b-atantayeva", why="LC spelling, given name first"),
    # places: historical and current names, scripts
    case("Alma-Ata", "place/alma-ata", why="historical name", within=2),
    case("Almaty", "place/alma-ata", why="current name", within=2),
    case("Алматы", "place/alma-ata", why="current name, Cyrillic", within=2),
    case("Алма-Ата", "place/alma-ata", why="historical name, Cyrillic", within=2),
    case("Almaata", "place/alma-ata", why="closed up", within=2),
    case("Semey", "place/semipalatinsk", why="current name of Semipalatinsk"),
    case("Семипалатинск", "place/semipalatinsk", why="Russian historical name", within=3),
    case("Tromso", "place/tromso", why="ø folded"),
    # typos
    case("Khomutnkov", *KHOMUTNIKOVS, why="letter missing"),
    case("Bektaonv", "person/mazhit-bektanov", why="letters swapped"),
    case("Mirzoyn", "person/l-i-mirzoyan", why="letter missing"),
    case("Nominkhanof", "person/tseren-dorzhi-nominkhanov", why="wrong last letter"),
    case("Gorodovkov", "person/oka-ivanovich-gorodovikov", why="letter missing"),
    # initials and order
    case("P. V. Khomutnikov", "person/petr-vasilievich-khomutnikov", why="initials"),
    case("Khomutnikov P.V.", "person/petr-vasilievich-khomutnikov", why="surname first"),
    case("Khomutnikov Petr Vasilievich", "person/petr-vasilievich-khomutnikov", why="reversed"),
    case("V. A. Khomutnikov", "person/vasilii-alekseevich-khomutnikov", why="father's initials"),
    case("Kozybayev M.K.", "person/m-k-kozybaev", why="initials after"),
    case("Stalin I.V.", "person/i-v-stalin", why="initials after"),
    case("Nominkhanov Ts.", "person/tseren-dorzhi-nominkhanov", why="digraph initial"),
    case("Bektanov Mazhit", "person/mazhit-bektanov", why="surname first"),
    case("Kalyaev S.", "person/sanji-kalyaev", why="initial after"),
    # editorial pseudonyms: found by the name the source gives, and marked
    case("Aduchi", "person/aduchi", why="pseudonym", pseudonym=True),
    case("Comrade Aduchi", "person/aduchi", why="pseudonym with address", pseudonym=True),
    case("Цеден", "person/tseden", why="pseudonym in Cyrillic", pseudonym=True),
    case("Svyatoslav", "person/svyatoslav", why="pseudonym", pseudonym=True),
    # institutions, acts, items, works
    case("OGPU", "inst/ogpu", why="institution abbreviation"),
    case("ОГПУ", "inst/ogpu", why="abbreviation in Cyrillic"),
    case("Shakarim University", "inst/shakarim-university", why="institution"),
    case(
        "migration of Kazakh farms to China",
        "act/a2025-memorandum-migration-kazakh-farms-china",
        why="legal act title",
    ),
    case("holding 9 file 615", "item/qsaeaka-almaty-h9-f615", why="archival item"),
    case("Калмыцкое народонаселение", "work/avliev-2004", why="work title in Cyrillic"),
    case(
        "Khomutnikov",
        "person/petr-vasilievich-khomutnikov",
        why="type filter",
        within=4,
        type="person",
    ),
]
