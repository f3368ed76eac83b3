-- Record-level sharing filters lists by ward in SQL (issue 5): a ward-bound user's newest messages come from this
-- index instead of scanning every ward's newest rows (bench/access-filter.bench.ts).
CREATE INDEX message_ward_created_idx ON message (ward_id, created_at DESC);
