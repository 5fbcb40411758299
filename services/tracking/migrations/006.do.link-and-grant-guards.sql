-- The database as the last line of defence for trainer links and break-glass grants (#20).
-- 001's policies decide WHICH rows an actor may update or insert, not WHAT they may change:
-- a trainer could set their own pending invitation to active with any client_id (and then read
-- that client's meals), and an admin could insert a grant starting in 2100 that never expires.
-- The triggers below allow exactly the transitions src/links.ts and src/admin.ts make:
--
--   who      from     to        what else changes
--   client   pending  active    client_id NULL -> themself, accepted_at set   (accepting)
--   client   pending  declined  ended_at, ended_by = themself                 (declining)
--   client   active   ended     ended_at, ended_by = themself                 (leaving)
--   trainer  pending  ended     ended_at, ended_by = themself                 (withdrawing, expiry)
--   trainer  active   ended     ended_at, ended_by = themself                 (ending)
--
-- and nothing else: no other role updates links, ended and declined links are final, and the
-- id, trainer, invited address, creation and expiry times never change.

CREATE FUNCTION link_transition_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  actor uuid := acting_user();
  role text := acting_role();
  allowed boolean;
BEGIN
  IF NEW.id IS DISTINCT FROM OLD.id
     OR NEW.trainer_id IS DISTINCT FROM OLD.trainer_id
     OR NEW.invited_email IS DISTINCT FROM OLD.invited_email
     OR NEW.created_at IS DISTINCT FROM OLD.created_at
     OR NEW.expires_at IS DISTINCT FROM OLD.expires_at THEN
    RAISE EXCEPTION 'a trainer link''s parties and times cannot change' USING ERRCODE = 'insufficient_privilege';
  END IF;
  allowed := CASE
    WHEN role = 'client' AND OLD.status = 'pending' AND NEW.status = 'active' THEN
      OLD.client_id IS NULL AND NEW.client_id = actor AND OLD.invited_email = acting_email()
      AND NEW.accepted_at IS NOT NULL
      AND NEW.ended_at IS NOT DISTINCT FROM OLD.ended_at AND NEW.ended_by IS NOT DISTINCT FROM OLD.ended_by
    WHEN role = 'client' AND OLD.status = 'pending' AND NEW.status = 'declined' THEN
      OLD.client_id IS NULL AND NEW.client_id IS NULL AND OLD.invited_email = acting_email()
      AND NEW.accepted_at IS NOT DISTINCT FROM OLD.accepted_at
      AND NEW.ended_at IS NOT NULL AND NEW.ended_by = actor
    WHEN role = 'client' AND OLD.status = 'active' AND NEW.status = 'ended' THEN
      OLD.client_id = actor AND NEW.client_id = OLD.client_id
      AND NEW.accepted_at IS NOT DISTINCT FROM OLD.accepted_at
      AND NEW.ended_at IS NOT NULL AND NEW.ended_by = actor
    WHEN role = 'trainer' AND OLD.status IN ('pending', 'active') AND NEW.status = 'ended' THEN
      OLD.trainer_id = actor AND NEW.client_id IS NOT DISTINCT FROM OLD.client_id
      AND NEW.accepted_at IS NOT DISTINCT FROM OLD.accepted_at
      AND NEW.ended_at IS NOT NULL AND NEW.ended_by = actor
    ELSE false
  END;
  IF NOT coalesce(allowed, false) THEN
    RAISE EXCEPTION 'this change of a trainer link is not allowed for role %', role
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER link_transitions BEFORE UPDATE ON trainer_link
  FOR EACH ROW EXECUTE FUNCTION link_transition_guard();

-- A new invitation is pending and nothing more: no acceptance or end filled in ahead of time.
CREATE FUNCTION link_invitation_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.created_at := now();
  IF NEW.status <> 'pending' OR NEW.client_id IS NOT NULL OR NEW.accepted_at IS NOT NULL
     OR NEW.ended_at IS NOT NULL OR NEW.ended_by IS NOT NULL THEN
    RAISE EXCEPTION 'a trainer link starts as an open, unanswered invitation' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER link_invitations BEFORE INSERT ON trainer_link
  FOR EACH ROW EXECUTE FUNCTION link_invitation_guard();

-- A break-glass grant starts when it is written, whatever the caller sends, and lasts at most
-- 60 minutes from then (an expiry the caller computed from a clock slightly ahead is cut to
-- that); one that would already be over is refused. Grants are never updated (no UPDATE grant).
CREATE FUNCTION support_access_starts_now() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.created_at := now();
  NEW.expires_at := least(NEW.expires_at, now() + interval '60 minutes');
  IF NEW.expires_at <= now() THEN
    RAISE EXCEPTION 'a break-glass grant must end after it starts' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER support_access_starts_now BEFORE INSERT ON support_access
  FOR EACH ROW EXECUTE FUNCTION support_access_starts_now();
