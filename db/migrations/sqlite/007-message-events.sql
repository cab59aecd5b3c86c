-- The event log: edits, deletions and reactions (and, later, membership and moderation events)
-- are rows of `messages` with a `kind`, so they take a seq from the same counter, the same
-- (sender, client id) idempotency and the same append, replay and history paths. A row with
-- kind NULL is a message. A message row also keeps its current state (edited, deleted, its
-- reply target), so a history page needs no event to show it.
ALTER TABLE messages ADD COLUMN kind TEXT;
-- The seq of the message an event changes (NULL for a message, or an event about no message).
ALTER TABLE messages ADD COLUMN target INTEGER;
-- Kind-specific fields of an event as a JSON object (a reaction's {"on": true}), or NULL.
ALTER TABLE messages ADD COLUMN data TEXT;
ALTER TABLE messages ADD COLUMN edited_at INTEGER;
ALTER TABLE messages ADD COLUMN deleted_at INTEGER;
ALTER TABLE messages ADD COLUMN reply_to INTEGER;
CREATE INDEX messages_target ON messages(room_id, target) WHERE target IS NOT NULL;

-- Who reacted to a public-room message with what: the aggregate a history page shows. DM
-- reactions are sealed, so the server cannot keep this for them.
CREATE TABLE reactions (
  room_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  emoji TEXT NOT NULL,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (room_id, seq, emoji, user_id),
  FOREIGN KEY (room_id, seq) REFERENCES messages(room_id, seq) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- Full-text search over public-room messages. rowid = room_id * 2^32 + seq. secure-delete makes
-- a deletion remove the tokens from the index at once, not at the next merge. Kept in step by
-- triggers, in the transaction that inserts, edits or erases the message.
CREATE VIRTUAL TABLE message_search USING fts5(body, tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO message_search(message_search, rank) VALUES ('secure-delete', 1);
INSERT INTO message_search(rowid, body)
  SELECT room_id * 4294967296 + seq, body FROM messages WHERE sealed = 0 AND body != '';

CREATE TRIGGER message_search_insert AFTER INSERT ON messages
  WHEN new.kind IS NULL AND new.sealed = 0 AND new.body != ''
BEGIN
  INSERT INTO message_search(rowid, body) VALUES (new.room_id * 4294967296 + new.seq, new.body);
END;
CREATE TRIGGER message_search_update AFTER UPDATE OF body ON messages
  WHEN old.kind IS NULL AND old.sealed = 0
BEGIN
  DELETE FROM message_search WHERE rowid = old.room_id * 4294967296 + old.seq;
  INSERT INTO message_search(rowid, body)
    SELECT new.room_id * 4294967296 + new.seq, new.body WHERE new.body != '';
END;
CREATE TRIGGER message_search_delete AFTER DELETE ON messages
  WHEN old.kind IS NULL AND old.sealed = 0
BEGIN
  DELETE FROM message_search WHERE rowid = old.room_id * 4294967296 + old.seq;
END;
