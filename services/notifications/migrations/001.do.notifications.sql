-- The notifications service keeps no message and no address: addresses appear only as the
-- SHA-256 of their lower-cased form, enough to match a suppression or count sends to one inbox.

-- Addresses whose server refused a message permanently (SMTP 5xx at RCPT TO or DATA). Mail to
-- them is skipped and counted, never retried. Lifting a suppression is an operator's act, as
-- the migrator (docs/notifications.md, "Suppression").
CREATE TABLE suppression (
  address_digest text        PRIMARY KEY CHECK (address_digest ~ '^[0-9a-f]{64}$'),
  -- The server's reply code and enhanced status, e.g. '550 5.1.1': never the reply's text.
  reason         text        NOT NULL CHECK (reason ~ '^[0-9]{3}( [0-9]\.[0-9]{1,3}\.[0-9]{1,3})?$'),
  -- The notification request whose delivery was refused.
  event_id       uuid        NOT NULL,
  suppressed_at  timestamptz NOT NULL DEFAULT now()
);

CALL grant_to_app('SELECT, INSERT', 'TABLE suppression');

-- What became of each request the service handled. The sent ones are what the per-recipient
-- limit counts, across replicas; rows are purged after 30 days.
CREATE TABLE delivery (
  event_id       uuid        PRIMARY KEY,
  template       text        NOT NULL CHECK (template ~ '^[a-z][a-z0-9_]{0,63}$'),
  -- Null when the recipient could not be found (an unknown or erased account).
  address_digest text        CHECK (address_digest ~ '^[0-9a-f]{64}$'),
  outcome        text        NOT NULL CHECK (outcome IN ('sent', 'suppressed', 'throttled', 'bounced', 'unknown_recipient')),
  recorded_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX delivery_sent_per_address ON delivery (address_digest, recorded_at) WHERE outcome = 'sent';
CREATE INDEX delivery_age ON delivery (recorded_at);

CALL grant_to_app('SELECT, INSERT, DELETE', 'TABLE delivery');
