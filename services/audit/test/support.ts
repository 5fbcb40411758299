import { randomBytes } from 'node:crypto';

import { Keyring, newEvent, type Actor } from '@tracking/kit';

/** A key-encryption keyring of one fresh random key, as ENCRYPTION_KEYS would give. */
export function testKeyring(): Keyring {
  return new Keyring(new Map([['test', randomBytes(32)]]), 'test');
}

/** An audit event like the ones services emit, numbered so entries differ. */
export function auditEvent(
  index: number,
  overrides: { actor?: Partial<Actor>; sourceIp?: string | null; userAgent?: string | null } = {},
) {
  return newEvent({
    type: 'audit.recorded',
    actor: { service: 'test', userId: null, role: null, ...overrides.actor },
    data: {
      action: 'test.thing.done',
      subject: { type: 'thing', id: String(index) },
      outcome: 'success',
      sourceIp: overrides.sourceIp ?? null,
      userAgent: overrides.userAgent ?? null,
    },
  });
}
