"""The report's views as Vega-Lite specs built with Altair: top entities, mentions over time, one entity's
timeline with its partners, its figures by unit, and the co-occurrence matrix.

Every colour has a legend, every mark a tooltip; a click on a legend entry filters, time axes zoom and pan
(drag, wheel) and show gaps as zeros (the data is zero-filled over the calendar)."""

from __future__ import annotations

import altair as alt
import polars as pl

WIDTH = 760
# Checking each spec against the Vega-Lite JSON schema takes seconds on a large warehouse; the tests turn it on.
VALIDATE = False
TYPE_COLOURS = alt.Scale(scheme="tableau10")


DATE_FORMAT = {"day": "%d %b %Y", "week": "%d %b %Y", "month": "%b %Y"}
# Tooltips read a date in UTC through a utc time unit: Vega-Lite has no `formatType="utc"` (it would call an
# expression function named `utc`, which shows NaN), and without a utc unit it formats in the reader's zone.
TOOLTIP_TIME_UNIT = {"day": "utcyearmonthdate", "week": "utcyearmonthdate", "month": "utcyearmonth"}
EDGE_PIXELS = 8   # the first and last point are drawn whole, not cut in half by the zoomable chart's clip


def _time(field: str, title: str, period: str, starts: pl.Series) -> alt.X:
    """A calendar axis on a UTC scale: the data holds calendar days (already in the display zone), so the
    browser's own zone must not shift them to the evening before. Ticks sit only on period starts (`starts`,
    thinned by Vega to fit), so a zoomed-in axis never labels noon or repeats a date."""
    ticks = starts.unique().sort().cast(pl.Datetime("ms")).cast(pl.Int64).to_list()   # UTC midnights, in ms
    return alt.X(f"{field}:T", title=title, scale=alt.Scale(type="utc", padding=EDGE_PIXELS),
                 axis=alt.Axis(format=DATE_FORMAT[period], values=ticks, labelOverlap=True))


def _padded() -> alt.Scale:
    """A value scale from 0 with room for the highest point: padding, unlike `nice`, adds no tick beyond the
    data (such as one below 0)."""
    return alt.Scale(zero=True, nice=False, padding=EDGE_PIXELS)


def _when(field: str, title: str, period: str = "day") -> alt.Tooltip:
    return alt.Tooltip(f"{field}:T", title=title, timeUnit=TOOLTIP_TIME_UNIT[period], format=DATE_FORMAT[period])


def _rows(frame: pl.DataFrame) -> list[dict]:
    """A frame as Vega-Lite data values, dates as ISO strings (read on the UTC scale of `_time`)."""
    return frame.with_columns(pl.col(pl.Date, pl.Datetime).dt.strftime("%Y-%m-%d")).to_dicts()


def _spec(chart, **datasets: pl.DataFrame) -> dict:
    """The chart's spec with its data as top-level named datasets, added after Altair: passed through Altair,
    5,000 rows cost seconds of checking and copying (the chart refers to them by `alt.Data(name=...)`)."""
    spec = chart.to_dict(validate=VALIDATE)
    spec["datasets"] = {name: _rows(frame) for name, frame in datasets.items()}
    return spec


def _empty(message: str) -> dict:
    return alt.Chart(alt.Data(values=[{"message": message}])).mark_text(align="left", fontSize=13, color="#777").encode(
        text="message:N").properties(width=WIDTH, height=40).to_dict(validate=VALIDATE)


def top_entities_spec(top: pl.DataFrame) -> dict:
    if not top.height:
        return _empty("No linked entity is mentioned yet.")
    legend = alt.selection_point(fields=["entity_type"], bind="legend")
    return _spec(alt.Chart(alt.Data(name="top")).mark_bar().encode(
        x=alt.X("mentions:Q", title="mentions"),
        y=alt.Y("name:N", sort="-x", title=None),
        color=alt.Color("entity_type:N", scale=TYPE_COLOURS, title="type (click to filter)"),
        opacity=alt.condition(legend, alt.value(1), alt.value(0.15)),
        tooltip=["name:N", "entity_type:N", "mentions:Q", "articles:Q", _when("first_seen", "first seen"),
                 _when("last_seen", "last seen")],
    ).add_params(legend).properties(width=WIDTH - 160, height=18 * top.height), top=top)


def timeline_spec(timeline: pl.DataFrame, period: str) -> dict:
    if not timeline.height:
        return _empty("No dated mentions yet.")
    legend = alt.selection_point(fields=["entity"], bind="legend")
    zoom = alt.selection_interval(bind="scales", encodings=["x"])
    return _spec(alt.Chart(alt.Data(name="timeline")).mark_line(point=True, strokeWidth=2).encode(
        x=_time("period_start", f"{period} starting", period, timeline["period_start"]),
        y=alt.Y("mentions:Q", title=f"mentions per {period}", scale=_padded()),
        color=alt.Color("entity:N", title="entity (click to filter)",   # the legend lists the most mentioned first
                        sort=alt.EncodingSortField("mentions", op="sum", order="descending")),
        opacity=alt.condition(legend, alt.value(1), alt.value(0.08)),
        tooltip=["entity:N", _when("period_start", f"{period} starting", period), "mentions:Q", "articles:Q"],
    ).add_params(legend, zoom).properties(width=WIDTH, height=320), timeline=timeline)


def entity_spec(timeline: pl.DataFrame, partners: pl.DataFrame, names: list[str], period: str) -> dict:
    """One entity at a time (chosen in a drop-down): its mentions per period beside its co-mentioned partners."""
    if not timeline.height or not names:
        return _empty("No dated mentions yet.")
    chosen = alt.param(name="chosen_entity", value=names[0],
                       bind=alt.binding_select(options=names, name="entity: "))
    zoom = alt.selection_interval(bind="scales", encodings=["x"])
    line = alt.Chart(alt.Data(name="timeline")).mark_line(point=True, color="#4e79a7").encode(
        x=_time("period_start", f"{period} starting", period, timeline["period_start"]),
        y=alt.Y("mentions:Q", title=f"mentions per {period}", scale=_padded()),
        tooltip=["entity:N", _when("period_start", f"{period} starting", period), "mentions:Q", "articles:Q"],
    ).transform_filter("datum.entity == chosen_entity").add_params(zoom).properties(
        width=WIDTH - 330, height=260, title="mentions over time")
    bars = alt.Chart(alt.Data(name="partners")).mark_bar(color="#f28e2b").encode(
        x=alt.X("together:Q", title="units seen together"),
        y=alt.Y("partner:N", sort="-x", title=None),
        tooltip=["partner:N", "together:Q", alt.Tooltip("npmi:Q", format=".2f"), alt.Tooltip("g2:Q", format=".1f")],
    ).transform_filter("datum.entity == chosen_entity").properties(width=180, height=260,
                                                                    title="co-mentioned partners")
    return _spec(alt.hconcat(line, bars).add_params(chosen), timeline=timeline, partners=partners)


def figures_spec(figures: pl.DataFrame, names: list[str], units: int = 6) -> dict:
    """The figures stated beside one entity (drop-down), values over time, one panel per unit (own y scale) for
    the `units` most frequent units; only the chosen entity's units get a panel."""
    if not figures.height:
        return _empty("No figure is linked to the top entities yet.")
    kept = figures["unit"].value_counts(sort=True).head(units)["unit"]
    figures = figures.filter(pl.col("unit").is_in(kept.implode()))
    days = pl.date_range(figures["day"].min(), figures["day"].max(), "1d", eager=True)
    with_figures = [name for name in names if name in set(figures["entity"].to_list())]
    chosen = alt.param(name="figures_entity", value=with_figures[0],
                       bind=alt.binding_select(options=with_figures, name="entity: "))
    legend = alt.selection_point(fields=["unit"], bind="legend")
    zoom = alt.selection_interval(bind="scales", encodings=["x"])
    points = alt.Chart().mark_point(filled=True, size=60).encode(
        x=_time("day", "article day", "day", days),
        y=alt.Y("value:Q", title="value", scale=_padded()),
        color=alt.Color("unit:N", title="unit (click to filter)"),
        opacity=alt.condition(legend, alt.value(0.9), alt.value(0.08)),
        tooltip=["entity:N", "unit:N", "value:Q", "surface:N", _when("day", "day"), "title:N"],
    ).add_params(legend, zoom).properties(width=WIDTH - 100, height=140)
    return _spec(alt.FacetChart(data=alt.Data(name="figures"), spec=points, facet=alt.Facet("unit:N", title=None),
                                columns=1).transform_filter("datum.entity == figures_entity").resolve_scale(
        y="independent").add_params(chosen), figures=figures)


def matrix_spec(matrix: pl.DataFrame, names: list[str], unit_window: str) -> dict:
    """NPMI of every pair among the top entities: a matrix, so labels never overprint as in a drawn network."""
    if not matrix.height:
        return _empty("No pair is seen together yet.")
    axis = alt.Axis(labelLimit=160)
    every_name = alt.Scale(domain=names)   # an entity never seen with another still gets its (blank) row
    # Outlined cells: a pair at NPMI 0 is drawn white, and must not look like a pair never seen together.
    return _spec(alt.Chart(alt.Data(name="matrix")).mark_rect(stroke="#bbb", strokeWidth=0.5).encode(
        x=alt.X("partner:N", scale=every_name, title=None, axis=alt.Axis(labelAngle=-45, labelLimit=160)),
        y=alt.Y("entity:N", scale=every_name, title=None, axis=axis),
        color=alt.Color("npmi:Q", scale=alt.Scale(scheme="redblue", domain=[-1, 1], reverse=True),
                        title=f"NPMI (same {unit_window})"),
        tooltip=["entity:N", "partner:N", alt.Tooltip("together:Q", title=f"{unit_window}s together"),
                 alt.Tooltip("npmi:Q", format=".2f"), alt.Tooltip("g2:Q", format=".1f")],
    ).properties(width=28 * len(names), height=28 * len(names)), matrix=matrix)


def report_specs(data: dict) -> dict[str, dict]:
    """Element id -> Vega-Lite spec, in page order."""
    names = (data["timeline"].group_by("entity").agg(pl.col("mentions").sum())
             .sort(["mentions", "entity"], descending=[True, False])["entity"].to_list())
    return {
        "chart-top-entities": top_entities_spec(data["top_entities"]),
        "chart-mentions": timeline_spec(data["timeline"], data["period"]),
        "chart-entity": entity_spec(data["timeline"], data["partners"], names, data["period"]),
        "chart-figures": figures_spec(data["figures"], names),
        "chart-matrix": matrix_spec(data["matrix"], data["matrix_entities"], data["unit_window"]),
    }
