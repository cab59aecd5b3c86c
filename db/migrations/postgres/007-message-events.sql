-- The event log, as db/migrations/sqlite/007-message-events.sql: edits, deletions and reactions
-- (and, later, membership and moderation events) are rows of `messages` with a `kind`, sharing
-- the room's seq counter, the (sender, client id) idempotency and every read path.
ALTER TABLE messages ADD COLUMN kind text;
ALTER TABLE messages ADD COLUMN target bigint;
ALTER TABLE messages ADD COLUMN data text;
ALTER TABLE messages ADD COLUMN edited_at bigint;
ALTER TABLE messages ADD COLUMN deleted_at bigint;
ALTER TABLE messages ADD COLUMN reply_to bigint;
CREATE INDEX messages_target ON messages(room_id, target) WHERE target IS NOT NULL;

CREATE TABLE reactions (
  room_id bigint NOT NULL,
  seq bigint NOT NULL,
  emoji text NOT NULL,
  user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at bigint NOT NULL,
  PRIMARY KEY (room_id, seq, emoji, user_id),
  FOREIGN KEY (room_id, seq) REFERENCES messages(room_id, seq) ON DELETE CASCADE
);

-- Full-text search over public-room messages: a generated column, so an edit or an erasure
-- updates the index in the same statement. 'simple' keeps words as written, in any language.
ALTER TABLE messages ADD COLUMN search tsvector GENERATED ALWAYS AS (
  CASE WHEN kind IS NULL AND NOT sealed THEN to_tsvector('simple', body) END
) STORED;
CREATE INDEX messages_search ON messages USING gin(search);
