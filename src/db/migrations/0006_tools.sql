-- Registered tools. A tool's files (XML, macros, scripts, test data) live in the object store as
-- one content-addressed bundle (bundle_key, a gzipped tar named by the SHA-256 of the tar), so
-- every replica and job node gets the same files without a shared disk. Several tools registered
-- from one directory share one bundle; tool_path is the tool XML's path inside it.
CREATE TABLE tools (
  id              text        NOT NULL,
  version         text        NOT NULL,
  name            text        NOT NULL,
  description     text        NOT NULL DEFAULT '',
  section_id      text,
  section_name    text,
  bundle_key      text        NOT NULL,
  bundle_sha256   text        NOT NULL,
  tool_path       text        NOT NULL,
  profile         text        NOT NULL,
  hidden          boolean     NOT NULL DEFAULT false,
  requirements    jsonb       NOT NULL DEFAULT '[]',
  containers      jsonb       NOT NULL DEFAULT '[]',
  create_time     timestamptz NOT NULL DEFAULT now(),
  update_time     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, version)
);
CREATE INDEX tools_section ON tools (section_id, name);
