-- An erasure that has begun (#22, docs/auth.md "Export and erasure"): set when auth sees the
-- erasure's phase 1 go to the other services, so the person's sessions end and no new one opens
-- while their data elsewhere is deleted; phase 2 then deletes the row itself.
ALTER TABLE users ADD COLUMN erasing_since timestamptz;
