-- Room lifecycle (issue 13): an archived room is read-only; set to the time (ms) it was archived.
ALTER TABLE rooms ADD COLUMN archived_at bigint;
