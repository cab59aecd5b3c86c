-- Room lifecycle (issue 13): an archived room is read-only; set to the time (ms) it was archived.
ALTER TABLE rooms ADD COLUMN archived_at INTEGER;

-- An invitation of one user by name to a room (issue 13): live until expires_at (ms), then
-- ignored; accepting or declining deletes it. One per user and room: inviting again renews it.
CREATE TABLE room_user_invites (
  room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  invited_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (room_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX room_user_invites_user ON room_user_invites(user_id);
