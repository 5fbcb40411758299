import { readFileSync } from 'node:fs';
import path from 'node:path';

import { ROLES } from '@tracking/contracts';

import { decide, mfaRequired, PERMISSIONS } from '../src/rbac';

describe('the permission matrix', () => {
  test('docs/rbac.md shows exactly the matrix rbac.ts enforces', () => {
    const doc = readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'rbac.md'), 'utf8');
    const rows = doc
      .split('\n')
      .map((line) => /^\| `([a-z_.]+)`\s*\|\s*(yes|no)\s*\|\s*(yes|no)\s*\|\s*(yes|no)\s*\|/.exec(line))
      .filter((match) => match !== null)
      .map((match) => [match[1], ROLES.names.filter((_, i) => match[i + 2] === 'yes')]);
    expect(Object.fromEntries(rows)).toEqual(PERMISSIONS);
  });

  test('MFA is mandatory for trainers, admins and paid plans, and optional for free clients', () => {
    expect(mfaRequired({ role: 'client', plan: 'free' })).toBe(false);
    expect(mfaRequired({ role: 'client', plan: 'pro' })).toBe(true);
    expect(mfaRequired({ role: 'trainer', plan: 'free' })).toBe(true);
    expect(mfaRequired({ role: 'admin', plan: 'free' })).toBe(true);
  });

  test('no role is allowed anything it is not listed for, whatever its MFA state', () => {
    for (const role of ROLES.names) {
      for (const [permission, roles] of Object.entries(PERMISSIONS)) {
        if ((roles as readonly string[]).includes(role)) continue;
        expect(decide(role, 'verified', permission as keyof typeof PERMISSIONS)).toBe('forbidden');
      }
    }
  });

  test('an account that must enrol can enrol and sign out, and nothing privileged', () => {
    expect(decide('trainer', 'enrolment_required', 'account.manage')).toBe('allow');
    expect(decide('trainer', 'enrolment_required', 'tracking.assigned_clients')).toBe('mfa_required');
    expect(decide('admin', 'enrolment_required', 'users.manage')).toBe('mfa_required');
    expect(decide('admin', 'verified', 'users.manage')).toBe('allow');
    expect(decide('client', 'not_enrolled', 'tracking.own')).toBe('allow');
  });
});
