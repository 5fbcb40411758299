import type { Logger } from '@tracking/kit';

import type { Config } from '../config';
import type { ExportAssembly } from '../exports';

/**
 * PLACEHOLDER until the export store lands (P2, #22): the ZIP assembly, its README from the
 * data inventory, and the encrypted download. Its interface is ExportAssembly (../exports.ts).
 */
export function createExportAssembly(_config: Config, _log: Logger): ExportAssembly {
  const missing = () => Promise.reject(new Error('the export store is not built yet'));
  return { assemble: missing, openDownload: missing, remove: missing, close: () => undefined };
}
