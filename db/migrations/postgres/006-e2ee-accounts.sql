-- End-to-end encryption across devices: each user's device list, signed by the account identity
-- key (docs/e2ee.md). The server keeps the newest list and refuses an older version or another
-- key unless the owner resets it; clients never trust the server for either.

CREATE TABLE device_lists (
  user_id BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  -- The account identity key (Ed25519 public, base64url) that signed `list`.
  identity_key TEXT NOT NULL,
  version BIGINT NOT NULL CHECK (version >= 1),
  -- The signed list as JSON.
  list TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- Encrypted key backup (docs/e2ee.md section 11): the backup's public key, signed by the account
-- key, and opaque items sealed to it. The server holds no key that opens them.
CREATE TABLE key_backups (
  user_id BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  info TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE key_backup_items (
  id BIGSERIAL PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  item TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX key_backup_items_user ON key_backup_items(user_id, id);
