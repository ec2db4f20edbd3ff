-- job.sweep asks which datasets point under a job's prefix (object_key LIKE 'jobs/ab/<uuid>/%')
-- before it deletes the objects of the job's other attempts; text_pattern_ops lets that prefix
-- match use the index whatever the database's collation.
CREATE INDEX datasets_object_key ON datasets (object_key text_pattern_ops);
