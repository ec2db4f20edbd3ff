-- History purge walks a history's HDAs in id order, chunk by chunk; this index makes each
-- chunk an index range scan however large the history is.
CREATE INDEX hdas_history_id ON hdas (history_id, id);

-- History export archives (Galaxy's JobExportHistoryArchive, "jeha"): one row per requested
-- export, built by a task into the object store.
CREATE TABLE history_exports (
  id              bigserial PRIMARY KEY,
  history_id      bigint      NOT NULL REFERENCES histories (id),
  user_id         bigint      NOT NULL REFERENCES users (id),
  -- new (task pending or running), ok (archive in the object store), error
  state           text        NOT NULL DEFAULT 'new',
  gzip            boolean     NOT NULL DEFAULT true,
  include_hidden  boolean     NOT NULL DEFAULT false,
  include_deleted boolean     NOT NULL DEFAULT false,
  object_key      text,
  size            bigint,
  error           text,
  create_time     timestamptz NOT NULL DEFAULT now(),
  update_time     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX history_exports_history ON history_exports (history_id, create_time DESC);
