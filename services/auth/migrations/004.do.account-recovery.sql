-- Account recovery an attacker cannot survive (#20) and the mail it sends (#21).
--
-- A password change or reset revokes every pending email-change and reset link (revoked_at),
-- a new reset request replaces the account's previous one, and the old address gets a
-- "this wasn't me" link (purpose report_email_change) for each change of email.

ALTER TABLE email_tokens DROP CONSTRAINT email_tokens_purpose_check;
ALTER TABLE email_tokens
  ADD CONSTRAINT email_tokens_purpose_check
    CHECK (purpose IN ('verify_email', 'change_email', 'reset_password', 'report_email_change')),
  -- For report_email_change: the address the notice went to (the account's address before
  -- the change), so a report of a completed change can give it back.
  ADD COLUMN old_email  text CHECK (old_email = lower(btrim(old_email)) AND length(old_email) <= 254),
  -- Set when a later event made the link worthless (password changed, replaced, reported).
  ADD COLUMN revoked_at timestamptz;
CREATE INDEX email_tokens_user_live ON email_tokens (user_id, purpose) WHERE used_at IS NULL AND revoked_at IS NULL;

ALTER TABLE users
  -- Set by a "this wasn't me" report: no email change is accepted and no password signs in
  -- until the owner resets the password through the (restored) address.
  ADD COLUMN recovery_required_at timestamptz,
  -- Mail me when my account is signed in to from a new browser or network (on by default).
  ADD COLUMN new_device_alerts    boolean NOT NULL DEFAULT true;

-- The public reset request and the email-change request answer after the same constant work
-- (one insert here) whether or not the address has an account or is taken; a background
-- worker does the lookup, the token and the mail afterwards. The address is envelope-encrypted
-- (the keyring that wraps TOTP secrets) and erased once processed; the digest stays for the
-- per-address rate limit.
CREATE TABLE recovery_requests (
  id              uuid        PRIMARY KEY,
  kind            text        NOT NULL CHECK (kind IN ('reset_password', 'change_email')),
  -- sha256 pseudonym of the address (tokens.ts emailDigest), for the per-address limit.
  email_digest    text        NOT NULL CHECK (length(email_digest) = 40),
  email_sealed    text,
  -- change_email: the account asking.
  user_id         uuid        REFERENCES users (id),
  requested_at    timestamptz NOT NULL,
  processed_at    timestamptz,
  outcome         text        CHECK (outcome ~ '^[a-z_]{1,40}$'),
  CHECK ((processed_at IS NULL) = (outcome IS NULL)),
  CHECK (processed_at IS NULL OR email_sealed IS NULL)
);
CREATE INDEX recovery_requests_pending ON recovery_requests (requested_at) WHERE processed_at IS NULL;
CREATE INDEX recovery_requests_by_address ON recovery_requests (email_digest, requested_at);

-- Where an account has signed in from: a browser/OS family and a network (IPv6 /64, IPv4 /24).
-- A sign-in from a family or network not seen before for the account is a new device.
CREATE TABLE sign_in_contexts (
  user_id       uuid        NOT NULL REFERENCES users (id),
  kind          text        NOT NULL CHECK (kind IN ('family', 'network')),
  value         text        NOT NULL CHECK (length(value) BETWEEN 1 AND 120),
  first_seen_at timestamptz NOT NULL,
  last_seen_at  timestamptz NOT NULL,
  PRIMARY KEY (user_id, kind, value)
);

CALL grant_to_app('SELECT, INSERT, UPDATE', 'TABLE recovery_requests');
CALL grant_to_app('SELECT, INSERT, UPDATE', 'TABLE sign_in_contexts');
