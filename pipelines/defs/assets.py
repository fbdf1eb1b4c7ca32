"""The ingest asset graph: discover → decode and parse → texts → sentences → mentions, figures → warehouse.

Each body is a table of contents over `pipelines.lib`; the warehouse step writes a batch in one transaction."""


import dataclasses
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
from dagster_duckdb import DuckDBResource

from pipelines.defs.checks import WAREHOUSE_CHECK_SPECS, warehouse_check_results
from pipelines.defs.resources import KronikaResource
from pipelines.lib import publication, report_maintenance, warehouse, warehouse_files
from pipelines.lib.report_html import markdown_table
from pipelines.lib.extract import entity_rows, figure_entity_links
from pipelines.lib.extraction_version import extraction_version, metadata_version
from pipelines.lib.gazetteer import load_gazetteer
from pipelines.lib.ingest import (
    BatchPlan, batch_changes, exclude_failed_articles, pending_changes, plan_batch, refused_documents,
)
from pipelines.lib.isolation import restrict, run_isolated
from pipelines.lib.prepare import (
    PreparedBatch, extracted_texts, figures_of, mentions_of, read_prepared, sentences_of, take_prepared,
)
from pipelines.lib.workers import BatchFiles, prepare_split

INGEST_GROUP = "ingest"
# Every asset that opens the warehouse for writing runs in this pool (limit 1, see dagster.yaml).
WAREHOUSE_POOL = "kronika_warehouse"


class DiscoverConfig(dg.Config):
    """`paths` is set by the sensor and the schedule (one batch); empty means every pending file.

    A caller that has just scanned raw/ (`kronika run`, the sensor) sets `from_scan` and hands over what its scan
    found missing and refused; the batch then looks at its own files only instead of walking raw/ again."""

    paths: list[str] = []
    from_scan: bool = False
    # A folder where a worker process of `kronika run` has already prepared these files (`prepare.prepare_batch`).
    prepared_dir: str = ""
    missing_paths: list[str] = []
    refused_paths: list[str] = []
    refused_reasons: list[str] = []


def batch_config(paths: list[str], missing: list[str] = (), refused: pl.DataFrame | None = None,
                 prepared_dir: str = "") -> dict:
    """The run config of one batch found by a scan (see DiscoverConfig)."""
    refused = refused if refused is not None else pl.DataFrame(schema={"source_path": pl.String, "reason": pl.String})
    return {"ops": {"raw_files": {"config": {
        "paths": list(paths), "from_scan": True, "missing_paths": list(missing),
        "refused_paths": refused["source_path"].to_list(), "refused_reasons": refused["reason"].to_list(),
        "prepared_dir": prepared_dir}}}}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def markdown_metadata(frame: pl.DataFrame, limit: int = 10) -> dg.MetadataValue:
    return dg.MetadataValue.md(markdown_table(frame, limit=limit))


@dg.asset(group_name=INGEST_GROUP, kinds={"polars"}, pool=WAREHOUSE_POOL)
def raw_files(context: dg.AssetExecutionContext, config: DiscoverConfig, kronika: KronikaResource,
              duckdb: DuckDBResource) -> dict[str, pl.DataFrame]:
    """New and changed files under raw/ (by size and mtime against the manifest), missing and refused files."""
    refuse_partial_table_selection(context)
    settings = kronika.settings()
    with duckdb.get_connection() as connection:
        warehouse.ensure_schema(connection)
        # A batch found by a scan looks at its own files only, so it reads only their manifest rows.
        manifest = (warehouse.read_manifest_rows(connection, source_paths=config.paths) if config.from_scan
                    else warehouse.read_manifest(connection))
    if config.from_scan:
        pending = batch_changes(settings.raw_dir, manifest, config.paths, config.missing_paths,
                                pl.DataFrame({"source_path": config.refused_paths, "reason": config.refused_reasons},
                                             schema={"source_path": pl.String, "reason": pl.String}))
    else:
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
        "prepared_dir": pl.DataFrame({"folder": [config.prepared_dir]}),
    }


def _prepared_parts(settings, paths: list[str], prepared_dir: str) -> list[PreparedBatch]:
    """The batch's files read, parsed and extracted: handed over by a worker of `kronika run` (only the files this
    step still finds pending are kept; one found since is prepared here), else prepared now (in worker
    processes when the batch is large, see `workers.prepare_split`)."""
    if not prepared_dir:
        return prepare_split(BatchFiles(settings.raw_dir, paths, settings.max_file_bytes, settings.timezone),
                             settings.workers, warehouse_files.workers_dir(settings.warehouse_path))
    prepared = read_prepared(Path(prepared_dir))
    file_path = pl.col("source_path").str.replace(r"#\d+$", "")
    parsed = prepared.parsed.filter(file_path.is_in(pl.Series(paths, dtype=pl.String).implode()))
    parts = [PreparedBatch(parsed, prepared.extracted_keys, prepared.extraction, prepared.extraction_version)]
    absent = sorted(set(paths) - set(parsed.select(file_path)["source_path"].to_list()))
    if absent:
        parts.append(BatchFiles(settings.raw_dir, absent, settings.max_file_bytes, settings.timezone).prepare())
    return parts


@dg.asset(group_name=INGEST_GROUP, kinds={"polars"}, code_version=metadata_version(), pool=WAREHOUSE_POOL)
def parsed_articles(context: dg.AssetExecutionContext, raw_files: dict[str, pl.DataFrame], kronika: KronikaResource,
                    duckdb: DuckDBResource) -> dict[str, pl.DataFrame]:
    """Decoded, parsed articles with metadata, and each file's status (ingested, duplicate, superseded, quarantined)."""
    settings = kronika.settings()
    parts = _prepared_parts(settings, raw_files["files"]["source_path"].to_list(),
                            raw_files["prepared_dir"]["folder"][0])
    # A refused file is never read: it is a quarantined document with the scan's reason.
    parsed = pl.concat([*(part.parsed for part in parts), refused_documents(raw_files["refused"]).drop("text")],
                       how="diagonal_relaxed")
    with duckdb.get_connection() as connection:
        warehouse.ensure_schema(connection)
        article_ids = parsed["article_id"].drop_nulls().unique().to_list()
        manifest = warehouse.read_manifest_rows(
            connection, source_paths=parsed["source_path"].to_list(),
            content_hashes=parsed["content_sha256"].drop_nulls().unique().to_list(), article_ids=article_ids)
        live = warehouse.read_live_articles(connection, article_ids)
    plan = plan_batch(parsed, manifest, live, _now())
    # Rows extracted by other rules than this process's (a worker started before a code change) are not used.
    parts = [part if part.extraction_version == extraction_version()
             else dataclasses.replace(part, extracted_keys=part.extracted_keys.clear()) for part in parts]
    prepared, unprepared = take_prepared(parts, plan.articles)
    counts = plan.source_files.group_by("status").len()
    prepared_by = ("a worker process, ahead of the writer" if raw_files["prepared_dir"]["folder"][0]
                   else f"this process and {len(parts) - 1} worker process(es)" if len(parts) > 1
                   else "this process")
    context.add_output_metadata({
        "files_read": raw_files["files"].height,
        "records_read": parsed.height,
        "read_parsed_and_extracted_in": prepared_by,
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
        # The extraction of the kept articles, done with their reading; `unprepared` lists those it lacks.
        **{f"prepared_{name}": getattr(prepared, name) for name in PREPARED_FRAMES},
        "unprepared": unprepared.select("article_id"),
        "prepared_version": pl.DataFrame({"extraction_version": [extraction_version()]}),
    }


PREPARED_FRAMES = ("texts", "sentences", "mentions", "figures", "failures")


@dg.asset(group_name=INGEST_GROUP, kinds={"polars"}, code_version=extraction_version(), pool=WAREHOUSE_POOL)
def extraction_texts(context: dg.AssetExecutionContext, parsed_articles: dict[str, pl.DataFrame],
                     kronika: KronikaResource, duckdb: DuckDBResource) -> dict[str, pl.DataFrame]:
    """Titles and bodies of this batch's articles and of stored articles with stale rules.

    `new_texts` are those the stages after this one still extract: the stale articles' and any batch article
    the batch's preparation did not cover; the prepared rows pass through to those stages."""
    batch_articles = parsed_articles["articles"]
    with duckdb.get_connection() as connection:
        warehouse.ensure_schema(connection)
        stale = warehouse.read_stale_articles(connection, extraction_version(), kronika.settings().batch_size)
    stale = stale.filter(~pl.col("article_id").is_in(batch_articles["article_id"].implode()))
    prepared = {name: parsed_articles[f"prepared_{name}"] for name in PREPARED_FRAMES}
    unprepared = batch_articles.join(parsed_articles["unprepared"], on="article_id", how="semi")
    if parsed_articles["prepared_version"]["extraction_version"][0] != extraction_version():
        # The UI re-runs this step on a hand-over written under older rules: everything is extracted again here.
        prepared, unprepared = {name: frame.clear() for name, frame in prepared.items()}, batch_articles
    articles = pl.concat([unprepared.select("article_id", "title", "body", "body_language"), stale],
                         how="vertical_relaxed")
    new_texts, new_failures = extracted_texts(articles)
    failures = pl.concat([prepared["failures"], new_failures])
    context.add_output_metadata({"batch_articles": batch_articles.height, "stale_articles": stale.height,
                                 "extracted_in_this_step": articles.height,
                                 "failed_articles": failures["article_id"].n_unique()})
    return {"texts": pl.concat([prepared["texts"], new_texts], how="vertical_relaxed"),
            "new_texts": new_texts,
            "article_ids": pl.concat([batch_articles.select("article_id"), stale.select("article_id")]),
            "failures": failures,
            **{f"prepared_{name}": prepared[name] for name in ("sentences", "mentions", "figures")}}


def _of_new_texts(frame: pl.DataFrame, new_texts: pl.DataFrame) -> pl.DataFrame:
    return frame.join(new_texts.select("article_id").unique(), on="article_id", how="semi")


# Each extraction stage runs over the whole batch; an article that makes it raise is set aside with the stage and
# the exception (`run_isolated` bisects only after a failure), and `warehouse_tables` quarantines its files.

@dg.asset(group_name=INGEST_GROUP, kinds={"polars"}, code_version=extraction_version())
def article_sentences(context: dg.AssetExecutionContext,
                      extraction_texts: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Paragraph and sentence spans of every title and body."""
    new_sentences, failures = sentences_of(extraction_texts["new_texts"])
    sentences = pl.concat([extraction_texts["prepared_sentences"], new_sentences], how="vertical_relaxed")
    context.add_output_metadata({"sentences": sentences.height, "failed_articles": failures.height})
    return {"sentences": sentences, "failures": failures}


@dg.asset(group_name=INGEST_GROUP, kinds={"polars"}, code_version=extraction_version())
def entity_mentions(context: dg.AssetExecutionContext, extraction_texts: dict[str, pl.DataFrame],
                    article_sentences: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Entity mentions linked to gazetteer identities, and unlinked candidate names."""
    texts = extraction_texts["new_texts"]
    new_mentions, failures = mentions_of(texts, _of_new_texts(article_sentences["sentences"], texts),
                                         load_gazetteer())
    mentions = pl.concat([extraction_texts["prepared_mentions"], new_mentions], how="vertical_relaxed")
    context.add_output_metadata({
        "mentions": mentions.height,
        "linked_share": round(float(mentions["linked"].mean() or 0.0), 3) if mentions.height else 0.0,
        "failed_articles": failures.height,
    })
    return {"mentions": mentions, "failures": failures}


@dg.asset(group_name=INGEST_GROUP, kinds={"polars"}, code_version=extraction_version())
def article_figures(context: dg.AssetExecutionContext, extraction_texts: dict[str, pl.DataFrame],
                    article_sentences: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Figures as typed values (percent, currency, count, …) with their sentence."""
    texts = extraction_texts["new_texts"]
    new_figures, failures = figures_of(texts, _of_new_texts(article_sentences["sentences"], texts))
    figures = pl.concat([extraction_texts["prepared_figures"], new_figures], how="vertical_relaxed")
    context.add_output_metadata({"figures": figures.height, "failed_articles": failures.height,
                                 "by_unit": markdown_metadata(figures.group_by("unit").len().sort("len", descending=True))})
    return {"figures": figures, "failures": failures}


def _linked_rows(mentions: pl.DataFrame, figures: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Figure–entity links and entity rows, each isolated per article like the stages before them."""
    links, link_failures = run_isolated("figure links", mentions, "article_id", lambda part: figure_entity_links(
        part, restrict(figures, part, mentions, "article_id")))
    gazetteer = load_gazetteer()
    entities, entity_failures = run_isolated("entity rows", mentions, "article_id",
                                             lambda part: entity_rows(part, gazetteer))
    return links, entities, pl.concat([link_failures, entity_failures])


def _without(frame: pl.DataFrame, article_ids: pl.Series) -> pl.DataFrame:
    return frame.filter(~pl.col("article_id").is_in(article_ids.implode())) if article_ids.len() else frame


WAREHOUSE_TABLES = ("source_files", "articles", "sentences", "mentions", "figures", "entities",
                    "figure_entity_links", "ingest_runs")
TABLE_DESCRIPTIONS = {
    "source_files": "One row per file seen in the articles folder: path, content hash, status and reason.",
    "articles": "One row per live article: metadata parsed from the file (title, site, language, dates, text).",
    "sentences": "Sentence spans of each extracted article's text.",
    "mentions": "Entity mentions: the span in an article's text and the entity it names.",
    "figures": "Figures read from article texts: value, unit and span.",
    "entities": "Distinct named entities (gazetteer-linked or typed), one row per entity_id.",
    "figure_entity_links": "Entities sharing a sentence with each figure (article, field, figure start), computed at extraction.",
    "ingest_runs": "One row per ingest batch: run id, finish time, file and article counts, extraction version.",
}
# Owner shown in the catalog; one team maintains the warehouse.
TABLE_OWNERS = ["team:kronika"]


def warehouse_column_schemas() -> dict[str, dg.TableSchema]:
    """Column schemas read from schema.sql applied to an in-memory DuckDB, so the catalog never drifts from it."""
    with duckdb.connect() as connection:
        warehouse.ensure_schema(connection)
        rows = connection.sql("SELECT table_name, column_name, data_type, is_nullable FROM duckdb_columns() "
                              "WHERE database_name = 'memory' ORDER BY table_name, column_index").fetchall()
    columns: dict[str, list[dg.TableColumn]] = {}
    for table, column, data_type, nullable in rows:
        columns.setdefault(table, []).append(dg.TableColumn(
            column, data_type, constraints=dg.TableColumnConstraints(nullable=bool(nullable))))
    return {table: dg.TableSchema(columns=table_columns) for table, table_columns in columns.items()}


_COLUMN_SCHEMAS = warehouse_column_schemas()


def refuse_partial_table_selection(context: dg.AssetExecutionContext) -> None:
    """Stop a run that selects some warehouse tables but not all, before any work, with a message saying why.

    The eight tables are written together, in one transaction per batch: a run writing `mentions` alone would
    leave the others out of step with it. The multi-asset may be subset (so the launch itself does not fail with
    Dagster's InvalidSubsetError); the run then fails here, in its first step, with this one paragraph."""
    # The job's selection (a UI launch or `dg.materialize(selection=...)`); run.asset_selection is empty in-process.
    selection = context.job_def.asset_layer.selected_asset_keys or context.run.asset_selection
    if not selection:
        return
    chosen = sorted(key.path[-1] for key in selection if key.path[-1] in WAREHOUSE_TABLES)
    if chosen and len(chosen) < len(WAREHOUSE_TABLES):
        raise dg.Failure(
            description=(f"The warehouse tables are written together, one transaction per batch, so they cannot be "
                         f"materialised one at a time (selected: {', '.join(chosen)}). Select all of "
                         f"{', '.join(WAREHOUSE_TABLES)} (the `{INGEST_GROUP}` group), or run `kronika run`."),
            allow_retries=False)


@dg.multi_asset(
    group_name=INGEST_GROUP,
    specs=[dg.AssetSpec(name, deps=["parsed_articles", "extraction_texts", "article_sentences", "entity_mentions",
                                    "article_figures"], kinds={"duckdb"}, description=TABLE_DESCRIPTIONS[name],
                        owners=TABLE_OWNERS,
                        metadata={"dagster/column_schema": _COLUMN_SCHEMAS[name]}) for name in WAREHOUSE_TABLES],
    check_specs=WAREHOUSE_CHECK_SPECS,
    can_subset=True,  # so that a partial selection is refused with a message, not an InvalidSubsetError
    code_version=extraction_version(),
    pool=WAREHOUSE_POOL,
    ins={name: dg.AssetIn(name) for name in
         ("parsed_articles", "extraction_texts", "article_sentences", "entity_mentions", "article_figures")},
)
def warehouse_tables(context: dg.AssetExecutionContext, kronika: KronikaResource, duckdb: DuckDBResource,
                     parsed_articles: dict[str, pl.DataFrame], extraction_texts: dict[str, pl.DataFrame],
                     article_sentences: dict[str, pl.DataFrame], entity_mentions: dict[str, pl.DataFrame],
                     article_figures: dict[str, pl.DataFrame]):
    """Writes the batch into DuckDB in one transaction, then publishes the read-only snapshot."""
    refuse_partial_table_selection(context)
    settings = kronika.settings()
    sentences, mentions, figures = (article_sentences["sentences"], entity_mentions["mentions"],
                                    article_figures["figures"])
    links, entities, row_failures = _linked_rows(mentions, figures)
    failures = pl.concat([extraction_texts["failures"], article_sentences["failures"], entity_mentions["failures"],
                          article_figures["failures"], row_failures])
    with duckdb.get_connection() as connection:
        warehouse.ensure_schema(connection)
        source_files = parsed_articles["source_files"]
        articles = parsed_articles["articles"]
        retired = parsed_articles["retired"]["article_id"].to_list()
        extracted_ids = extraction_texts["article_ids"]["article_id"]
        if failures.height:
            failed_ids = failures["article_id"].unique()
            context.log.warning(f"{failed_ids.len()} article(s) failed extraction and are quarantined: "
                                f"{failures.head(5).rows()}")
            plan = exclude_failed_articles(
                BatchPlan(source_files, articles, retired), failures, warehouse.read_manifest(connection),
                warehouse.read_live_articles(connection, failed_ids.to_list()))
            source_files, articles, retired = plan.source_files, plan.articles, plan.retired_article_ids
            extracted_ids = extracted_ids.filter(~extracted_ids.is_in(failed_ids.implode()))
            sentences, mentions, figures = (_without(frame, failed_ids) for frame in (sentences, mentions, figures))
            links, entities, _ = _linked_rows(mentions, figures)  # without the failed articles' candidates
        warehouse.write_batch(
            connection,
            source_files=source_files,
            articles=articles,
            retired_article_ids=retired,
            extracted_article_ids=extracted_ids.to_list(),
            sentences=sentences,
            mentions=mentions,
            figures=figures,
            figure_links=links,
            entities=entities,
            entity_id_renames=load_gazetteer().renames,
            missing_paths=parsed_articles["missing"]["source_path"].to_list(),
            extraction_version=extraction_version(),
            now=_now(),
            run_id=context.run.run_id,
            files_new=parsed_articles["counts"]["files_new"][0],
            files_changed=parsed_articles["counts"]["files_changed"][0],
        )
        if kronika.publish_each_batch:
            published = publication.publish_snapshot(connection, kronika.build_path, settings.warehouse_path)
            if published.message:
                context.log.warning(published.message)
        counts = {table: warehouse.scalar(connection, f"SELECT count(*) FROM {table}") for table in WAREHOUSE_TABLES}
        top = report_maintenance.top_linked_entities(connection, 10)
        check_results = warehouse_check_results(
            connection,
            article_ids=extraction_texts["article_ids"]["article_id"].to_list() + list(retired),
            source_paths=source_files["source_path"].to_list(), texts=extraction_texts["texts"],
            mentions=mentions, figures=figures, sentences=sentences)
    statuses = dict(source_files.group_by("status").len().iter_rows()) if source_files.height else {}
    for table in WAREHOUSE_TABLES:
        metadata = {"dagster/row_count": counts[table], "warehouse": str(settings.warehouse_path),
                    "dagster/column_schema": _COLUMN_SCHEMAS[table]}
        if table == "mentions":
            metadata["top_entities"] = markdown_metadata(top)
        if table == "source_files":
            # The batch's final statuses (extraction failures included); `kronika run` sums these.
            metadata.update({f"files_{status}": statuses.get(status, 0)
                             for status in ("ingested", "duplicate", "quarantined", "superseded")})
            metadata["failed_extraction"] = failures["article_id"].n_unique() if failures.height else 0
        yield dg.MaterializeResult(asset_key=table, metadata=metadata)
    # A run may leave the checks out of its selection (the tables are all in it, or the step stopped above).
    yield from (result for result in check_results
                if dg.AssetCheckKey(dg.AssetKey.from_coercible(result.asset_key), result.check_name)
                in context.selected_asset_check_keys)
