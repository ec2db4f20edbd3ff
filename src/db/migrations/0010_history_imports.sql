-- History imports from archives (Galaxy's `POST /api/histories` with archive_file or
-- archive_source): one row per request, carried out by a task. The uploaded archive is put in
-- the object store under a server-made key first; the history exists only once the task has
-- imported everything, in one transaction.
CREATE TABLE history_imports (
  id          bigserial PRIMARY KEY,
  user_id     bigint      NOT NULL REFERENCES users (id),
  -- new (task pending or running), ok (history_id is set), error (error says why)
  state       text        NOT NULL DEFAULT 'new',
  -- 'file' (archive_key holds the upload) or 'url' (source is fetched by the task)
  source_type text        NOT NULL,
  source      text,
  archive_key text,
  history_id  bigint      REFERENCES histories (id),
  error       text,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX history_imports_user ON history_imports (user_id, create_time DESC);
