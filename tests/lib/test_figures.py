"""Table-driven tests of figure extraction in English and Albanian: values, units, counted nouns,
approximation flags, surfaces and character offsets, plus text that holds no figure."""

import math

import polars as pl
import pytest

from pipelines.lib.figures import decimal_mark, extract_figures, parse_digits

THIRD = 1 / 3

# (language, text, surface, value, unit, extra) where extra may hold counted, approximate, value_text
POSITIVE_CASES = [
    # percents
    ("en", "The IMF has lowered its growth forecast to 0.8 percent.", "0.8 percent", 0.8, "percent", {}),
    ("en", "The agreement was 90 percent ready.", "90 percent", 90, "percent", {}),
    ("en", "Turnout reached 61 per cent on Sunday.", "61 per cent", 61, "percent", {}),
    ("en", "Support fell to 34%.", "34%", 34, "percent", {}),
    ("en", "Inflation stood at 4.5 % in the euro area.", "4.5 %", 4.5, "percent", {}),
    ("sq", "Rritja do të jetë 0,8 për qind këtë vit.", "0,8 për qind", 0.8, "percent", {}),
    ("sq", "Papunësia ra në 9,2 përqind.", "9,2 përqind", 9.2, "percent", {}),
    ("sq", "Marrëveshja është 90 për qind gati.", "90 për qind", 90, "percent", {}),
    ("sq", "Partia mori 34,2% të votave.", "34,2%", 34.2, "percent", {}),
    ("en", "Rates rose by about 3 percent.", "3 percent", 3, "percent", {"approximate": True}),
    ("sq", "Çmimet u rritën rreth 12 për qind.", "12 për qind", 12, "percent", {"approximate": True}),
    # percentage points
    ("en", "The bank cut rates by 2 percentage points.", "2 percentage points", 2, "percentage_point", {}),
    ("en", "A cut of 25 basis points was expected.", "25 basis points", 0.25, "percentage_point", {}),
    ("sq", "Banka uli normën me 0,25 pikë përqindjeje.", "0,25 pikë përqindjeje", 0.25, "percentage_point", {}),
    ("en", "Yields fell by half a percentage point.", "half a percentage point", 0.5, "percentage_point", {}),
    # fractions
    ("en", "Oil and gas revenues have fallen by a quarter.", "a quarter", 0.25, "fraction", {}),
    ("en", "Almost half of the voters stayed home.", "half", 0.5, "fraction", {"approximate": True}),
    ("en", "Two thirds of the budget goes to defence.", "Two thirds", 2 / 3, "fraction", {}),
    ("en", "Now 1 in 10 residents has left.", "1 in 10", 0.1, "fraction", {}),
    ("sq", "Një e treta e buxhetit shkon për mbrojtjen.", "Një e treta", THIRD, "fraction", {}),
    ("sq", "Gjysma e votuesve nuk dolën.", "Gjysma", 0.5, "fraction", {}),
    ("sq", "Eksportet ranë me një të katërtën.", "një të katërtën", 0.25, "fraction", {}),
    ("sq", "Rreth gjysmë milioni njerëz protestuan sot në qytet.", "gjysmë", 0.5, "fraction", {"approximate": True}),
    ("sq", "Dy të tretat e deputetëve votuan pro.", "Dy të tretat", 2 / 3, "fraction", {}),
    # multipliers
    ("en", "Imports have doubled since the war began.", "doubled", 2, "multiplier", {}),
    ("en", "Costs tripled in two years.", "tripled", 3, "multiplier", {}),
    ("en", "The price is three times higher than before.", "three times", 3, "multiplier", {}),
    ("sq", "Eksportet janë dyfishuar këtë vit.", "dyfishuar", 2, "multiplier", {}),
    ("sq", "Çmimi u rrit trefish brenda një muaji.", "trefish", 3, "multiplier", {}),
    ("sq", "Shpenzimet u rritën dy herë.", "dy herë", 2, "multiplier", {}),
    # currencies
    ("en", "The fund holds 210 billion euros in frozen assets.", "210 billion euros", 2.1e11, "EUR", {}),
    ("en", "Brussels pledged €5m for the project.", "€5m", 5e6, "EUR", {}),
    ("en", "Washington offered $3bn in aid.", "$3bn", 3e9, "USD", {}),
    ("en", "The loan of EUR 5m was signed.", "EUR 5m", 5e6, "EUR", {}),
    ("en", "A grant of USD 2.5 million followed.", "USD 2.5 million", 2.5e6, "USD", {}),
    ("en", "The club paid £40 million for him.", "£40 million", 4e7, "GBP", {}),
    ("en", "Sales reached 12 billion yuan last year.", "12 billion yuan", 1.2e10, "CNY", {}),
    ("en", "The bill costs 300 billion rubles.", "300 billion rubles", 3e11, "RUB", {}),
    ("en", "Kyiv set aside 1.5 trillion hryvnias for defence.", "1.5 trillion hryvnias", 1.5e12, "UAH", {}),
    ("en", "The bank lent 50 million Swiss francs.", "50 million Swiss francs", 5e7, "CHF", {}),
    ("en", "Tickets cost ¥2,000 each.", "¥2,000", 2000, "JPY", {}),
    ("en", "Defence got ₴400 billion.", "₴400 billion", 4e11, "UAH", {}),
    ("sq", "Investimet arrijnë 1,2 miliardë euro.", "1,2 miliardë euro", 1.2e9, "EUR", {}),
    ("sq", "Qeveria ndau 5 milionë lekë për fermerët.", "5 milionë lekë", 5e6, "ALL", {}),
    ("sq", "Paga minimale është 40.000 lekë.", "40.000 lekë", 40000, "ALL", {}),
    ("sq", "Bursa është 100 mijë lekë në muaj.", "100 mijë lekë", 1e5, "ALL", {}),
    ("sq", "SHBA dha 300 milionë dollarë ndihmë.", "300 milionë dollarë", 3e8, "USD", {}),
    ("sq", "Rusia humbi 20 miliardë rubla.", "20 miliardë rubla", 2e10, "RUB", {}),
    ("sq", "Kredia prej 2 mld euro u miratua.", "2 mld euro", 2e9, "EUR", {}),
    ("sq", "Shuma ishte rreth 1.500 euro.", "1.500 euro", 1500, "EUR", {"approximate": True}),
    ("sq", "Gjoba është 500 mijë ALL.", "500 mijë ALL", 5e5, "ALL", {}),
    # rates
    ("en", "Brent traded at $80 a barrel.", "$80 a barrel", 80, "USD_per_barrel", {}),
    ("en", "Gas cost €36 per megawatt hour in Amsterdam.", "€36 per megawatt hour", 36, "EUR_per_MWh", {}),
    ("en", "Power sold for 120 euros per MWh.", "120 euros per MWh", 120, "EUR_per_MWh", {}),
    ("en", "The cartel pumps 9 million barrels per day.", "9 million barrels per day", 9e6, "barrel_per_day", {}),
    ("en", "Output hit 1.2 million bpd.", "1.2 million bpd", 1.2e6, "barrel_per_day", {}),
    ("sq", "Nafta kushton 80 dollarë për fuçi.", "80 dollarë për fuçi", 80, "USD_per_barrel", {}),
    ("sq", "Rusia nxjerr 9 milionë fuçi në ditë.", "9 milionë fuçi në ditë", 9e6, "barrel_per_day", {}),
    # durations
    ("en", "He served for three years in prison.", "three years", 3, "years", {}),
    ("en", "The talks lasted 48 hours.", "48 hours", 48, "hours", {}),
    ("en", "A 10-day ceasefire began.", "10-day", 10, "days", {}),
    ("en", "Over the past 12 months prices rose.", "12 months", 12, "months", {}),
    ("en", "The strike lasted six weeks.", "six weeks", 6, "weeks", {}),
    ("sq", "Ai mungoi prej 30 vitesh.", "30 vitesh", 30, "years", {}),
    ("sq", "Emigruan gjatë dy viteve të fundit.", "dy viteve", 2, "years", {}),
    ("sq", "Negociatat zgjatën tri javëve me radhë.", "tri javëve", 3, "weeks", {}),
    ("sq", "Negociatat zgjatën dy muaj.", "dy muaj", 2, "months", {}),
    ("sq", "Gjykata dha pesë vjet burg.", "pesë vjet", 5, "years", {}),
    ("sq", "Bisedimet zgjatën tri ditë.", "tri ditë", 3, "days", {}),
    ("sq", "Plani katër vjeçar u miratua për katër vjetësh.", "katër vjetësh", 4, "years", {}),
    # measures
    ("en", "Troops advanced 15 km overnight.", "15 km", 15, "km", {}),
    ("en", "The zone covers 1,200 square kilometres.", "1,200 square kilometres", 1200, "km2", {}),
    ("en", "Exports reached 100,000 tonnes a year.", "100,000 tonnes", 100000, "tonne", {}),
    ("en", "Europe imported 20 bcm of gas.", "20 bcm", 2e10, "m3", {}),
    ("en", "The plant produces 500 MW of power.", "500 MW", 500, "MW", {}),
    ("sq", "Zjarri dogji 6.000 hektarë pyll.", "6.000 hektarë", 6000, "hectare", {}),
    ("sq", "Kina bleu 25 milionë ton soje.", "25 milionë ton", 2.5e7, "tonne", {}),
    ("sq", "Rruga e re ka 40 kilometra.", "40 kilometra", 40, "km", {}),
    # counts
    ("en", "Officials said 1,200 troops crossed the river.", "1,200 troops", 1200, "count", {"counted": "troops"}),
    ("en", "The last 20 living hostages were freed.", "20 living hostages", 20, "count", {"counted": "hostages"}),
    ("en", "Some 2,000 Palestinian prisoners were released.", "2,000 Palestinian prisoners", 2000, "count", {"counted": "prisoners", "approximate": True}),
    ("en", "About 2.1 million people live there.", "2.1 million people", 2.1e6, "count", {"counted": "people", "approximate": True}),
    ("en", "The bloc has twenty-five members.", "twenty-five members", 25, "count", {"counted": "members"}),
    ("en", "More than three hundred families fled.", "three hundred families", 300, "count", {"counted": "families", "approximate": True}),
    ("en", "A dozen ships were damaged.", "A dozen ships", 12, "count", {"counted": "ships"}),
    ("en", "Nearly 5,000 soldiers died.", "5,000 soldiers", 5000, "count", {"counted": "soldiers", "approximate": True}),
    ("sq", "Në kufi u vendosën 4.500 ushtarë.", "4.500 ushtarë", 4500, "count", {"counted": "ushtarë"}),
    ("sq", "Rreth 300 të plagosur u dërguan në spital.", "300 të plagosur", 300, "count", {"counted": "plagosur", "approximate": True}),
    ("sq", "Në protestë ishin njëzet e pesë mijë njerëz.", "njëzet e pesë mijë njerëz", 25000, "count", {"counted": "njerëz"}),
    ("sq", "Kuvendi ka 140 deputetë.", "140 deputetë", 140, "count", {"counted": "deputetë"}),
    ("sq", "Afro 200 mijë emigrantë votuan.", "200 mijë emigrantë", 2e5, "count", {"counted": "emigrantë", "approximate": True}),
    ("sq", "Mbi 1,200 ushtarë u tërhoqën.", "1,200 ushtarë", 1200, "count", {"counted": "ushtarë", "approximate": True}),
    ("sq", "Kishte dyqind e pesëdhjetë pjesëmarrës.", "dyqind e pesëdhjetë pjesëmarrës", 250, "count", {"counted": "pjesëmarrës"}),
    ("en", "One and a half million people voted.", "One and a half million people", 1.5e6, "count", {"counted": "people"}),
    # years
    ("en", "In 2026, the policy changed.", "2026", 2026, "year", {}),
    ("en", "The war has raged since 2022.", "2022", 2022, "year", {}),
    ("sq", "Në vitin 2025 ekonomia u rrit.", "2025", 2025, "year", {}),
    ("sq", "Që nga 1999 situata ndryshoi.", "1999", 1999, "year", {}),
    ("en", "Prices rose in mid-2026 again.", "2026", 2026, "year", {}),
    # dates
    ("en", "As of February 2026, the deal was ready.", "February 2026", None, "date", {"value_text": "2026-02"}),
    ("en", "It was signed on the 16th of October 2025.", "16th of October 2025", None, "date", {"value_text": "2025-10-16"}),
    ("en", "Talks resume on October 16, 2025 in Geneva.", "October 16, 2025", None, "date", {"value_text": "2025-10-16"}),
    ("en", "Voting starts on 3 March.", "3 March", None, "date", {"value_text": "--03-03"}),
    ("sq", "Publikuar më 17 tetor 2025 në Tiranë.", "17 tetor 2025", None, "date", {"value_text": "2025-10-17"}),
    ("sq", "Zgjedhjet mbahen në shkurt 2026.", "shkurt 2026", None, "date", {"value_text": "2026-02"}),
    ("sq", "Afati është 28 dhjetor.", "28 dhjetor", None, "date", {"value_text": "--12-28"}),
    ("en", "The report is dated 2026-02-02 and final.", "2026-02-02", None, "date", {"value_text": "2026-02-02"}),
    ("sq", "Vendimi i datës 17.10.2025 u publikua.", "17.10.2025", None, "date", {"value_text": "2025-10-17"}),
    # a capitalised word at the start of a sentence does not hide a date behind a number
    ("en", "On 17.10.2025 the ministers met again.", "17.10.2025", None, "date", {"value_text": "2025-10-17"}),
    ("sq", "Më 17.10.2025 ministrat u takuan përsëri.", "17.10.2025", None, "date", {"value_text": "2025-10-17"}),
    ("en", "On 2025-10-17 the ministers met again.", "2025-10-17", None, "date", {"value_text": "2025-10-17"}),
    # a capitalised qualifier or a word that is not a name keeps the number
    ("en", "About 400 protesters gathered outside.", "400 protesters", 400, "count", {"counted": "protesters", "approximate": True}),
    ("sq", "Sipas policisë, 400 protestues u mblodhën.", "400 protestues", 400, "count", {"counted": "protestues"}),
]

RANGE_CASES = [
    ("en", "Support dropped from 20 to 10 percent.", [("20", 20, "percent"), ("10 percent", 10, "percent")]),
    ("en", "Between 5 and 7 million people fled.", [("5", 5e6, "count"), ("7 million people", 7e6, "count")]),
    ("en", "Growth of 20-30% is expected.", [("20", 20, "percent"), ("30%", 30, "percent")]),
    ("sq", "Mbështetja ra nga 20 në 10 për qind.", [("20", 20, "percent"), ("10 për qind", 10, "percent")]),
    ("sq", "Pagat rriten me 5 deri në 7 për qind.", [("5", 5, "percent"), ("7 për qind", 7, "percent")]),
    ("en", "Aid of $5 to 7 billion was discussed.", [("$5", 5e9, "USD"), ("7 billion", 7e9, "USD")]),
    ("sq", "Partia mori 34,2% dhe 50 mandate.", [("34,2%", 34.2, "percent"), ("50 mandate", 50, "count")]),
]

NEGATIVE_CASES = [
    ("en", "Call us on +355 69 123 4567 for details."),
    ("sq", "Telefononi në 04 222 333 për informacion."),
    ("en", "The meeting ended at 20:51 yesterday."),
    ("en", "The rally starts at 8 PM tonight."),
    ("en", "Ukraine wants F-16 jets and Su-35 intercepts worry Kyiv."),
    ("en", "The Boeing 737 was grounded after COVID-19 hit."),
    ("en", "Leaders of the G7 met after the MH17 ruling."),
    ("en", "See https://example.org/news/2025/10/17/article-12345 for more."),
    ("en", "The file 000_569b95381efc9f15 was processed with id 20251017123."),
    ("en", "Under Article 5 the allies must respond."),
    ("sq", "Sipas nenit 5 të traktatit aleatët përgjigjen."),
    ("sq", "Ai është një nga liderët e rajonit."),
    ("en", "One of the ministers resigned in the first half of the year."),
    ("en", "She was the 3rd speaker at the event."),
    ("sq", "Ai u rendit i 16-ti në listë."),
    ("sq", "Takimi nis në ora 20:00 në Tiranë."),
    ("sq", "Ky ishte një vendim nën presion."),
    ("en", "At 10:30 the talks began."),
    ("sq", "Në 20:51 u publikua lajmi."),
    ("en", "The airline ordered new Airbus 320 jets."),
    ("en", "The Airbus about 320 figure is a model name."),
    ("sq", "Kompania bleu avionë Boeing 737 të rinj."),
]


def run(language: str, text: str) -> pl.DataFrame:
    frame = pl.DataFrame({"article_id": ["a1"], "field": ["body"], "text": [text], "language": [language]})
    return extract_figures(frame)


def assert_offsets(figures: pl.DataFrame, text: str) -> None:
    for row in figures.iter_rows(named=True):
        assert text[row["char_start"] : row["char_end"]] == row["surface"]


@pytest.mark.parametrize(("language", "text", "surface", "value", "unit", "extra"), POSITIVE_CASES)
def test_single_figure(language, text, surface, value, unit, extra):
    figures = run(language, text)
    assert_offsets(figures, text)
    matching = figures.filter(pl.col("surface") == surface)
    assert matching.height == 1, figures.select("surface", "value", "unit").to_dicts()
    row = matching.row(0, named=True)
    assert row["unit"] == unit
    assert row["char_start"] == text.index(surface)
    if value is None:
        assert row["value"] is None
    else:
        assert math.isclose(row["value"], value, rel_tol=1e-9)
    assert row["value_text"] == extra.get("value_text")
    assert row["counted"] == extra.get("counted")
    assert row["approximate"] is extra.get("approximate", False)


@pytest.mark.parametrize(("language", "text", "expected"), RANGE_CASES)
def test_range_gives_two_figures(language, text, expected):
    figures = run(language, text)
    assert_offsets(figures, text)
    got = [(row["surface"], row["value"], row["unit"]) for row in figures.iter_rows(named=True)]
    assert len(got) == len(expected)
    for (surface, value, unit), (want_surface, want_value, want_unit) in zip(got, expected):
        assert surface == want_surface
        assert math.isclose(value, want_value)
        assert unit == want_unit


@pytest.mark.parametrize(("language", "text"), NEGATIVE_CASES)
def test_no_figure(language, text):
    figures = run(language, text)
    assert figures.select("surface", "unit").to_dicts() == []


def test_offsets_are_characters_after_non_ascii_text():
    text = "Çështja e Ukrainës dhe ëëë çççç — “citim” 🙂 shpenzimet arritën 2,5 miliardë euro."
    figures = run("sq", text)
    assert figures["surface"].to_list() == ["2,5 miliardë euro"]
    assert figures["char_start"][0] == text.index("2,5")
    assert figures["char_end"][0] == len(text) - 1


def test_albanian_word_edges_are_whole_words():
    # "pesëdhjetë" must not be read as "pesë"; "Ukrainë" must not end a match early
    figures = run("sq", "Në Ukrainë u vranë pesëdhjetë civilë.")
    assert figures.select("surface", "value", "counted").to_dicts() == [
        {"surface": "pesëdhjetë civilë", "value": 50.0, "counted": "civilë"}
    ]


def test_no_break_spaces_group_thousands():
    text = "Kufiri ka 10\u202f000 ushtarë dhe 1\u00a0200 policë."
    figures = run("sq", text)
    assert figures["value"].to_list() == [10000.0, 1200.0]
    assert_offsets(figures, text)


def test_many_articles_keep_their_ids_and_fields():
    frame = pl.DataFrame(
        {
            "article_id": ["x", "x", "y"],
            "field": ["title", "body", "body"],
            "text": ["Rritje 5%", "Humbën 3 miliardë euro", "No numbers here."],
            "language": ["sq", "sq", None],
        }
    )
    figures = extract_figures(frame)
    assert figures.select("article_id", "field", "unit").to_dicts() == [
        {"article_id": "x", "field": "title", "unit": "percent"},
        {"article_id": "x", "field": "body", "unit": "EUR"},
    ]


def test_language_column_is_optional_and_empty_input_has_schema():
    frame = pl.DataFrame({"article_id": ["a"], "field": ["body"], "text": ["Nothing to count."]})
    figures = extract_figures(frame)
    assert figures.height == 0
    assert figures.columns == [
        "article_id", "field", "surface", "value", "value_text", "unit", "counted", "approximate", "char_start", "char_end",
    ]


@pytest.mark.parametrize(
    ("digits", "language", "prefer_thousands", "expected"),
    [
        ("1,200", "en", False, 1200.0),
        ("1,200", "sq", False, 1.2),
        ("1,200", "sq", True, 1200.0),
        ("1.200", "sq", False, 1200.0),
        ("1.200", "en", False, 1.2),
        ("1.200", "en", True, 1200.0),
        ("0,8", "sq", False, 0.8),
        ("0.8", "en", False, 0.8),
        ("1,2", "en", False, 1.2),
        ("1.200,5", "sq", False, 1200.5),
        ("1,200.5", "en", False, 1200.5),
        ("1,200,000", "sq", False, 1200000.0),
        ("1 200", None, False, 1200.0),
        ("1,200", None, False, 1200.0),
    ],
)
def test_parse_digits_by_language(digits, language, prefer_thousands, expected):
    assert math.isclose(parse_digits(digits, language, prefer_thousands=prefer_thousands), expected)


@pytest.mark.parametrize(
    ("digits", "language", "prefer_thousands", "expected"),
    [
        ("1200", "en", False, None),
        ("1,200.5", "sq", False, "."),
        ("1.200,5", "en", False, ","),
        ("1,200", "en", False, "."),
        ("1,200", "sq", False, ","),
        ("1,200", "sq", True, "."),
        ("1.200.000", "en", False, ","),
    ],
)
def test_decimal_mark_is_the_one_parse_digits_uses(digits, language, prefer_thousands, expected):
    assert decimal_mark(digits, language, prefer_thousands=prefer_thousands) == expected
    value = parse_digits(digits, language, prefer_thousands=prefer_thousands)
    thousands = "." if expected == "," else ","
    assert value == float(digits.replace(thousands, "").replace(expected or ".", "."))


# Numbers of one shape (the same words and marks around different digits) in both languages, with
# the figures each must give: the shape is read once, so every number must still keep its own value.
SAME_SHAPE_TEXTS = [
    ("en", "Officials said 1,234 troops moved.", [(1234.0, "count")]),
    ("en", "Officials said 5,678 troops moved.", [(5678.0, "count")]),
    ("en", "The fund lent €1.5 billion to Kyiv.", [(1.5e9, "EUR")]),
    ("en", "The fund lent €2.7 billion to Kyiv.", [(2.7e9, "EUR")]),
    ("sq", "Rritja ishte 3,5 për qind këtë vit.", [(3.5, "percent")]),
    ("sq", "Rritja ishte 4,25 për qind këtë vit.", [(4.25, "percent")]),
    ("sq", "Rritja ishte 7,75 për qind këtë vit.", [(7.75, "percent")]),
    ("en", "Prices rose from 20 to 30 percent.", [(20.0, "percent"), (30.0, "percent")]),
    ("en", "Prices rose from 45 to 60 percent.", [(45.0, "percent"), (60.0, "percent")]),
    ("en", "Between 5 and 7 million people fled.", [(5e6, "count"), (7e6, "count")]),
    ("en", "Between 8 and 9 million people fled.", [(8e6, "count"), (9e6, "count")]),
    ("en", "The reform began in 1998.", [(1998.0, "year")]),
    ("en", "The reform began in 9998.", [(9998.0, "count")]),
    ("sq", "Ushtria dërgoi 1.200 ushtarë në kufi.", [(1200.0, "count")]),
    ("sq", "Ushtria dërgoi 3.400 ushtarë në kufi.", [(3400.0, "count")]),
    ("en", "The field covers 12 km2 of sea.", [(12.0, "km2")]),
    ("en", "The field covers 34 km2 of sea.", [(34.0, "km2")]),
    ("en", "The new Boeing 737 flew.", []),
    ("en", "The new Boeing 747 flew.", []),
    ("en", "On 17.10.2025 they met.", [(None, "date")]),
    ("en", "On 18.11.2024 they met.", [(None, "date")]),
]


def test_numbers_of_one_shape_keep_their_own_values():
    frame = pl.DataFrame(
        {
            "article_id": [f"a{index}" for index in range(len(SAME_SHAPE_TEXTS))],
            "field": ["body"] * len(SAME_SHAPE_TEXTS),
            "text": [text for _, text, _ in SAME_SHAPE_TEXTS],
            "language": [language for language, _, _ in SAME_SHAPE_TEXTS],
        }
    )
    figures = extract_figures(frame)
    for index, (language, text, expected) in enumerate(SAME_SHAPE_TEXTS):
        rows = figures.filter(pl.col("article_id") == f"a{index}")
        assert [(row["value"], row["unit"]) for row in rows.iter_rows(named=True)] == expected, text
        assert_offsets(rows, text)


def test_a_batch_reads_each_text_as_it_would_be_read_alone():
    texts = [text for _, text, _ in SAME_SHAPE_TEXTS] + [text for _, text, *_ in POSITIVE_CASES[:40]]
    languages = [language for language, _, _ in SAME_SHAPE_TEXTS] + [language for language, *_ in POSITIVE_CASES[:40]]
    frame = pl.DataFrame(
        {"article_id": [f"a{index}" for index in range(len(texts))], "field": "body", "text": texts, "language": languages}
    )
    together = extract_figures(frame)
    alone = pl.concat([extract_figures(frame.slice(index, 1)) for index in range(frame.height)])
    assert together.sort("article_id", "char_start").equals(alone.sort("article_id", "char_start"))


# Issue 14 classes, each text with ALL the figures it must give, in order: (surface, unit, value),
# where value is value_text for dates. Currency forms here are inflections generated from stems
# (unit_stems.tsv + inflections.tsv), not listed anywhere (see the test after this table).
ISSUE_14_CASES = [
    # money with inflected currency words
    ("sq", "Projekti kushtoi 5 milionë eurove.", [("5 milionë eurove", "EUR", 5e6)]),
    ("sq", "Kompania u gjobit me 300 dollarëve.", [("300 dollarëve", "USD", 300)]),
    ("sq", "Ai fitoi 500 dollarët e parë.", [("500 dollarët", "USD", 500)]),
    ("sq", "Fermerët morën 20 mijë lekëve subvencion.", [("20 mijë lekëve", "ALL", 2e4)]),
    ("sq", "Bileta kushton 100 paundësh.", [("100 paundësh", "GBP", 100)]),
    ("sq", "Banka humbi 2 miliardë frangave zvicerane.", [("2 miliardë frangave", "CHF", 2e9)]),
    ("sq", "Rusia shpenzoi 40 miliardë rublave për ushtrinë.", [("40 miliardë rublave", "RUB", 4e10)]),
    ("sq", "Kina investoi 8 miliardë juanëve në port.", [("8 miliardë juanëve", "CNY", 8e9)]),
    ("sq", "Serbia ndau 5 milionë dinarë për Kosovën.", [("5 milionë dinarë", "RSD", 5e6)]),
    ("sq", "Maqedonia e Veriut ndau 60 milionë denarët e parë.", [("60 milionë denarët", "MKD", 6e7)]),
    ("sq", "Çmimi u rrit me 10 sterlinash.", [("10 sterlinash", "GBP", 10)]),
    ("sq", "Ai pagoi 200 euron e fundit.", [("200 euron", "EUR", 200)]),
    ("sq", "Qeveria premtoi 3 miliardë lekut të ri.", [("3 miliardë lekut", "ALL", 3e9)]),
    ("sq", "Ukraina mori 2 miliardë hryvnjave.", [("2 miliardë hryvnjave", "UAH", 2e9)]),
    ("sq", "Turqia shtypi 9 miliardë lirash.", [("9 miliardë lirash", "TRY", 9e9)]),
    ("sq", "Fondi prej 5 milionë eurove dhe 2 milionë dollarëve u miratua.", [("5 milionë eurove", "EUR", 5e6), ("2 milionë dollarëve", "USD", 2e6)]),
    ("sq", "Paga arriti 60 mije lekeve pa diakritikë.", [("60 mije lekeve", "ALL", 6e4)]),
    ("en", "Belgrade set aside 3 billion dinars.", [("3 billion dinars", "RSD", 3e9)]),
    ("en", "The fine was 900 million roubles.", [("900 million roubles", "RUB", 9e8)]),
    ("en", "Skopje raised 2 billion denars.", [("2 billion denars", "MKD", 2e9)]),
    ("en", "The bank lent 50 million francs.", [("50 million francs", "CHF", 5e7)]),
    ("en", "Ankara printed 5 billion liras.", [("5 billion liras", "TRY", 5e9)]),
    # times of day are not figures
    ("sq", "Dyqanet hapen në 05:00 dhe mbyllen 18:00-21:00.", []),
    ("sq", "Takimi nis në ora 10 në Tiranë.", []),
    ("sq", "Orari është nga 08.30 deri 16.30 çdo ditë.", []),
    ("sq", "Ndeshja fillon në orën 20.45.", []),
    ("sq", "Protesta nisi rreth 10:30 para Kuvendit.", []),
    ("en", "Polls open at 10 a.m. and close at 9 pm.", []),
    ("en", "The strike began at 1030 GMT on the border.", []),
    ("en", "Shops open from 09:00 to 17:00.", []),
    ("en", "The talks began around 9 o'clock.", []),
    ("en", "The minister arrived at 05:00, and 300 troops followed.", [("300 troops", "count", 300)]),
    # list numbers and page numbers are not figures
    ("sq", "Masat janë:\n1. Rritja e pagave\n2. Ulja e taksave", []),
    ("sq", "Kërkesat: 1) transparencë, 2) llogaridhënie.", []),
    ("sq", "Shih faqen 12 dhe tabelën 3 të raportit.", []),
    ("en", "The report (page 12, p. 5 and pp. 7-9) is public.", []),
    ("en", "Steps:\n1) Register\n2) Vote", []),
    ("en", "Table 3 shows the results.", []),
    # ages
    ("sq", "Një 35-vjeçar u arrestua në Durrës.", [("35-vjeçar", "age", 35)]),
    ("sq", "35-vjeçari u arrestua mbrëmë.", [("35-vjeçari", "age", 35)]),
    ("sq", "Policia ndaloi 17-vjeçaren në kufi.", [("17-vjeçaren", "age", 17)]),
    ("sq", "Berisha, 80 vjeç, foli sot.", [("80 vjeç", "age", 80)]),
    ("sq", "Ai vdiq në moshën 92 vjeç.", [("92 vjeç", "age", 92)]),
    ("sq", "Dy 20-vjeçarë u plagosën.", [("Dy", "count", 2), ("20-vjeçarë", "age", 20)]),
    ("sq", "Qeveria miratoi planin 5-vjeçar.", [("5-vjeçar", "years", 5)]),
    ("en", "The suspect, aged 35, was charged.", [("35", "age", 35)]),
    ("en", "A 35-year-old man was arrested.", [("35-year-old", "age", 35)]),
    ("en", "He is 40 years old.", [("40 years old", "age", 40)]),
    ("en", "She retired at the age of 67.", [("67", "age", 67)]),
    ("en", "Two 18-year-olds were hurt.", [("Two", "count", 2), ("18-year-olds", "age", 18)]),
    ("en", "He received a 10-year sentence.", [("10-year", "years", 10)]),
    # dates that were counts
    ("sq", "Botuar më 2020/07/29, 23:12:48.", [("2020/07/29", "date", "2020-07-29")]),
    ("sq", "Vendimi i datës 29-07-2020 u anulua.", [("29-07-2020", "date", "2020-07-29")]),
    ("sq", "Lajmi u botua më 29.07.20 në faqe.", [("29.07.20", "date", "2020-07-29")]),
    ("sq", "Samiti mbahet më 5-6 tetor.", [("5", "date", "--10-05"), ("6 tetor", "date", "--10-06")]),
    ("sq", "Sanksionet nisën më 9 tetori 2025.", [("9 tetori 2025", "date", "2025-10-09")]),
    ("sq", "Kampionati 2023-24 përfundoi.", [("2023", "year", 2023), ("24", "year", 2024)]),
    ("en", "The deal was signed on Jan. 9, 2026 in Paris.", [("Jan. 9, 2026", "date", "2026-01-09")]),
    ("en", "Voting ends Sept. 30 at midnight.", [("Sept. 30", "date", "--09-30")]),
    ("en", "The summit runs October 5-6, 2025.", [("October 5", "date", "2025-10-05"), ("6, 2025", "date", "2025-10-06")]),
    ("en", "Updated 09-01-2026 by the desk.", [("09-01-2026", "date", "2026-01-09")]),
    # a number never takes a unit across another number or a preposition
    ("en", "The IMF trimmed 2026 to 3.1 percent.", [("2026", "year", 2026), ("3.1 percent", "percent", 3.1)]),
    ("sq", "Banka e uli për vitin 2026 në 0,8 për qind.", [("2026", "year", 2026), ("0,8 për qind", "percent", 0.8)]),
    ("en", "Growth in 2025 reached 2.4 percent.", [("2025", "year", 2025), ("2.4 percent", "percent", 2.4)]),
    ("sq", "Inflacioni në 2024 në 4 për qind u ngadalësua.", [("2024", "year", 2024), ("4 për qind", "percent", 4)]),
    ("en", "Support fell from 20 to 10 percent.", [("20", "percent", 20), ("10 percent", "percent", 10)]),
    ("en", "In 2024 36 people died.", [("2024", "year", 2024), ("36 people", "count", 36)]),
    # ages in context: a list an age opened, and a number between commas after a name
    ("en", "Three men, aged 33, 34 and 39, were arrested.", [("Three men", "count", 3), ("33", "age", 33), ("34", "age", 34), ("39", "age", 39)]),
    ("sq", "Tre meshkuj të moshave 33, 34 dhe 39 u arrestuan.", [("Tre meshkuj", "count", 3), ("33", "age", 33), ("34", "age", 34), ("39", "age", 39)]),
    ("en", "said Gjose Tanevski, 62, a voter in Skopje.", [("62", "age", 62)]),
    ("en", "Smith, 45, and Jones, 50, were charged.", [("45", "age", 45), ("50", "age", 50)]),
    ("sq", "Agroni, 28, u arrestua mbrëmë.", [("28", "age", 28)]),
    ("en", "In March, 5 were hurt.", [("5", "count", 5)]),
    ("en", "The team won 3, 4 and 5 games.", [("3", "count", 3), ("4", "count", 4), ("5 games", "count", 5)]),
    # scores and records are not figures; rising ranges are
    ("en", "Europe take a 10-6 lead after City's 2-0 win.", []),
    ("en", "Spieth lost 5&4 and won 2&1.", []),
    ("sq", "Partizani fitoi 2:0 ndaj Tiranës.", []),
    ("en", "Some 20-30 people gathered.", [("20", "count", 20), ("30 people", "count", 30)]),
    # measures and durations in inflected forms
    ("sq", "Tërmeti me 7,1 ballë goditi qytetin.", [("7,1 ballë", "magnitude", 7.1)]),
    ("sq", "Vala arriti 10 metra lartësi.", [("10 metra", "m", 10)]),
    ("sq", "Stuhia lëviz me 12 milje në orë.", [("12 milje", "mile", 12)]),
    ("sq", "Kjo ndodhi në dy dekadat e fundit.", [("dy dekadat", "years", 20)]),
    ("sq", "Ai punoi një periudhë 15-mujore në klub.", [("15-mujore", "months", 15)]),
    ("sq", "Policia mbërriti pas 15 minutash.", [("15 minutash", "minutes", 15)]),
    ("sq", "Temperatura ra në 30 gradë.", [("30 gradë", "celsius", 30)]),
    ("en", "A 7.5 magnitude quake hit the island.", [("7.5 magnitude", "magnitude", 7.5)]),
    ("en", "Waves of 6 metres hit the coast two decades ago.", [("6 metres", "m", 6), ("two decades", "years", 20)]),
    ("en", "The volcano sits 45 miles from the city.", [("45 miles", "mile", 45)]),
    # Albanian ordinals written as cardinals after an article are not figures; a counted noun keeps the count
    ("sq", "Rangers bie në vendin e gjashtë, pas humbjes.", []),
    ("sq", "Ai u shkarkua përmes amendamentit të 25.", []),
    ("sq", "Kuvendi i 140 deputetëve votoi.", [("140 deputetëve", "count", 140)]),
]


@pytest.mark.parametrize(("language", "text", "expected"), ISSUE_14_CASES)
def test_issue_14_classes(language, text, expected):
    figures = run(language, text)
    assert_offsets(figures, text)
    got = [
        (row["surface"], row["unit"], row["value_text"] if row["unit"] == "date" else row["value"])
        for row in figures.iter_rows(named=True)
    ]
    assert len(got) == len(expected), got
    for (surface, unit, value), want in zip(got, expected):
        assert (surface, unit) == want[:2], got
        assert value == want[2] if isinstance(want[2], str) else math.isclose(value, want[2]), got


def test_inflected_currency_forms_are_derived_not_listed():
    from pipelines.lib.figures import REFERENCE_DIR, inflected_unit_rows

    listed = set()
    for name in ("units.tsv", "unit_stems.tsv"):
        listed |= {line.split("\t")[0].lower() for line in (REFERENCE_DIR / name).read_text(encoding="utf-8").splitlines()}
    derived = {row["phrase"] for row in inflected_unit_rows()}
    for form in ("eurove", "dollarëve", "dollarët", "lekëve", "paundësh", "frangave", "rublave", "juanëve", "vjeçarit", "dinars"):
        assert form not in listed and form in derived, form


def test_an_unknown_inflection_class_is_a_clear_error(tmp_path, monkeypatch):
    import pipelines.lib.figures.vocabulary as figures_module

    for name in ("inflections.tsv", "units.tsv", "number_words.tsv", "figure_qualifiers.tsv"):
        (tmp_path / name).write_text((figures_module.REFERENCE_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "unit_stems.tsv").write_text("stem\tlanguage\tunit\tfactor\trole\tinflection\nrand\ten\tZAR\t1\tcurrency_word\ten_plural_es\n", encoding="utf-8")
    monkeypatch.setattr(figures_module, "REFERENCE_DIR", tmp_path)
    with pytest.raises(ValueError, match="en_plural_es"):
        figures_module.inflected_unit_rows()


@pytest.mark.parametrize("language", ["en", "sq"])
def test_a_run_of_thousands_of_digits_is_no_figure_and_no_error(language):
    # Python's int() refuses more than 4,300 digits and float() turns them into inf; neither is a quantity.
    huge = "5" * 5000
    figures = run(language, f"10-{huge} and ${huge} and {huge}% in 2024.")
    assert all(math.isfinite(value) for value in figures["value"].drop_nulls())
    assert huge not in "".join(figures["surface"].to_list())
    assert 10.0 in figures["value"].to_list()
