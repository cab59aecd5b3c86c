-- Each user's appearance settings (theme, accent, text size, density, clock, motion), kept as
-- one small JSON document the browser client reads and writes whole (GET/PUT /api/settings).
-- The server validates it before storing and bounds its size (SETTINGS_MAX_BYTES).
CREATE TABLE user_settings (
  user_id BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  settings TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
