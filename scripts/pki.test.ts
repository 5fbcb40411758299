// The local gRPC PKI (scripts/pki.sh): one CA, one certificate per component carrying its
// identity, renewed before it expires and whenever it no longer fits the CA, and otherwise left
// alone, so running services keep their files.
import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { ROOT } from './stack';

const run = promisify(execFile);
const DAY = 86_400_000;

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pki-test-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function pki(...args: string[]) {
  return run('bash', ['scripts/pki.sh', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', GRPC_SECRETS_DIR: dir },
  });
}

async function certificate(name: string, directory = dir) {
  return new X509Certificate(await readFile(path.join(directory, `${name}.crt`)));
}

describe('the local gRPC PKI (scripts/pki.sh)', () => {
  test('makes a CA and, per component, a 30-day EC P-256 certificate for serving and calling whose URI SAN is its identity', async () => {
    await pki('ensure', 'auth', 'ai-inference');
    const ca = await certificate('ca');
    expect(ca.ca).toBe(true);
    for (const component of ['auth', 'ai-inference']) {
      const cert = await certificate(component);
      expect(cert.checkIssued(ca) && cert.verify(ca.publicKey)).toBe(true);
      expect(cert.subjectAltName).toBe(
        `URI:spiffe://tracking/${component}, DNS:localhost, IP Address:127.0.0.1`,
      );
      expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
      expect(cert.publicKey.asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
      expect(cert.ca).toBe(false);
      const lifetime = Date.parse(cert.validTo) - Date.parse(cert.validFrom);
      expect(Math.round(lifetime / DAY)).toBe(30);
      expect((await stat(path.join(dir, `${component}.key`))).mode & 0o777).toBe(0o600);
    }
    expect((await stat(path.join(dir, 'ca.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  test('a second run changes nothing', async () => {
    await pki('ensure', 'auth', 'gateway');
    const before = await Promise.all(
      ['ca', 'auth', 'gateway'].map(async (name) => (await certificate(name)).serialNumber),
    );
    const { stderr } = await pki('ensure', 'auth', 'gateway');
    expect(stderr).toBe('');
    const after = await Promise.all(
      ['ca', 'auth', 'gateway'].map(async (name) => (await certificate(name)).serialNumber),
    );
    expect(after).toEqual(before);
  });

  test('reissues a certificate that expires within 7 days or that another CA signed, and only those, keeping their keys', async () => {
    const other = await mkdtemp(path.join(tmpdir(), 'pki-other-'));
    try {
      await pki('ensure', 'auth', 'audit', 'gateway');
      const gatewaySerial = (await certificate('gateway')).serialNumber;
      // auth's renewal is due in 6 days; audit's certificate comes from someone else's CA.
      await pki('issue', 'auth', path.join(dir, 'auth'), '6');
      await run('bash', ['scripts/pki.sh', 'ensure', 'edge'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', GRPC_SECRETS_DIR: other },
      });
      await pki('issue', 'audit', path.join(dir, 'audit'), '30', other);
      const key = (name: string) => readFile(path.join(dir, `${name}.key`), 'utf8');
      const keys = { auth: await key('auth'), audit: await key('audit') };
      expect((await certificate('audit')).checkIssued(await certificate('ca'))).toBe(false);

      const { stderr } = await pki('ensure', 'auth', 'audit', 'gateway');
      expect(stderr).toContain('issued gRPC certificates in');
      expect(stderr).toContain(': auth audit\n');
      const ca = await certificate('ca');
      for (const name of ['auth', 'audit'] as const) {
        const cert = await certificate(name);
        expect(cert.checkIssued(ca) && cert.verify(ca.publicKey)).toBe(true);
        expect(Date.parse(cert.validTo) - Date.now()).toBeGreaterThan(29 * DAY);
        // A renewal keeps the key: only the certificate's file changes, by a rename, so a reader
        // never sees a key and a certificate that do not belong together.
        expect(await key(name)).toBe(keys[name]);
        expect(cert.checkPrivateKey(createPrivateKey(keys[name]))).toBe(true);
      }
      expect((await certificate('gateway')).serialNumber).toBe(gatewaySerial);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  test('issue with negative days makes an expired certificate, which the next ensure replaces', async () => {
    await pki('ensure', 'billing');
    await pki('issue', 'billing', path.join(dir, 'billing'), '-1');
    expect(Date.parse((await certificate('billing')).validTo)).toBeLessThan(Date.now());
    await pki('ensure', 'billing');
    expect(Date.parse((await certificate('billing')).validTo)).toBeGreaterThan(Date.now() + 29 * DAY);
  });
});
