import type { PrivacyDeps } from './requests';
import { runSagaTimer } from './saga';

/** How long a wake-up waits, so the transaction that asked for it has committed. */
const WAKE_DELAY_MS = 250;

/**
 * Runs the saga timer every interval, and sooner when woken (an export's last part arrived).
 * Runs never overlap; an error is logged and the next run tries again.
 */
export function startSagaTimer(deps: PrivacyDeps, intervalMs: number) {
  let running: Promise<void> | undefined;
  let stopped = false;
  let wakeTimer: NodeJS.Timeout | undefined;
  const run = () => {
    if (stopped) return Promise.resolve();
    running ??= runSagaTimer(deps)
      .catch((error: unknown) => {
        deps.log.warn(
          { event: 'privacy.timer_failed', err: error instanceof Error ? error.message : String(error) },
          'saga timer run failed',
        );
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const interval = setInterval(() => void run(), intervalMs);
  interval.unref();
  void run();
  return {
    wake() {
      wakeTimer ??= setTimeout(() => {
        wakeTimer = undefined;
        void run();
      }, WAKE_DELAY_MS);
    },
    async stop() {
      stopped = true;
      clearInterval(interval);
      if (wakeTimer) clearTimeout(wakeTimer);
      await running;
    },
  };
}
