-- Reference data tables (Galaxy's tool_data_table_conf.xml + .loc files) kept in the database, so
-- every replica sees the same rows at once. `version` goes up in the same transaction as every
-- change of a table's rows; data_table_changes keeps what changed (an audit log and a cheap
-- "has it changed since version N" check for caches).
CREATE TABLE data_tables (
  name          text        PRIMARY KEY,
  columns       text[]      NOT NULL,
  -- The columns whose values identify a row (Galaxy: `value`); a second row with the same
  -- identity replaces the first instead of duplicating it.
  key_columns   text[]      NOT NULL,
  comment_char  text        NOT NULL DEFAULT '#',
  version       bigint      NOT NULL DEFAULT 0,
  create_time   timestamptz NOT NULL DEFAULT now(),
  update_time   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE data_table_rows (
  id            bigserial   PRIMARY KEY,
  table_name    text        NOT NULL REFERENCES data_tables (name) ON DELETE CASCADE,
  fields        text[]      NOT NULL,
  -- The key columns' values joined by a tab: the row's identity within its table.
  identity      text        NOT NULL,
  -- Where the row came from: `loc:<file>`, `data_manager:<id>:job:<id>`, `api`.
  source        text        NOT NULL DEFAULT '',
  create_time   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (table_name, identity)
);
CREATE INDEX data_table_rows_order ON data_table_rows (table_name, id);

CREATE TABLE data_table_changes (
  id            bigserial   PRIMARY KEY,
  table_name    text        NOT NULL,
  version       bigint      NOT NULL,
  action        text        NOT NULL CHECK (action IN ('define', 'add', 'replace', 'remove')),
  fields        text[],
  source        text        NOT NULL DEFAULT '',
  change_time   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX data_table_changes_table ON data_table_changes (table_name, version);

-- Data managers (data_manager_conf.xml): which tool fills which tables, and which columns of
-- its JSON output are paths into the output's extra files (stored as reference bundles).
CREATE TABLE data_managers (
  id            text        PRIMARY KEY,
  tool_id       text        NOT NULL,
  tables        jsonb       NOT NULL,
  update_time   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX data_managers_tool ON data_managers (tool_id);

-- The data table rows a job's select parameters chose, snapshotted when the job is created, so
-- the executor renders `$param.fields.path` without a database and with the rows of that moment.
ALTER TABLE jobs ADD COLUMN data_table_rows jsonb;
