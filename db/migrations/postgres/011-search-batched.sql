-- Nothing changes on PostgreSQL: its search column is generated (migration 007), with no
-- per-statement flush like SQLite FTS5's. The number is kept in step with SQLite's 011
-- (the full-text index written once per append batch).
SELECT 1;
