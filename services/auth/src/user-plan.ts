import { TOPICS, type PlanChanged } from '@tracking/contracts';

import { emit } from './changes';
import type { Tx } from './deps';

/**
 * Sets the plan billing announced for a user, which the MFA policy reads (rbac.ts), and audits
 * it under the plan change's correlation id: the checkout, the webhooks, billing's announcement
 * and this step read as one story in the audit log. False for a user auth does not know.
 */
export async function applyPlanChange(
  tx: Tx,
  change: Pick<PlanChanged, 'userId' | 'oldPlan' | 'newPlan'>,
): Promise<boolean> {
  const { userId, oldPlan, newPlan } = change;
  const { count } = await tx.user.updateMany({ where: { id: userId }, data: { plan: newPlan } });
  if (count === 0) return false;
  await emit(tx, {
    topic: TOPICS.authUser,
    type: 'auth.user.plan_changed',
    actor: { userId: null, role: null },
    subject: { type: 'user', id: userId },
    outcome: 'success',
    data: { oldPlan, newPlan },
    occurredAt: new Date(),
  });
  return true;
}
