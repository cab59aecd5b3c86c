-- Hardening, as db/migrations/sqlite/004-hardening.sql: kept member counts, rooms by creator,
-- session controls, single-use WebSocket tickets, and upload quotas.

ALTER TABLE rooms ADD COLUMN member_count bigint NOT NULL DEFAULT 0;
UPDATE rooms SET member_count = (SELECT count(*) FROM members WHERE room_id = rooms.id);
CREATE FUNCTION parley_count_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE rooms SET member_count = member_count + 1 WHERE id = NEW.room_id;
  ELSE
    UPDATE rooms SET member_count = member_count - 1 WHERE id = OLD.room_id;
  END IF;
  RETURN NULL;
END;
$$;
-- Fired only for rows really inserted or deleted, so ON CONFLICT DO NOTHING counts nothing.
CREATE TRIGGER members_count AFTER INSERT OR DELETE ON members
  FOR EACH ROW EXECUTE FUNCTION parley_count_members();
CREATE INDEX rooms_creator ON rooms(created_by);

ALTER TABLE sessions ADD COLUMN last_seen_at bigint NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN agent text NOT NULL DEFAULT '';

-- A ticket is good for one WebSocket upgrade within seconds; only its SHA-256 is stored.
CREATE TABLE ws_tickets (
  ticket_hash text PRIMARY KEY,
  token_hash text NOT NULL REFERENCES sessions(token_hash) ON DELETE CASCADE,
  expires_at bigint NOT NULL
);
CREATE INDEX ws_tickets_session ON ws_tickets(token_hash);

CREATE INDEX files_uploader ON files(uploader_id, created_at);

-- Presence visibility looks these up from the other side: who blocked a user, who accepted them.
CREATE INDEX blocks_blocked ON blocks(blocked_id, user_id);
CREATE INDEX contacts_contact ON contacts(contact_id, user_id);
