"""The ingest asset graph: discover → decode and parse → texts → sentences → mentions, figures → warehouse.

Each body is a table of contents over `pipelines.lib`; the warehouse step writes a batch in one transaction."""


from datetime import datetime, timezone

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from pipelines.defs.checks import WAREHOUSE_CHECK_SPECS, warehouse_check_results
from pipelines.defs.resources import KronikaResource
from pipelines.lib import warehouse
from pipelines.lib.charts import markdown_table
from pipelines.lib.extract import (
    article_texts, entity_rows, extract_article_figures, extract_entity_mentions, extract_sentences,
    figure_entity_links,
)
from pipelines.lib.extraction_version import extraction_version, metadata_version
from pipelines.lib.gazetteer import load_gazetteer
from pipelines.lib.ingest import (
    pending_changes, parse_documents, plan_batch, read_documents, refused_documents,
)

INGEST_GROUP = "ingest"
# Every asset that opens the warehouse for writing runs in this pool (limit 1, see dagster.yaml).
WAREHOUSE_POOL = "kronika_warehouse"


class DiscoverConfig(dg.Config):
    """`paths` is set by the sensor and the schedule (one batch); empty means every pending file."""

    paths: list[str] = []


def _now() -> datetime:
    return datetime.now(timezone.utc)


def markdown_metadata(frame: pl.DataFrame, limit: int = 10) -> dg.MetadataValue:
    return dg.MetadataValue.md(markdown_table(frame, limit=limit))


@dg.asset(group_name=INGEST_GROUP, kinds={"polars"}, pool=WAREHOUSE_POOL)
def raw_files(context: dg.AssetExecutionContext, config: DiscoverConfig, kronika: KronikaResource,
              duckdb: DuckDBResource) -> dict[str, pl.DataFrame]:
    """New and changed files under raw/ (by size and mtime against the manifest), missing and refused files."""
    settings = kronika.settings()
    with duckdb.get_connection() as connection:
        warehouse.ensure_schema(connection)
        manifest = warehouse.read_manifest(connection)
    pending = pending_changes(settings.raw_dir, manifest)
    files = pending.files
    if config.paths:
        files = files.filter(pl.col("source_path").is_in(config.paths))
    files = files.head(settings.batch_size)
    context.add_output_metadata({
        "new": files.filter(pl.col("change") == "new").height,
        "changed": files.filter(pl.col("change") == "changed").height,
        "missing": len(pending.missing),
        "refused": pending.refused.height,
        "pending_after_this_batch": pending.files.height - files.height,
    })
    return {
        "files": files,
        "missing": pl.DataFrame({"source_path": pending.missing}, schema={"source_path": pl.String}),
        "refused": pending.refused,
    }


@dg.asset(group_name=INGEST_GROUP, kinds={"polars"}, code_version=metadata_version(), pool=WAREHOUSE_POOL)
def parsed_articles(context: dg.AssetExecutionContext, raw_files: dict[str, pl.DataFrame], kronika: KronikaResource,
                    duckdb: DuckDBResource) -> dict[str, pl.DataFrame]:
    """Decoded, parsed articles with metadata, and each file's status (ingested, duplicate, superseded, quarantined)."""
    settings = kronika.settings()
    documents = pl.concat([
        read_documents(settings.raw_dir, raw_files["files"]["source_path"].to_list(),
                       max_file_bytes=settings.max_file_bytes),
        refused_documents(raw_files["refused"]),
    ])
    parsed = parse_documents(documents, timezone=settings.timezone)
    with duckdb.get_connection() as connection:
        warehouse.ensure_schema(connection)
        manifest = warehouse.read_manifest(connection)
        live = warehouse.read_live_articles(connection, parsed["article_id"].drop_nulls().unique().to_list())
    plan = plan_batch(parsed, manifest, live, _now())
    counts = plan.source_files.group_by("status").len()
    context.add_output_metadata({
        **{f"files_{row['status']}": row["len"] for row in counts.iter_rows(named=True)},
        "articles": plan.articles.height,
        "quarantined": markdown_metadata(plan.source_files.filter(pl.col("status") == "quarantined")
                                 .select("source_path", "reason")),
    })
    return {
        "source_files": plan.source_files,
        "articles": plan.articles,
        "retired": pl.DataFrame({"article_id": plan.retired_article_ids}, schema={"article_id": pl.String}),
        "missing": raw_files["missing"],
        "counts": pl.DataFrame({
            "files_new": [raw_files["files"].filter(pl.col("change") == "new").height],
            "files_changed": [raw_files["files"].filter(pl.col("change") == "changed").height],
        }),
    }


@dg.asset(group_name=INGEST_GROUP, kinds={"polars"}, code_version=extraction_version(), pool=WAREHOUSE_POOL)
def extraction_texts(context: dg.AssetExecutionContext, parsed_articles: dict[str, pl.DataFrame],
                     kronika: KronikaResource, duckdb: DuckDBResource) -> dict[str, pl.DataFrame]:
    """Titles and bodies to extract: this batch's articles plus stored articles with stale rules."""
    batch_articles = parsed_articles["articles"]
    with duckdb.get_connection() as connection:
        warehouse.ensure_schema(connection)
        stale = warehouse.read_stale_articles(connection, extraction_version(), kronika.settings().batch_size)
    stale = stale.filter(~pl.col("article_id").is_in(batch_articles["article_id"].implode()))
    articles = pl.concat([batch_articles.select("article_id", "title", "body", "body_language"), stale],
                         how="vertical_relaxed")
    context.add_output_metadata({"batch_articles": batch_articles.height, "stale_articles": stale.height})
    return {"texts": article_texts(articles), "article_ids": articles.select("article_id")}


@dg.asset(group_name=INGEST_GROUP, kinds={"polars"}, code_version=extraction_version())
def article_sentences(context: dg.AssetExecutionContext, extraction_texts: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Paragraph and sentence spans of every title and body."""
    sentences = extract_sentences(extraction_texts["texts"])
    context.add_output_metadata({"sentences": sentences.height})
    return sentences


@dg.asset(group_name=INGEST_GROUP, kinds={"polars"}, code_version=extraction_version())
def entity_mentions(context: dg.AssetExecutionContext, extraction_texts: dict[str, pl.DataFrame],
                    article_sentences: pl.DataFrame) -> pl.DataFrame:
    """Entity mentions linked to gazetteer identities, and unlinked candidate names."""
    mentions = extract_entity_mentions(extraction_texts["texts"], article_sentences, load_gazetteer())
    context.add_output_metadata({
        "mentions": mentions.height,
        "linked_share": round(float(mentions["linked"].mean() or 0.0), 3) if mentions.height else 0.0,
    })
    return mentions


@dg.asset(group_name=INGEST_GROUP, kinds={"polars"}, code_version=extraction_version())
def article_figures(context: dg.AssetExecutionContext, extraction_texts: dict[str, pl.DataFrame],
                    article_sentences: pl.DataFrame) -> pl.DataFrame:
    """Figures as typed values (percent, currency, count, …) with their sentence."""
    figures = extract_article_figures(extraction_texts["texts"], article_sentences)
    context.add_output_metadata({"figures": figures.height,
                                 "by_unit": markdown_metadata(figures.group_by("unit").len().sort("len", descending=True))})
    return figures


WAREHOUSE_TABLES = ("source_files", "articles", "sentences", "mentions", "figures", "entities")


@dg.multi_asset(
    group_name=INGEST_GROUP,
    specs=[dg.AssetSpec(name, deps=["parsed_articles", "extraction_texts", "article_sentences", "entity_mentions",
                                    "article_figures"], kinds={"duckdb"}) for name in WAREHOUSE_TABLES],
    check_specs=WAREHOUSE_CHECK_SPECS,
    code_version=extraction_version(),
    pool=WAREHOUSE_POOL,
    ins={name: dg.AssetIn(name) for name in
         ("parsed_articles", "extraction_texts", "article_sentences", "entity_mentions", "article_figures")},
)
def warehouse_tables(context: dg.AssetExecutionContext, kronika: KronikaResource, duckdb: DuckDBResource,
                     parsed_articles: dict[str, pl.DataFrame], extraction_texts: dict[str, pl.DataFrame],
                     article_sentences: pl.DataFrame, entity_mentions: pl.DataFrame, article_figures: pl.DataFrame):
    """Writes the batch into DuckDB in one transaction, then publishes the read-only snapshot."""
    settings = kronika.settings()
    with duckdb.get_connection() as connection:
        warehouse.ensure_schema(connection)
        warehouse.write_batch(
            connection,
            source_files=parsed_articles["source_files"],
            articles=parsed_articles["articles"],
            retired_article_ids=parsed_articles["retired"]["article_id"].to_list(),
            extracted_article_ids=extraction_texts["article_ids"]["article_id"].to_list(),
            sentences=article_sentences,
            mentions=entity_mentions,
            figures=article_figures,
            figure_links=figure_entity_links(entity_mentions, article_figures),
            entities=entity_rows(entity_mentions, load_gazetteer()),
            entity_id_renames=load_gazetteer().renames,
            missing_paths=parsed_articles["missing"]["source_path"].to_list(),
            extraction_version=extraction_version(),
            now=_now(),
            run_id=context.run.run_id,
            files_new=parsed_articles["counts"]["files_new"][0],
            files_changed=parsed_articles["counts"]["files_changed"][0],
        )
        if kronika.publish_each_batch:
            warehouse.publish_snapshot(connection, kronika.build_path, settings.warehouse_path)
        counts = {table: warehouse.scalar(connection, f"SELECT count(*) FROM {table}") for table in WAREHOUSE_TABLES}
        top = connection.sql(
            "SELECT e.name, e.entity_type, count(*) AS mentions, count(DISTINCT m.article_id) AS articles "
            "FROM mentions m JOIN entities e USING (entity_id) WHERE e.linked "
            "GROUP BY ALL ORDER BY mentions DESC LIMIT 10").pl()
        check_results = warehouse_check_results(
            connection,
            article_ids=extraction_texts["article_ids"]["article_id"].to_list()
            + parsed_articles["retired"]["article_id"].to_list(),
            source_paths=parsed_articles["source_files"]["source_path"].to_list())
    for table in WAREHOUSE_TABLES:
        metadata = {"dagster/row_count": counts[table], "warehouse": str(settings.warehouse_path)}
        if table == "mentions":
            metadata["top_entities"] = markdown_metadata(top)
        yield dg.MaterializeResult(asset_key=table, metadata=metadata)
    yield from check_results
