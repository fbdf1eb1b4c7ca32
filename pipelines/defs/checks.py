"""Asset checks on the warehouse tables, returned with the materialisation they judge.

Each check is one SQL query over the build file; thresholds for warnings live here."""


import dagster as dg
import polars as pl

from pipelines.lib.warehouse import scalar

# Above these shares the UI shows a warning, not a failure.
MAX_SHARE_WITHOUT_DATE = 0.2
MAX_SHARE_UNLINKED = 0.5

WAREHOUSE_CHECK_SPECS = [
    dg.AssetCheckSpec("every_file_has_article_or_reason", asset="source_files",
                      description="Every ingested or duplicate file points at a stored article; every other file carries a reason."),
    dg.AssetCheckSpec("mentions_inside_text", asset="mentions",
                      description="No mention offset points outside its title or body, and the surface matches the text."),
    dg.AssetCheckSpec("no_orphan_rows", asset="mentions",
                      description="No mention, figure or sentence belongs to an article that is not stored."),
    dg.AssetCheckSpec("figures_inside_text", asset="figures",
                      description="No figure offset points outside its title or body."),
    dg.AssetCheckSpec("share_without_publication_date", asset="articles",
                      description=f"Warns when more than {MAX_SHARE_WITHOUT_DATE:.0%} of the batch's articles have no publication time."),
    dg.AssetCheckSpec("share_unlinked_mentions", asset="entities",
                      description=f"Warns when more than {MAX_SHARE_UNLINKED:.0%} of the batch's mentions are unlinked candidates."),
]

# Above this many mentions in a batch, one mention in SURFACE_SAMPLE_MODULUS has its surface compared.
SURFACE_CHECK_ALL_UP_TO = 20_000
SURFACE_SAMPLE_MODULUS = 50


def _count(connection, query: str) -> int:
    return int(scalar(connection, query) or 0)


def _share(connection, query: str) -> float:
    value = scalar(connection, query)
    return float(value or 0.0)


def warehouse_check_results(connection, article_ids: list[str], source_paths: list[str], texts: pl.DataFrame,
                            mentions: pl.DataFrame, figures: pl.DataFrame,
                            sentences: pl.DataFrame) -> list[dg.AssetCheckResult]:
    """Judge what this batch wrote (its articles, files and rows), so a check costs in proportion to the batch.

    `texts` (article_id, field, text) are the titles and bodies the batch extracted, which it stored in `articles`;
    `mentions`, `figures` and `sentences` are the rows it wrote for them, in the same transaction. The checks read
    these instead of reading them back: without an index, DuckDB finds a few articles' rows (or bodies) by scanning
    the whole table, 1.0 s for the three row tables and 1.5 s for the texts at 100,000 articles. Whether those rows
    point at stored articles and entities is asked of the warehouse."""
    connection.register("checked_articles", pl.DataFrame({"article_id": article_ids}, schema={"article_id": pl.String}).to_arrow())
    connection.register("checked_files", pl.DataFrame({"source_path": source_paths}, schema={"source_path": pl.String}).to_arrow())
    connection.register("checked_texts", texts.select("article_id", "field", "text").to_arrow())
    connection.register("written_mentions", mentions.select(
        "article_id", "entity_id", "surface", "field", "char_start", "char_end").to_arrow())
    connection.register("written_figures", figures.select("article_id", "field", "char_start", "char_end").to_arrow())
    connection.register("written_sentences", sentences.select("article_id").to_arrow())
    try:
        connection.execute("CREATE OR REPLACE TEMP TABLE checked_mentions AS SELECT * FROM written_mentions")
        connection.execute("CREATE OR REPLACE TEMP TABLE checked_figures AS SELECT * FROM written_figures")
        connection.execute("CREATE OR REPLACE TEMP TABLE checked_sentence_articles AS "
                           "SELECT article_id, count(*) AS sentence_rows FROM written_sentences GROUP BY article_id")
        files_without = _count(connection, """
            SELECT count(*) FROM source_files s SEMI JOIN checked_files USING (source_path)
            WHERE (s.status IN ('ingested', 'duplicate') AND NOT EXISTS (SELECT 1 FROM articles a WHERE a.article_id = s.article_id))
               OR (s.status IN ('quarantined', 'superseded') AND s.reason IS NULL)""")
        # Bounds and lengths for every mention (text lengths computed once per article); the surface itself
        # for every mention of a small batch and a deterministic sample of a large one, because substring()
        # walks UTF-8 from the start: O(offset) per call.
        batch_mentions = _count(connection, "SELECT count(*) FROM checked_mentions")
        modulus = 1 if batch_mentions <= SURFACE_CHECK_ALL_UP_TO else SURFACE_SAMPLE_MODULUS
        connection.execute("CREATE OR REPLACE TEMP TABLE checked_fields AS "
                           "SELECT article_id, field, text, length(text) AS text_length FROM checked_texts")
        # A row of an extracted article on a field with no text (an empty title) points outside its text too.
        bad_mentions = _count(connection, f"""
            SELECT count(*) FROM checked_mentions m
            SEMI JOIN checked_fields USING (article_id)
            LEFT JOIN checked_fields t ON t.article_id = m.article_id AND t.field = m.field
            WHERE t.text IS NULL OR m.char_start < 0 OR m.char_start >= m.char_end
               OR m.char_end > t.text_length
               OR length(m.surface) <> m.char_end - m.char_start
               OR (hash(m.article_id, m.char_start) % {modulus} = 0
                   AND substring(t.text, m.char_start + 1, m.char_end - m.char_start) <> m.surface)""")
        bad_figures = _count(connection, """
            SELECT count(*) FROM checked_figures f
            SEMI JOIN checked_fields USING (article_id)
            LEFT JOIN checked_fields t ON t.article_id = f.article_id AND t.field = f.field
            WHERE t.text IS NULL OR f.char_start < 0 OR f.char_end > t.text_length OR f.char_start >= f.char_end""")
        orphans = _count(connection, """
            SELECT (SELECT count(*) FROM checked_mentions ANTI JOIN articles USING (article_id))
                 + (SELECT count(*) FROM checked_figures ANTI JOIN articles USING (article_id))
                 + (SELECT coalesce(sum(sentence_rows), 0) FROM checked_sentence_articles ANTI JOIN articles USING (article_id))
                 + (SELECT count(*) FROM checked_mentions ANTI JOIN entities USING (entity_id))""")
        # The shares judge this batch's articles too: cheap at any warehouse size, and a bad batch stands out.
        without_date = _share(connection, """
            SELECT avg(CASE WHEN published_at IS NULL THEN 1 ELSE 0 END) FROM articles SEMI JOIN checked_articles USING (article_id)""")
        unlinked = _share(connection, """
            SELECT avg(CASE WHEN e.linked THEN 0 ELSE 1 END)
            FROM checked_mentions m JOIN entities e USING (entity_id)""")
    finally:
        for table in ("checked_mentions", "checked_figures", "checked_sentence_articles", "checked_fields"):
            connection.execute(f"DROP TABLE IF EXISTS {table}")
        for view in ("checked_articles", "checked_files", "checked_texts", "written_mentions", "written_figures",
                     "written_sentences"):
            connection.unregister(view)
    return [
        dg.AssetCheckResult(asset_key="source_files", check_name="every_file_has_article_or_reason",
                            passed=files_without == 0, metadata={"files_without_article_or_reason": files_without}),
        dg.AssetCheckResult(asset_key="mentions", check_name="mentions_inside_text",
                            passed=bad_mentions == 0, metadata={"bad_mentions": bad_mentions}),
        dg.AssetCheckResult(asset_key="mentions", check_name="no_orphan_rows",
                            passed=orphans == 0, metadata={"orphan_rows": orphans}),
        dg.AssetCheckResult(asset_key="figures", check_name="figures_inside_text",
                            passed=bad_figures == 0, metadata={"bad_figures": bad_figures}),
        dg.AssetCheckResult(asset_key="articles", check_name="share_without_publication_date",
                            passed=without_date <= MAX_SHARE_WITHOUT_DATE, severity=dg.AssetCheckSeverity.WARN,
                            metadata={"share": round(without_date, 4)}),
        dg.AssetCheckResult(asset_key="entities", check_name="share_unlinked_mentions",
                            passed=unlinked <= MAX_SHARE_UNLINKED, severity=dg.AssetCheckSeverity.WARN,
                            metadata={"share": round(unlinked, 4)}),
    ]
