import { useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';

import { Button } from '../../../components/ui/button';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { EmptyState, Loading, Notice } from '../../../components/ui/status';
import { formatDateTime } from '../../../lib/dates';
import { csrfStore } from '../../../lib/session-store';
import { sessionQueryKey } from '../../auth/api/get-session';
import { useSessions, type SessionInfo } from '../api/list-sessions';
import { useRevokeAllSessions } from '../api/revoke-all-sessions';
import { useRevokeSession } from '../api/revoke-session';

/** "Chrome on Linux" from a user agent; the raw string is in the title for the curious. */
function device(userAgent: string): string {
  if (!userAgent) return 'Unknown device';
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /Firefox\//.test(userAgent)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(userAgent)
        ? 'Chrome'
        : /Safari\//.test(userAgent)
          ? 'Safari'
          : 'A browser or app';
  const os = /Android/.test(userAgent)
    ? 'Android'
    : /iPhone|iPad/.test(userAgent)
      ? 'iOS'
      : /Mac OS X/.test(userAgent)
        ? 'macOS'
        : /Windows/.test(userAgent)
          ? 'Windows'
          : /Linux/.test(userAgent)
            ? 'Linux'
            : '';
  return os ? `${browser} on ${os}` : browser;
}

function SessionRow({ session }: { session: SessionInfo }) {
  const revoke = useRevokeSession();
  return (
    <li className="session">
      <div>
        <strong title={session.userAgent}>{device(session.userAgent)}</strong>{' '}
        {session.current ? <span className="badge badge-ok">this device</span> : null}
        <div className="muted">
          {session.ip ? `${session.ip} · ` : ''}signed in {formatDateTime(session.createdAt)} · last active{' '}
          {formatDateTime(session.lastSeenAt)}
        </div>
        {revoke.isError ? <ProblemAlert error={revoke.error} /> : null}
      </div>
      {session.current ? null : (
        <Button
          variant="secondary"
          aria-label={`Sign out ${device(session.userAgent)}, signed in ${formatDateTime(session.createdAt)}`}
          isDisabled={revoke.isPending}
          onPress={() => revoke.mutate({ sessionId: session.sessionId })}
        >
          Sign out
        </Button>
      )}
    </li>
  );
}

export function SessionList() {
  const sessions = useSessions();
  const revokeAll = useRevokeAllSessions();
  const navigate = useNavigate();
  const queryClient = useQueryClient();

  if (sessions.isPending) return <Loading minHeight="8rem" />;
  if (sessions.isError) return <ProblemAlert error={sessions.error} />;
  const others = sessions.data.sessions.filter((session) => !session.current).length;

  return (
    <div className="stack">
      {sessions.data.sessions.length === 0 ? (
        <EmptyState title="No sessions" />
      ) : (
        <ul className="sessions" aria-label="Signed-in devices">
          {sessions.data.sessions.map((session) => (
            <SessionRow key={session.sessionId} session={session} />
          ))}
        </ul>
      )}
      {revokeAll.isError ? <ProblemAlert error={revokeAll.error} /> : null}
      {revokeAll.isSuccess && revokeAll.variables.keepCurrent ? (
        <Notice tone="success">Every other device was signed out.</Notice>
      ) : null}
      <div className="row">
        <Button
          variant="secondary"
          isDisabled={revokeAll.isPending || others === 0}
          onPress={() => revokeAll.mutate({ keepCurrent: true })}
        >
          Sign out all other devices
        </Button>
        <Button
          variant="danger"
          isDisabled={revokeAll.isPending}
          onPress={() =>
            revokeAll.mutate(
              { keepCurrent: false },
              {
                onSuccess: () => {
                  csrfStore.clear();
                  queryClient.clear();
                  queryClient.setQueryData(sessionQueryKey, null);
                  void navigate('/sign-in', { replace: true });
                },
              },
            )
          }
        >
          Sign out everywhere
        </Button>
      </div>
    </div>
  );
}
