-- Presence-era features: direct messages (end-to-end encrypted), read markers, contacts,
-- blocks, who may send you DMs, and the public keys of each user's devices.

-- 'room' is public and joinable; 'dm' has exactly two members and holds only sealed messages.
ALTER TABLE rooms ADD COLUMN kind TEXT NOT NULL DEFAULT 'room' CHECK (kind IN ('room', 'dm'));

-- The highest seq the member has read; unread counts are computed from it.
ALTER TABLE members ADD COLUMN last_read INTEGER NOT NULL DEFAULT 0;

-- 1 when body holds an E2EE envelope (JSON) that the server cannot read.
ALTER TABLE messages ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;

-- 'everyone' or 'contacts': who may open a DM with this user.
ALTER TABLE users ADD COLUMN dm_policy TEXT NOT NULL DEFAULT 'everyone'
  CHECK (dm_policy IN ('everyone', 'contacts'));

-- One DM room per pair of users; user_a < user_b.
CREATE TABLE dms (
  user_a INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  user_b INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  room_id INTEGER NOT NULL UNIQUE REFERENCES rooms(id) ON DELETE CASCADE,
  PRIMARY KEY (user_a, user_b),
  CHECK (user_a < user_b)
) STRICT, WITHOUT ROWID;

CREATE TABLE contacts (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  contact_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, contact_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE blocks (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  blocked_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, blocked_id)
) STRICT, WITHOUT ROWID;

-- Signed public device bundles (JSON), published by each device; private keys never come here.
CREATE TABLE devices (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  device_id TEXT NOT NULL,
  bundle TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, device_id)
) STRICT, WITHOUT ROWID;
