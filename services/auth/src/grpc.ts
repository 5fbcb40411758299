import type { ServerUnaryCall } from '@grpc/grpc-js';
import { MFA_STATES, ROLES } from '@tracking/contracts';
import {
  DomainError,
  PermissionDeniedError,
  SESSION_TOKEN_HEADER,
  unary,
  ValidationError,
} from '@tracking/kit';
import type { AuthServiceServer, Session } from '@tracking/proto/tracking/auth/v1/auth';
import { z } from 'zod';

import type { Deps } from './deps';
import { login } from './login';
import {
  beginTotpEnrolment,
  confirmTotpEnrolment,
  disableTotp,
  regenerateRecoveryCodes,
  verifySecondFactor,
} from './mfa';
import { setNewDeviceAlerts } from './devices';
import { setSaleSharingOptOut } from './privacy-choices';
import { confirmIdentity } from './privacy/confirm-identity';
import { reportEmailChange, requestEmailChange, requestPasswordReset } from './recovery';
import {
  decide,
  isPermission,
  mfaRequired,
  mfaStateOf,
  type MfaState as DomainMfa,
  type Permission,
} from './rbac';
import {
  listSessions,
  revokeOwnSession,
  validateSession,
  type IssuedSession,
  type ValidSession,
} from './sessions';
import {
  accountOf,
  changePassword,
  logout,
  registerUser,
  resetPassword,
  revokeAllOwnSessions,
  revokeUserSessions,
  setRole,
  setUserDisabled,
  verifyEmail,
} from './users';
import { findUsers } from './user-search';

const uuid = (field: string, value: string) => {
  if (!z.uuid().safeParse(value).success)
    throw new ValidationError(`invalid ${field}`, { [field]: 'must be a UUID' });
  return value;
};

/**
 * The caller's session from the call's metadata, checked against one permission of the matrix.
 * A role that lacks it gets 403; a role that has it but a session short of the MFA the policy
 * demands gets 403 `mfa_required`, with the way forward in the details.
 */
export async function authorize(
  deps: Deps,
  call: Pick<ServerUnaryCall<unknown, unknown>, 'metadata'>,
  permission: Permission,
): Promise<ValidSession> {
  const raw = call.metadata.get(SESSION_TOKEN_HEADER)[0];
  const session = await validateSession(deps, typeof raw === 'string' ? raw : undefined);
  const decision = decide(session.role, session.mfa, permission);
  if (decision === 'forbidden') throw new PermissionDeniedError('your role does not allow this');
  if (decision === 'mfa_required') {
    throw new DomainError(
      'mfa_required',
      session.mfa === 'pending'
        ? 'complete sign-in with your second factor first'
        : 'this account must enable multi-factor authentication first',
      { next: session.mfa === 'pending' ? 'verify_mfa' : 'enrol_totp' },
    );
  }
  return session;
}

function sessionToProto(session: IssuedSession, mfa: DomainMfa): Session {
  return {
    sessionId: session.id,
    token: session.token,
    idleExpiresAt: session.idleExpiresAt,
    absoluteExpiresAt: session.absoluteExpiresAt,
    mfa: MFA_STATES.valueOf(mfa),
  };
}

export function authService(deps: Deps): AuthServiceServer {
  const rpc = <Req, Res>(
    name: string,
    handler: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>,
  ) => unary(`tracking.auth.v1.AuthService/${name}`, deps, handler);

  return {
    register: rpc('Register', async (request) => {
      // Self-registration always creates a client; trainers and admins are made by an admin.
      const user = await registerUser(deps, request, 'client');
      return { userId: user.id, role: ROLES.valueOf(user.role), createdAt: user.createdAt };
    }),
    verifyEmail: rpc('VerifyEmail', async (request) => verifyEmail(deps, request.token)),
    login: rpc('Login', async (request) => {
      const result = await login(deps, request);
      return {
        session: sessionToProto(result.session, result.mfa),
        userId: result.userId,
        role: ROLES.valueOf(result.role),
      };
    }),
    verifyMfa: rpc('VerifyMfa', async (request, call) => {
      const caller = await authorize(deps, call, 'session.end');
      const result = await verifySecondFactor(deps, caller, request);
      return {
        session: sessionToProto(result.session, 'verified'),
        recoveryCodesLeft: result.recoveryCodesLeft,
      };
    }),
    logout: rpc('Logout', async (_request, call) => {
      await logout(deps, await authorize(deps, call, 'session.end'));
      return {};
    }),
    authorize: rpc('Authorize', async (request, call) => {
      if (!isPermission(request.permission)) {
        throw new ValidationError('unknown permission', { permission: 'is not in the permission matrix' });
      }
      const session = await authorize(deps, call, request.permission);
      return {
        userId: session.userId,
        role: ROLES.valueOf(session.role),
        sessionId: session.sessionId,
        mfa: MFA_STATES.valueOf(session.mfa),
        verifiedEmail: session.emailVerified ? session.email : '',
        plan: session.plan,
      };
    }),
    getMe: rpc('GetMe', async (_request, call) => {
      const caller = await authorize(deps, call, 'account.read');
      const { user, recoveryCodesLeft } = await accountOf(deps, caller);
      return {
        userId: user.id,
        email: user.email,
        displayName: user.displayName,
        role: ROLES.valueOf(caller.role),
        emailVerified: Boolean(user.emailVerifiedAt),
        mfaEnabled: caller.mfaEnabled,
        mfaRequired: mfaRequired(caller),
        sessionMfa: MFA_STATES.valueOf(caller.mfa),
        recoveryCodesLeft,
        newDeviceAlerts: user.newDeviceAlerts,
        saleSharingOptOut: user.saleSharingOptOutAt !== null,
      };
    }),
    setPreferences: rpc('SetPreferences', async (request, call) => {
      // Reading (nothing set) needs only account.read, like GetMe.
      const reading = request.newDeviceAlerts === undefined && request.saleSharingOptOut === undefined;
      const caller = await authorize(deps, call, reading ? 'account.read' : 'account.manage');
      const via = request.globalPrivacyControl ? 'gpc' : 'account';
      return {
        saleSharingOptOut: await setSaleSharingOptOut(deps, caller.userId, request.saleSharingOptOut, via),
        newDeviceAlerts: await setNewDeviceAlerts(deps, caller.userId, request.newDeviceAlerts),
      };
    }),
    listSessions: rpc('ListSessions', async (_request, call) => {
      const caller = await authorize(deps, call, 'account.read');
      const sessions = await listSessions(deps, caller);
      return {
        sessions: sessions.map((session) => ({
          sessionId: session.id,
          ip: session.ip ?? '',
          userAgent: session.userAgent ?? '',
          createdAt: session.createdAt,
          lastSeenAt: session.lastSeenAt,
          current: session.current,
          mfa: MFA_STATES.valueOf(mfaStateOf(session, { ...caller, mfaEnabled: caller.mfaEnabled })),
        })),
      };
    }),
    revokeSession: rpc('RevokeSession', async (request, call) => {
      const caller = await authorize(deps, call, 'account.manage');
      await revokeOwnSession(deps, caller, uuid('sessionId', request.sessionId));
      return {};
    }),
    revokeAllSessions: rpc('RevokeAllSessions', async (request, call) => {
      const caller = await authorize(deps, call, 'account.manage');
      return { revoked: await revokeAllOwnSessions(deps, caller, request.keepCurrent) };
    }),
    changePassword: rpc('ChangePassword', async (request, call) => {
      const caller = await authorize(deps, call, 'account.manage');
      return changePassword(deps, caller, request.currentPassword, request.newPassword);
    }),
    requestPasswordReset: rpc('RequestPasswordReset', async (request) => {
      await requestPasswordReset(deps, request.email);
      return {};
    }),
    resetPassword: rpc('ResetPassword', async (request) => {
      await resetPassword(deps, request.token, request.newPassword);
      return {};
    }),
    changeEmail: rpc('ChangeEmail', async (request, call) => {
      const caller = await authorize(deps, call, 'account.manage');
      await requestEmailChange(deps, caller, request.currentPassword, request.newEmail);
      return {};
    }),
    reportEmailChange: rpc('ReportEmailChange', (request) => reportEmailChange(deps, request.token)),
    beginTotpEnrolment: rpc('BeginTotpEnrolment', async (request, call) => {
      const caller = await authorize(deps, call, 'account.manage');
      return beginTotpEnrolment(deps, caller, request.currentPassword);
    }),
    confirmTotpEnrolment: rpc('ConfirmTotpEnrolment', async (request, call) => {
      const caller = await authorize(deps, call, 'account.manage');
      return confirmTotpEnrolment(deps, caller, request.code);
    }),
    disableTotp: rpc('DisableTotp', async (request, call) => {
      const caller = await authorize(deps, call, 'account.manage');
      await disableTotp(deps, caller, request.currentPassword, request.code);
      return {};
    }),
    regenerateRecoveryCodes: rpc('RegenerateRecoveryCodes', async (request, call) => {
      const caller = await authorize(deps, call, 'account.manage');
      return {
        recoveryCodes: await regenerateRecoveryCodes(deps, caller, request.currentPassword, request.code),
      };
    }),
    setRole: rpc('SetRole', async (request, call) => {
      const caller = await authorize(deps, call, 'users.manage');
      const role = ROLES.nameOf(request.role);
      if (!role) throw new ValidationError('invalid role', { role: 'must be client, trainer or admin' });
      const result = await setRole(deps, caller, uuid('userId', request.userId), role);
      return { previousRole: ROLES.valueOf(result.previousRole), sessionsRevoked: result.sessionsRevoked };
    }),
    setUserDisabled: rpc('SetUserDisabled', async (request, call) => {
      const caller = await authorize(deps, call, 'users.manage');
      return setUserDisabled(deps, caller, uuid('userId', request.userId), request.disabled);
    }),
    revokeUserSessions: rpc('RevokeUserSessions', async (request, call) => {
      const caller = await authorize(deps, call, 'users.manage');
      return { revoked: await revokeUserSessions(deps, caller, uuid('userId', request.userId)) };
    }),
    confirmIdentity: rpc('ConfirmIdentity', async (request, call) => {
      const caller = await authorize(deps, call, 'account.manage');
      return confirmIdentity(deps, caller, request);
    }),
    findUsers: rpc('FindUsers', async (request, call) => {
      const caller = await authorize(deps, call, 'users.manage');
      const users = await findUsers(deps, caller, request.query, request.limit);
      return {
        users: users.map((user) => ({
          userId: user.id,
          email: user.email,
          displayName: user.displayName,
          role: ROLES.valueOf(user.role),
          emailVerified: user.emailVerified,
          mfaEnabled: user.mfaEnabled,
          disabled: user.disabled,
          createdAt: user.createdAt,
          plan: user.plan,
        })),
      };
    }),
  };
}
