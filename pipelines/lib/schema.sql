-- Kronika warehouse schema. The public contract is documented in docs/warehouse.md:
-- add columns freely, never rename the documented ones.

CREATE TABLE IF NOT EXISTS source_files (
    source_path      VARCHAR NOT NULL,   -- path relative to raw/ (JSON Lines records: file.jsonl#<line>)
    content_sha256   VARCHAR,            -- null only when the file could not be read
    size_bytes       BIGINT,
    mtime_ns         BIGINT,
    status           VARCHAR NOT NULL,   -- ingested | duplicate | superseded | quarantined
    article_id       VARCHAR,
    encoding         VARCHAR,
    reason           VARCHAR,            -- why quarantined / duplicate / superseded
    first_seen_at    TIMESTAMPTZ NOT NULL,
    last_seen_at     TIMESTAMPTZ NOT NULL,
    missing_since    TIMESTAMPTZ         -- set when the file disappeared from raw/
);

CREATE TABLE IF NOT EXISTS articles (
    article_id          VARCHAR NOT NULL,
    source_path         VARCHAR NOT NULL,
    content_sha256      VARCHAR NOT NULL,
    title               VARCHAR,
    caption             VARCHAR,
    published_at        TIMESTAMPTZ,
    published_precision VARCHAR,
    updated_at          TIMESTAMPTZ,
    author              VARCHAR,
    outlet              VARCHAR,
    section             VARCHAR,
    section_norm        VARCHAR,
    header_language     VARCHAR,
    body_language       VARCHAR,
    -- zstd: article text is most of the file; it makes the checkpoint ~15x cheaper and the file ~3x smaller.
    body                VARCHAR USING COMPRESSION zstd,
    metadata_rules      VARCHAR USING COMPRESSION zstd,  -- JSON: field -> rule that produced it
    extraction_version  VARCHAR NOT NULL,
    ingested_at         TIMESTAMPTZ NOT NULL,
    authors             VARCHAR[],          -- the names of `author` one by one (`author` is their display string)
    dateline_place      VARCHAR             -- a wire dateline's place: 'LONDON', 'TIRANA'
);
-- Warehouses created before these columns existed get them (the next run re-extracts their metadata).
ALTER TABLE articles ADD COLUMN IF NOT EXISTS authors VARCHAR[];
ALTER TABLE articles ADD COLUMN IF NOT EXISTS dateline_place VARCHAR;

CREATE TABLE IF NOT EXISTS sentences (
    article_id       VARCHAR NOT NULL,
    field            VARCHAR NOT NULL,      -- title | body
    paragraph_index  INTEGER NOT NULL,
    sentence_index   INTEGER NOT NULL,
    char_start       BIGINT NOT NULL,
    char_end         BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS entities (
    entity_id    VARCHAR NOT NULL,
    name         VARCHAR NOT NULL,
    entity_type  VARCHAR,                   -- PERSON | ORG | GPE | LOC | EVENT | OTHER
    wikidata_id  VARCHAR,
    name_sq      VARCHAR,
    linked       BOOLEAN NOT NULL           -- false for candidates found outside the gazetteer
);

-- Entity ids that were renamed (pipelines/reference/gazetteer/renames/entity_id_renames.tsv), so an id
-- stored before the rename still finds its entity: JOIN entity_id_renames ON old_entity_id = <stored id>.
CREATE TABLE IF NOT EXISTS entity_id_renames (
    old_entity_id  VARCHAR NOT NULL,
    entity_id      VARCHAR NOT NULL,
    reason         VARCHAR
);

CREATE TABLE IF NOT EXISTS mentions (
    article_id       VARCHAR NOT NULL,
    entity_id        VARCHAR NOT NULL,
    surface          VARCHAR NOT NULL,
    field            VARCHAR NOT NULL,
    sentence_index   INTEGER,
    paragraph_index  INTEGER,
    char_start       BIGINT NOT NULL,
    char_end         BIGINT NOT NULL,
    match_rule       VARCHAR
);

CREATE TABLE IF NOT EXISTS figures (
    article_id       VARCHAR NOT NULL,
    surface          VARCHAR NOT NULL,
    value            DOUBLE,
    value_text       VARCHAR,
    unit             VARCHAR NOT NULL,
    counted          VARCHAR,
    approximate      BOOLEAN,
    field            VARCHAR NOT NULL,
    sentence_index   INTEGER,
    paragraph_index  INTEGER,
    char_start       BIGINT NOT NULL,
    char_end         BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS ingest_runs (
    run_id           VARCHAR NOT NULL,
    finished_at      TIMESTAMPTZ NOT NULL,
    files_seen       BIGINT,
    files_new        BIGINT,
    files_changed    BIGINT,
    files_duplicate  BIGINT,
    files_quarantined BIGINT,
    files_missing    BIGINT,
    articles_written BIGINT,
    articles_reextracted BIGINT,
    extraction_version VARCHAR
);

-- Which entities share a sentence with each figure, computed at extraction time (a build step, so
-- "figures about Russia" never aggregates the whole mentions table).
CREATE TABLE IF NOT EXISTS figure_entity_links (
    article_id         VARCHAR NOT NULL,
    field              VARCHAR NOT NULL,
    figure_char_start  BIGINT NOT NULL,
    entity_id          VARCHAR NOT NULL
);

-- The entities of each figure's sentence, so "figures about Russia" is one query.
CREATE OR REPLACE VIEW figure_entities AS
SELECT f.*, l.entity_id, e.name AS entity_name, e.entity_type
FROM figures f
JOIN figure_entity_links l
  ON l.article_id = f.article_id AND l.field = f.field AND l.figure_char_start = f.char_start
JOIN entities e ON e.entity_id = l.entity_id;

-- One row per publication of rebuilt report tables: which ingest they reflect.
CREATE TABLE IF NOT EXISTS report_refreshes (
    refreshed_at        TIMESTAMPTZ NOT NULL,
    ingest_finished_at  TIMESTAMPTZ          -- max(ingest_runs.finished_at) the report tables were built from
);
