-- Sessions, TOTP MFA, recovery codes, single-use email tokens and durable brute-force
-- counters. No column here holds a credential in the clear: session and email tokens are
-- stored as SHA-256 digests (they carry >= 256 random bits, so a digest cannot be reversed
-- by guessing), recovery codes as salted SHA-256 digests, TOTP secrets as envelope
-- ciphertext (AES-256-GCM, packages/kit/src/crypto.ts).

ALTER TABLE users
  ADD COLUMN email_verified_at   timestamptz,
  ADD COLUMN disabled_at         timestamptz,
  ADD COLUMN password_changed_at timestamptz NOT NULL DEFAULT now(),
  -- The billing plan as last announced on billing.plan.changed.v1; the MFA policy reads it.
  ADD COLUMN plan                text        NOT NULL DEFAULT 'free' CHECK (plan ~ '^[a-z][a-z0-9_-]{0,31}$');

CREATE TABLE sessions (
  id                  uuid        PRIMARY KEY,
  user_id             uuid        NOT NULL REFERENCES users (id),
  token_hash          bytea       NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  -- 1: password only; 2: password and a second factor (NIST SP 800-63B assurance levels).
  aal                 smallint    NOT NULL CHECK (aal IN (1, 2)),
  ip                  text        CHECK (length(ip) <= 64),
  user_agent          text        CHECK (length(user_agent) <= 512),
  created_at          timestamptz NOT NULL,
  last_seen_at        timestamptz NOT NULL,
  absolute_expires_at timestamptz NOT NULL,
  revoked_at          timestamptz,
  revoked_reason      text        CHECK (revoked_reason ~ '^[a-z_]{1,40}$')
);
CREATE INDEX sessions_user_live ON sessions (user_id) WHERE revoked_at IS NULL;

CREATE TABLE totp_credentials (
  user_id           uuid        PRIMARY KEY REFERENCES users (id),
  secret_ciphertext text        NOT NULL,
  -- Null until the user proves their authenticator with a first code.
  confirmed_at      timestamptz,
  -- The highest time step ever accepted: a code for this step or an earlier one is refused,
  -- so each code works at most once.
  last_used_step    bigint      NOT NULL DEFAULT 0,
  created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE recovery_codes (
  id         uuid        PRIMARY KEY,
  user_id    uuid        NOT NULL REFERENCES users (id),
  salt       bytea       NOT NULL CHECK (length(salt) = 16),
  code_hash  bytea       NOT NULL CHECK (length(code_hash) = 32),
  created_at timestamptz NOT NULL DEFAULT now(),
  used_at    timestamptz
);
CREATE INDEX recovery_codes_user_unused ON recovery_codes (user_id) WHERE used_at IS NULL;

CREATE TABLE email_tokens (
  id         uuid        PRIMARY KEY,
  user_id    uuid        NOT NULL REFERENCES users (id),
  purpose    text        NOT NULL CHECK (purpose IN ('verify_email', 'change_email', 'reset_password')),
  token_hash bytea       NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  -- For change_email: the address that becomes the account's once the link is followed.
  new_email  text        CHECK (new_email = lower(btrim(new_email)) AND length(new_email) <= 254),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at    timestamptz
);

-- Failed attempts per key: 'login:<sha256 of the email>' (whether or not the account exists,
-- so the throttle itself does not reveal accounts), 'mfa:<user id>' and 'ip:<address>'.
-- In Postgres so that every replica sees the same counts.
CREATE TABLE throttle (
  key             text        PRIMARY KEY CHECK (length(key) <= 100),
  failures        integer     NOT NULL CHECK (failures >= 0),
  last_failure_at timestamptz NOT NULL,
  locked_until    timestamptz
);

CALL grant_to_app('SELECT, INSERT, UPDATE', 'TABLE sessions');
CALL grant_to_app('SELECT, INSERT, UPDATE, DELETE', 'TABLE totp_credentials');
CALL grant_to_app('SELECT, INSERT, UPDATE, DELETE', 'TABLE recovery_codes');
CALL grant_to_app('SELECT, INSERT, UPDATE', 'TABLE email_tokens');
CALL grant_to_app('SELECT, INSERT, UPDATE, DELETE', 'TABLE throttle');
