// Writes the local stack's Prometheus and Alertmanager configurations (scripts/up.sh starts
// them): every service of stack.json scraped as its own job, the chart's rules and routing, and
// every alert delivered to the local receiver (scripts/alert-receiver.ts).
//
//   node --import tsx scripts/observability.ts <out dir> <alertmanager port> <receiver port>
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { alertmanagerConfig, prometheusConfig } from '@tracking/kit/testing';
import { z } from 'zod';

const stack = z.object({
  services: z.array(z.object({ name: z.string(), env: z.object({ OPS_PORT: z.string().regex(/^\d+$/) }) })),
});

async function main(): Promise<void> {
  const [outDir, alertmanagerPort, receiverPort] = process.argv.slice(2);
  if (!outDir || !alertmanagerPort || !receiverPort) {
    process.stderr.write('usage: observability.ts <out dir> <alertmanager port> <receiver port>\n');
    process.exit(2);
  }
  const { services } = stack.parse(
    JSON.parse(await readFile(path.join(__dirname, 'stack.json'), 'utf8')) as unknown,
  );
  await mkdir(outDir, { recursive: true });
  await writeFile(
    path.join(outDir, 'prometheus.yml'),
    await prometheusConfig({
      targets: Object.fromEntries(
        services.map((service) => [service.name, `http://127.0.0.1:${service.env.OPS_PORT}`]),
      ),
      alertmanager: `127.0.0.1:${alertmanagerPort}`,
      interval: '5s',
    }),
  );
  await writeFile(
    path.join(outDir, 'alertmanager.yml'),
    await alertmanagerConfig({ webhookUrl: `http://127.0.0.1:${receiverPort}/alerts`, wait: '5s' }),
  );
}

void main();
