// Writes the local stack's Prometheus and Alertmanager configurations (scripts/up.sh starts
// them): every service of the stack (scripts/stack.ts) scraped as its own job, the chart's rules and routing, and
// every alert delivered to the local receiver (scripts/alert-receiver.ts).
//
//   node --import tsx scripts/observability.ts <out dir> <alertmanager port> <receiver port>
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { alertmanagerConfig, prometheusConfig } from '@tracking/testing';

import { loadStack } from './stack';

async function main(): Promise<void> {
  const [outDir, alertmanagerPort, receiverPort] = process.argv.slice(2);
  if (!outDir || !alertmanagerPort || !receiverPort) {
    process.stderr.write('usage: observability.ts <out dir> <alertmanager port> <receiver port>\n');
    process.exit(2);
  }
  const { services } = loadStack();
  await mkdir(outDir, { recursive: true });
  await writeFile(
    path.join(outDir, 'prometheus.yml'),
    await prometheusConfig({
      targets: Object.fromEntries(
        services.map((service) => [service.name, `http://127.0.0.1:${service.env.OPS_PORT ?? ''}`]),
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
