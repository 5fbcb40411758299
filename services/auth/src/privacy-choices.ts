import { ValidationError } from '@tracking/kit';

import type { Deps } from './deps';

/*
 * Opt-out of sale or sharing (CCPA/CPRA, #22). The platform sells and shares nothing, so the
 * choice changes no processing; it is recorded all the same, with when and how it was made, so
 * the promise "we honour Global Privacy Control" is something we can show. A browser's GPC
 * signal (`Sec-GPC: 1`, seen by the gateway on a signed-in request) is an opt-out; the signal
 * never opts anyone back in, and the first record stands: a later signal does not rewrite it.
 */
export type OptOutVia = 'gpc' | 'account';

/** Records (true) or withdraws (false, the person's own setting only) the opt-out; unset reads it. */
export async function setSaleSharingOptOut(
  deps: Deps,
  userId: string,
  optOut: boolean | undefined,
  via: OptOutVia,
): Promise<boolean> {
  if (optOut === false && via === 'gpc') {
    throw new ValidationError('Global Privacy Control only ever opts out', {
      saleSharingOptOut: 'a GPC signal cannot withdraw an opt-out',
    });
  }
  if (optOut === true) {
    // Only where none is recorded yet, so the first record (its time and source) stands.
    await deps.prisma.user.updateMany({
      where: { id: userId, saleSharingOptOutAt: null },
      data: { saleSharingOptOutAt: deps.clock(), saleSharingOptOutVia: via },
    });
  } else if (optOut === false) {
    await deps.prisma.user.update({
      where: { id: userId },
      data: { saleSharingOptOutAt: null, saleSharingOptOutVia: null },
    });
  }
  const user = await deps.prisma.user.findUniqueOrThrow({ where: { id: userId } });
  return user.saleSharingOptOutAt !== null;
}
