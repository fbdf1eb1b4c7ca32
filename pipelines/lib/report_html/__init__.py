"""The HTML report: interactive Vega-Lite charts (through Altair) on the warehouse's report tables, in one offline page.

`write_html_report` reads the data (`data.py`), builds the views (`views.py`) and writes the page with the vega
JavaScript inlined from vl-convert (`page.py`), so `report.html` opens from disk with no network."""

from pipelines.lib.report_html.data import (
    PERIODS, markdown_table, promote_command, report_data, report_period_from_env,
)
from pipelines.lib.report_html.page import render_html, write_html_report
from pipelines.lib.report_html.views import report_specs

__all__ = ["PERIODS", "markdown_table", "promote_command", "render_html", "report_data", "report_period_from_env", "report_specs",
           "write_html_report"]
