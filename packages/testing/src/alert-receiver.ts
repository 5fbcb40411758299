import { appendFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { z } from 'zod';

/**
 * An on-call webhook on loopback: what Alertmanager's webhook_configs deliver to (its v4
 * payload), kept in memory for tests and optionally appended to a JSON-lines file (the local
 * stack's `.local/logs/alerts.jsonl`). Unknown fields are kept, not checked: Alertmanager owns
 * the format.
 */
const alertSchema = z.looseObject({
  status: z.enum(['firing', 'resolved']),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  startsAt: z.string(),
  fingerprint: z.string(),
});
const notificationSchema = z.looseObject({
  version: z.literal('4'),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: z.record(z.string(), z.string()),
  commonLabels: z.record(z.string(), z.string()),
  alerts: z.array(alertSchema),
});
export type AlertNotification = z.infer<typeof notificationSchema>;
export type DeliveredAlert = z.infer<typeof alertSchema>;

export class AlertReceiver {
  readonly notifications: AlertNotification[] = [];
  private server: Server | undefined;

  constructor(private readonly options: { file?: string } = {}) {}

  /** Listens on 127.0.0.1 (`port` 0: any free one); resolves with the webhook's URL. */
  async start(port = 0): Promise<string> {
    const server = createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/healthz') {
        res.writeHead(200).end('ok');
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const parsed = notificationSchema.safeParse(safeJson(Buffer.concat(chunks).toString('utf8')));
        if (req.method !== 'POST' || !parsed.success) {
          res.writeHead(400).end();
          return;
        }
        this.notifications.push(parsed.data);
        const stored = this.options.file
          ? appendFile(this.options.file, `${JSON.stringify(parsed.data)}\n`)
          : Promise.resolve();
        stored.then(
          () => res.writeHead(200).end(),
          () => res.writeHead(500).end(),
        );
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/alerts`;
  }

  /** Every delivered alert of that name, firing ones first. */
  alerts(alertname: string): DeliveredAlert[] {
    return this.notifications
      .flatMap((notification) => notification.alerts)
      .filter((alert) => alert.labels.alertname === alertname)
      .sort((a, b) => (a.status === b.status ? 0 : a.status === 'firing' ? -1 : 1));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
