import { readFileSync } from 'node:fs';
import path from 'node:path';

import { dataInventorySchema, type DataInventory } from '@tracking/contracts';
import { parse } from 'yaml';

import { REPO_ROOT } from './live-schema';

export const INVENTORY_PATH = path.join(REPO_ROOT, 'docs', 'data-inventory.yaml');

/** docs/data-inventory.yaml, validated; a malformed catalogue fails here with zod's paths. */
export function loadInventory(): DataInventory {
  return dataInventorySchema.parse(parse(readFileSync(INVENTORY_PATH, 'utf8')));
}
