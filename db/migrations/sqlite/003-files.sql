-- File sharing: uploaded files' metadata, and the file a message shares. The bytes live on disk,
-- content-addressed by sha256 (see src/server/file-blobs.ts), so one blob may back many rows.

CREATE TABLE files (
  id TEXT PRIMARY KEY,
  room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  uploader_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL CHECK (size >= 0),
  -- NULL for a DM file: the client encrypts it and keeps its name and type inside the envelope.
  name TEXT,
  type TEXT,
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX files_sha256 ON files(sha256);

-- The shared file as JSON {id, name, size, type}, copied when the message is stored: file
-- metadata never changes, so history needs no join.
ALTER TABLE messages ADD COLUMN file TEXT;
