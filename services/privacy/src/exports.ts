import type { Readable } from 'node:stream';

import type { ExportPartFile, PrivacyParticipant } from '@tracking/contracts';

/**
 * What the coordinator needs of the export store (src/export/): turn the participants' encrypted
 * parts into one ZIP, hand it back decrypted for the download, and delete it on expiry. The
 * saga depends on this interface only, so its tests can stand in for the store.
 */
export interface ExportAssembly {
  /** Reads and checks every part, builds one ZIP with a README, stores it encrypted, deletes the parts. */
  assemble(input: {
    requestId: string;
    subjectId: string;
    files: Partial<Record<PrivacyParticipant, ExportPartFile[]>>;
  }): Promise<{ objectKey: string; sizeBytes: number }>;
  /** The ZIP's bytes, decrypted; `sizeBytes` of assemble() counts these. */
  openDownload(objectKey: string): Promise<Readable>;
  /** Deletes the ZIP; a missing object is not an error. */
  remove(objectKey: string): Promise<void>;
  close(): void;
}
