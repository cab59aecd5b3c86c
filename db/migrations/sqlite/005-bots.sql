-- Bots and their tokens. A bot is a user (it has a name, joins rooms and sends messages like
-- anyone) owned by the user who made it; people have no owner. Bots cannot log in: their
-- password hash is of a random secret nobody keeps.
ALTER TABLE users ADD COLUMN bot_owner_id INTEGER REFERENCES users(id) ON DELETE CASCADE;
CREATE INDEX users_bot_owner ON users(bot_owner_id) WHERE bot_owner_id IS NOT NULL;

-- Long-lived credentials of a bot: 'api' tokens (HTTP and WebSocket, limited to `rooms`) and
-- 'webhook' tokens (POST /api/hooks/TOKEN into their one room). Only the SHA-256 of a token is
-- kept. A revoked token keeps its row, with revoked_at set, for the owner's records.
CREATE TABLE bot_tokens (
  id INTEGER PRIMARY KEY,
  bot_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('api', 'webhook')),
  token_hash TEXT NOT NULL UNIQUE,
  -- JSON array of room ids the token may use; a webhook's holds exactly one.
  rooms TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
) STRICT;
CREATE INDEX bot_tokens_bot ON bot_tokens(bot_id);
