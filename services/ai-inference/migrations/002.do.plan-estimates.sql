-- Estimates per client and day, apart from all requests: the client's plan bounds them
-- (aiEstimatesPerDay, docs/billing.md), beside the operator's budget on requests and tokens.
ALTER TABLE ai_usage ADD COLUMN estimates integer NOT NULL DEFAULT 0 CHECK (estimates >= 0);

CALL grant_to_app('UPDATE (estimates)', 'TABLE ai_usage');
