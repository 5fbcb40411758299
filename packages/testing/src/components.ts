// The chart's components (charts/tracking/values.yaml `components`): the ports each listens on
// and whom it calls. Read once here for the local stack (scripts/stack.ts) and the test platform,
// so both run what a cluster runs: the same ports, and the same callers allowed into each gRPC
// server (docs/grpc-security.md).
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { parse } from 'yaml';
import { z } from 'zod';

import { REPO_ROOT } from './repo';

const port = z.number().int().min(1).max(65_535);

const chartSchema = z.object({
  components: z.record(
    z.string(),
    z.object({
      enabled: z.boolean(),
      ports: z.object({ ops: port, grpc: port.optional(), http: port.optional(), webhook: port.optional() }),
      /** Each component it calls, with the variable that holds the callee's address. */
      calls: z.record(z.string(), z.string()).default({}),
      staticSite: z.object({}).loose().optional(),
    }),
  ),
});

export type ChartComponents = z.infer<typeof chartSchema>['components'];

/** The chart's components as its default values declare them. */
export function chartComponents(root = REPO_ROOT): ChartComponents {
  return chartSchema.parse(parse(readFileSync(path.join(root, 'charts', 'tracking', 'values.yaml'), 'utf8')))
    .components;
}

/**
 * Every identity a certificate can carry (spiffe://tracking/<name>): each enabled component, and
 * the edge in front of them, which is no component of the chart but calls some.
 */
export function componentIdentities(components = chartComponents()): string[] {
  return [
    ...Object.entries(components)
      .filter(([, component]) => component.enabled)
      .map(([name]) => name),
    'edge',
  ];
}

/** The components allowed to call `server`: those whose `calls` name it, in the chart's order. */
export function allowedCallers(server: string, components = chartComponents()): string[] {
  return Object.entries(components)
    .filter(([, component]) => component.enabled && server in component.calls)
    .map(([name]) => name);
}
