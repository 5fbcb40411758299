import type { Logger } from './log';

/** A step may return a promise or finish synchronously; either way it is awaited before the next. */
export type ShutdownStep = [name: string, step: () => unknown];

/**
 * Graceful shutdown on SIGTERM/SIGINT: the steps run in order (stop taking work, drain what is
 * in flight, commit consumer offsets, flush telemetry, close pools); if they take longer than
 * `timeoutMs`, the process exits anyway with a non-zero code so the orchestrator sees it.
 */
export function onShutdown(log: Logger, timeoutMs: number, steps: ShutdownStep[]): () => Promise<void> {
  let started: Promise<void> | undefined;
  const shutdown = () => {
    started ??= (async () => {
      log.info({ event: 'service.stopping' }, 'shutting down');
      const timer = setTimeout(() => {
        log.error({ timeoutMs }, 'shutdown timed out; exiting');
        process.exit(1);
      }, timeoutMs);
      timer.unref();
      for (const [name, step] of steps) {
        try {
          await step();
        } catch (error) {
          log.error({ err: error, step: name }, 'shutdown step failed');
        }
      }
      clearTimeout(timer);
      log.info({ event: 'service.stopped' }, 'stopped');
      // The log destination is asynchronous: exit only once its buffer is written.
      await new Promise<void>((resolve) => {
        log.flush(() => {
          resolve();
        });
      });
    })();
    return started;
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void shutdown().then(() => process.exit(0));
    });
  }
  return shutdown;
}
