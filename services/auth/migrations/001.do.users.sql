-- Accounts. Emails are stored normalised (trimmed, lower-case) so uniqueness is meaningful.
CREATE TABLE users (
  id            uuid        PRIMARY KEY,
  email         text        NOT NULL UNIQUE CHECK (email = lower(btrim(email)) AND length(email) <= 254),
  password_hash text        NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  display_name  text        NOT NULL CHECK (length(display_name) BETWEEN 1 AND 80),
  role          text        NOT NULL CHECK (role IN ('client', 'trainer', 'admin')),
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- The service reads and writes accounts; it never deletes rows (erasure is its own flow).
CALL grant_to_app('SELECT, INSERT, UPDATE', 'TABLE users');
