-- Resumable (tus) upload sessions. The bytes never touch local disk: every PATCH body is stored
-- as its own object (a "part") and recorded here only once it is fully stored, so any replica
-- can answer HEAD and take the next PATCH after another one was killed mid-upload.

CREATE TABLE upload_sessions (
  id          uuid        PRIMARY KEY,
  user_id     bigint      NOT NULL REFERENCES users (id),
  length      bigint      NOT NULL CHECK (length >= 0),
  "offset"    bigint      NOT NULL DEFAULT 0 CHECK ("offset" >= 0 AND "offset" <= length),
  -- Upload-Metadata as sent (decoded key → value); informative only, never a path.
  metadata    jsonb       NOT NULL DEFAULT '{}',
  -- Set when /api/tools/fetch takes the finished upload; a session is consumed once.
  consumed    boolean     NOT NULL DEFAULT false,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX upload_sessions_user ON upload_sessions (user_id);
CREATE INDEX upload_sessions_update ON upload_sessions (update_time);

CREATE TABLE upload_session_parts (
  session_id  uuid   NOT NULL REFERENCES upload_sessions (id) ON DELETE CASCADE,
  "offset"    bigint NOT NULL,
  size        bigint NOT NULL CHECK (size > 0),
  object_key  text   NOT NULL,
  PRIMARY KEY (session_id, "offset")
);
