import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';

import {
  PRIVACY_PARTICIPANTS,
  exportPartPrefix,
  type DataInventory,
  type ExportPartFile,
  type PrivacyParticipant,
} from '@tracking/contracts';
import type { Logger } from '@tracking/kit';
import {
  createObjectStore,
  decryptStream,
  decryptWithIdentities,
  encryptStream,
  readIdentityDirectory,
  recipientOf,
  ObjectStoreError,
  type ObjectStore,
} from '@tracking/kit/privacy';
import { ZipFile } from 'yazl';

import type { Config } from '../config';
import type { ExportAssembly } from '../exports';
import { loadInventory } from './inventory';
import { buildReadme, type ExportEntry } from './readme';

/**
 * The export store (docs/privacy.md): turns the participants' encrypted parts into the one ZIP
 * a person downloads.
 *
 * assemble() reads every part under the request's prefix, decrypts it with the service's
 * identity and checks its size and SHA-256 against the participant's answer, then streams one
 * ZIP (each service's files in its folder, and a README.md written from the data inventory)
 * through age encryption to PRIVACY_EXPORT_RECIPIENT into `exports/<requestId>/export.zip.age`.
 * Only then are the parts deleted, so a crash at any point leaves either the parts or the ZIP,
 * and running assemble() again finishes the job.
 */

/** The ZIP's key for a request (relative to EXPORT_S3_PREFIX). */
export function exportObjectKey(requestId: string): string {
  return `${exportPartPrefix(requestId)}export.zip.age`;
}

const EXPORT_KEY = /^exports\/[0-9a-f-]{36}\/export\.zip\.age$/;

/** A part that is missing, altered, or not where its request's parts go: the export cannot be trusted. */
export class ExportAssemblyError extends Error {
  override readonly name = 'ExportAssemblyError';
}

export type AssemblyConfig = Pick<
  Config,
  | 'EXPORT_S3_ENDPOINT'
  | 'EXPORT_S3_REGION'
  | 'EXPORT_S3_BUCKET'
  | 'EXPORT_S3_PREFIX'
  | 'EXPORT_S3_FORCE_PATH_STYLE'
  | 'EXPORT_S3_CREDENTIALS_DIR'
  | 'EXPORT_S3_SSE'
  | 'PRIVACY_EXPORT_RECIPIENT'
  | 'PRIVACY_EXPORT_IDENTITY_DIR'
>;

export function createExportAssembly(
  config: AssemblyConfig,
  log: Logger,
  // Tests hand in their own store, identities or catalogue.
  options: { store?: ObjectStore; identities?: string[]; inventory?: DataInventory; now?: () => Date } = {},
): ExportAssembly {
  const store = options.store ?? createObjectStore(config);
  const identities = options.identities ?? readIdentityDirectory(config.PRIVACY_EXPORT_IDENTITY_DIR);
  const recipients = config.PRIVACY_EXPORT_RECIPIENT;
  const inventory = options.inventory ?? loadInventory();
  const now = options.now ?? (() => new Date());
  const logger = log.child({ component: 'export-store' });
  // A ZIP encrypted to a recipient whose identity this service does not hold could never be
  // downloaded: checked once, before the first ZIP is written.
  let recipientsChecked: Promise<void> | undefined;
  const checkRecipients = () =>
    (recipientsChecked ??= Promise.all(identities.map((identity) => recipientOf(identity))).then((own) => {
      const orphan = recipients.find((recipient) => !own.includes(recipient));
      if (orphan !== undefined)
        throw new ExportAssemblyError(
          'PRIVACY_EXPORT_RECIPIENT names a recipient whose identity is not in PRIVACY_EXPORT_IDENTITY_DIR',
        );
    }));

  /** One part, decrypted and checked against what its participant said it wrote. */
  async function readPart(requestId: string, service: PrivacyParticipant, file: ExportPartFile) {
    if (!file.key.startsWith(`${exportPartPrefix(requestId)}${service}/`))
      throw new ExportAssemblyError(`${service} named a part outside its folder of this export`);
    const ciphertext = await store.get(file.key);
    let plaintext: Uint8Array;
    try {
      plaintext = await decryptWithIdentities(ciphertext, identities);
    } catch {
      throw new ExportAssemblyError(`${service}/${file.name} does not decrypt with the export identity`);
    }
    const content = Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
    const sha256 = createHash('sha256').update(content).digest('hex');
    if (content.byteLength !== file.bytes || sha256 !== file.sha256)
      throw new ExportAssemblyError(
        `${service}/${file.name} is not the file ${service} wrote (size or SHA-256)`,
      );
    return { service, name: file.name, content, sha256 } satisfies ExportEntry;
  }

  /** The plaintext size of a stored ZIP (re-running assemble() after the parts were deleted). */
  async function storedSize(objectKey: string): Promise<number> {
    const stream = await decryptStream(await store.read(objectKey), identities);
    let bytes = 0;
    for await (const chunk of stream) bytes += (chunk as Buffer).byteLength;
    return bytes;
  }

  async function exists(objectKey: string): Promise<boolean> {
    return (await store.list(objectKey)).includes(objectKey);
  }

  return {
    async assemble({ requestId, subjectId, files }) {
      const objectKey = exportObjectKey(requestId);
      const entries: ExportEntry[] = [];
      try {
        for (const service of PRIVACY_PARTICIPANTS)
          for (const file of files[service] ?? []) entries.push(await readPart(requestId, service, file));
      } catch (error) {
        // A crash after the ZIP was stored and before the request was marked ready: done already.
        if (error instanceof ObjectStoreError && error.notFound && (await exists(objectKey))) {
          logger.info({ event: 'privacy.export.reassembled', requestId }, 'export already assembled');
          return { objectKey, sizeBytes: await storedSize(objectKey) };
        }
        throw error;
      }

      await checkRecipients();
      const readme = buildReadme({ inventory, subjectId, requestId, assembledAt: now(), entries });
      const zip = new ZipFile();
      const mtime = now();
      zip.addBuffer(Buffer.from(readme, 'utf8'), 'README.md', { mtime, mode: 0o100644 });
      for (const entry of entries)
        zip.addBuffer(entry.content, `${entry.service}/${entry.name}`, { mtime, mode: 0o100644 });
      zip.end();

      let sizeBytes = 0;
      const counted = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          sizeBytes += chunk.byteLength;
          callback(null, chunk);
        },
      });
      zip.outputStream.on('error', (error: Error) => counted.destroy(error));
      zip.outputStream.pipe(counted);
      await store.upload(objectKey, await encryptStream(counted, recipients));

      const parts = (await store.list(exportPartPrefix(requestId))).filter((key) => key !== objectKey);
      await store.remove(...parts);
      logger.info(
        {
          event: 'privacy.export.assembled',
          requestId,
          files: entries.length,
          sizeBytes,
          partsRemoved: parts.length,
        },
        'export assembled',
      );
      return { objectKey, sizeBytes };
    },

    async openDownload(objectKey): Promise<Readable> {
      if (!EXPORT_KEY.test(objectKey)) throw new ExportAssemblyError('not an export object key');
      return decryptStream(await store.read(objectKey), identities);
    },

    async remove(objectKey) {
      if (!EXPORT_KEY.test(objectKey)) throw new ExportAssemblyError('not an export object key');
      // The ZIP and anything a late participant left under the request's prefix.
      const prefix = objectKey.slice(0, objectKey.lastIndexOf('/') + 1);
      await store.remove(objectKey, ...(await store.list(prefix)).filter((key) => key !== objectKey));
    },

    close: () => store.close(),
  };
}
