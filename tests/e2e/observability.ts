import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  alertmanagerConfig,
  prometheusConfig,
  randomName,
  startProcess,
  type ManagedProcess,
} from '@tracking/testing';
import { freePort } from '@tracking/testing/platform';
import { z } from 'zod';

export interface Observability {
  prometheus: string;
  alertmanager: string;
  /** GET a Prometheus HTTP API path (e.g. /api/v1/query?query=up); the `data` of its answer. */
  api(pathAndQuery: string): Promise<unknown>;
  stop(): Promise<void>;
}

const apiAnswer = z.object({ status: z.literal('success'), data: z.unknown() });

/**
 * Debian's Prometheus and Alertmanager as local processes: Prometheus scrapes every service of a
 * running platform each second, one job per service as in production, and evaluates the
 * chart's rules against them; Alertmanager runs the chart's routing with every receiver pointed
 * at `webhookUrl` and the waits shortened, so an alert reaches the webhook within seconds.
 */
export async function startObservability(options: {
  targets: Record<string, string>;
  webhookUrl: string;
}): Promise<Observability> {
  const dir = path.join(tmpdir(), randomName('observability-'));
  await mkdir(dir, { recursive: true });
  const processes: ManagedProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map((process) => process.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const [prometheusPort, alertmanagerPort] = await Promise.all([freePort(), freePort()]);
    const alertmanagerFile = path.join(dir, 'alertmanager.yml');
    await writeFile(
      alertmanagerFile,
      await alertmanagerConfig({ webhookUrl: options.webhookUrl, wait: '1s' }),
    );
    const alertmanager = `http://127.0.0.1:${String(alertmanagerPort)}`;
    processes.push(
      await startProcess({
        name: 'alertmanager',
        env: {},
        command: [
          'prometheus-alertmanager',
          `--config.file=${alertmanagerFile}`,
          `--storage.path=${path.join(dir, 'alertmanager-data')}`,
          `--web.listen-address=127.0.0.1:${String(alertmanagerPort)}`,
          // A single instance: no gossip port to bind.
          '--cluster.listen-address=',
        ],
        readyUrl: `${alertmanager}/-/ready`,
      }),
    );

    const prometheusFile = path.join(dir, 'prometheus.yml');
    await writeFile(
      prometheusFile,
      await prometheusConfig({
        targets: options.targets,
        alertmanager: `127.0.0.1:${String(alertmanagerPort)}`,
        interval: '1s',
      }),
    );
    const prometheus = `http://127.0.0.1:${String(prometheusPort)}`;
    processes.push(
      await startProcess({
        name: 'prometheus',
        env: {},
        command: [
          'prometheus',
          `--config.file=${prometheusFile}`,
          `--storage.tsdb.path=${path.join(dir, 'prometheus-data')}`,
          `--web.listen-address=127.0.0.1:${String(prometheusPort)}`,
          // Exemplars: a security event's counter sample carries its trace and correlation ids.
          '--enable-feature=exemplar-storage',
        ],
        readyUrl: `${prometheus}/-/ready`,
      }),
    );
    return {
      prometheus,
      alertmanager,
      async api(pathAndQuery) {
        const response = await fetch(`${prometheus}${pathAndQuery}`);
        if (!response.ok)
          throw new Error(`${pathAndQuery}: ${String(response.status)} ${await response.text()}`);
        return apiAnswer.parse(await response.json()).data;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
