"""Write a synthetic corpus of news articles in English and Albanian for benchmarks and scale tests.
Deterministic by seed: varied header layouts, gazetteer and invented names, figures of every unit."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from pipelines.lib.gazetteer import load_gazetteer

FILES_PER_FOLDER = 1_000
# Pre-filled filler sentences per language: large enough that articles rarely repeat a sentence,
# small enough to build in a fraction of a second.
FILLER_BANK_SIZE = 6_000
# Sentences written fresh for every article (names and figures specific to it).
FRESH_SENTENCES = 8
# An article's cast: news text returns to a few places, people and organisations, not a new name per sentence.
CAST_PLACES, CAST_PEOPLE, CAST_ORGANISATIONS = 5, 4, 2
# Bank sentences keep name slots open as `{place_0}` … `{place_3}`, filled from each article's cast.
CAST_SLOTS = 4
NAME_SLOTS = ("place", "place2", "person", "person2", "org", "place_gen", "place2_gen", "person_gen")
FIRST_DATE = datetime(2024, 1, 1)
DATE_SPAN_SECONDS = 800 * 24 * 3600

# The generator's vocabulary is test data, not extraction reference data: it lives here so that
# changing it never changes the extraction version (which hashes pipelines/reference/).

MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"],
    "sq": ["janar", "shkurt", "mars", "prill", "maj", "qershor", "korrik", "gusht", "shtator", "tetor",
           "nëntor", "dhjetor"],
}
WEEKDAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "sq": ["e hënë", "e martë", "e mërkurë", "e enjte", "e premte", "e shtunë", "e diel"],
}
SECTIONS = {
    "en": ["Politics", "World", "Opinion", "Analysis", "Business", "Economy", "Europe", "Comment"],
    "sq": ["Politikë", "Ekonomi", "Bota", "Pikëpamje", "Opinione", "Analizë", "Rajoni", "Kulturë"],
}
OUTLETS = ["Reuters", "AFP", "Associated Press", "BIRN", "Euronews Albania", "La Stampa", "Gazeta Tema",
           "Balkan Insight", "Bloomberg", "ATA", "KosovaPress", "The Guardian"]
FIRST_NAMES = {
    "en": ["Jane", "Mark", "Helen", "Samuel", "Nora", "Marta", "Daniel", "Laura", "Peter", "Olivia",
           "Thomas", "Clara", "Victor", "Ingrid", "Paolo", "Lucia"],
    "sq": ["Arben", "Elona", "Genc", "Ardian", "Valbona", "Besnik", "Mimoza", "Dritan", "Erion", "Blerta",
           "Fatos", "Jonida", "Ilir", "Rudina", "Altin", "Eralda"],
}
SURNAMES = {
    "en": ["Marsh", "Keller", "Lindqvist", "Price", "Holloway", "Brennan", "Okafor", "Van der Berg",
           "Moretti", "Castellano", "Whitfield", "Novak", "Dunmore", "Ashcroft"],
    "sq": ["Xhaferi", "Duka", "Morina", "Çela", "Hysa", "Krasniqi", "Berisha", "Gashi", "Shehu", "Leka",
           "Dervishi", "Hoxha", "Kola", "Prifti"],
}
# Invented organisations: built from parts so most are unknown to the gazetteer.
ORG_PATTERNS = {
    "en": ["{place} Institute for Strategic Studies", "Council on {topic}", "{place} Energy Agency",
           "Centre for {topic} Research", "{place} Chamber of Commerce"],
    "sq": ["Instituti për Studime Strategjike", "Këshilli për {topic_sq}", "Agjencia e Energjisë",
           "Qendra për Kërkime {topic_sq_adjective}", "Dhoma e Tregtisë"],
}
TOPICS = ["Security", "Energy", "Migration", "Trade", "Democracy", "Climate", "Defence"]
TOPICS_SQ = ["Sigurinë", "Energjinë", "Migracionin", "Tregtinë", "Demokracinë", "Klimën"]
TOPICS_SQ_ADJECTIVE = ["Ekonomike", "Politike", "Sociale", "Rajonale"]
# Albanian definite and case endings by the last letter of a name (Putin -> Putinit, Ukrainë -> Ukrainës).
SQ_SUFFIXES = {
    "consonant": ("i", "it", "in", "i", "it"),
    "ë": ("a", "ës", "ën", "ës"),
    "a": ("ës", "ën", "ës"),
    "i": ("t", "n", "a", "së"),
    "e": ("s", "n", "ja"),
    "o": ("s", "n", "ja"),
}
SQ_ACRONYM_SUFFIXES = ("s", "së", "në", "ja")

TITLES = {
    "en": [
        "{person} warns {place} over {topic_lower} as talks stall",
        "{place} and {place2} agree on {figure} in new {topic_lower} deal",
        "Why {place} cannot afford another year of drift",
        "{org} says {place} economy grew {percent}",
        "{person} meets {person2} in {place2} ahead of summit",
        "Analysis: what {person} wants from {place}",
        "{place} budget adds {money} for {topic_lower}",
        "Talks in {place} end without a deal after {duration}",
    ],
    "sq": [
        "{person} paralajmëron {place} për {topic_sq_lower}",
        "{place} dhe {place2} bien dakord për {figure}",
        "Pse {place} nuk mund të presë më",
        "{org}: ekonomia e {place_gen} u rrit me {percent}",
        "{person} takon {person2} në {place2} para samitit",
        "Analizë: çfarë kërkon {person} nga {place}",
        "Buxheti i {place_gen} shton {money} për {topic_sq_lower}",
        "Bisedimet në {place} përfundojnë pa marrëveshje pas {duration}",
    ],
}
CAPTIONS = {
    "en": ["{person} and {person2}", "Leaders at the summit venue in {place}", "Protesters in {place}"],
    "sq": ["{person} dhe {person2}", "Liderët në samitin e {place_gen}", "Protestuesit në {place}"],
}
# Sentences with slots for names and figures; {place_gen} is the Albanian genitive-like inflected form.
FACT_SENTENCES = {
    "en": [
        "According to {org}, unemployment in {place} fell to {percent} last year.",
        "{person} said the government would spend {money} on roads and schools by {year}.",
        "The agreement covers {count} and runs for {duration}.",
        "Exports from {place} rose {multiplier} since {year}, while imports grew {percent}.",
        "About {fraction} of the population of {place} lives abroad, {person} told reporters.",
        "Inflation is expected to stay between {range} this year, the central bank in {place} said.",
        "The pipeline will carry {measure} a year once it opens on {date}.",
        "Wages in {place} average {rate}, well below the level in {place2}.",
        "Officials in {place2} reported {approximate} displaced people after the floods.",
        "{person} and {person2} spoke by phone on {date}, the office of {person} said.",
        "The loan of {money} from {org} must be repaid within {duration}.",
        "Turnout reached {percent}, up {points} from the previous vote in {year}.",
    ],
    "sq": [
        "Sipas {org}, papunësia në {place} ra në {percent} vitin e kaluar.",
        "{person} tha se qeveria do të shpenzojë {money} për rrugë dhe shkolla deri në {year}.",
        "Marrëveshja përfshin {count} dhe zgjat {duration}.",
        "Eksportet e {place_gen} u rritën {multiplier} që nga {year}, ndërsa importet me {percent}.",
        "Rreth {fraction} e popullsisë së {place_gen} jeton jashtë vendit, u tha {person} gazetarëve.",
        "Inflacioni pritet të mbetet {range} këtë vit, tha banka qendrore e {place_gen}.",
        "Gazsjellësi do të transportojë {measure} në vit pasi të hapet më {date}.",
        "Pagat në {place} janë mesatarisht {rate}, shumë më poshtë se në {place2}.",
        "Zyrtarët në {place2} raportuan {approximate} të zhvendosur pas përmbytjeve.",
        "{person} dhe {person2} folën në telefon më {date}, njoftoi zyra e {person_gen}.",
        "Kredia prej {money} nga {org} duhet të shlyhet brenda {duration}.",
        "Pjesëmarrja arriti {percent}, {points} më shumë se në zgjedhjet e vitit {year}.",
    ],
}
FILLER_SENTENCES = {
    "en": [
        "The decision was welcomed by some and criticised by others, and the debate is far from over.",
        "Diplomats in {place} say the next weeks will show whether the promises were serious.",
        "It is not the first time that such a plan has been announced, and it may not be the last.",
        "Analysts note that the public mood has shifted since the spring, and that leaders know it.",
        "{person} has repeatedly argued that there is no alternative to dialogue with {place}.",
        "For many families the question is simpler: whether prices will keep rising in the winter.",
        "The opposition called the move a distraction and demanded a vote in parliament.",
        "Behind the scenes, officials from {place} and {place2} have been working on a compromise.",
        "The ministry did not respond to a request for comment on Tuesday evening.",
        "Critics argue that the reform was rushed and that its costs were never properly assessed.",
        "Supporters of {person} see the visit to {place} as proof that the strategy is working.",
        "There is a broad consensus that the region cannot wait much longer for a solution.",
        "The talks were described as constructive, although neither side gave any details.",
        "In {place}, the reaction was cautious, with most parties waiting for the final text.",
        "The history of the conflict shows how quickly a fragile calm can give way to new tension.",
        "Observers from {org} will monitor the process and publish their findings later.",
    ],
    "sq": [
        "Vendimi u mirëprit nga disa dhe u kritikua nga të tjerë, ndërsa debati nuk ka mbaruar.",
        "Diplomatët në {place} thonë se javët e ardhshme do të tregojnë nëse premtimet ishin serioze.",
        "Nuk është hera e parë që një plan i tillë shpallet, dhe ndoshta nuk do të jetë e fundit.",
        "Analistët vënë re se gjendja shpirtërore e publikut ka ndryshuar që nga pranvera.",
        "{person} ka argumentuar vazhdimisht se nuk ka alternativë tjetër përveç dialogut me {place}.",
        "Për shumë familje pyetja është më e thjeshtë: nëse çmimet do të vazhdojnë të rriten në dimër.",
        "Opozita e quajti hapin një shpërqendrim dhe kërkoi një votim në parlament.",
        "Prapa skenave, zyrtarët e {place_gen} dhe të {place2_gen} kanë punuar për një kompromis.",
        "Ministria nuk iu përgjigj kërkesës për koment të martën në mbrëmje.",
        "Kritikët thonë se reforma u nxitua dhe se kostot e saj nuk u vlerësuan kurrë si duhet.",
        "Mbështetësit e {person_gen} e shohin vizitën në {place} si provë se strategjia po funksionon.",
        "Ka një konsensus të gjerë se rajoni nuk mund të presë edhe shumë për një zgjidhje.",
        "Bisedimet u përshkruan si konstruktive, megjithëse asnjëra palë nuk dha detaje.",
        "Në {place}, reagimi ishte i kujdesshëm, me shumicën e partive që presin tekstin përfundimtar.",
        "Historia e konfliktit tregon se sa shpejt një qetësi e brishtë mund t'i lërë vend tensionit.",
        "Vëzhguesit e {org} do të monitorojnë procesin dhe do të publikojnë gjetjet më vonë.",
    ],
}
TAILS = {
    "en": ["", "", "", "\n\nVideo", "\n\nRead more\n{title}\nShare this article", "\n\nTags: {topic_lower}, politics\nShare"],
    "sq": ["", "", "", "\n\nVideo", "\n\nLexo edhe:\n{title}\nKomento", "\n\nShpërndaje"],
}


@dataclass(frozen=True)
class GeneratedCorpus:
    root: Path
    articles: int
    bytes_written: int
    seconds: float
    language_counts: dict[str, int] = field(default_factory=dict)
    layout_counts: dict[str, int] = field(default_factory=dict)

    def paths(self) -> list[Path]:
        return sorted(self.root.glob("*/*.txt"))


@dataclass(frozen=True)
class NamePool:
    """Surface forms to draw from, per language: known (gazetteer) and invented."""
    places: dict[str, list[str]]
    people: dict[str, list[str]]
    organisations: dict[str, list[str]]


# ---------------------------------------------------------------- names


def inflect_albanian(name: str, rng: random.Random) -> str:
    """An inflected Albanian form of a name: an acronym takes a hyphenated suffix, others a case ending."""
    last_word = name.split()[-1]
    if last_word.isupper() and len(last_word) > 1:
        return f"{name}-{rng.choice(SQ_ACRONYM_SUFFIXES)}"
    last_letter = last_word[-1].lower()
    if last_letter in ("ë", "a"):
        return name[:-1] + rng.choice(SQ_SUFFIXES[last_letter])
    if last_letter in SQ_SUFFIXES:
        return name + rng.choice(SQ_SUFFIXES[last_letter])
    if last_letter.isalpha():
        return name + rng.choice(SQ_SUFFIXES["consonant"])
    return name


def invented_people(rng: random.Random, count: int) -> dict[str, list[str]]:
    """Names no gazetteer holds, mixing both languages' first names and surnames."""
    people = {}
    for language in ("en", "sq"):
        firsts = FIRST_NAMES[language] + rng.sample(FIRST_NAMES["en" if language == "sq" else "sq"], 4)
        people[language] = [f"{rng.choice(firsts)} {rng.choice(SURNAMES[language])}" for _ in range(count)]
    return people


def build_name_pool(rng: random.Random) -> NamePool:
    """Gazetteer aliases by entity type and language, plus invented people and organisations."""
    gazetteer = load_gazetteer()
    aliases = gazetteer.aliases.join(gazetteer.entities.select("entity_id", "entity_type"), on="entity_id")
    # Long official variants ("Republic of ...") are rare in news text; keep names and short variants.
    is_common = (aliases["alias_kind"] != "folded") & (
        (aliases["alias_kind"] != "variant") | (aliases["alias"].str.count_matches(" ") < 2))
    aliases = aliases.filter(is_common).sort("entity_id", "alias")
    by_type: dict[tuple[str, str], list[str]] = {}
    for entity_type, language, alias in aliases.select("entity_type", "language", "alias").iter_rows():
        for target in (("en", "sq") if language == "any" else (language,)):
            by_type.setdefault((entity_type, target), []).append(alias)
    invented = invented_people(rng, 200)
    places, people, organisations = {}, {}, {}
    for language in ("en", "sq"):
        places[language] = by_type.get(("GPE", language), []) + by_type.get(("LOC", language), []) or ["Tirana"]
        # Known people weigh as much as the invented ones, so both linking and candidates are exercised.
        known_people = by_type.get(("PERSON", language), [])
        people[language] = known_people * max(1, len(invented[language]) // max(1, len(known_people))) + invented[language]
        invented_orgs = [
            pattern.format(place=rng.choice(places["en"]), topic=rng.choice(TOPICS),
                           topic_sq=rng.choice(TOPICS_SQ), topic_sq_adjective=rng.choice(TOPICS_SQ_ADJECTIVE))
            for pattern in ORG_PATTERNS[language] for _ in range(6)
        ]
        organisations[language] = by_type.get(("ORG", language), []) + invented_orgs
    return NamePool(places=places, people=people, organisations=organisations)


# ---------------------------------------------------------------- figures


_SWAP_SEPARATORS = str.maketrans({",": ".", ".": ","})


def format_number(value: float, decimals: int, language: str, rng: random.Random) -> str:
    """English `1,234.5`; Albanian `1.234,5`, sometimes written the English way as scraped sites do."""
    text = f"{value:,.{decimals}f}"
    if language == "sq" and rng.random() < 0.85:
        text = text.translate(_SWAP_SEPARATORS)
    return text


def _percent(language: str, rng: random.Random) -> str:
    number = format_number(rng.uniform(0.5, 60), rng.choice((0, 1, 1, 2)), language, rng)
    words = ("%", " percent", " per cent") if language == "en" else ("%", " për qind", " përqind")
    return number + rng.choice(words)


def _points(language: str, rng: random.Random) -> str:
    number = format_number(rng.uniform(0.1, 5), rng.choice((1, 2)), language, rng)
    return number + (" percentage points" if language == "en" else " pikë përqindjeje")


def _money(language: str, rng: random.Random) -> str:
    amount = format_number(rng.uniform(1, 950), rng.choice((0, 1)), language, rng)
    if language == "en":
        scale = rng.choice(("million", "billion", "bn", "m"))
        return rng.choice((f"€{amount} {scale}", f"${amount} {scale}", f"{amount} {scale} euros",
                           f"USD {amount} {scale}", f"£{amount}{'m' if scale == 'm' else ' ' + scale}"))
    scale = rng.choice(("milionë", "miliardë", "mijë"))
    return rng.choice((f"{amount} {scale} euro", f"{amount} {scale} dollarë", f"{amount} {scale} lekë",
                       f"€{amount} {scale}", f"{amount} {scale} USD"))


def _count(language: str, rng: random.Random) -> str:
    number = format_number(rng.randint(12, 250_000), 0, language, rng)
    nouns = ("soldiers", "workers", "companies", "households", "refugees") if language == "en" else (
        "ushtarë", "punëtorë", "kompani", "familje", "refugjatë")
    return f"{number} {rng.choice(nouns)}"


def _duration(language: str, rng: random.Random) -> str:
    amount = rng.randint(2, 48)
    if language == "en":
        spelled = ("two", "three", "five", "ten")
        return rng.choice((f"{amount} {rng.choice(('hours', 'days', 'weeks', 'months', 'years'))}",
                           f"{rng.choice(spelled)} years"))
    spelled = ("dy", "tre", "pesë", "dhjetë")
    return rng.choice((f"{amount} {rng.choice(('orë', 'ditë', 'javë', 'muaj', 'vjet'))}", f"{rng.choice(spelled)} vite"))


def _measure(language: str, rng: random.Random) -> str:
    number = format_number(rng.uniform(1, 9_000), rng.choice((0, 1)), language, rng)
    units = ("km", "tonnes", "bcm", "MW", "hectares", "barrels", "km²", "TWh") if language == "en" else (
        "km", "tonelata", "metra kub", "MW", "hektarë", "fuçi", "km²", "TWh")
    return f"{number} {rng.choice(units)}"


def _rate(language: str, rng: random.Random) -> str:
    number = format_number(rng.uniform(3, 1_500), rng.choice((0, 2)), language, rng)
    if language == "en":
        return rng.choice((f"€{number} a month", f"${number} per barrel", f"{number} euros per MWh",
                           f"€{number} per capita"))
    return rng.choice((f"{number} euro në muaj", f"{number} dollarë për fuçi", f"{number} euro për MWh",
                       f"{number} lekë për banor"))


def _multiplier(language: str, rng: random.Random) -> str:
    if language == "en":
        return rng.choice(("twofold", "threefold", f"{rng.randint(2, 9)} times", "two-fold"))
    return rng.choice(("dyfish", "trefish", f"{rng.randint(2, 9)} herë", "katërfish"))


def _fraction(language: str, rng: random.Random) -> str:
    if language == "en":
        return rng.choice(("one third", "two-thirds", "a quarter", "three quarters", "a fifth", "half"))
    return rng.choice(("një e treta", "dy të tretat", "një e katërta", "një të pestën", "gjysma"))


def _year(language: str, rng: random.Random) -> str:
    return str(rng.randint(1991, 2030))


def _date(language: str, rng: random.Random) -> str:
    day, month = rng.randint(1, 28), rng.randrange(12)
    if language == "en":
        return rng.choice((f"{day} {MONTHS['en'][month]} {rng.randint(2023, 2026)}", f"{MONTHS['en'][month]} {day}"))
    return f"{day} {MONTHS['sq'][month]} {rng.randint(2023, 2026)}"


def _range(language: str, rng: random.Random) -> str:
    low = rng.randint(1, 40)
    high = low + rng.randint(1, 20)
    if language == "en":
        return rng.choice((f"{low} and {high} percent", f"{low}% and {high}%", f"{low}-{high} per cent"))
    return rng.choice((f"midis {low} dhe {high} për qind", f"nga {low} në {high} për qind", f"{low}–{high}%"))


def _approximate(language: str, rng: random.Random) -> str:
    number = format_number(rng.randint(100, 90_000), 0, language, rng)
    words = ("about", "nearly", "more than", "some", "at least") if language == "en" else (
        "rreth", "afro", "më shumë se", "gati", "të paktën")
    return f"{rng.choice(words)} {number}"


FIGURE_WRITERS = {
    "percent": _percent, "points": _points, "money": _money, "count": _count, "duration": _duration,
    "measure": _measure, "rate": _rate, "multiplier": _multiplier, "fraction": _fraction, "year": _year,
    "date": _date, "range": _range, "approximate": _approximate,
}


# ---------------------------------------------------------------- sentences


def slot_values(language: str, rng: random.Random, names: NamePool) -> dict[str, str]:
    """One value for every slot a template may use; cheap enough to fill for every fresh sentence."""
    place, place2 = rng.choice(names.places[language]), rng.choice(names.places[language])
    person, person2 = rng.choice(names.people[language]), rng.choice(names.people[language])
    values = {
        "place": place, "place2": place2, "person": person, "person2": person2,
        "org": rng.choice(names.organisations[language]),
        "topic_lower": rng.choice(TOPICS).lower(), "topic_sq_lower": rng.choice(TOPICS_SQ).lower(),
        "figure": FIGURE_WRITERS[rng.choice(("money", "count", "measure"))](language, rng),
    }
    if language == "sq":
        values["place_gen"] = inflect_albanian(place, rng)
        values["place2_gen"] = inflect_albanian(place2, rng)
        values["person_gen"] = inflect_albanian(person, rng)
    else:
        values["place_gen"], values["place2_gen"], values["person_gen"] = place, place2, person
    return values


class _Slots(dict):
    """Format mapping that writes a figure of the named unit on demand, so unused figures cost nothing."""

    def __init__(self, values: dict[str, str], language: str, rng: random.Random):
        super().__init__(values)
        self.language = language
        self.rng = rng

    def __missing__(self, key: str) -> str:
        return FIGURE_WRITERS[key](self.language, self.rng)


def fill(template: str, language: str, rng: random.Random, names: NamePool) -> str:
    return template.format_map(_Slots(slot_values(language, rng, names), language, rng))


class _BankSlots(dict):
    """Format mapping for the bank: figures and topics are written now, names stay open as cast slots."""

    def __init__(self, language: str, rng: random.Random):
        super().__init__(topic_lower=rng.choice(TOPICS).lower(), topic_sq_lower=rng.choice(TOPICS_SQ).lower())
        self.language = language
        self.rng = rng

    def __missing__(self, key: str) -> str:
        if key in NAME_SLOTS:
            return "{" + f"{key}_{self.rng.randrange(CAST_SLOTS)}" + "}"
        if key == "figure":
            key = self.rng.choice(("money", "count", "measure"))
        return FIGURE_WRITERS[key](self.language, self.rng)


def build_filler_bank(language: str, rng: random.Random) -> list[str]:
    """Filler and fact sentences with figures written and name slots open; articles draw from here in bulk."""
    templates = FILLER_SENTENCES[language] * 2 + FACT_SENTENCES[language]
    return [rng.choice(templates).format_map(_BankSlots(language, rng)) for _ in range(FILLER_BANK_SIZE)]


def article_cast(language: str, rng: random.Random, names: NamePool) -> tuple[NamePool, dict[str, str]]:
    """The few names one article is about, as a pool for fresh sentences and as values for bank slots."""
    places = rng.sample(names.places[language], CAST_PLACES)
    people = rng.sample(names.people[language], CAST_PEOPLE)
    organisations = rng.sample(names.organisations[language], CAST_ORGANISATIONS)
    inflect = (lambda name: inflect_albanian(name, rng)) if language == "sq" else (lambda name: name)
    slots = {}
    for index in range(CAST_SLOTS):
        place, place2 = places[index % CAST_PLACES], places[(index + 2) % CAST_PLACES]
        person = people[index % CAST_PEOPLE]
        slots |= {
            f"place_{index}": place, f"place2_{index}": place2, f"place_gen_{index}": inflect(place),
            f"place2_gen_{index}": inflect(place2), f"person_{index}": person,
            f"person2_{index}": people[(index + 1) % CAST_PEOPLE], f"person_gen_{index}": inflect(person),
            f"org_{index}": organisations[index % CAST_ORGANISATIONS],
        }
    cast = NamePool(places={language: places}, people={language: people}, organisations={language: organisations})
    return cast, slots


# ---------------------------------------------------------------- headers


@dataclass(frozen=True)
class HeaderFields:
    language: str
    title: str
    published: datetime
    author: str
    outlet: str
    section: str
    caption: str
    dateline_place: str


def _day_month_year(moment: datetime, language: str) -> str:
    return f"{moment.day} {MONTHS[language][moment.month - 1]} {moment.year}"


def _english_clock(moment: datetime) -> str:
    return f"{(moment.hour % 12) or 12}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def layout_glued_section_byline(h: HeaderFields) -> str:
    outlet_line = f"\n\nBy {h.author} - {h.outlet}" if h.language == "en" else ""
    return (f"{h.title}\n\n{h.published:%Y-%m-%d %H:%M:%S}{h.section} SHKRUAR NGA {h.author.upper()}"
            f"\n{h.caption}{outlet_line}")


def layout_date_label_glued_title(h: HeaderFields) -> str:
    return f" date {h.published:%Y-%m-%d} {h.title}"


def layout_publikuar_nga(h: HeaderFields) -> str:
    return (f"{h.title}\n\nPublikuar: {_day_month_year(h.published, 'sq')}, {h.published:%H:%M}"
            f"\nNga: {h.author}\nBurimi: {h.outlet}")


def layout_by_outlet_updated(h: HeaderFields) -> str:
    updated = h.published + timedelta(hours=5, minutes=14)
    return (f"{h.title}\n\nBy {h.author} - {h.outlet}\nPublished {MONTHS['en'][h.published.month - 1]} "
            f"{h.published.day}, {h.published.year}\nUpdated: {MONTHS['en'][updated.month - 1]} {updated.day}, "
            f"{updated.year} {_english_clock(updated)}")


def layout_weekday_section_first(h: HeaderFields) -> str:
    weekday = WEEKDAYS[h.language][h.published.weekday()]
    return f"{weekday}, {_day_month_year(h.published, h.language)}, {h.published:%H:%M} | {h.section}\n\n{h.title}"


def layout_numeric_dotted(h: HeaderFields) -> str:
    return f"{h.title}\n{h.published:%d.%m.%Y %H:%M}"


def layout_iso_offset(h: HeaderFields) -> str:
    label = "Published" if h.language == "en" else "Publikuar"
    return f"{h.title}\n{label}: {h.published:%Y-%m-%dT%H:%M:%S}+01:00"


def layout_posted_on_by(h: HeaderFields) -> str:
    return f"Posted on {_day_month_year(h.published, 'en')} by {h.author} | {h.section}\n\n{h.title}"


def layout_section_title_byline_date(h: HeaderFields) -> str:
    label = "Shkruar nga" if h.language == "sq" else "Written by"
    return f"{h.section}\n{h.title}\n\n{label} {h.author} | {_day_month_year(h.published, h.language)}"


def layout_date_byline_outlet_segments(h: HeaderFields) -> str:
    return f"{h.title}\n{_day_month_year(h.published, 'en')} | By {h.author} | {h.outlet}"


def layout_video_published_updated(h: HeaderFields) -> str:
    updated = h.published + timedelta(days=1, hours=2)
    return (f"{h.title} - Video\nPublikuar më {_day_month_year(h.published, 'sq')}, {h.published:%H:%M}"
            f"\nPërditësuar: {_day_month_year(updated, 'sq')}, {updated:%H:%M}")


def layout_month_first_clock(h: HeaderFields) -> str:
    return (f"{h.title}\n{MONTHS['en'][h.published.month - 1]} {h.published.day}, {h.published.year} "
            f"{_english_clock(h.published)}\nBy {h.author}")


def layout_section_pipe_numeric(h: HeaderFields) -> str:
    return f"{h.title}\n{h.section} | {h.published:%d.%m.%Y} | {h.published:%H:%M}"


def layout_caption_credit_dateline(h: HeaderFields) -> str:
    return (f"{h.section}\n{h.title}\n\n{h.caption}. Photo: {h.outlet}\n\n"
            f"{h.dateline_place.upper()}, {_day_month_year(h.published, 'en')} - {h.author}")


def layout_title_only(h: HeaderFields) -> str:
    return h.title


# Layouts by body language; some English bodies sit under Albanian header conventions and vice versa.
LAYOUTS = {
    "en": [layout_glued_section_byline, layout_date_label_glued_title, layout_by_outlet_updated,
           layout_weekday_section_first, layout_numeric_dotted, layout_iso_offset, layout_posted_on_by,
           layout_section_title_byline_date, layout_date_byline_outlet_segments, layout_month_first_clock,
           layout_caption_credit_dateline, layout_title_only],
    "sq": [layout_glued_section_byline, layout_date_label_glued_title, layout_publikuar_nga,
           layout_weekday_section_first, layout_numeric_dotted, layout_iso_offset,
           layout_section_title_byline_date, layout_video_published_updated, layout_section_pipe_numeric,
           layout_title_only],
}


# ---------------------------------------------------------------- articles


def _paragraphs(sentences: list[str], rng: random.Random) -> str:
    """Group sentences into paragraphs of three to six."""
    paragraphs, start = [], 0
    while start < len(sentences):
        size = rng.randint(3, 6)
        paragraphs.append(" ".join(sentences[start:start + size]))
        start += size
    return "\n\n".join(paragraphs)


def write_article(language: str, rng: random.Random, names: NamePool, bank: list[str],
                  sentences_per_article: int) -> tuple[str, str]:
    """One article's text and the name of its header layout."""
    cast, cast_slots = article_cast(language, rng, names)
    values = slot_values(language, rng, cast)
    slots = _Slots(values, language, rng)
    author_language = language if rng.random() < 0.8 else ("sq" if language == "en" else "en")
    header = HeaderFields(
        language=language,
        title=rng.choice(TITLES[language]).format_map(slots),
        published=FIRST_DATE + timedelta(seconds=rng.randrange(DATE_SPAN_SECONDS)),
        author=f"{rng.choice(FIRST_NAMES[author_language])} {rng.choice(SURNAMES[author_language])}",
        outlet=rng.choice(OUTLETS),
        section=rng.choice(SECTIONS[language]),
        caption=rng.choice(CAPTIONS[language]).format_map(slots),
        dateline_place=values["place2"],
    )
    layout = rng.choice(LAYOUTS[language])
    fresh = [fill(template, language, rng, cast)
             for template in rng.choices(FACT_SENTENCES[language], k=FRESH_SENTENCES)]
    sentences = rng.choices(bank, k=max(1, sentences_per_article - FRESH_SENTENCES)) + fresh
    rng.shuffle(sentences)
    # One format call fills every bank slot of the body with the cast (fresh sentences hold no braces).
    body = _paragraphs(sentences, rng).format_map(cast_slots)
    tail = rng.choice(TAILS[language]).format_map(slots | {"title": rng.choice(bank).format_map(cast_slots)[:80]})
    return f"{layout(header)}\n\n{body}{tail}\n", layout.__name__.removeprefix("layout_")


def generate_corpus(out_dir: Path, n: int, *, seed: int = 7, words: int = 800, first_index: int = 0) -> GeneratedCorpus:
    """Write `n` articles to `out_dir/<folder>/<index>.txt`, 1,000 per folder; the same seed writes the same files.

    `first_index` numbers the files, so a second call can add new files beside an existing corpus."""
    started = time.perf_counter()
    rng = random.Random(seed)
    names = build_name_pool(random.Random(0))  # the name pool is the same for every seed
    banks = {language: build_filler_bank(language, rng) for language in ("en", "sq")}
    average_words = {language: sum(len(s.split()) for s in bank) / len(bank) for language, bank in banks.items()}
    languages = rng.choices(("en", "sq"), k=n)
    language_counts: dict[str, int] = {}
    layout_counts: dict[str, int] = {}
    bytes_written = 0
    out_dir = Path(out_dir)
    for offset, language in enumerate(languages):
        index = first_index + offset
        if index % FILES_PER_FOLDER == 0 or offset == 0:
            folder = out_dir / f"{index // FILES_PER_FOLDER:04d}"
            folder.mkdir(parents=True, exist_ok=True)
        sentence_count = max(2, round(words / average_words[language]))
        text, layout = write_article(language, rng, names, banks[language], sentence_count)
        encoded = text.encode("utf-8")
        with open(folder / f"{index:07d}.txt", "wb") as handle:
            handle.write(encoded)
        bytes_written += len(encoded)
        language_counts[language] = language_counts.get(language, 0) + 1
        layout_counts[layout] = layout_counts.get(layout, 0) + 1
    return GeneratedCorpus(root=out_dir, articles=n, bytes_written=bytes_written,
                           seconds=time.perf_counter() - started, language_counts=language_counts,
                           layout_counts=layout_counts)
