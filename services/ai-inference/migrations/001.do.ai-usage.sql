-- The AI service keeps no meal text and no review: only how much each client used the
-- providers per UTC day, to enforce the daily budget (docs/ai-inference.md). The kit's
-- migration (outbox, processed_event) runs before this one.
CREATE TABLE ai_usage (
  tenant_id uuid    NOT NULL,
  day       date    NOT NULL,
  requests  integer NOT NULL DEFAULT 0 CHECK (requests >= 0),
  tokens    bigint  NOT NULL DEFAULT 0 CHECK (tokens >= 0),
  PRIMARY KEY (tenant_id, day)
);

-- Counting only: the runtime role adds to today's row and may purge old days; nothing else.
CALL grant_to_app('SELECT, INSERT, UPDATE (requests, tokens), DELETE', 'TABLE ai_usage');
