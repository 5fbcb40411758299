import { readFileSync } from 'node:fs';
import path from 'node:path';

import { dataInventorySchema, type DataInventory } from '@tracking/contracts';
import { parse } from 'yaml';

/**
 * docs/data-inventory.yaml, the catalogue the export's README is written from. The image carries
 * it at the same place relative to the service (the Dockerfile copies docs/data-inventory.yaml).
 */
export const DATA_INVENTORY_FILE = path.join(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  'docs',
  'data-inventory.yaml',
);

export function loadInventory(file = DATA_INVENTORY_FILE): DataInventory {
  return dataInventorySchema.parse(parse(readFileSync(file, 'utf8')));
}
