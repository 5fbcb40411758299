-- Daily activity was one counter row per day, updated by every writing transaction: a single
-- hot row that serialised all meal logging on its lock until commit (bench/tracking.ts showed
-- it). Now each write appends a row of its own, which takes no shared lock, and the admin's
-- view sums them. Still no client id and no text, so still no row-level security to need.
CREATE TABLE activity (
  day  date     NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')::date,
  kind smallint NOT NULL CHECK (kind BETWEEN 1 AND 4)  -- 1 meal, 2 metric, 3 link, 4 review
);
CREATE INDEX activity_day ON activity (day);

INSERT INTO activity (day, kind)
SELECT day, kind FROM daily_activity,
  LATERAL (VALUES (1, meals_logged), (2, metrics_logged), (3, links_started), (4, reviews_requested)) AS c (kind, n),
  LATERAL generate_series(1, n) AS _;

CREATE OR REPLACE FUNCTION count_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO activity (kind)
  VALUES (CASE TG_TABLE_NAME WHEN 'meal' THEN 1 WHEN 'metric' THEN 2 WHEN 'trainer_link' THEN 3 ELSE 4 END);
  RETURN NULL;
END
$$;

DROP TABLE daily_activity;
CREATE VIEW daily_activity AS
  SELECT day,
         (count(*) FILTER (WHERE kind = 1))::int AS meals_logged,
         (count(*) FILTER (WHERE kind = 2))::int AS metrics_logged,
         (count(*) FILTER (WHERE kind = 3))::int AS links_started,
         (count(*) FILTER (WHERE kind = 4))::int AS reviews_requested
    FROM activity
   GROUP BY day;

CALL grant_to_app('INSERT', 'TABLE activity');
CALL grant_to_app('SELECT', 'TABLE daily_activity');
