"""The report page: tiles, the Vega-Lite views embedded with vega-embed, and tables, in one HTML file.

The vega, vega-lite and vega-embed JavaScript (BSD-3-Clause) comes from the vl-convert-python package and is
inlined, so the page makes no network request; the bundle is cached beside the report (it takes seconds to build)."""

from __future__ import annotations

import functools
import json
from datetime import datetime, timezone
from html import escape
from pathlib import Path

import duckdb
import polars as pl

from pipelines.lib.report_html.data import report_data
from pipelines.lib.report_html.views import report_specs

FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"
STYLE = """
body{margin:0;background:#fafafa;color:#222;%s}
main{max-width:1200px;margin:0 auto;padding:24px 32px 64px}
h1{font-size:26px;margin:8px 0 4px}h2{font-size:19px;margin:36px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
p.lead{color:#555;margin-top:0}figure{margin:12px 0;background:#fff;border:1px solid #e3e3e3;border-radius:6px;
padding:12px;overflow-x:auto}figcaption{color:#666;font-size:13px;margin-top:6px}
table{border-collapse:collapse;background:#fff;font-size:13px;margin:8px 0}th,td{border:1px solid #e3e3e3;
padding:4px 8px;text-align:left;vertical-align:top}th{background:#f0f3f7}td.number{text-align:right}
td code{white-space:nowrap}
.summary{display:flex;gap:16px;flex-wrap:wrap}.summary div{background:#fff;border:1px solid #e3e3e3;border-radius:6px;
padding:10px 16px}.summary b{display:block;font-size:22px}
""" % FONT

CAPTIONS = {
    "chart-top-entities": ("Top entities", "Linked entities by mentions; colour is the type (click a legend entry to "
                           "filter). <code>kronika report top_entities</code>"),
    "chart-mentions": ("Mentions over time", "Mentions per {period} ({zone} calendar) of the most mentioned "
                       "entities; a period with no mention is drawn at 0. Drag or scroll on the chart to pan and "
                       "zoom, double-click to reset; click a legend entry to filter. "
                       "<code>kronika report mention_frequency --param period={period}</code>"),
    "chart-entity": ("One entity and its partners", "Choose an entity: its mentions per {period} and the names "
                     "seen with it in the same {unit_window} most often. "
                     "<code>kronika report entity_neighbourhood --param entity=NAME</code>"),
    "chart-figures": ("Figures by entity", "Amounts, percentages and counts stated in the same sentence as the "
                      "chosen entity, one panel per unit (each with its own scale). "
                      "<code>kronika report figures_by_entity --param entity=NAME</code>"),
    "chart-matrix": ("Co-occurrence matrix", "NPMI of each pair among the top entities: 0 when they meet as often as "
                     "chance predicts, 1 when always together, negative when they avoid each other; blank when never "
                     "seen together. <code>kronika report cooccurrence</code>"),
}


@functools.cache
def _bundle_name() -> str:
    import altair
    import vl_convert
    return f"vega-embed-{vl_convert.__version__}-altair-{altair.__version__}.js"


def vega_bundle(cache_dir: Path) -> str:
    """vega-embed with vega and vega-lite as one script that sets window.vegaEmbed; cached in cache_dir."""
    cached = cache_dir / f".{_bundle_name()}"
    if cached.exists():
        return cached.read_text(encoding="utf-8")
    import vl_convert
    from altair.utils._importers import vl_version_for_vl_convert
    bundle = vl_convert.javascript_bundle(vl_version=vl_version_for_vl_convert())
    if "</script" in bundle.lower():   # it would end the inline <script> early; no version so far has one
        raise RuntimeError("the vega bundle from vl-convert contains '</script' and cannot be inlined")
    cache_dir.mkdir(parents=True, exist_ok=True)
    temporary = cached.with_name(cached.name + ".tmp")
    temporary.write_text(bundle, encoding="utf-8")
    temporary.replace(cached)
    return bundle


def _script_safe(json_text: str) -> str:
    """JSON that cannot end the <script> element it sits in ("<\\/" is "</" in a JSON string)."""
    return json_text.replace("</", "<\\/")


def html_table(frame: pl.DataFrame, *, limit: int = 30, code_columns: tuple[str, ...] = ()) -> str:
    if not frame.height:
        return "<p><em>(none)</em></p>"
    head = "".join(f"<th>{escape(column)}</th>" for column in frame.columns)
    rows = []
    for row in frame.head(limit).iter_rows(named=True):
        cells = []
        for column, value in row.items():
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            text = "" if value is None else (f"{value:.3f}".rstrip("0").rstrip(".") if isinstance(value, float)
                                             else str(value))
            body = f"<code>{escape(text)}</code>" if column in code_columns else escape(text)
            cells.append(f'<td class="number">{body}</td>' if numeric else f"<td>{body}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def render_html(data: dict, specs: dict[str, dict], bundle: str, *, generated_at: datetime | None = None) -> str:
    counts = data["counts"]
    stamp = (generated_at or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    days = ("–" if counts["first_day"] is None else f"{counts['first_day']} to {counts['last_day']}")
    tiles = (("articles", counts["articles"]), ("mentions", counts["mentions"]),
             ("linked entities mentioned", counts["entities_mentioned"]),
             ("unlinked names", counts["unlinked_names"]), (f"article days ({data['timezone']})", days))
    summary = "".join(f"<div><b>{escape(str(value))}</b>{escape(label)}</div>" for label, value in tiles)
    fill = {"period": data["period"], "zone": data["timezone"], "unit_window": data["unit_window"]}
    sections = [
        "<h1>Kronika report</h1>",
        f'<p class="lead">Generated {escape(stamp)}. Time axes count per <b>{escape(data["period"])}</b> '
        "(set with <code>KRONIKA_REPORT_PERIOD</code> = day, week or month). Every number comes from the "
        "warehouse's report tables and the files in <code>sql/</code> (run one with "
        "<code>kronika report NAME</code>).</p>",
        f'<div class="summary" id="tiles">{summary}</div>',
    ]
    for element_id in specs:
        title, caption = CAPTIONS[element_id]
        sections.append(f"<h2>{escape(title)}</h2><figure><div id=\"{element_id}\" class=\"chart\"></div>"
                        f"<figcaption>{caption.format(**fill)}</figcaption></figure>")
    sections += [
        f"<h2>Strongest pairs</h2><p>Pairs in the same {escape(data['unit_window'])}, ranked by G².</p>",
        html_table(data["pairs"]),
        "<h2>Unlinked names to curate</h2><p>The most frequent names outside the gazetteer; run the command "
        "beside one to add it (<code>kronika report unlinked_candidates</code>).</p>",
        html_table(data["unlinked"], code_columns=("promote_command",)),
    ]
    embed = ("(function(){const specs=" + _script_safe(json.dumps(specs, default=str)) + ";"
             "for(const [id,spec] of Object.entries(specs)){vegaEmbed('#'+id,spec,{renderer:'svg',actions:false})"
             ".then(function(){document.getElementById(id).setAttribute('data-rendered','yes');})"
             ".catch(function(error){console.error(id,error);});}})();")
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Kronika report</title>"
            f"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><style>{STYLE}</style>"
            f"<script>{bundle}</script></head>"
            f"<body><main>{''.join(sections)}</main><script>{embed}</script></body></html>\n")


def write_html_report(connection: duckdb.DuckDBPyConnection, path: Path, *, data: dict | None = None,
                      period: str = "week", display_timezone: str | None = None) -> Path:
    """Write `path` (one offline HTML file) and each view's Vega-Lite spec as `<stem>-charts/<view>.vl.json`.

    `data` is `report_data(connection, ...)` when the caller already has it."""
    path = Path(path)
    data = data or report_data(connection, period=period, display_timezone=display_timezone)
    specs = report_specs(data)
    chart_dir = path.with_name(f"{path.stem}-charts")
    chart_dir.mkdir(parents=True, exist_ok=True)
    for element_id, spec in specs.items():
        (chart_dir / f"{element_id.removeprefix('chart-')}.vl.json").write_text(
            json.dumps(spec, default=str, indent=1), encoding="utf-8")
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(render_html(data, specs, vega_bundle(chart_dir)), encoding="utf-8")
    temporary.replace(path)   # readers never see a half-written report
    return path
