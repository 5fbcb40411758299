import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { SpanKind } from '@opentelemetry/api';

/**
 * A minimal OTLP/HTTP trace receiver (JSON encoding, POST /v1/traces) so tests can assert on
 * the spans real services export, without a collector binary.
 */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** As the API's SpanKind (OTLP numbers kinds from 1, with 0 for unspecified). */
  kind: SpanKind;
  attributes: Record<string, unknown>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}

interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}

interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes?: OtlpAttribute[];
      }[];
    }[];
  }[];
}

/** OTLP's span kinds by number; 0, unspecified, is read as internal, the API's default. */
const spanKinds = new Map<number, SpanKind>([
  [1, SpanKind.INTERNAL],
  [2, SpanKind.SERVER],
  [3, SpanKind.CLIENT],
  [4, SpanKind.PRODUCER],
  [5, SpanKind.CONSUMER],
]);

function attributes(list: OtlpAttribute[] = []): Record<string, string | number | boolean | undefined> {
  return Object.fromEntries(
    list.map(({ key, value }) => [
      key,
      value.stringValue ?? value.intValue ?? value.doubleValue ?? value.boolValue,
    ]),
  );
}

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  private server: Server | undefined;

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (req.url === '/v1/traces') {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport;
          for (const resourceSpan of body.resourceSpans ?? []) {
            const service = String(attributes(resourceSpan.resource?.attributes)['service.name'] ?? '');
            for (const scope of resourceSpan.scopeSpans ?? []) {
              for (const span of scope.spans ?? []) {
                this.spans.push({
                  service,
                  traceId: span.traceId,
                  spanId: span.spanId,
                  parentSpanId: span.parentSpanId ?? '',
                  name: span.name,
                  kind: spanKinds.get(span.kind) ?? SpanKind.INTERNAL,
                  attributes: attributes(span.attributes),
                });
              }
            }
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
