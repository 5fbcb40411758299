import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  decryptWithIdentities,
  encryptForRecipients,
  exportStoreConfig,
  generateExportKeyPair,
  readIdentityDirectory,
  recipientOf,
} from '../src/privacy';

describe('export encryption keys', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'age-identities-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads every identity of a mounted secret directory, so an export encrypted to the old key still opens during a rotation', async () => {
    const old = await generateExportKeyPair();
    const current = await generateExportKeyPair();
    // Kubernetes' layout: the files are links into a hidden ..data directory.
    mkdirSync(path.join(dir, '..data'));
    writeFileSync(path.join(dir, '..data', 'current'), `# created 2026-12-06\n${current.identity}\n`);
    symlinkSync(path.join('..data', 'current'), path.join(dir, 'current'));
    writeFileSync(path.join(dir, 'previous'), `${old.identity}\n\n`);

    const identities = readIdentityDirectory(dir);
    expect(identities.sort()).toEqual([current.identity, old.identity].sort());
    const fromBefore = await encryptForRecipients('made before the rotation', [old.recipient]);
    expect(Buffer.from(await decryptWithIdentities(fromBefore, identities)).toString()).toBe(
      'made before the rotation',
    );
    expect(await recipientOf(current.identity)).toBe(current.recipient);
  });

  it('names the file, never its content, when a line is not an identity; an empty directory is refused', () => {
    expect(() => readIdentityDirectory(dir)).toThrow(`${dir} holds no age identity`);
    writeFileSync(path.join(dir, 'broken'), 'AGE-SECRET-KEY-1-not-really-a-key-sesame\n');
    let message = '';
    try {
      readIdentityDirectory(dir);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(`${path.join(dir, 'broken')} holds a line that is not an age identity`);
    expect(message).not.toContain('sesame');
  });

  it('a participant’s config takes the public recipient(s) and refuses anything else', async () => {
    const { recipient, identity } = await generateExportKeyPair();
    const base = { EXPORT_S3_BUCKET: 'tracking-privacy' };
    expect(exportStoreConfig.parse({ ...base, PRIVACY_EXPORT_RECIPIENT: ` ${recipient} ` })).toMatchObject({
      EXPORT_S3_REGION: 'ap-southeast-2',
      EXPORT_S3_SSE: 'AES256',
      PRIVACY_EXPORT_RECIPIENT: [recipient],
    });
    // The identity by mistake: refused, and the error does not echo it.
    const wrong = exportStoreConfig.safeParse({ ...base, PRIVACY_EXPORT_RECIPIENT: identity });
    expect(wrong.success).toBe(false);
    expect(JSON.stringify(wrong.error?.issues)).not.toContain(identity);
  });
});
