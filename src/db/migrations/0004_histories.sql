-- Histories, datasets (HDAs), collections (HDCAs) and the jobs that create them, after Galaxy's
-- model (lib/galaxy/model) so that Galaxy people recognise the names. Bytes live only in the
-- object store: datasets.object_key is a server-made key, never a path.

CREATE TABLE histories (
  id            bigserial PRIMARY KEY,
  user_id       bigint      NOT NULL REFERENCES users (id),
  name          text        NOT NULL DEFAULT 'Unnamed history',
  annotation    text,
  tags          text[]      NOT NULL DEFAULT '{}',
  published     boolean     NOT NULL DEFAULT false,
  importable    boolean     NOT NULL DEFAULT false,
  slug          text,
  deleted       boolean     NOT NULL DEFAULT false,
  purged        boolean     NOT NULL DEFAULT false,
  -- Next hid to hand out; hids are shared by datasets and collections of the history.
  hid_counter   integer     NOT NULL DEFAULT 1,
  create_time   timestamptz NOT NULL DEFAULT now(),
  update_time   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX histories_user ON histories (user_id, update_time DESC);
CREATE INDEX histories_published ON histories (update_time DESC) WHERE published;

CREATE TABLE history_shares (
  history_id bigint NOT NULL REFERENCES histories (id),
  user_id    bigint NOT NULL REFERENCES users (id),
  PRIMARY KEY (history_id, user_id)
);

-- The stored file; several HDAs (copies) may point at one dataset.
CREATE TABLE datasets (
  id           bigserial PRIMARY KEY,
  uuid         uuid        NOT NULL UNIQUE,
  -- new, upload, queued, running, setting_metadata, ok, empty, error, paused, deferred,
  -- discarded, failed_metadata (Galaxy's dataset states)
  state        text        NOT NULL DEFAULT 'new',
  object_key   text,
  file_size    bigint,
  purged       boolean     NOT NULL DEFAULT false,
  create_time  timestamptz NOT NULL DEFAULT now(),
  update_time  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE jobs (
  id            bigserial PRIMARY KEY,
  user_id       bigint      NOT NULL REFERENCES users (id),
  history_id    bigint      REFERENCES histories (id),
  tool_id       text        NOT NULL,
  tool_version  text        NOT NULL DEFAULT '1.0.0',
  -- new, queued, running, ok, error, paused, deleted (plus Galaxy's deleting, skipped)
  state         text        NOT NULL DEFAULT 'new',
  params        jsonb       NOT NULL DEFAULT '{}',
  command_line  text,
  stdout        text,
  stderr        text,
  exit_code     integer,
  info          text,
  create_time   timestamptz NOT NULL DEFAULT now(),
  update_time   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_user ON jobs (user_id, update_time DESC);
CREATE INDEX jobs_history ON jobs (history_id);
CREATE INDEX jobs_state ON jobs (state) WHERE state IN ('new', 'queued', 'running');

CREATE TABLE hdas (
  id                 bigserial PRIMARY KEY,
  history_id         bigint      NOT NULL REFERENCES histories (id),
  dataset_id         bigint      NOT NULL REFERENCES datasets (id),
  hid                integer     NOT NULL,
  name               text        NOT NULL,
  info               text,
  blurb              text,
  peek               text,
  annotation         text,
  extension          text        NOT NULL DEFAULT 'data',
  dbkey              text        NOT NULL DEFAULT '?',
  metadata           jsonb       NOT NULL DEFAULT '{}',
  tags               text[]      NOT NULL DEFAULT '{}',
  visible            boolean     NOT NULL DEFAULT true,
  deleted            boolean     NOT NULL DEFAULT false,
  purged             boolean     NOT NULL DEFAULT false,
  creating_job_id    bigint      REFERENCES jobs (id),
  copied_from_hda_id bigint      REFERENCES hdas (id),
  create_time        timestamptz NOT NULL DEFAULT now(),
  update_time        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX hdas_history_hid ON hdas (history_id, hid);
CREATE INDEX hdas_dataset ON hdas (dataset_id);
CREATE INDEX hdas_history_update ON hdas (history_id, update_time);
CREATE INDEX hdas_job ON hdas (creating_job_id);

CREATE TABLE collections (
  id              bigserial PRIMARY KEY,
  collection_type text        NOT NULL,
  populated_state text        NOT NULL DEFAULT 'ok',
  element_count   integer     NOT NULL DEFAULT 0,
  create_time     timestamptz NOT NULL DEFAULT now(),
  update_time     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE collection_elements (
  id                  bigserial PRIMARY KEY,
  collection_id       bigint  NOT NULL REFERENCES collections (id),
  element_index       integer NOT NULL,
  element_identifier  text    NOT NULL,
  hda_id              bigint  REFERENCES hdas (id),
  child_collection_id bigint  REFERENCES collections (id),
  CHECK ((hda_id IS NULL) <> (child_collection_id IS NULL)),
  UNIQUE (collection_id, element_index),
  UNIQUE (collection_id, element_identifier)
);
CREATE INDEX collection_elements_hda ON collection_elements (hda_id);

CREATE TABLE hdcas (
  id              bigserial PRIMARY KEY,
  history_id      bigint      NOT NULL REFERENCES histories (id),
  collection_id   bigint      NOT NULL REFERENCES collections (id),
  hid             integer     NOT NULL,
  name            text        NOT NULL,
  tags            text[]      NOT NULL DEFAULT '{}',
  visible         boolean     NOT NULL DEFAULT true,
  deleted         boolean     NOT NULL DEFAULT false,
  -- A collection a job (or a mapped-over job set) is filling.
  job_source_id   bigint      REFERENCES jobs (id),
  create_time     timestamptz NOT NULL DEFAULT now(),
  update_time     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX hdcas_history_hid ON hdcas (history_id, hid);

CREATE TABLE job_inputs (
  job_id bigint NOT NULL REFERENCES jobs (id),
  name   text   NOT NULL,
  hda_id bigint NOT NULL REFERENCES hdas (id)
);
CREATE INDEX job_inputs_job ON job_inputs (job_id);
CREATE INDEX job_inputs_hda ON job_inputs (hda_id);

CREATE TABLE job_outputs (
  job_id bigint NOT NULL REFERENCES jobs (id),
  name   text   NOT NULL,
  hda_id bigint NOT NULL REFERENCES hdas (id),
  PRIMARY KEY (job_id, name)
);
