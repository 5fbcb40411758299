// gRPC's mutual TLS for the processes tests start and the clients tests play: certificates from
// the local PKI (scripts/pki.sh, GRPC_SECRETS_DIR in .local/infra.env) or from a throwaway one
// of the test's own, and each server's allowed callers from the chart's call graph.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { allowedCallers, chartComponents, componentIdentities } from './components';
import { REPO_ROOT } from './repo';

const PKI_SCRIPT = path.join(REPO_ROOT, 'scripts', 'pki.sh');

/** The local PKI's directory: GRPC_SECRETS_DIR (scripts/infra.sh writes it), else its default place. */
export function localPkiDir(): string {
  return process.env.GRPC_SECRETS_DIR ?? path.join(REPO_ROOT, '.local', 'secrets', 'grpc');
}

/** A component's certificate and key, and the CA it trusts: the kit's TlsFiles, all three set. */
export interface ComponentTls {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** The CA, certificate and key a test presents when it calls a service as `component` (e.g. gateway). */
export function grpcClientTls(component: string, pkiDir = localPkiDir()): ComponentTls {
  const files = {
    caFile: path.join(pkiDir, 'ca.crt'),
    certFile: path.join(pkiDir, `${component}.crt`),
    keyFile: path.join(pkiDir, `${component}.key`),
  };
  if (!existsSync(files.certFile) || !existsSync(files.caFile)) {
    throw new Error(
      `no gRPC certificate for ${component} in ${pkiDir}: make the local PKI with scripts/pki.sh (npm run infra up does)`,
    );
  }
  return files;
}

/**
 * The GRPC_* settings of a process that runs as `component`: its certificate and key, the CA, and
 * (when it serves gRPC) the callers the chart's call graph allows, as the chart sets them.
 */
export function grpcServiceEnv(
  component: string,
  pkiDir = localPkiDir(),
  components = chartComponents(),
): Record<string, string> {
  return {
    GRPC_TLS_CA_FILE: path.join(pkiDir, 'ca.crt'),
    GRPC_TLS_CERT_FILE: path.join(pkiDir, `${component}.crt`),
    GRPC_TLS_KEY_FILE: path.join(pkiDir, `${component}.key`),
    ...(components[component]?.ports.grpc === undefined
      ? {}
      : { GRPC_ALLOWED_CALLERS: allowedCallers(component, components).join(',') }),
  };
}

/** The explicit development flag: gRPC without TLS and without a caller check (benchmark baselines only). */
export const GRPC_PLAINTEXT_ENV: Readonly<Record<string, string>> = { GRPC_ALLOW_PLAINTEXT: 'true' };

/** A throwaway PKI in a temporary directory, laid out as the local one (scripts/pki.sh). */
export interface TestPki {
  dir: string;
  /**
   * A new certificate for `component`, written beside the PKI's own files (never over them), for a
   * test that calls with it: `days` may be negative (expired), `ca` signs it instead of this PKI's
   * CA (another CA's). The CA file is this PKI's, so the caller still verifies the servers.
   */
  issue(component: string, options?: { days?: number; ca?: TestPki }): Promise<ComponentTls>;
  /**
   * Every component's own certificate reissued now from a new key by the same CA, as a renewal
   * does; each file is replaced by a rename (scripts/pki.sh issue).
   */
  rotate(): Promise<void>;
  remove(): Promise<void>;
}

const run = promisify(execFile);

function pki(dir: string, args: string[]) {
  return run('bash', [PKI_SCRIPT, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', GRPC_SECRETS_DIR: dir },
  });
}

export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pki-'));
  const components = componentIdentities();
  await pki(dir, ['ensure', ...components]);
  let issued = 0;
  const testPki: TestPki = {
    dir,
    async issue(component, options = {}) {
      await mkdir(path.join(dir, 'issued'), { recursive: true, mode: 0o700 });
      issued += 1;
      const out = path.join(dir, 'issued', `${component}-${String(issued)}`);
      await pki(dir, ['issue', component, out, String(options.days ?? 30), options.ca?.dir ?? dir]);
      return { caFile: path.join(dir, 'ca.crt'), certFile: `${out}.crt`, keyFile: `${out}.key` };
    },
    async rotate() {
      await Promise.all(
        components.map((component) => pki(dir, ['issue', component, path.join(dir, component)])),
      );
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
  return testPki;
}
