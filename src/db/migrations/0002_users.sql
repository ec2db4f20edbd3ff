-- Users and API keys (Galaxy's users, api_keys), plus cluster-wide settings that every replica
-- must share (the id-encoding secret), kept here rather than in any local file.
CREATE TABLE nebula_settings (
  name  text PRIMARY KEY,
  value text NOT NULL
);

CREATE TABLE users (
  id          bigserial PRIMARY KEY,
  email       text        NOT NULL,
  username    text        NOT NULL,
  is_admin    boolean     NOT NULL DEFAULT false,
  deleted     boolean     NOT NULL DEFAULT false,
  purged      boolean     NOT NULL DEFAULT false,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (lower(email));
CREATE UNIQUE INDEX users_username ON users (lower(username));

-- Keys are stored hashed: a database dump does not hand out working credentials.
CREATE TABLE api_keys (
  key_hash    text PRIMARY KEY,
  user_id     bigint      NOT NULL REFERENCES users (id),
  create_time timestamptz NOT NULL DEFAULT now(),
  deleted     boolean     NOT NULL DEFAULT false
);
CREATE INDEX api_keys_user ON api_keys (user_id) WHERE NOT deleted;
