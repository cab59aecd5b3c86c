-- Communities (issue 13): private rooms, roles, mutes, bans, invite codes and the audit log.

ALTER TABLE rooms ADD COLUMN visibility TEXT NOT NULL DEFAULT 'public'
  CHECK (visibility IN ('public', 'private'));

-- A member's role in the room, and until when (ms) they may read but not send.
ALTER TABLE members ADD COLUMN role TEXT NOT NULL DEFAULT 'member'
  CHECK (role IN ('owner', 'moderator', 'member'));
ALTER TABLE members ADD COLUMN muted_until INTEGER NOT NULL DEFAULT 0;
-- Rooms made before roles existed: their creator, if still a member, owns them.
UPDATE members SET role = 'owner'
  WHERE EXISTS (SELECT 1 FROM rooms r WHERE r.id = members.room_id AND r.kind = 'room'
                AND r.created_by = members.user_id);

-- A ban keeps the user out until expires_at (NULL: for good); it survives their leaving.
CREATE TABLE room_bans (
  room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  PRIMARY KEY (room_id, user_id)
) STRICT, WITHOUT ROWID;

-- An invite code or link: only its SHA-256 is stored, like a session token.
CREATE TABLE room_invites (
  id INTEGER PRIMARY KEY,
  room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  code_hash TEXT NOT NULL UNIQUE,
  created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  max_uses INTEGER NOT NULL,
  uses INTEGER NOT NULL DEFAULT 0,
  revoked_at INTEGER
) STRICT;
CREATE INDEX room_invites_room ON room_invites(room_id);

-- Every moderation and admin action: who, what, to whom, when and why. Rows outlive the users
-- and rooms they name (no cascade), so the record of an action survives a deletion.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  room_id INTEGER,
  actor_id INTEGER,
  actor_name TEXT NOT NULL,
  action TEXT NOT NULL,
  target_id INTEGER,
  target_name TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX audit_log_room ON audit_log(room_id, id);

-- Running a server: administrators, disabled accounts, the registration mode, server invites.
ALTER TABLE users ADD COLUMN is_admin INTEGER NOT NULL DEFAULT 0;
-- Set while the account is disabled: its sessions are refused and it cannot log in.
ALTER TABLE users ADD COLUMN disabled_at INTEGER;
CREATE TABLE server_settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT, WITHOUT ROWID;
-- Invite codes for registration (--registration invite); only their SHA-256 is stored.
CREATE TABLE server_invites (
  id INTEGER PRIMARY KEY,
  code_hash TEXT NOT NULL UNIQUE,
  created_by INTEGER,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  max_uses INTEGER NOT NULL,
  uses INTEGER NOT NULL DEFAULT 0,
  revoked_at INTEGER
) STRICT;

-- A member's report of a message to the room's moderators and the server's admins.
CREATE TABLE reports (
  id INTEGER PRIMARY KEY,
  room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  reporter_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
  reason TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  -- Set when a moderator closed it, with what was done.
  resolved_by INTEGER,
  resolved_at INTEGER,
  outcome TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX reports_room ON reports(room_id, id);
