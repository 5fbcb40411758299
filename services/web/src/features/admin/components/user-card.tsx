import { useId, useState } from 'react';
import { Link } from 'react-router';

import { Button } from '../../../components/ui/button';
import { Notice } from '../../../components/ui/status';
import { formatDate } from '../../../lib/dates';
import type { UserSummary } from '../api/find-users';
import { useRevokeUserSessions } from '../api/revoke-user-sessions';
import { ROLE_NAMES, useSetUserRole } from '../api/set-user-role';
import { useSetUserDisabled } from '../api/set-user-disabled';
import { AdminProblem } from './admin-problem';
import { UserSubscription } from './user-subscription';

type Role = (typeof ROLE_NAMES)[number];

/** What a role can do once given: the confirmation names it before anything changes. */
const ROLE_EFFECT: Record<Role, string> = {
  client:
    'They keep their own meals and metrics and lose any trainer or admin access: trainers lose their client list, admins the console.',
  trainer:
    'They can invite clients and read the meals, metrics and goals of the clients who accept. They must set up two-step sign-in before they can.',
  admin:
    'They can change anyone’s role, disable accounts, read and export the audit log and open support access to a client’s logs. They must set up two-step sign-in before they can.',
};

type Pending = { kind: 'role'; role: Role } | { kind: 'disable' } | { kind: 'enable' } | { kind: 'revoke' };

function AuditLink({ correlationId }: { correlationId: string }) {
  if (!correlationId) return null;
  return (
    <>
      {' '}
      Reference <code className="mono">{correlationId}</code>:{' '}
      <Link to={`/admin/audit?correlationId=${encodeURIComponent(correlationId)}`}>
        see it in the audit log
      </Link>
      .
    </>
  );
}

/** One account: its facts, and the four admin actions, each confirmed in words first. */
export function UserCard({ user }: { user: UserSummary }) {
  const [pending, setPending] = useState<Pending>();
  const [role, setRole] = useState<Role>(user.role);
  const setUserRole = useSetUserRole();
  const setDisabled = useSetUserDisabled();
  const revoke = useRevokeUserSessions();
  const roleId = useId();
  const busy = setUserRole.isPending || setDisabled.isPending || revoke.isPending;
  const name = user.displayName || user.email;

  const confirm = () => {
    if (!pending) return;
    const done = { onSettled: () => setPending(undefined) };
    if (pending.kind === 'role') setUserRole.mutate({ userId: user.userId, role: pending.role }, done);
    else if (pending.kind === 'revoke') revoke.mutate({ userId: user.userId }, done);
    else setDisabled.mutate({ userId: user.userId, disabled: pending.kind === 'disable' }, done);
  };

  const question = !pending
    ? ''
    : pending.kind === 'role'
      ? `Make ${name} ${pending.role === 'admin' ? 'an' : 'a'} ${pending.role}?`
      : pending.kind === 'revoke'
        ? `Sign ${name} out everywhere?`
        : pending.kind === 'disable'
          ? `Disable ${name}’s account?`
          : `Enable ${name}’s account?`;
  const effect = !pending
    ? ''
    : pending.kind === 'role'
      ? `${ROLE_EFFECT[pending.role]} Every session of theirs ends now: they must sign in again.`
      : pending.kind === 'revoke'
        ? 'Every device they are signed in on is signed out on its next request.'
        : pending.kind === 'disable'
          ? 'They are signed out everywhere and cannot sign in until an admin enables the account again.'
          : 'They can sign in again with their password.';

  return (
    <article className="card admin-user" aria-label={user.email}>
      <h2 className="card-title">{name}</h2>
      <dl className="facts">
        <dt>Email</dt>
        <dd>
          {user.email} {user.emailVerified ? null : <span className="badge badge-warn">not verified</span>}
        </dd>
        <dt>User id</dt>
        <dd>
          <code className="mono">{user.userId}</code>
        </dd>
        <dt>Role</dt>
        <dd>{user.role}</dd>
        <dt>Status</dt>
        <dd>
          {user.disabled ? (
            <span className="badge badge-warn">disabled</span>
          ) : (
            <span className="badge badge-ok">active</span>
          )}
        </dd>
        <dt>Two-step sign-in</dt>
        <dd>{user.mfaEnabled ? 'set up' : 'not set up'}</dd>
        <dt>Plan</dt>
        <dd>{user.plan}</dd>
        <dt>Joined</dt>
        <dd>{formatDate(user.createdAt)}</dd>
      </dl>
      <UserSubscription userId={user.userId} />

      <div className="row admin-actions">
        <div className="field">
          <label className="field-label" htmlFor={roleId}>
            New role
          </label>
          <select
            id={roleId}
            className="select"
            value={role}
            onChange={(event) => setRole(event.target.value as Role)}
          >
            {ROLE_NAMES.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
        <Button
          variant="secondary"
          isDisabled={busy || role === user.role}
          onPress={() => setPending({ kind: 'role', role })}
        >
          Change role…
        </Button>
        <Button variant="secondary" isDisabled={busy} onPress={() => setPending({ kind: 'revoke' })}>
          Sign out everywhere…
        </Button>
        <Button
          variant={user.disabled ? 'secondary' : 'danger'}
          isDisabled={busy}
          onPress={() => setPending({ kind: user.disabled ? 'enable' : 'disable' })}
        >
          {user.disabled ? 'Enable account…' : 'Disable account…'}
        </Button>
      </div>

      {pending ? (
        <section
          className="confirm"
          role="alertdialog"
          aria-label={question}
          aria-describedby={`${roleId}-effect`}
        >
          <p>
            <strong>{question}</strong>
          </p>
          <p id={`${roleId}-effect`}>{effect}</p>
          <div className="row">
            <Button
              variant={pending.kind === 'enable' ? 'primary' : 'danger'}
              isDisabled={busy}
              onPress={confirm}
              autoFocus
            >
              {pending.kind === 'role'
                ? `Yes, make them ${pending.role}`
                : pending.kind === 'revoke'
                  ? 'Yes, sign them out'
                  : pending.kind === 'disable'
                    ? 'Yes, disable'
                    : 'Yes, enable'}
            </Button>
            <Button variant="quiet" isDisabled={busy} onPress={() => setPending(undefined)}>
              Cancel
            </Button>
          </div>
        </section>
      ) : null}

      {setUserRole.isSuccess ? (
        <Notice tone="success">
          The role changed from {setUserRole.data.previousRole} to {setUserRole.variables.role};{' '}
          {String(setUserRole.data.sessionsRevoked)} session(s) ended.
          <AuditLink correlationId={setUserRole.data.correlationId} />
        </Notice>
      ) : null}
      {revoke.isSuccess ? (
        <Notice tone="success">
          {String(revoke.data.revoked)} session(s) signed out.
          <AuditLink correlationId={revoke.data.correlationId} />
        </Notice>
      ) : null}
      {setDisabled.isSuccess ? (
        <Notice tone="success">
          The account is {setDisabled.variables.disabled ? 'disabled' : 'enabled'}
          {setDisabled.data.sessionsRevoked
            ? `; ${String(setDisabled.data.sessionsRevoked)} session(s) ended`
            : ''}
          .
          <AuditLink correlationId={setDisabled.data.correlationId} />
        </Notice>
      ) : null}
      <AdminProblem error={setUserRole.error ?? setDisabled.error ?? revoke.error} />
    </article>
  );
}
