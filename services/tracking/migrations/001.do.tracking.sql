-- The tracking service's tables, with row-level security ENABLED and FORCED on every table that
-- holds client data. The runtime role (<db>_app) owns nothing and cannot bypass RLS; every
-- transaction first states who is acting (see src/db.ts, `asPrincipal`):
--   tracking.user_id  the acting user's id (empty for a system actor)
--   tracking.role     client | trainer | admin, or the system actor 'ai-results'
--   tracking.email    the acting user's verified email, if any (to see invitations to it)
-- and the policies below decide what that actor can see and change. Nobody else sees anything:
-- with no settings, every policy is false.

CREATE FUNCTION acting_user() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('tracking.user_id', true), '')::uuid
$$;

CREATE FUNCTION acting_role() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('tracking.role', true), ''), 'none')
$$;

CREATE FUNCTION acting_email() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('tracking.email', true), '')
$$;

-- A trainer invites a client by email; the row becomes the link when the client accepts.
CREATE TABLE trainer_link (
  id            uuid        PRIMARY KEY,
  trainer_id    uuid        NOT NULL,
  client_id     uuid,
  invited_email text        NOT NULL CHECK (invited_email = lower(invited_email)),
  status        text        NOT NULL CHECK (status IN ('pending', 'active', 'ended', 'declined')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  accepted_at   timestamptz,
  ended_at      timestamptz,
  ended_by      uuid,
  CHECK (status NOT IN ('pending', 'declined') OR client_id IS NULL),
  CHECK (status <> 'active' OR client_id IS NOT NULL),
  CHECK (trainer_id IS DISTINCT FROM client_id)
);
-- A client has at most one trainer at a time; a trainer has one open invitation per address.
CREATE UNIQUE INDEX trainer_link_one_active ON trainer_link (client_id) WHERE status = 'active';
CREATE UNIQUE INDEX trainer_link_one_pending ON trainer_link (trainer_id, invited_email) WHERE status = 'pending';
CREATE INDEX trainer_link_trainer ON trainer_link (trainer_id, status);
CREATE INDEX trainer_link_email ON trainer_link (invited_email) WHERE status = 'pending';

-- Break-glass: an admin's time-limited read access to one client's logs.
CREATE TABLE support_access (
  id         uuid        PRIMARY KEY,
  admin_id   uuid        NOT NULL,
  client_id  uuid        NOT NULL,
  reason     text        NOT NULL CHECK (length(reason) BETWEEN 10 AND 500),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL CHECK (expires_at <= created_at + interval '60 minutes')
);
CREATE INDEX support_access_admin ON support_access (admin_id, client_id, expires_at);

-- Who may read a client's logs: the client; their trainer while the link is active; an admin
-- with an open break-glass grant. The subqueries run under the same RLS, so they only ever see
-- the actor's own links and grants.
CREATE FUNCTION can_read_client(client uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT (acting_role() = 'client' AND client = acting_user())
      OR (acting_role() = 'trainer' AND EXISTS (
            SELECT 1 FROM trainer_link l
             WHERE l.client_id = client AND l.trainer_id = acting_user() AND l.status = 'active'))
      OR (acting_role() = 'admin' AND EXISTS (
            SELECT 1 FROM support_access s
             WHERE s.client_id = client AND s.admin_id = acting_user() AND s.expires_at > now()))
$$;

-- Who may change a client's goals, comments and reviews: the client and their active trainer.
CREATE FUNCTION can_coach_client(client uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT (acting_role() = 'client' AND client = acting_user())
      OR (acting_role() = 'trainer' AND EXISTS (
            SELECT 1 FROM trainer_link l
             WHERE l.client_id = client AND l.trainer_id = acting_user() AND l.status = 'active'))
$$;

CREATE TABLE meal (
  id                  uuid          PRIMARY KEY,
  client_id           uuid          NOT NULL,
  eaten_at            timestamptz   NOT NULL,
  meal_type           text          NOT NULL
                      CHECK (meal_type IN ('breakfast', 'lunch', 'dinner', 'snack', 'drink', 'other')),
  description         text          NOT NULL CHECK (length(description) BETWEEN 1 AND 2000),
  photo_ref           text,
  version             integer       NOT NULL DEFAULT 1,
  -- The AI's estimate of the description as it was at estimated_version; cleared on an edit.
  calories            integer,
  protein_g           numeric(7, 1),
  carbs_g             numeric(7, 1),
  fat_g               numeric(7, 1),
  estimate_source     text,
  estimated_at        timestamptz,
  estimated_version   integer,
  created_at          timestamptz   NOT NULL DEFAULT now(),
  updated_at          timestamptz   NOT NULL DEFAULT now(),
  deleted_at          timestamptz
);
CREATE INDEX meal_client_eaten ON meal (client_id, eaten_at DESC, id DESC) WHERE deleted_at IS NULL;

CREATE TABLE metric (
  id          uuid         PRIMARY KEY,
  client_id   uuid         NOT NULL,
  recorded_at timestamptz  NOT NULL,
  weight_kg   numeric(5, 2) CHECK (weight_kg > 0 AND weight_kg < 700),
  sleep_hours numeric(4, 2) CHECK (sleep_hours >= 0 AND sleep_hours <= 24),
  steps       integer       CHECK (steps >= 0 AND steps <= 200000),
  water_ml    integer       CHECK (water_ml >= 0 AND water_ml <= 20000),
  mood        smallint      CHECK (mood BETWEEN 1 AND 5),
  notes       text          NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
  version     integer       NOT NULL DEFAULT 1,
  created_at  timestamptz   NOT NULL DEFAULT now(),
  updated_at  timestamptz   NOT NULL DEFAULT now(),
  deleted_at  timestamptz,
  CHECK (num_nonnulls(weight_kg, sleep_hours, steps, water_ml, mood) > 0 OR notes <> '')
);
CREATE INDEX metric_client_recorded ON metric (client_id, recorded_at DESC, id DESC) WHERE deleted_at IS NULL;

CREATE TABLE goal (
  client_id  uuid          PRIMARY KEY,
  calories   integer       NOT NULL CHECK (calories BETWEEN 0 AND 20000),
  protein_g  numeric(7, 1) NOT NULL CHECK (protein_g >= 0),
  carbs_g    numeric(7, 1) NOT NULL CHECK (carbs_g >= 0),
  fat_g      numeric(7, 1) NOT NULL CHECK (fat_g >= 0),
  set_by     uuid          NOT NULL,
  version    integer       NOT NULL DEFAULT 1,
  updated_at timestamptz   NOT NULL DEFAULT now()
);

CREATE TABLE comment (
  id         uuid        PRIMARY KEY,
  client_id  uuid        NOT NULL,
  author_id  uuid        NOT NULL,
  meal_id    uuid        REFERENCES meal (id),
  body       text        NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comment_client ON comment (client_id, created_at DESC, id DESC);

CREATE TABLE review (
  id           uuid        PRIMARY KEY,
  client_id    uuid        NOT NULL,
  week_start   date        NOT NULL CHECK (extract(isodow FROM week_start) = 1),
  status       text        NOT NULL CHECK (status IN ('requested', 'ready', 'failed')),
  content      text,
  requested_by uuid        NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  UNIQUE (client_id, week_start)
);

-- Aggregate counts for admins: no client ids, no text, so no row-level security to need.
CREATE TABLE daily_activity (
  day               date    PRIMARY KEY,
  meals_logged      integer NOT NULL DEFAULT 0,
  metrics_logged    integer NOT NULL DEFAULT 0,
  links_started     integer NOT NULL DEFAULT 0,
  reviews_requested integer NOT NULL DEFAULT 0
);

-- Counted by triggers in the writing transaction, so the counts cannot drift from the rows.
CREATE FUNCTION count_activity() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  today date := (now() AT TIME ZONE 'UTC')::date;
BEGIN
  INSERT INTO daily_activity AS d (day, meals_logged, metrics_logged, links_started, reviews_requested)
  VALUES (today,
          (TG_TABLE_NAME = 'meal')::int,
          (TG_TABLE_NAME = 'metric')::int,
          (TG_TABLE_NAME = 'trainer_link')::int,
          (TG_TABLE_NAME = 'review')::int)
  ON CONFLICT (day) DO UPDATE SET
    meals_logged = d.meals_logged + excluded.meals_logged,
    metrics_logged = d.metrics_logged + excluded.metrics_logged,
    links_started = d.links_started + excluded.links_started,
    reviews_requested = d.reviews_requested + excluded.reviews_requested;
  RETURN NULL;
END
$$;
CREATE TRIGGER meal_counted AFTER INSERT ON meal FOR EACH ROW EXECUTE FUNCTION count_activity();
CREATE TRIGGER metric_counted AFTER INSERT ON metric FOR EACH ROW EXECUTE FUNCTION count_activity();
CREATE TRIGGER review_counted AFTER INSERT ON review FOR EACH ROW EXECUTE FUNCTION count_activity();
CREATE TRIGGER link_counted AFTER UPDATE OF status ON trainer_link
  FOR EACH ROW WHEN (NEW.status = 'active' AND OLD.status = 'pending') EXECUTE FUNCTION count_activity();

-- The AI results consumer may set a meal's estimate and a review's outcome, and nothing else.
CREATE FUNCTION ai_results_change_only_results() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF acting_role() = 'ai-results' AND (
       (TG_TABLE_NAME = 'meal' AND (to_jsonb(NEW) - ARRAY['calories', 'protein_g', 'carbs_g', 'fat_g',
          'estimate_source', 'estimated_at', 'estimated_version'])
          IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['calories', 'protein_g', 'carbs_g', 'fat_g',
          'estimate_source', 'estimated_at', 'estimated_version']))
    OR (TG_TABLE_NAME = 'review' AND (to_jsonb(NEW) - ARRAY['status', 'content', 'completed_at'])
          IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['status', 'content', 'completed_at']))) THEN
    RAISE EXCEPTION 'the AI results consumer may only write results' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER meal_ai_results_only BEFORE UPDATE ON meal
  FOR EACH ROW EXECUTE FUNCTION ai_results_change_only_results();
CREATE TRIGGER review_ai_results_only BEFORE UPDATE ON review
  FOR EACH ROW EXECUTE FUNCTION ai_results_change_only_results();

-- Row-level security: enabled and forced (the owner too) on every table with client data.
ALTER TABLE trainer_link ENABLE ROW LEVEL SECURITY;
ALTER TABLE trainer_link FORCE ROW LEVEL SECURITY;
ALTER TABLE support_access ENABLE ROW LEVEL SECURITY;
ALTER TABLE support_access FORCE ROW LEVEL SECURITY;
ALTER TABLE meal ENABLE ROW LEVEL SECURITY;
ALTER TABLE meal FORCE ROW LEVEL SECURITY;
ALTER TABLE metric ENABLE ROW LEVEL SECURITY;
ALTER TABLE metric FORCE ROW LEVEL SECURITY;
ALTER TABLE goal ENABLE ROW LEVEL SECURITY;
ALTER TABLE goal FORCE ROW LEVEL SECURITY;
ALTER TABLE comment ENABLE ROW LEVEL SECURITY;
ALTER TABLE comment FORCE ROW LEVEL SECURITY;
ALTER TABLE review ENABLE ROW LEVEL SECURITY;
ALTER TABLE review FORCE ROW LEVEL SECURITY;

-- Links: each side sees its own; a client also sees the invitations to their verified email.
CREATE POLICY link_read ON trainer_link FOR SELECT USING (
  (acting_role() = 'trainer' AND trainer_id = acting_user())
  OR (acting_role() = 'client' AND client_id = acting_user())
  OR (acting_role() = 'client' AND client_id IS NULL AND invited_email = acting_email()));
CREATE POLICY link_invite ON trainer_link FOR INSERT WITH CHECK (
  acting_role() = 'trainer' AND trainer_id = acting_user() AND status = 'pending' AND client_id IS NULL);
-- Accepting fills in client_id, so the new row must name the acting client.
CREATE POLICY link_change ON trainer_link FOR UPDATE
  USING (
    (acting_role() = 'trainer' AND trainer_id = acting_user())
    OR (acting_role() = 'client' AND client_id = acting_user())
    OR (acting_role() = 'client' AND client_id IS NULL AND invited_email = acting_email()))
  WITH CHECK (
    (acting_role() = 'trainer' AND trainer_id = acting_user())
    OR (acting_role() = 'client' AND (client_id = acting_user()
        OR (status = 'declined' AND client_id IS NULL AND invited_email = acting_email()))));

CREATE POLICY support_own ON support_access FOR SELECT USING (acting_role() = 'admin' AND admin_id = acting_user());
CREATE POLICY support_open ON support_access FOR INSERT WITH CHECK (
  acting_role() = 'admin' AND admin_id = acting_user());

-- Meals and metrics: the client writes; whoever may read the client reads.
CREATE POLICY meal_read ON meal FOR SELECT USING (can_read_client(client_id) OR acting_role() = 'ai-results');
CREATE POLICY meal_log ON meal FOR INSERT WITH CHECK (acting_role() = 'client' AND client_id = acting_user());
CREATE POLICY meal_edit ON meal FOR UPDATE
  USING ((acting_role() = 'client' AND client_id = acting_user()) OR acting_role() = 'ai-results')
  WITH CHECK ((acting_role() = 'client' AND client_id = acting_user()) OR acting_role() = 'ai-results');

CREATE POLICY metric_read ON metric FOR SELECT USING (can_read_client(client_id));
CREATE POLICY metric_log ON metric FOR INSERT WITH CHECK (acting_role() = 'client' AND client_id = acting_user());
CREATE POLICY metric_edit ON metric FOR UPDATE
  USING (acting_role() = 'client' AND client_id = acting_user())
  WITH CHECK (acting_role() = 'client' AND client_id = acting_user());

-- Goals: the client and their trainer.
CREATE POLICY goal_read ON goal FOR SELECT USING (can_read_client(client_id));
CREATE POLICY goal_set ON goal FOR INSERT WITH CHECK (can_coach_client(client_id) AND set_by = acting_user());
CREATE POLICY goal_change ON goal FOR UPDATE
  USING (can_coach_client(client_id)) WITH CHECK (can_coach_client(client_id) AND set_by = acting_user());

-- Comments: the trainer writes, both read.
CREATE POLICY comment_read ON comment FOR SELECT USING (can_read_client(client_id));
CREATE POLICY comment_add ON comment FOR INSERT WITH CHECK (
  acting_role() = 'trainer' AND author_id = acting_user() AND can_coach_client(client_id));

-- Reviews: the client or the trainer asks; the AI results consumer fills them in.
CREATE POLICY review_read ON review FOR SELECT USING (can_read_client(client_id) OR acting_role() = 'ai-results');
CREATE POLICY review_request ON review FOR INSERT WITH CHECK (
  can_coach_client(client_id) AND requested_by = acting_user() AND status = 'requested');
CREATE POLICY review_result ON review FOR UPDATE
  USING (acting_role() = 'ai-results') WITH CHECK (acting_role() = 'ai-results');

-- The runtime role: no DELETE anywhere (deletes are soft), nothing on the functions' owner.
CALL grant_to_app('SELECT, INSERT, UPDATE', 'TABLE trainer_link, meal, metric, goal, review');
CALL grant_to_app('SELECT, INSERT', 'TABLE support_access, comment');
CALL grant_to_app('SELECT, INSERT, UPDATE', 'TABLE daily_activity');
