/**
 * The benches' HTTP client for a platform's API. It keeps its connections alive, as the edge does
 * towards the gateway (nginx `keepalive` upstreams), so TLS costs a handshake per connection, not
 * per request. Over https it presents the edge's certificate, as only the edge may call the
 * gateway then (startPlatform({ httpTls: true })).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

export interface ApiResponse {
  status: number;
  body: string;
}

export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export function apiClient(api: string, tls?: TlsFiles) {
  const base = new URL(api);
  const secure = base.protocol === 'https:';
  if (secure && !tls) throw new Error(`${api} needs the edge's certificate`);
  const agent =
    secure && tls
      ? new https.Agent({
          keepAlive: true,
          ca: readFileSync(tls.caFile),
          cert: readFileSync(tls.certFile),
          key: readFileSync(tls.keyFile),
        })
      : new http.Agent({ keepAlive: true });
  let connections = 0;
  const request = (
    route: string,
    init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ): Promise<ApiResponse> =>
    new Promise((resolve, reject) => {
      const url = new URL(`${base.pathname}${route}`, base);
      const outgoing = (secure ? https : http).request(
        url,
        { method: init.method ?? 'GET', headers: init.headers, agent },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          response.on('error', reject);
        },
      );
      outgoing.on('socket', (socket) => {
        if (!(socket as { benchCounted?: boolean }).benchCounted) {
          (socket as { benchCounted?: boolean }).benchCounted = true;
          connections += 1;
        }
      });
      outgoing.on('error', reject);
      outgoing.end(init.body);
    });
  return {
    request,
    /** How many connections the client has opened so far (each a TLS handshake over https). */
    connections: () => connections,
    close: () => agent.destroy(),
  };
}
