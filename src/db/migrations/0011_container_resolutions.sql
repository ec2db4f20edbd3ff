-- The shared container resolution cache (issue: containers). One row per resolution request
-- (an explicit image, or a repository + tag prefix derived from requirements, with the
-- registries it was looked for in). Found rows carry the pinned digest; failed rows carry the
-- error and a short expiry, so a registry that is down or refusing is not asked again at once.
CREATE TABLE container_resolutions (
  request_key text        PRIMARY KEY,
  status      text        NOT NULL CHECK (status IN ('found', 'failed')),
  image       text,
  digest      text,
  pinned      text,
  registry    text,
  source      text,
  error       text,
  resolved_at timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);
CREATE INDEX container_resolutions_expires ON container_resolutions (expires_at);
