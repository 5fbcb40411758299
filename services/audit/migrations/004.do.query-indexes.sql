-- Indexes for the admin query API (services/audit/src/query.ts). Every filter pages by
-- sequence (keyset), so each index ends in sequence: a filtered page is an index range scan
-- however long the log grows. text_pattern_ops lets the action index serve a prefix
-- ("auth.mfa.*", a LIKE 'auth.mfa.%') as well as an exact match, whatever the collation.
CREATE INDEX audit_entry_actor ON audit_entry (actor_user_id, sequence);
CREATE INDEX audit_entry_subject ON audit_entry (subject_type, subject_id, sequence);
CREATE INDEX audit_entry_action ON audit_entry (action text_pattern_ops, sequence);
CREATE INDEX audit_entry_occurred ON audit_entry (occurred_at, sequence);
