-- Bots and their tokens, as db/migrations/sqlite/005-bots.sql. A bot is a user owned by the
-- user who made it; people have no owner. Bots cannot log in.
ALTER TABLE users ADD COLUMN bot_owner_id bigint REFERENCES users(id) ON DELETE CASCADE;
CREATE INDEX users_bot_owner ON users(bot_owner_id) WHERE bot_owner_id IS NOT NULL;

-- Long-lived credentials of a bot: 'api' tokens limited to `rooms`, and 'webhook' tokens into
-- their one room. Only the SHA-256 of a token is kept; a revoked token keeps its row.
CREATE TABLE bot_tokens (
  id bigserial PRIMARY KEY,
  bot_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('api', 'webhook')),
  token_hash text NOT NULL UNIQUE,
  -- JSON array of room ids, as in SQLite.
  rooms text NOT NULL,
  created_at bigint NOT NULL,
  revoked_at bigint
);
CREATE INDEX bot_tokens_bot ON bot_tokens(bot_id);
