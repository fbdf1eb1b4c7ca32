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
-- The type the typer gave a candidate mention (null when linked): a candidate entity's type is the most frequent
-- one over all its stored mentions, however the corpus was cut into batches.
ALTER TABLE mentions ADD COLUMN IF NOT EXISTS candidate_type VARCHAR;

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

-- Across articles, a bare surname goes to a corpus-wide holder only when one clearly dominates: among the
-- unknown persons (cand: ids of two words or more, type PERSON or untyped) whose folded last word is the surname,
-- the one holder with at least 80 % of their full-name mentions and at least 5 of them. Otherwise no row: the
-- surname stays unlinked, never a guess. A view over `mentions`, so it is always exactly what the stored
-- mentions say, whatever order or batches they came in (docs/entities.md, "Across articles").
CREATE OR REPLACE VIEW surname_holders AS
WITH full_names AS (
    SELECT 'cand:' || regexp_extract(m.entity_id, '_([a-z0-9]+)$', 1) AS surname_id, m.entity_id, m.article_id
    FROM mentions m
    LEFT JOIN entities e ON e.entity_id = m.entity_id
    WHERE m.entity_id LIKE 'cand:%\_%' ESCAPE '\' AND m.surface LIKE '% %'
      AND coalesce(e.entity_type, 'PERSON') = 'PERSON'
), per_holder AS (
    SELECT surname_id, entity_id, count(*) AS full_mentions, count(DISTINCT article_id) AS articles
    FROM full_names GROUP BY surname_id, entity_id
), ranked AS (
    SELECT *, sum(full_mentions) OVER (PARTITION BY surname_id) AS surname_full_mentions,
           row_number() OVER (PARTITION BY surname_id ORDER BY full_mentions DESC, entity_id) AS holder_rank
    FROM per_holder
)
SELECT surname_id, entity_id AS holder_id, full_mentions, articles, surname_full_mentions,
       full_mentions / surname_full_mentions AS holder_share
FROM ranked
WHERE holder_rank = 1 AND full_mentions >= 5 AND full_mentions >= 0.8 * surname_full_mentions;

-- `mentions` with the corpus-wide surname links of `surname_holders` applied: a bare unknown surname
-- (match_rule 'candidate') in an article that names no full name with that surname takes the dominant holder's
-- id. An article that names one holder already linked it itself (match_rule 'short_form'); one that names two
-- keeps it unlinked. corpus_surname marks the rows this view changed.
CREATE OR REPLACE VIEW resolved_mentions AS
WITH named_surnames AS (
    SELECT DISTINCT article_id, 'cand:' || regexp_extract(entity_id, '_([a-z0-9]+)$', 1) AS surname_id
    FROM mentions
    WHERE surface LIKE '% %' AND entity_id LIKE 'cand:%\_%' ESCAPE '\'
)
SELECT m.* REPLACE (coalesce(h.holder_id, m.entity_id) AS entity_id), h.holder_id IS NOT NULL AS corpus_surname
FROM mentions m
LEFT JOIN named_surnames n ON n.article_id = m.article_id AND n.surname_id = m.entity_id
LEFT JOIN surname_holders h ON h.surname_id = m.entity_id AND m.match_rule = 'candidate' AND n.surname_id IS NULL;

-- One row per publication of rebuilt report tables: which ingest they reflect.
CREATE TABLE IF NOT EXISTS report_refreshes (
    refreshed_at        TIMESTAMPTZ NOT NULL,
    ingest_finished_at  TIMESTAMPTZ          -- max(ingest_runs.finished_at) the report tables were built from
);
-- The zone the report tables cast dates in (KRONIKA_TIMEZONE of the refresh): another zone makes them stale.
ALTER TABLE report_refreshes ADD COLUMN IF NOT EXISTS timezone VARCHAR;
