-- What the AI service now says about a meal beyond its numbers: whether an estimate is still
-- coming, came, or failed (and why, so the client can retry); the items it took the meal to
-- contain, how sure it was, and which model answered. A review records why it failed, or which
-- estimator and model wrote it. The failure reasons mirror ESTIMATION_FAILURE_REASONS in
-- packages/kit/src/events.ts (a test applies each of them, so the two cannot drift apart).

ALTER TABLE meal
  ADD COLUMN estimate_status     text NOT NULL DEFAULT 'pending'
                                 CHECK (estimate_status IN ('pending', 'estimated', 'failed')),
  ADD COLUMN estimate_failure    text
                                 CHECK (estimate_failure IN ('providers_unavailable', 'invalid_output', 'budget_exhausted', 'unrecognised')),
  ADD COLUMN estimate_items      jsonb CHECK (jsonb_typeof(estimate_items) = 'array'),
  ADD COLUMN estimate_confidence text CHECK (estimate_confidence IN ('low', 'medium', 'high')),
  ADD COLUMN estimate_model      text CHECK (length(estimate_model) BETWEEN 1 AND 100);

-- An estimate stays with the text it was made from: an edit that kept the text (a new time, say)
-- bumped the version but kept the estimate, so a stored estimate of any version counts. Row-level
-- security is forced on the owner too; lifting it for this one statement, inside this migration's
-- transaction, lets the backfill see every row and nobody else see the lifted state.
ALTER TABLE meal NO FORCE ROW LEVEL SECURITY;
UPDATE meal SET estimate_status = 'estimated' WHERE estimated_version IS NOT NULL;
ALTER TABLE meal FORCE ROW LEVEL SECURITY;

ALTER TABLE meal
  ADD CONSTRAINT meal_estimated_has_version CHECK ((estimate_status = 'estimated') = (estimated_version IS NOT NULL)),
  ADD CONSTRAINT meal_failure_has_reason CHECK ((estimate_status = 'failed') = (estimate_failure IS NOT NULL));

ALTER TABLE review
  ADD COLUMN failure_reason text
             CHECK (failure_reason IN ('providers_unavailable', 'invalid_output', 'budget_exhausted', 'unrecognised')),
  ADD COLUMN source         text CHECK (source ~ '^[a-z][a-z0-9_-]{0,31}$'),
  ADD COLUMN model          text CHECK (length(model) BETWEEN 1 AND 100),
  ADD CONSTRAINT review_failure_reason_only_when_failed CHECK (failure_reason IS NULL OR status = 'failed');

-- The AI results consumer may set a meal's estimate (now with its status, failure, items,
-- confidence and model) and a review's outcome (now with its failure reason, source and model),
-- and still nothing else.
CREATE OR REPLACE FUNCTION ai_results_change_only_results() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF acting_role() = 'ai-results' AND (
       (TG_TABLE_NAME = 'meal' AND (to_jsonb(NEW) - ARRAY['calories', 'protein_g', 'carbs_g', 'fat_g',
          'estimate_source', 'estimated_at', 'estimated_version', 'estimate_status', 'estimate_failure',
          'estimate_items', 'estimate_confidence', 'estimate_model'])
          IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['calories', 'protein_g', 'carbs_g', 'fat_g',
          'estimate_source', 'estimated_at', 'estimated_version', 'estimate_status', 'estimate_failure',
          'estimate_items', 'estimate_confidence', 'estimate_model']))
    OR (TG_TABLE_NAME = 'review' AND (to_jsonb(NEW) - ARRAY['status', 'content', 'completed_at',
          'failure_reason', 'source', 'model'])
          IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['status', 'content', 'completed_at',
          'failure_reason', 'source', 'model']))) THEN
    RAISE EXCEPTION 'the AI results consumer may only write results' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;

-- A trainer may ask again for an estimate that failed, for a client they coach: turn the
-- estimate back to pending and clear its failure, and nothing else. Meals stay the client's to
-- write, so the policy matches only failed estimates and the trigger refuses any other change.
CREATE POLICY meal_retry_estimate ON meal FOR UPDATE
  USING (acting_role() = 'trainer' AND can_coach_client(client_id) AND estimate_status = 'failed')
  WITH CHECK (acting_role() = 'trainer' AND can_coach_client(client_id) AND estimate_status = 'pending');

CREATE FUNCTION trainer_changes_only_estimate_request() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF acting_role() = 'trainer' AND (
       NEW.estimate_failure IS NOT NULL
    OR (to_jsonb(NEW) - ARRAY['estimate_status', 'estimate_failure'])
       IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['estimate_status', 'estimate_failure'])) THEN
    RAISE EXCEPTION 'a trainer may only ask for a failed estimate again' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER meal_trainer_retry_only BEFORE UPDATE ON meal
  FOR EACH ROW EXECUTE FUNCTION trainer_changes_only_estimate_request();
