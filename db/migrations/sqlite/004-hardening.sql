-- Hardening (issue 11): member counts kept rather than counted per request, rooms looked up by
-- creator (the per-user cap), session controls (last use, what client), single-use WebSocket
-- tickets, and upload quotas (bytes per uploader over time).

ALTER TABLE rooms ADD COLUMN member_count INTEGER NOT NULL DEFAULT 0;
UPDATE rooms SET member_count = (SELECT count(*) FROM members WHERE room_id = rooms.id);
-- Fired only for rows really inserted or deleted, so ON CONFLICT DO NOTHING counts nothing.
CREATE TRIGGER members_count_insert AFTER INSERT ON members BEGIN
  UPDATE rooms SET member_count = member_count + 1 WHERE id = NEW.room_id;
END;
CREATE TRIGGER members_count_delete AFTER DELETE ON members BEGIN
  UPDATE rooms SET member_count = member_count - 1 WHERE id = OLD.room_id;
END;
CREATE INDEX rooms_creator ON rooms(created_by);

ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN agent TEXT NOT NULL DEFAULT '';

-- A ticket is good for one WebSocket upgrade within seconds; only its SHA-256 is stored.
CREATE TABLE ws_tickets (
  ticket_hash TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL REFERENCES sessions(token_hash) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX ws_tickets_session ON ws_tickets(token_hash);

CREATE INDEX files_uploader ON files(uploader_id, created_at);

-- Presence visibility looks these up from the other side: who blocked a user, who accepted them.
CREATE INDEX blocks_blocked ON blocks(blocked_id, user_id);
CREATE INDEX contacts_contact ON contacts(contact_id, user_id);
