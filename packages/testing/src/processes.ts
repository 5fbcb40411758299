import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';

import { REPO_ROOT } from './repo';

/**
 * Runs a real service (or any TypeScript entry point) as a child process with tsx, the way the
 * local scripts run it, and waits until its readiness URL answers 200.
 */
export interface ManagedProcess {
  child: ChildProcess;
  logFile: string;
  /** Resolves with the exit code when the process ends, however it ends. */
  exited: Promise<number | null>;
  /** SIGTERM and wait for exit (graceful shutdown). */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash, with no chance to clean up. */
  kill(): Promise<void>;
}

export async function startProcess(options: {
  name: string;
  /** A TypeScript entry point, run with tsx... */
  entry?: string;
  /** ...or any program and its arguments (Prometheus, Alertmanager). */
  command?: [string, ...string[]];
  env: Record<string, string>;
  readyUrl?: string;
  logDir?: string;
  timeoutMs?: number;
}): Promise<ManagedProcess> {
  const logDir = options.logDir ?? path.join(REPO_ROOT, '.local', 'logs', 'test');
  await mkdir(logDir, { recursive: true });
  const logFile = path.join(logDir, `${options.name}-${process.pid}-${Date.now()}.out`);
  const out = createWriteStream(logFile);
  const [program, ...args] = options.command ?? [process.execPath, '--import', 'tsx', options.entry ?? ''];
  const child = spawn(program, args, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const managed: ManagedProcess = {
    child,
    logFile,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };

  if (options.readyUrl) {
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`${options.name} exited with ${child.exitCode} before it was ready; see ${logFile}`);
      try {
        const response = await fetch(options.readyUrl);
        if (response.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await managed.kill();
        throw new Error(
          `${options.name} was not ready within ${options.timeoutMs ?? 120_000} ms; see ${logFile}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return managed;
}

/** A loopback port nothing listens on now, for a process the test is about to start. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
