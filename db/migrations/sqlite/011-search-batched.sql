-- The full-text index, cheaper to write (issue 22: durable writes fell from 50k to 15k/s when it
-- came). Two causes, both fixed here:
-- 1. The insert trigger wrote each message's terms in a statement of its own, and FTS5 flushes
--    its pending terms to a new segment at every statement savepoint: a segment per message.
--    The append (db/store-sqlite-append.ts) now indexes a batch's messages in one statement.
-- 2. A contentful table keeps a copy of every body and a size row per message, both keyed by
--    rowid = room_id * 2^32 + seq: a batch over 64 rooms dirtied ~130 scattered pages per commit.
--    The index is now contentless without size rows: only the terms, appended as one segment.
--    The text stays in `messages` (search results cut their snippet from it), and an edit or an
--    erasure removes the old terms with FTS5's 'delete' command, which needs the old text: the
--    triggers have it.
DROP TRIGGER message_search_insert;
DROP TRIGGER message_search_update;
DROP TRIGGER message_search_delete;
DROP TABLE message_search;
CREATE VIRTUAL TABLE message_search USING fts5(
  body, content = '', columnsize = 0, tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO message_search(message_search, rank) VALUES ('secure-delete', 1);
INSERT INTO message_search(rowid, body)
  SELECT room_id * 4294967296 + seq, body FROM messages
  WHERE kind IS NULL AND sealed = 0 AND body != '' ORDER BY room_id, seq;

CREATE TRIGGER message_search_update AFTER UPDATE OF body ON messages
  WHEN old.kind IS NULL AND old.sealed = 0
BEGIN
  INSERT INTO message_search(message_search, rowid, body)
    SELECT 'delete', old.room_id * 4294967296 + old.seq, old.body WHERE old.body != '';
  INSERT INTO message_search(rowid, body)
    SELECT new.room_id * 4294967296 + new.seq, new.body WHERE new.body != '';
END;
CREATE TRIGGER message_search_delete AFTER DELETE ON messages
  WHEN old.kind IS NULL AND old.sealed = 0 AND old.body != ''
BEGIN
  INSERT INTO message_search(message_search, rowid, body)
    VALUES ('delete', old.room_id * 4294967296 + old.seq, old.body);
END;
