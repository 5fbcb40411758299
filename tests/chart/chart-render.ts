import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

import { parseAllDocuments } from 'yaml';

export const CHART = path.resolve(__dirname, '..', '..', 'charts', 'tracking');

export type Json = Record<string, unknown>;
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Json;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  automountServiceAccountToken?: boolean;
}

/**
 * `helm template` of the chart as release `tracking` in namespace `tracking` (npm test builds
 * helm), with these values files (relative to the chart) and `--set` values; the rendered
 * objects. Read as YAML 1.1 with merge keys, as Kubernetes reads manifests (`0440` is octal).
 */
export async function renderChart(
  options: { valuesFiles?: string[]; set?: string[] } = {},
): Promise<Manifest[]> {
  const { stdout } = await promisify(execFile)('helm', [
    'template',
    'tracking',
    CHART,
    '--namespace',
    'tracking',
    ...(options.valuesFiles ?? []).flatMap((file) => ['-f', path.join(CHART, file)]),
    ...(options.set ?? []).flatMap((value) => ['--set', value]),
  ]);
  return parseAllDocuments(stdout, { version: '1.1', merge: true })
    .map((document) => document.toJS({ merge: true }) as Manifest | null)
    .filter((manifest): manifest is Manifest => manifest !== null);
}

/** The value at a path of keys (or array indexes) in parsed YAML, if there is one. */
export const at = (value: unknown, ...keys: (string | number)[]): unknown =>
  keys.reduce<unknown>(
    (node, key) => (node && typeof node === 'object' ? (node as Json)[key] : undefined),
    value,
  );
