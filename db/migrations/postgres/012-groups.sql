-- Encrypted group conversations (issue 17, docs/e2ee.md 12): a group is a private room marked
-- here, shown to clients as kind 'group'. Its membership versions are events of its log.
CREATE TABLE group_rooms (
  room_id bigint PRIMARY KEY REFERENCES rooms(id) ON DELETE CASCADE
);
