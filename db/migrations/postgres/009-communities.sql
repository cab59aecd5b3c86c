-- Communities, as db/migrations/sqlite/009-communities.sql: private rooms, roles, mutes, bans,
-- invite codes and the audit log.

ALTER TABLE rooms ADD COLUMN visibility text NOT NULL DEFAULT 'public'
  CHECK (visibility IN ('public', 'private'));

ALTER TABLE members ADD COLUMN role text NOT NULL DEFAULT 'member'
  CHECK (role IN ('owner', 'moderator', 'member'));
ALTER TABLE members ADD COLUMN muted_until bigint NOT NULL DEFAULT 0;
UPDATE members SET role = 'owner'
  WHERE EXISTS (SELECT 1 FROM rooms r WHERE r.id = members.room_id AND r.kind = 'room'
                AND r.created_by = members.user_id);

CREATE TABLE room_bans (
  room_id bigint NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at bigint NOT NULL,
  expires_at bigint,
  PRIMARY KEY (room_id, user_id)
);

CREATE TABLE room_invites (
  id bigserial PRIMARY KEY,
  room_id bigint NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  code_hash text NOT NULL UNIQUE,
  created_by bigint REFERENCES users(id) ON DELETE SET NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  max_uses bigint NOT NULL,
  uses bigint NOT NULL DEFAULT 0,
  revoked_at bigint
);
CREATE INDEX room_invites_room ON room_invites(room_id);

CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  room_id bigint,
  actor_id bigint,
  actor_name text NOT NULL,
  action text NOT NULL,
  target_id bigint,
  target_name text NOT NULL DEFAULT '',
  reason text NOT NULL DEFAULT '',
  detail text NOT NULL DEFAULT '',
  created_at bigint NOT NULL
);
CREATE INDEX audit_log_room ON audit_log(room_id, id);

ALTER TABLE users ADD COLUMN is_admin boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN disabled_at bigint;
CREATE TABLE server_settings (
  key text PRIMARY KEY,
  value text NOT NULL
);
CREATE TABLE server_invites (
  id bigserial PRIMARY KEY,
  code_hash text NOT NULL UNIQUE,
  created_by bigint,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  max_uses bigint NOT NULL,
  uses bigint NOT NULL DEFAULT 0,
  revoked_at bigint
);

CREATE TABLE reports (
  id bigserial PRIMARY KEY,
  room_id bigint NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  seq bigint NOT NULL,
  reporter_id bigint REFERENCES users(id) ON DELETE SET NULL,
  reason text NOT NULL,
  created_at bigint NOT NULL,
  resolved_by bigint,
  resolved_at bigint,
  outcome text NOT NULL DEFAULT ''
);
CREATE INDEX reports_room ON reports(room_id, id);
