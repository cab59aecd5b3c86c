-- File sharing, as db/migrations/sqlite/003-files.sql: uploaded files' metadata, and the file a
-- message shares. The bytes live on disk, content-addressed by sha256.

CREATE TABLE files (
  id text PRIMARY KEY,
  room_id bigint NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  uploader_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  sha256 text NOT NULL,
  size bigint NOT NULL CHECK (size >= 0),
  -- NULL for a DM file: the client encrypts it and keeps its name and type inside the envelope.
  name text,
  type text,
  created_at bigint NOT NULL
);
CREATE INDEX files_sha256 ON files(sha256);

-- The shared file as JSON {id, name, size, type}, copied when the message is stored: file
-- metadata never changes, so history needs no join.
ALTER TABLE messages ADD COLUMN file text;
