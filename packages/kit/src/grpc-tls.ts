import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { checkServerIdentity, createSecureContext, type PeerCertificate } from 'node:tls';
import { X509Certificate } from 'node:crypto';

import {
  ChannelCredentials,
  experimental,
  Metadata,
  ResponderBuilder,
  ServerCredentials,
  ServerInterceptingCall,
  ServerListenerBuilder,
  status as GrpcStatus,
  type ServerInterceptor,
} from '@grpc/grpc-js';

import { CORRELATION_HEADER, isCorrelationId, runWithContext } from './context';
import type { Logger } from './log';
import { trackCertificateExpiry, type GrpcRefusalReason, type Metrics } from './metrics';
import type { SecurityEvents } from './security';

/**
 * Certificate files for mutual TLS. None means plaintext: the GRPC_ALLOW_PLAINTEXT development
 * flag, or an in-process test.
 */
export interface TlsFiles {
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
}

/** The files, re-read every `refreshMs` (default a minute) so a rotated certificate needs no restart. */
export interface TlsSettings extends TlsFiles {
  refreshMs?: number | undefined;
}

type CompleteTlsFiles = Required<TlsFiles> & { refreshMs: number };

const DEFAULT_REFRESH_MS = 60_000;

export function isMutualTls<T extends TlsFiles>(tls: T): tls is T & Required<TlsFiles> {
  return Boolean(tls.caFile && tls.certFile && tls.keyFile);
}

/** The SPIFFE id of a platform component: `spiffe://tracking/<component>` (docs/grpc-security.md). */
export function spiffeIdOf(component: string): string {
  return `spiffe://tracking/${component}`;
}

const COMPONENT_ID = /^spiffe:\/\/tracking\/([a-z][a-z0-9-]*)$/;

/**
 * The component a certificate identifies, from its one URI SAN `spiffe://tracking/<component>`.
 * Undefined for a certificate with no URI SAN, several, one of another trust domain or shape,
 * or a SAN list this parser does not fully understand: none of those identifies anyone.
 */
export function componentOf(certificate: Pick<PeerCertificate, 'subjectaltname'>): string | undefined {
  const entries = subjectAltNames(certificate.subjectaltname ?? '');
  if (!entries) return undefined;
  const uris = entries.filter(([type]) => type === 'URI');
  if (uris.length !== 1) return undefined;
  return COMPONENT_ID.exec(uris[0]?.[1] ?? '')?.[1];
}

/**
 * Node's `subjectaltname` text as [type, value] pairs. Node joins entries with ", " and writes a
 * value holding a comma, quote or other special character as a JSON string, so a crafted URI
 * such as `x, URI:spiffe://tracking/gateway` stays one value here instead of becoming two.
 * Undefined when the text does not follow that grammar.
 */
export function subjectAltNames(text: string): [string, string][] | undefined {
  const entries: [string, string][] = [];
  let at = 0;
  while (at < text.length) {
    const colon = text.indexOf(':', at);
    if (colon < 0) return undefined;
    const type = text.slice(at, colon);
    let end: number;
    let value: string;
    if (text[colon + 1] === '"') {
      let close = colon + 2;
      while (close < text.length && text[close] !== '"') close += text[close] === '\\' ? 2 : 1;
      if (close >= text.length) return undefined;
      end = close + 1;
      try {
        value = JSON.parse(text.slice(colon + 1, end)) as string;
      } catch {
        return undefined;
      }
    } else {
      const comma = text.indexOf(', ', colon + 1);
      end = comma < 0 ? text.length : comma;
      value = text.slice(colon + 1, end);
    }
    entries.push([type, value]);
    if (end === text.length) break;
    if (!text.startsWith(', ', end)) return undefined;
    at = end + 2;
  }
  return entries;
}

interface LoadedFiles {
  caCertificate: Buffer;
  certificate: Buffer;
  privateKey: Buffer;
}

/**
 * grpc-js' CertificateProvider over our three files. Unlike its FileWatcherCertificateProvider,
 * a read that fails or finds files that do not fit together (a certificate written before its
 * key during a rotation) keeps the last good set and is logged, rather than dropping every new
 * connection until the next refresh. The first read is synchronous, so a process with missing
 * or broken files fails at start-up.
 */
class ReloadingCertificates implements experimental.CertificateProvider {
  private latest: LoadedFiles;
  /** When the files were last read (Date.now()), successfully or not. */
  private lastRead: number;
  private timer: NodeJS.Timeout | undefined;
  private reading = false;
  private readonly caListeners = new Set<experimental.CaCertificateUpdateListener>();
  private readonly identityListeners = new Set<experimental.IdentityCertificateUpdateListener>();
  log: Logger | undefined;

  constructor(private readonly files: CompleteTlsFiles) {
    this.latest = this.readNow();
    this.lastRead = Date.now();
    trackCertificateExpiry(() => new X509Certificate(this.latest.certificate).validToDate.getTime() / 1000);
  }

  private readNow(): LoadedFiles {
    return usable({
      caCertificate: readFileSync(this.files.caFile),
      certificate: readFileSync(this.files.certFile),
      privateKey: readFileSync(this.files.keyFile),
    });
  }

  private async reload(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    this.lastRead = Date.now();
    try {
      this.take(
        usable({
          caCertificate: await readFile(this.files.caFile),
          certificate: await readFile(this.files.certFile),
          privateKey: await readFile(this.files.keyFile),
        }),
      );
    } catch (error) {
      this.keep(error);
    } finally {
      this.reading = false;
    }
  }

  private take(next: LoadedFiles): void {
    if (
      next.caCertificate.equals(this.latest.caCertificate) &&
      next.certificate.equals(this.latest.certificate) &&
      next.privateKey.equals(this.latest.privateKey)
    )
      return;
    this.latest = next;
    const certificateFacts = new X509Certificate(next.certificate);
    this.log?.info(
      {
        event: 'grpc.tls.reloaded',
        serial: certificateFacts.serialNumber,
        validTo: certificateFacts.validToDate.toISOString(),
      },
      'gRPC certificate files changed; new connections use them',
    );
    for (const listener of this.caListeners) listener({ caCertificate: next.caCertificate });
    for (const listener of this.identityListeners)
      listener({ certificate: next.certificate, privateKey: next.privateKey });
  }

  private keep(error: unknown): void {
    this.log?.warn(
      { event: 'grpc.tls.reload_failed', err: error instanceof Error ? error.message : String(error) },
      'gRPC certificate files could not be used; keeping the previous ones',
    );
  }

  private watch(): void {
    if (this.timer) return;
    // Unused until now (a client connecting for the first time, or again after its channel went
    // idle): nothing re-read the files meanwhile, so read them before handing them out, or the
    // first connections after a rotation would present what the process started with.
    if (Date.now() - this.lastRead >= this.files.refreshMs) {
      this.lastRead = Date.now();
      try {
        this.take(this.readNow());
      } catch (error) {
        this.keep(error);
      }
    }
    this.timer = setInterval(() => void this.reload(), this.files.refreshMs);
    this.timer.unref();
  }

  private unwatchWhenUnused(): void {
    if (this.caListeners.size + this.identityListeners.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  addCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.caListeners.add(listener);
    this.watch();
    process.nextTick(listener, { caCertificate: this.latest.caCertificate });
  }

  removeCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.caListeners.delete(listener);
    this.unwatchWhenUnused();
  }

  addIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.add(listener);
    this.watch();
    process.nextTick(listener, { certificate: this.latest.certificate, privateKey: this.latest.privateKey });
  }

  removeIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.delete(listener);
    this.unwatchWhenUnused();
  }
}

/** The files, if Node can make a TLS context of them (PEM that parses, a key that matches the certificate). */
function usable(files: LoadedFiles): LoadedFiles {
  createSecureContext({ ca: files.caCertificate, cert: files.certificate, key: files.privateKey });
  return files;
}

// One reader per set of files per process: the server and every client of a service share it.
const providers = new Map<string, ReloadingCertificates>();

function certificatesOf(tls: CompleteTlsFiles, log: Logger | undefined): ReloadingCertificates {
  const key = JSON.stringify([tls.caFile, tls.certFile, tls.keyFile, tls.refreshMs]);
  let provider = providers.get(key);
  if (!provider) {
    provider = new ReloadingCertificates(tls);
    providers.set(key, provider);
  }
  provider.log ??= log;
  return provider;
}

function complete(tls: TlsSettings): CompleteTlsFiles | undefined {
  if (!isMutualTls(tls)) return undefined;
  return {
    caFile: tls.caFile,
    certFile: tls.certFile,
    keyFile: tls.keyFile,
    refreshMs: tls.refreshMs ?? DEFAULT_REFRESH_MS,
  };
}

/**
 * A server's credentials: TLS with our certificate, asking every client for one but not failing
 * the handshake without a good one, so the caller check (`callerCheck`) can refuse the call
 * with a status, log it and count it. Plaintext without files.
 */
export function serverCredentials(tls: TlsSettings, log?: Logger): ServerCredentials {
  const files = complete(tls);
  if (!files) return ServerCredentials.createInsecure();
  const certificates = certificatesOf(files, log);
  return experimental.createCertificateProviderServerCredentials(certificates, certificates, false);
}

/**
 * A client's credentials: our certificate, and the server's verified against the CA, its
 * hostname (the address's host), and its SPIFFE id against `server`, the component meant.
 */
export function channelCredentials(tls: TlsSettings, server?: string, log?: Logger): ChannelCredentials {
  const files = complete(tls);
  if (!files) return ChannelCredentials.createInsecure();
  if (!server) throw new Error('a mutual-TLS client must name the component it calls');
  const certificates = certificatesOf(files, log);
  return experimental.createCertificateProviderChannelCredentials(certificates, certificates, {
    checkServerIdentity: (host, certificate) => {
      const presented = componentOf(certificate);
      const error =
        checkServerIdentity(host, certificate) ??
        (presented === server
          ? undefined
          : new Error(`the server at ${host} is ${presented ?? 'no platform component'}, not ${server}`));
      // grpc-js retries with back-off, so this is a line per attempt, not per call.
      if (error) {
        log?.warn(
          { event: 'grpc.server_refused', server, presented: presented ?? 'none', host, err: error.message },
          'refused to call a gRPC server whose certificate is not the component meant',
        );
      }
      return error;
    },
  });
}

export interface CallerCheckOptions {
  /** Components whose certificates may call this server; empty refuses everyone. */
  allowed: readonly string[];
  security: SecurityEvents;
  metrics: Pick<Metrics, 'grpcRefused'>;
}

/**
 * Server interceptor: a call goes on only when its connection presented a certificate Node
 * verified against our CA (not expired) whose SPIFFE id names an allowed component. Otherwise
 * UNAUTHENTICATED (no valid certificate) or PERMISSION_DENIED (a component this server does not
 * serve), recorded as `grpc.refused` with the caller's correlation id when it sent one.
 */
export function callerCheck(options: CallerCheckOptions): ServerInterceptor {
  const allowed = new Set(options.allowed);
  return (method, call) => {
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        // Only present when the chain verified (grpc-js reads socket.authorized).
        const certificate = call.getAuthContext().sslPeerCertificate;
        const caller = certificate ? componentOf(certificate) : undefined;
        if (caller && allowed.has(caller)) {
          next(metadata);
          return;
        }
        const reason: GrpcRefusalReason = certificate ? 'caller_not_allowed' : 'client_certificate_invalid';
        refuse(options, { reason, caller, method: method.path, metadata, peer: call.getPeer() });
        call.sendStatus(
          reason === 'client_certificate_invalid'
            ? {
                code: GrpcStatus.UNAUTHENTICATED,
                details: 'a client certificate issued by the platform CA is required',
              }
            : {
                code: GrpcStatus.PERMISSION_DENIED,
                details: `${caller ? spiffeIdOf(caller) : 'a certificate without a platform identity'} may not call this service`,
              },
        );
      })
      .build();
    return new ServerInterceptingCall(
      call,
      new ResponderBuilder().withStart((next) => next(listener)).build(),
    );
  };
}

function refuse(
  options: CallerCheckOptions,
  refusal: {
    reason: GrpcRefusalReason;
    caller: string | undefined;
    method: string;
    metadata: Metadata;
    peer: string;
  },
): void {
  options.metrics.grpcRefused.inc({ reason: refusal.reason });
  const sent = refusal.metadata.get(CORRELATION_HEADER)[0];
  const fields = {
    reason: refusal.reason,
    caller: refusal.caller ?? 'none',
    method: refusal.method,
    peer: refusal.peer,
  };
  const record = () =>
    options.security.record(
      'grpc.refused',
      fields,
      'refused a gRPC call: the caller is not an allowed component',
    );
  if (isCorrelationId(sent)) runWithContext({ correlationId: sent }, record);
  else record();
}
