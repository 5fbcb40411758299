import { randomUUID } from 'node:crypto';

import { randomName } from '@tracking/testing';

import { readConfig } from '../src/config';
import { createErasureLedger, ledgerKey } from '../src/ledger';

/** The erasure ledger in the local S3 store, where every restore reads it (docs/privacy.md, "The sagas"). */
test('an erasure is recorded as ids and a time under erasure-ledger/<id>.json, and rewriting it is harmless', async () => {
  const prefix = `${randomName('ledger-test-')}/`;
  const config = readConfig({
    DATABASE_URL: 'postgres://unused:unused@127.0.0.1:1/unused?sslmode=verify-full&sslrootcert=/ca.crt',
    KAFKA_BROKERS: '127.0.0.1:1',
    PRINCIPAL_PUBLIC_KEY_FILES: '/nonexistent.pem',
    PUBLIC_BASE_URL: 'https://tracking.example',
    EXPORT_S3_BUCKET: process.env.S3_BUCKET ?? '',
    PRIVACY_EXPORT_RECIPIENT: 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p',
    PRIVACY_EXPORT_IDENTITY_DIR: '/nonexistent',
    ERASURE_LEDGER_S3_ENDPOINT: process.env.S3_ENDPOINT,
    ERASURE_LEDGER_S3_REGION: process.env.S3_REGION,
    ERASURE_LEDGER_S3_BUCKET: process.env.S3_BUCKET,
    ERASURE_LEDGER_S3_PREFIX: prefix,
    ERASURE_LEDGER_S3_CREDENTIALS_DIR: process.env.S3_CREDENTIALS_DIR,
  });
  const ledger = createErasureLedger(config);
  try {
    const subjectId = randomUUID();
    expect(await ledger.read(subjectId)).toBeUndefined();
    const entry = { subjectId, requestId: randomUUID(), erasingSince: new Date().toISOString() };
    await ledger.record(entry);
    await ledger.record(entry);
    expect(await ledger.read(subjectId)).toEqual(entry);
    expect(ledgerKey(prefix, subjectId)).toBe(`${prefix}erasure-ledger/${subjectId}.json`);
    await expect(ledger.record({ ...entry, subjectId: 'not-a-uuid' })).rejects.toThrow();
  } finally {
    ledger.close();
  }
});
