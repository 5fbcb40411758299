import type { Deps } from './deps';
import { sweepGracePeriods } from './subscriptions';

/**
 * Dunning: access drops to free once a failed payment's grace period is over. main.ts runs this
 * every DUNNING_SWEEP_MS; a failed sweep is logged and the next one tries again.
 */
export async function runDunningSweep(
  deps: Pick<Deps, 'pool' | 'log' | 'metrics' | 'policy'>,
  now: Date,
): Promise<void> {
  try {
    const downgraded = await sweepGracePeriods(deps.pool, now, deps.policy);
    for (const { userId } of downgraded) {
      deps.metrics.dunningDowngrades.inc();
      deps.log.info(
        { event: 'billing.dunning.downgraded', userId },
        'grace period over: moved to the free plan',
      );
    }
  } catch (error) {
    deps.log.warn({ err: error }, 'dunning sweep failed; it runs again shortly');
  }
}
