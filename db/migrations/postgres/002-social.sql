-- Presence-era features, as db/migrations/sqlite/002-social.sql: direct messages (end-to-end
-- encrypted), read markers, contacts, blocks, who may send you DMs, and device public keys.

-- 'room' is public and joinable; 'dm' has exactly two members and holds only sealed messages.
ALTER TABLE rooms ADD COLUMN kind text NOT NULL DEFAULT 'room' CHECK (kind IN ('room', 'dm'));

-- The highest seq the member has read; unread counts are computed from it.
ALTER TABLE members ADD COLUMN last_read bigint NOT NULL DEFAULT 0;

-- True when body holds an E2EE envelope (JSON) that the server cannot read.
ALTER TABLE messages ADD COLUMN sealed boolean NOT NULL DEFAULT false;

-- 'everyone' or 'contacts': who may open a DM with this user.
ALTER TABLE users ADD COLUMN dm_policy text NOT NULL DEFAULT 'everyone'
  CHECK (dm_policy IN ('everyone', 'contacts'));

-- One DM room per pair of users; user_a < user_b. The primary key is what makes two nodes
-- opening the same pair at once end with one room (see PostgresStore.openDm).
CREATE TABLE dms (
  user_a bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  user_b bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  room_id bigint NOT NULL UNIQUE REFERENCES rooms(id) ON DELETE CASCADE,
  PRIMARY KEY (user_a, user_b),
  CHECK (user_a < user_b)
);
-- listDms looks a user up on either side; the primary key covers user_a only.
CREATE INDEX dms_user_b ON dms(user_b);

CREATE TABLE contacts (
  user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  contact_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at bigint NOT NULL,
  PRIMARY KEY (user_id, contact_id)
);

CREATE TABLE blocks (
  user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  blocked_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at bigint NOT NULL,
  PRIMARY KEY (user_id, blocked_id)
);

-- Signed public device bundles (JSON), published by each device; private keys never come here.
CREATE TABLE devices (
  user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  device_id text NOT NULL,
  bundle text NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (user_id, device_id)
);
