-- A client on a flaky connection retries "log this meal" with the same Idempotency-Key, and the
-- retry must never log the meal twice. The key is stored on the meal it created, unique per
-- client (two clients may pick the same key), with a digest of the request it came with, so the
-- same key sent with a different meal is refused instead of silently answered with the first.
-- The digest is SHA-256 over the normalised request, never the text itself: the text is already
-- in `description`, and an edit changes that, not what the first request was.
ALTER TABLE meal
  ADD COLUMN idempotency_key     text CHECK (idempotency_key ~ '^[\x21-\x7e]{1,100}$'),
  ADD COLUMN idempotency_digest  text CHECK (idempotency_digest ~ '^[0-9a-f]{64}$'),
  ADD CONSTRAINT meal_idempotency_key_has_digest
    CHECK ((idempotency_key IS NULL) = (idempotency_digest IS NULL));

-- Deleted meals keep their key: a retry that arrives after the delete must not bring it back.
CREATE UNIQUE INDEX meal_client_idempotency_key ON meal (client_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
