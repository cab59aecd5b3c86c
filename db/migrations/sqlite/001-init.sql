-- Parley's first schema: accounts, sessions, rooms, membership and messages.

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  -- Names are unique regardless of case; name keeps the case the user chose.
  name_key TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
  -- SHA-256 of the bearer token, hex. The token itself is never stored.
  token_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expiry ON sessions(expires_at);

CREATE TABLE rooms (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  name_key TEXT NOT NULL UNIQUE,
  topic TEXT NOT NULL DEFAULT '',
  created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  -- The last seq handed out in this room. Bumped in the same transaction as the insert,
  -- so a seq is never reused, even after a crash.
  last_seq INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE members (
  room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  joined_at INTEGER NOT NULL,
  PRIMARY KEY (room_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX members_user ON members(user_id, room_id);

CREATE TABLE messages (
  room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  sender_id INTEGER NOT NULL REFERENCES users(id),
  -- The sender's own id for the message: a retried send finds the original here.
  client_id TEXT NOT NULL,
  body TEXT NOT NULL,
  ts INTEGER NOT NULL,
  PRIMARY KEY (room_id, seq)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX messages_client_id ON messages(sender_id, client_id);
