"""Hand-written SVG charts (mentions over time, co-occurrence network, NPMI heat map) and the static HTML report.

Everything is inline (SVG, CSS, no script, no external URL), so `warehouse/kronika.files/report.html` opens offline; the data
comes from the same `sql/` reports the CLI runs."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from html import escape
from pathlib import Path

import duckdb
import polars as pl

from pipelines.lib.reports import ReportTableMissingError, find_report, run_report, set_display_timezone

# Tableau 10: distinguishable, and still readable for the common colour-vision deficiencies.
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac")
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"
SVG_NAMESPACE = 'xmlns="http://www.w3.org/2000/svg"'


# ---- small drawing helpers ----------------------------------------------------------------------

def _svg(element_id: str, width: int, height: int, body: list[str], title: str) -> str:
    """An SVG document; `{namespace}` is filled for standalone files and left empty inside HTML."""
    return (f'<svg {{namespace}} id="{element_id}" role="img" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" style="{FONT};font-size:12px"><title>{escape(title)}</title>'
            + "".join(body) + "</svg>")


def _text(x: float, y: float, content: str, *, anchor: str = "start", size: int = 12, weight: str = "normal",
          fill: str = "#333", rotate: float | None = None) -> str:
    transform = f' transform="rotate({rotate:.0f} {x:.1f} {y:.1f})"' if rotate is not None else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" font-weight="{weight}" '
            f'fill="{fill}"{transform}>{escape(content)}</text>')


def _empty_chart(element_id: str, title: str, message: str, width: int = 900, height: int = 120) -> str:
    return _svg(element_id, width, height, [_text(16, 28, title, size=15, weight="bold"),
                                            _text(16, 64, message, fill="#777")], title)


def _nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above value, so axis ticks are round numbers."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def standalone(svg: str) -> str:
    """The SVG as a file of its own (with its namespace)."""
    return svg.replace("{namespace}", SVG_NAMESPACE, 1)


def inline(svg: str) -> str:
    """The SVG inside HTML5, where no namespace (and so no URL) is needed."""
    return svg.replace("{namespace} ", "", 1)


# ---- the three charts ---------------------------------------------------------------------------

def line_chart_svg(series: pl.DataFrame, *, element_id: str = "chart-mentions", title: str = "Mentions over time",
                   width: int = 900, height: int = 380) -> str:
    """series: period_start, period (label), entity, mentions (the `mention_frequency` report)."""
    if not series.height:
        return _empty_chart(element_id, title, "No dated mentions yet.")
    periods = series.select("period_start", "period").unique().sort("period_start")
    labels = periods["period"].to_list()
    entities = series.group_by("entity").agg(pl.col("mentions").sum()).sort(["mentions", "entity"],
                                                                             descending=[True, False])["entity"]
    left, right, top, bottom = 56, 190, 44, 64
    plot_width, plot_height = width - left - right, height - top - bottom
    y_max = _nice_ceiling(series["mentions"].max())
    # x follows the calendar, so a quiet gap between two periods looks like a gap, not like the next period.
    starts = periods["period_start"].to_list()
    span_days = max((starts[-1] - starts[0]).days, 1)
    x_of = {label: left + (plot_width * (start - starts[0]).days / span_days if len(starts) > 1 else plot_width / 2)
            for start, label in zip(starts, labels)}

    def y_of(value: float) -> float:
        return top + plot_height * (1 - value / y_max)

    body = [_text(left, 24, title, size=15, weight="bold")]
    for tick in range(6):
        value = y_max * tick / 5
        y = y_of(value)
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_width}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        body.append(_text(left - 8, y + 4, f"{value:g}", anchor="end", fill="#666"))
    last_label_x = -math.inf
    for label in labels:   # skip labels that would overlap the previous one
        if x_of[label] - last_label_x >= 44:
            body.append(_text(x_of[label], top + plot_height + 18, label, anchor="end", size=11, fill="#666",
                              rotate=-30))
            last_label_x = x_of[label]
    body.append(f'<line x1="{left}" y1="{top + plot_height}" x2="{left + plot_width}" y2="{top + plot_height}" '
                f'stroke="#999"/>')
    complete = periods.select("period").join(
        series.select("entity").unique(), how="cross").join(
        series.select("period", "entity", "mentions"), on=["period", "entity"], how="left").with_columns(
        pl.col("mentions").fill_null(0))
    for rank, entity in enumerate(entities.to_list()):
        colour = PALETTE[rank % len(PALETTE)]
        values = dict(complete.filter(pl.col("entity") == entity).select("period", "mentions").rows())
        points = [(x_of[label], y_of(values.get(label, 0)), label, values.get(label, 0)) for label in labels]
        body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2.2" points="'
                    + " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points) + '"/>')
        body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.2" fill="{colour}"><title>{escape(entity)}, '
                 f'{escape(label)}: {count}</title></circle>' for x, y, label, count in points]
        legend_y = top + 8 + rank * 20
        body.append(f'<rect x="{width - right + 16}" y="{legend_y - 9}" width="14" height="4" fill="{colour}"/>')
        body.append(_text(width - right + 36, legend_y - 3, entity))
    return _svg(element_id, width, height, body, title)


def _circle_order(names: list[str], edges: pl.DataFrame) -> list[str]:
    """Walk depth-first from the most mentioned name along the strongest edges, so partners sit side by side on
    the circle and fewer edges cross it; ties follow the given order, so the layout is deterministic."""
    rank = {name: index for index, name in enumerate(names)}
    neighbours: dict[str, list[str]] = {name: [] for name in names}
    for row in edges.sort(["together", "npmi"], descending=True).iter_rows(named=True):
        neighbours[row["entity_a"]].append(row["entity_b"])
        neighbours[row["entity_b"]].append(row["entity_a"])
    ordered, seen = [], set()
    for start in names:
        stack = [start]
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            ordered.append(name)
            stack += sorted((n for n in neighbours[name] if n not in seen), key=lambda n: -rank[n])
    return ordered


def network_svg(nodes: pl.DataFrame, edges: pl.DataFrame, *, element_id: str = "chart-network",
                title: str = "Co-occurrence network", width: int = 900, height: int = 720) -> str:
    """nodes: entity, mentions; edges: entity_a, entity_b, together, npmi. Nodes sit on a circle, most mentioned
    first, so the same data always gives the same picture."""
    if not edges.height:
        return _empty_chart(element_id, title, "No pair is seen together often enough yet.")
    linked = set(edges["entity_a"].to_list()) | set(edges["entity_b"].to_list())
    placed = (nodes.filter(pl.col("entity").is_in(list(linked)))
              .sort(["mentions", "entity"], descending=[True, False]))
    missing = sorted(linked - set(placed["entity"].to_list()))
    names = _circle_order(placed["entity"].to_list() + missing, edges)
    mentions = dict(placed.select("entity", "mentions").rows())
    most = max(mentions.values(), default=1) or 1
    centre_x, centre_y = width / 2, height / 2 + 10
    radius = min(width, height) / 2 - 110
    position = {name: (centre_x + radius * math.cos(2 * math.pi * i / len(names) - math.pi / 2),
                       centre_y + radius * math.sin(2 * math.pi * i / len(names) - math.pi / 2))
                for i, name in enumerate(names)}
    most_together = max(edges["together"].max(), 1)
    body = [_text(16, 24, title, size=15, weight="bold")]
    for row in edges.sort("npmi").iter_rows(named=True):   # strongest drawn last, on top
        (x1, y1), (x2, y2) = position[row["entity_a"]], position[row["entity_b"]]
        strength = max(0.0, min(1.0, row["npmi"] or 0.0))
        body.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#4e79a7" '
                    f'stroke-width="{1 + 7 * row["together"] / most_together:.1f}" '
                    f'stroke-opacity="{0.25 + 0.7 * strength:.2f}"><title>{escape(row["entity_a"])} – '
                    f'{escape(row["entity_b"])}: together {row["together"]}, NPMI {strength:.2f}</title></line>')
    for index, name in enumerate(names):
        x, y = position[name]
        size = 5 + 11 * math.sqrt(mentions.get(name, 0) / most)
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size:.1f}" fill="{PALETTE[index % len(PALETTE)]}" '
                    f'stroke="#fff" stroke-width="1.5"><title>{escape(name)}: {mentions.get(name, 0)} mentions'
                    f'</title></circle>')
        outward_x, outward_y = x - centre_x, y - centre_y
        length = math.hypot(outward_x, outward_y) or 1
        label_x = x + outward_x / length * (size + 8)
        label_y = y + outward_y / length * (size + 8) + 4
        anchor = "middle" if abs(outward_x) < radius * 0.2 else ("start" if outward_x > 0 else "end")
        body.append(_text(label_x, label_y, name, anchor=anchor))
    return _svg(element_id, width, height, body, title)


def _npmi_colour(npmi: float | None) -> str:
    """Diverging: blue below independence, white at 0, red above; grey when never seen together."""
    if npmi is None:
        return "#f2f2f2"
    strength = max(-1.0, min(1.0, npmi))
    target = (225, 87, 89) if strength > 0 else (78, 121, 167)
    mix = abs(strength) ** 0.7   # spread the small values, where most pairs are
    red, green, blue = (round(255 + (channel - 255) * mix) for channel in target)
    return f"#{red:02x}{green:02x}{blue:02x}"


def heatmap_svg(entities: list[str], pairs: pl.DataFrame, *, element_id: str = "chart-heatmap",
                title: str = "Pair strength (NPMI)", cell: int = 40) -> str:
    """entities: the rows and columns, in order; pairs: entity_a, entity_b, npmi (each pair once, either way)."""
    if len(entities) < 2:
        return _empty_chart(element_id, title, "Fewer than two entities to compare yet.")
    strength = {}
    for row in pairs.iter_rows(named=True):
        strength[(row["entity_a"], row["entity_b"])] = strength[(row["entity_b"], row["entity_a"])] = row["npmi"]
    label_width = 10 + 7 * max(len(name) for name in entities)
    left, top = label_width, 52 + int(label_width * 0.72)
    width, height = max(left + cell * len(entities) + 150, 24 + 9 * len(title)), top + cell * len(entities) + 24
    body = [_text(16, 24, title, size=15, weight="bold")]
    for column, name in enumerate(entities):
        x = left + column * cell + cell / 2
        body.append(_text(x, top - 8, name, size=11, rotate=-45))
    for row_index, row_name in enumerate(entities):
        y = top + row_index * cell
        body.append(_text(left - 8, y + cell / 2 + 4, row_name, anchor="end", size=11))
        for column, column_name in enumerate(entities):
            x = left + column * cell
            if row_name == column_name:
                body.append(f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="#fff" '
                            f'stroke="#ddd"/>')
                continue
            value = strength.get((row_name, column_name))
            tip = f"{row_name} – {column_name}: " + ("never together" if value is None else f"NPMI {value:.2f}")
            body.append(f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{_npmi_colour(value)}">'
                        f'<title>{escape(tip)}</title></rect>')
            if value is not None:
                body.append(_text(x + (cell - 2) / 2, y + cell / 2 + 3, f"{value:.2f}", anchor="middle", size=10,
                                  fill="#fff" if abs(value) > 0.55 else "#333"))
    legend_x = left + cell * len(entities) + 24
    for step in range(11):
        value = 1 - step / 5
        body.append(f'<rect x="{legend_x}" y="{top + step * 14}" width="18" height="14" '
                    f'fill="{_npmi_colour(value)}"/>')
        if step % 5 == 0:
            body.append(_text(legend_x + 24, top + step * 14 + 11, f"{value:+.0f}", size=11))
    body.append(_text(legend_x, top + 11 * 14 + 18, "grey: never together", size=10, fill="#777"))
    return _svg(element_id, width, height, body, title)


# ---- the HTML report ----------------------------------------------------------------------------

STYLE = """
body{margin:0;background:#fafafa;color:#222;%s}
main{max-width:1200px;margin:0 auto;padding:24px 32px 64px}
h1{font-size:26px;margin:8px 0 4px}h2{font-size:19px;margin:36px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
p.lead{color:#555;margin-top:0}figure{margin:12px 0;background:#fff;border:1px solid #e3e3e3;border-radius:6px;
padding:12px;overflow-x:auto}figcaption{color:#666;font-size:13px;margin-top:6px}
table{border-collapse:collapse;background:#fff;font-size:13px;margin:8px 0}th,td{border:1px solid #e3e3e3;
padding:4px 8px;text-align:left;vertical-align:top}th{background:#f0f3f7}td.number{text-align:right}
.summary{display:flex;gap:16px;flex-wrap:wrap}.summary div{background:#fff;border:1px solid #e3e3e3;border-radius:6px;
padding:10px 16px}.summary b{display:block;font-size:22px}
""" % FONT


def html_table(frame: pl.DataFrame, *, limit: int = 20) -> str:
    if not frame.height:
        return "<p><em>(none)</em></p>"
    head = "".join(f"<th>{escape(column)}</th>" for column in frame.columns)
    rows = []
    for row in frame.head(limit).iter_rows():
        cells = []
        for value in row:
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            text = "" if value is None else (f"{value:.3f}".rstrip("0").rstrip(".") if isinstance(value, float)
                                             else str(value))
            cells.append(f'<td class="number">{escape(text)}</td>' if numeric else f"<td>{escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def markdown_table(frame: pl.DataFrame, *, limit: int = 10) -> str:
    """A Markdown table (for Dagster metadata and docs)."""
    head = frame.head(limit)
    if not head.height:
        return "_(none)_"
    lines = ["| " + " | ".join(head.columns) + " |", "|" + "---|" * len(head.columns)]
    lines += ["| " + " | ".join("" if v is None else str(v).replace("|", "\\|") for v in row) + " |"
              for row in head.iter_rows()]
    return "\n".join(lines)


def _period_for_span(connection: duckdb.DuckDBPyConnection) -> str:
    """Days for a month of news, ISO weeks up to about a year, months beyond."""
    first, last = connection.sql("SELECT min(published_at)::DATE, max(published_at)::DATE FROM articles").fetchall()[0]
    if first is None:
        return "week"
    span = (last - first).days
    return "day" if span <= 45 else ("week" if span <= 400 else "month")


def report_data(connection: duckdb.DuckDBPyConnection, *, entities: int = 8, pairs: int = 20,
                unit_window: str = "sentence", display_timezone: str | None = None) -> dict[str, pl.DataFrame | str]:
    """Everything the HTML report shows, read through the `sql/` reports (times and days in display_timezone)."""
    if display_timezone is not None:
        set_display_timezone(connection, display_timezone)
    period = _period_for_span(connection)
    data: dict[str, pl.DataFrame | str] = {
        "period": period, "unit_window": unit_window,
        "top_entities": run_report(connection, find_report("top_entities"), {"top": 20}, display_timezone=display_timezone),
        "frequency": run_report(connection, find_report("mention_frequency"), {"period": period, "top": entities}, display_timezone=display_timezone),
        "unlinked": run_report(connection, find_report("unlinked_candidates"), {"top": 15}, display_timezone=display_timezone),
        "trend": run_report(connection, find_report("entity_trend"), {"period": "month", "top": 10}, display_timezone=display_timezone),
    }
    try:
        strongest = pl.DataFrame()
        for min_support in (2, 1):   # small corpora rarely repeat a pair; fall back to every pair seen
            strongest = run_report(connection, find_report("cooccurrence"), {"unit_window": unit_window, "min_support": min_support, "rank_by": "g2",
                                    "top": pairs}, display_timezone=display_timezone)
            if strongest.height >= 5:
                break
        data["pairs"] = strongest
        every_pair = connection.sql(
            "SELECT entity_a, entity_b, npmi FROM report_entity_pairs WHERE unit_window = ? AND month IS NULL",
            params=[unit_window]).pl()
    except ReportTableMissingError:
        data["pairs"] = every_pair = pl.DataFrame(schema={"entity_a": pl.String, "entity_b": pl.String,
                                                          "units_with_both": pl.Int64, "npmi": pl.Float64})
    heat_entities = data["top_entities"]["name"].head(12).to_list()
    data["heatmap_entities"] = heat_entities
    data["heatmap_pairs"] = every_pair.filter(pl.col("entity_a").is_in(heat_entities)
                                              & pl.col("entity_b").is_in(heat_entities))
    data["counts"] = connection.sql(
        "SELECT (SELECT count(*) FROM articles) AS articles, (SELECT count(*) FROM mentions) AS mentions, "
        "(SELECT count(*) FROM entities WHERE linked) AS linked_entities, "
        "(SELECT min(published_at)::DATE FROM articles) AS first_day, "
        "(SELECT max(published_at)::DATE FROM articles) AS last_day").pl()
    return data


def report_charts(data: dict) -> dict[str, str]:
    """The three charts as SVG templates (see `standalone` and `inline`)."""
    top = data["top_entities"]
    pairs = data["pairs"].rename({"units_with_both": "together"}) if data["pairs"].height else pl.DataFrame(
        schema={"entity_a": pl.String, "entity_b": pl.String, "together": pl.Int64, "npmi": pl.Float64})
    nodes = top.select(pl.col("name").alias("entity"), "mentions")
    if pairs.height:   # partners outside the top list still get a node size
        nodes = pl.concat([nodes, pl.DataFrame({"entity": pairs["entity_a"].to_list() + pairs["entity_b"].to_list()})
                          .unique().join(nodes, on="entity", how="anti").with_columns(
                              pl.lit(0, dtype=nodes["mentions"].dtype).alias("mentions"))])
    return {
        "mentions": line_chart_svg(data["frequency"], title=f"Mentions per {data['period']}, top entities"),
        "network": network_svg(nodes, pairs.select("entity_a", "entity_b", "together", "npmi"),
                               title=f"Strongest pairs (same {data['unit_window']}, ranked by G²)"),
        "heatmap": heatmap_svg(data["heatmap_entities"], data["heatmap_pairs"],
                               title=f"Pair strength among the top entities (NPMI, same {data['unit_window']})"),
    }


def render_html(data: dict, charts: dict[str, str], *, generated_at: datetime | None = None) -> str:
    counts = data["counts"].row(0, named=True)
    stamp = (generated_at or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    summary = "".join(f"<div><b>{escape(str(value if value is not None else '–'))}</b>{escape(label)}</div>"
                      for label, value in (("articles", counts["articles"]), ("mentions", counts["mentions"]),
                                           ("linked entities", counts["linked_entities"]),
                                           ("first day", counts["first_day"]), ("last day", counts["last_day"])))
    pair_columns = [c for c in ("entity_a", "entity_b", "units_with_both", "units", "npmi", "g2")
                    if c in data["pairs"].columns]
    sections = [
        "<h1>Kronika report</h1>",
        f'<p class="lead">Generated {escape(stamp)} from the warehouse; every number comes from a file in '
        "<code>sql/</code> (run the same report with <code>kronika report NAME</code>).</p>",
        f'<div class="summary">{summary}</div>',
        "<h2>Mentions over time</h2>",
        f"<figure>{inline(charts['mentions'])}<figcaption>Mentions per {escape(data['period'])} of the most "
        "mentioned entities (<code>kronika report mention_frequency</code>).</figcaption></figure>",
        "<h2>Top entities</h2>", html_table(data["top_entities"]),
        "<h2>Co-occurrence network</h2>",
        f"<figure>{inline(charts['network'])}<figcaption>Edge width: units seen together; edge darkness: NPMI; "
        "node size: mentions (<code>kronika report cooccurrence --param rank_by=g2</code>).</figcaption></figure>",
        html_table(data["pairs"].select(pair_columns) if pair_columns else data["pairs"]),
        "<h2>Pair strength</h2>",
        f"<figure>{inline(charts['heatmap'])}<figcaption>NPMI is 0 for pairs that meet as often as chance "
        "predicts, 1 for pairs always seen together, negative for pairs that avoid each other."
        "</figcaption></figure>",
        "<h2>Biggest movers this month</h2>", html_table(data["trend"]),
        "<h2>Unlinked names to curate</h2>",
        html_table(data["unlinked"].drop([c for c in ("example_source", "entity_id") if c in data["unlinked"].columns])),
    ]
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Kronika report</title>"
            f"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><style>{STYLE}</style></head>"
            f"<body><main>{''.join(sections)}</main></body></html>\n")


def write_html_report(connection: duckdb.DuckDBPyConnection, path: Path, *, data: dict | None = None) -> Path:
    """Write `path` (one offline HTML file) and its charts as SVG files in `<stem>-charts/` beside it.

    `data` is `report_data(connection)` when the caller already has it."""
    path = Path(path)
    data = data or report_data(connection)
    charts = report_charts(data)
    chart_dir = path.with_name(f"{path.stem}-charts")
    chart_dir.mkdir(parents=True, exist_ok=True)
    for name, svg in charts.items():
        (chart_dir / f"{name}.svg").write_text(standalone(svg), encoding="utf-8")
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(render_html(data, charts), encoding="utf-8")
    temporary.replace(path)   # readers never see a half-written report
    return path
