-- An estimate the asker's plan has no room for today fails with its own reason, `plan_limit`
-- (docs/billing.md), so the app can offer the plan that lifts it rather than "try tomorrow".
ALTER TABLE meal
  DROP CONSTRAINT meal_estimate_failure_check,
  ADD CONSTRAINT meal_estimate_failure_check
    CHECK (estimate_failure IN ('providers_unavailable', 'invalid_output', 'budget_exhausted', 'unrecognised', 'plan_limit'));

-- Reviews are bounded in tracking, before the request is queued; the AI service never fails one
-- for the plan. The reason list stays the events' list all the same, so the two cannot drift.
ALTER TABLE review
  DROP CONSTRAINT review_failure_reason_check,
  ADD CONSTRAINT review_failure_reason_check
    CHECK (failure_reason IN ('providers_unavailable', 'invalid_output', 'budget_exhausted', 'unrecognised', 'plan_limit'));
