import { isIP } from 'node:net';

import { trace } from '@opentelemetry/api';
import {
  ChannelCredentials,
  InterceptingCall,
  Metadata,
  Server,
  status as GrpcStatus,
  type CallOptions,
  type Client,
  type Interceptor,
  type ClientReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type StatusObject,
  type ServiceError,
  type UntypedServiceImplementation,
  type sendUnaryData,
} from '@grpc/grpc-js';

import {
  CLIENT_IP_HEADER,
  CORRELATION_ATTRIBUTE,
  CORRELATION_HEADER,
  currentContext,
  isCorrelationId,
  newCorrelationId,
  runWithContext,
  SESSION_TOKEN_HEADER,
  USER_AGENT_HEADER,
} from './context';
import { DomainError, errorCodeOfGrpc, grpcStatusOf, isErrorCode, type ErrorCode } from './errors';
import type { Logger } from './log';
import { ConfigError } from './config';
import type { Metrics } from './metrics';
import { CLIENT_CONTEXT_HEADER, type ClientContextVerifier, type PrincipalSigner } from './principal';
import {
  callerCheck,
  channelCredentials,
  isMutualTls,
  serverCredentials,
  type TlsSettings,
} from './grpc-tls';
import { createSecurityEvents, type SecurityEvents } from './security';
import { correlationIdFromBaggage } from './trace';

/**
 * The certificate files and their refresh interval from a service's parsed `grpcTlsConfig`
 * settings, for a process that serves or calls gRPC. Without the files it refuses to go on
 * unless GRPC_ALLOW_PLAINTEXT=true (which the schema already refuses in production): a forgotten
 * Secret mount must stop the pod, not quietly run the hop in plaintext. Checked here, where a
 * process sets up gRPC, so a CLI that shares the service's schema but calls nobody needs neither.
 */
export function tlsFiles(config: {
  GRPC_TLS_CA_FILE?: string | undefined;
  GRPC_TLS_CERT_FILE?: string | undefined;
  GRPC_TLS_KEY_FILE?: string | undefined;
  GRPC_TLS_REFRESH_MS?: number | undefined;
  GRPC_ALLOW_PLAINTEXT?: boolean | undefined;
}): TlsSettings {
  const tls = {
    caFile: config.GRPC_TLS_CA_FILE,
    certFile: config.GRPC_TLS_CERT_FILE,
    keyFile: config.GRPC_TLS_KEY_FILE,
    refreshMs: config.GRPC_TLS_REFRESH_MS,
  };
  if (!isMutualTls(tls) && !config.GRPC_ALLOW_PLAINTEXT) {
    throw new ConfigError([
      'GRPC_TLS_CA_FILE: gRPC runs mutual TLS: set GRPC_TLS_CA_FILE, GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE, or GRPC_ALLOW_PLAINTEXT=true for development',
    ]);
  }
  return tls;
}

type UnaryHandler<Req, Res> = (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>;

/**
 * What every handled call starts with: the caller's correlation context from its metadata, and
 * a function that records the call's outcome in the gRPC metrics.
 */
function beginCall(method: string, deps: { metrics: Metrics }, metadata: Metadata) {
  const inbound = metadata.get(CORRELATION_HEADER)[0];
  // The header first (it is what the gateway sets); baggage when a caller sent only that.
  const fromBaggage = correlationIdFromBaggage();
  const correlationId = isCorrelationId(inbound)
    ? inbound
    : isCorrelationId(fromBaggage)
      ? fromBaggage
      : newCorrelationId();
  const clientIp = metadataString(metadata, CLIENT_IP_HEADER, 64);
  const userAgent = metadataString(metadata, USER_AGENT_HEADER, 512);
  trace.getActiveSpan()?.setAttribute(CORRELATION_ATTRIBUTE, correlationId);
  const started = process.hrtime.bigint();
  return {
    context: { correlationId, clientIp, userAgent },
    finish: (code: GrpcStatus) => {
      deps.metrics.grpcHandled.inc({ method, code: GrpcStatus[code] });
      deps.metrics.grpcDuration.observe({ method }, Number(process.hrtime.bigint() - started) / 1e9);
    },
  };
}

/** The status a failed call ends with: a DomainError's code and message, anything else INTERNAL and logged. */
function failureStatus(
  method: string,
  log: Logger,
  error: unknown,
): Partial<StatusObject> & { code: GrpcStatus } {
  const { code, message, errorCode } = toGrpcError(error);
  if (code === GrpcStatus.INTERNAL) log.error({ err: error, method }, 'unhandled error in gRPC handler');
  const metadata = new Metadata();
  metadata.set('error-code', errorCode);
  if (error instanceof DomainError && Object.keys(error.details).length > 0) {
    metadata.set('error-details', JSON.stringify(error.details).slice(0, 4_000));
  }
  return { code, details: message, metadata };
}

/**
 * Wraps a domain call as a gRPC unary handler: it runs in the caller's correlation context,
 * maps DomainErrors to their status codes with their (caller-safe) message, and turns anything
 * else into INTERNAL with no detail, logging the real error here instead.
 */
export function unary<Req, Res>(
  method: string,
  deps: { log: Logger; metrics: Metrics },
  handler: UnaryHandler<Req, Res>,
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    const { context, finish } = beginCall(method, deps, call.metadata);
    void runWithContext(context, async () => {
      try {
        const response = await handler(call.request, call);
        finish(GrpcStatus.OK);
        callback(null, response);
      } catch (error) {
        const status = failureStatus(method, deps.log, error);
        finish(status.code);
        callback(status);
      }
    });
  };
}

/** Thrown by a stream's `send` once the client has gone: the handler should stop. */
export class StreamCancelledError extends Error {
  constructor() {
    super('the client cancelled the stream');
  }
}

type StreamHandler<Req, Res> = (
  request: Req,
  send: (message: Res) => Promise<void>,
  call: ServerWritableStream<Req, Res>,
) => Promise<void>;

/**
 * Wraps a domain producer as a gRPC server-streaming handler, with the same context, error
 * mapping and metrics as `unary`. `send` resolves once the message is buffered and the client
 * is keeping up (back-pressure), and rejects with StreamCancelledError once it has gone, so a
 * long export neither outruns a slow reader nor keeps reading for a departed one.
 */
export function serverStream<Req, Res>(
  method: string,
  deps: { log: Logger; metrics: Metrics },
  handler: StreamHandler<Req, Res>,
): (call: ServerWritableStream<Req, Res>) => void {
  return (call) => {
    const { context, finish } = beginCall(method, deps, call.metadata);
    const send = (message: Res) =>
      new Promise<void>((resolve, reject) => {
        if (call.cancelled) {
          reject(new StreamCancelledError());
          return;
        }
        if (call.write(message)) {
          resolve();
          return;
        }
        const onDrain = () => {
          call.off('cancelled', onCancel);
          resolve();
        };
        const onCancel = () => {
          call.off('drain', onDrain);
          reject(new StreamCancelledError());
        };
        call.once('drain', onDrain);
        call.once('cancelled', onCancel);
      });
    void runWithContext(context, async () => {
      try {
        await handler(call.request, send, call);
        finish(GrpcStatus.OK);
        call.end();
      } catch (error) {
        if (call.cancelled || error instanceof StreamCancelledError) {
          finish(GrpcStatus.CANCELLED);
          return;
        }
        const status = failureStatus(method, deps.log, error);
        finish(status.code);
        // grpc-js ends a server stream with this status when it is emitted as an error.
        call.emit('error', status);
      }
    });
  };
}

function metadataString(metadata: Metadata, key: string, maxLength: number): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === 'string' && value.length <= maxLength ? value : undefined;
}

function toGrpcError(error: unknown): { code: GrpcStatus; message: string; errorCode: ErrorCode } {
  if (error instanceof DomainError) {
    return { code: grpcStatusOf(error.code), message: error.message, errorCode: error.code };
  }
  return { code: GrpcStatus.INTERNAL, message: 'internal error', errorCode: 'internal' };
}

/** Where a server takes its callers' client address and user agent from (docs/principal.md). */
export interface ClientContextOptions {
  verifier: ClientContextVerifier;
  /** Records `authn.rejected` for an assertion that is present but not valid. */
  security: SecurityEvents;
}

/** Who may call a mutual-TLS server, and where its refusals go (GRPC_ALLOWED_CALLERS). */
export interface GrpcCallers {
  /** Component names (their certificates' SPIFFE ids); empty refuses every caller. */
  allowed: readonly string[];
  log: Logger;
  metrics: Pick<Metrics, 'registry' | 'grpcRefused'>;
}

export interface GrpcServerOptions {
  host: string;
  port: number;
  tls: TlsSettings;
  /** Required with TLS files: each call is checked against it before any handler runs. */
  callers?: GrpcCallers;
  /**
   * How long one connection takes new calls (an hour, ±10%) before the server asks the client to
   * reconnect; calls in flight finish. The caller check reads the handshake, so this bounds how
   * long a certificate that has since expired, or was signed by a CA dropped from the CA file,
   * keeps being served.
   */
  maxConnectionAgeMs?: number;
  services: [ServiceDefinition, UntypedServiceImplementation][];
  /**
   * Believe the client's address and user agent only from the gateway's signed assertion;
   * without a valid one a call's address is its transport peer's. Unset: the bare
   * `x-client-ip` / `x-client-user-agent` headers are taken as sent.
   */
  clientContext?: ClientContextOptions;
}

export async function startGrpcServer(options: GrpcServerOptions): Promise<{ server: Server; port: number }> {
  const { callers } = options;
  if (isMutualTls(options.tls) && !callers) {
    throw new Error('a mutual-TLS gRPC server needs its allowed callers (GRPC_ALLOWED_CALLERS)');
  }
  // Plaintext is the development flag: no certificates, so no caller to check.
  const interceptors =
    callers && isMutualTls(options.tls)
      ? [
          callerCheck({
            allowed: callers.allowed,
            security: createSecurityEvents(callers, ['grpc.refused']),
            metrics: callers.metrics,
          }),
        ]
      : [];
  const server = new Server({
    'grpc.max_receive_message_length': 4 * 1024 * 1024,
    // No grace limit: a long export stream on an aged connection runs to its end.
    'grpc.max_connection_age_ms': options.maxConnectionAgeMs ?? 3_600_000,
    interceptors,
  });
  for (const [definition, implementation] of options.services) {
    const { clientContext } = options;
    server.addService(
      definition,
      clientContext ? believingOnlyTheGateway(implementation, clientContext) : implementation,
    );
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `${options.host}:${options.port}`,
      serverCredentials(options.tls, callers?.log),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    ),
  );
  return { server, port };
}

type AnyHandler = (call: { metadata: Metadata; getPeer(): string }, ...rest: unknown[]) => void;

/**
 * Each handler of `implementation`, called once the call's client headers are the ones the
 * gateway vouched for: whatever the caller sent as `x-client-ip` / `x-client-user-agent` is
 * dropped, and replaced by the assertion's facts, or by the peer's address without one. So
 * `unary`/`serverStream` (and anything reading the metadata) see only a believed address.
 * Only unary and server-streaming methods are wrapped this way (the kit offers no others).
 */
function believingOnlyTheGateway(
  implementation: UntypedServiceImplementation,
  options: ClientContextOptions,
): UntypedServiceImplementation {
  const wrap =
    (handler: AnyHandler): AnyHandler =>
    (call, ...rest) => {
      void options.verifier.verify(call.metadata).then((check) => {
        const { metadata } = call;
        metadata.remove(CLIENT_IP_HEADER);
        metadata.remove(USER_AGENT_HEADER);
        metadata.remove(CLIENT_CONTEXT_HEADER);
        if (check.outcome === 'invalid') {
          options.security.record('authn.rejected', { reason: 'client_context_invalid' });
        }
        const client = check.outcome === 'vouched' ? check.client : { clientIp: peerAddress(call.getPeer()) };
        if (client.clientIp) metadata.set(CLIENT_IP_HEADER, client.clientIp);
        if (client.userAgent) metadata.set(USER_AGENT_HEADER, client.userAgent);
        handler(call, ...rest);
      });
    };
  return Object.fromEntries(
    Object.entries(implementation).map(([name, handler]) => [name, wrap(handler as AnyHandler)]),
  );
}

/** The address in grpc-js' peer string (`1.2.3.4:5678`, `::1:5678`), IPv4-mapped IPv6 unwrapped. */
export function peerAddress(peer: string): string | undefined {
  const address = peer.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  const unmapped = address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(unmapped) !== 0) return unmapped;
  return isIP(address) !== 0 ? address : undefined;
}

/** Stops accepting calls and waits for in-flight ones, up to `timeoutMs`, then forces. */
export function stopGrpcServer(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, timeoutMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The gateway's side of ClientContextOptions: it signs what it saw for the called service. */
export interface ClientContextSigning {
  signer: PrincipalSigner;
  /** The called service, the assertion's audience. */
  audience: string;
}

/**
 * Client interceptor: every call carries the correlation id and has a deadline. With
 * `clientContext` (the gateway), the client's address and user agent also travel signed.
 */
export function contextInterceptor(
  defaultDeadlineMs: number,
  clientContext?: ClientContextSigning,
): Interceptor {
  return (options, nextCall) => {
    options.deadline ??= Date.now() + defaultDeadlineMs;
    return new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        const context = currentContext();
        if (!context) {
          next(metadata, listener);
          return;
        }
        metadata.set(CORRELATION_HEADER, context.correlationId);
        if (context.clientIp) metadata.set(CLIENT_IP_HEADER, context.clientIp);
        if (context.userAgent) metadata.set(USER_AGENT_HEADER, context.userAgent);
        if (!clientContext) {
          next(metadata, listener);
          return;
        }
        // Signed here, in the caller's context, so it is bound to the call's correlation id;
        // should signing ever fail, the call goes without it and the service uses the peer's address.
        const facts = { clientIp: context.clientIp, userAgent: context.userAgent };
        void clientContext.signer
          .signClientContext(facts, clientContext.audience)
          .then(
            (assertion) => metadata.set(CLIENT_CONTEXT_HEADER, assertion),
            () => undefined,
          )
          .then(() => next(metadata, listener));
      },
    });
  };
}

export interface GrpcClientOptions {
  tls: TlsSettings;
  /**
   * The component called (`auth`, `audit`, ...): with TLS, the server's certificate must carry
   * its SPIFFE id as well as the address's hostname. Required with TLS files.
   */
  server?: string;
  deadlineMs?: number;
  clientContext?: ClientContextSigning;
  /** Where a certificate file that cannot be re-read is reported. */
  log?: Logger;
}

/**
 * One long-lived client (one channel) per called service per process: TLS costs a handshake
 * when the channel connects, not per call, and new connections pick up rotated certificates.
 */
export function createClient<C extends Client>(
  ClientClass: new (address: string, credentials: ChannelCredentials, options: object) => C,
  address: string,
  options: GrpcClientOptions,
): C {
  return new ClientClass(address, channelCredentials(options.tls, options.server, options.log), {
    interceptors: [contextInterceptor(options.deadlineMs ?? 5_000, options.clientContext)],
  });
}

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

/** Metadata that carries an end user's session token to the auth service (never logged). */
export function sessionTokenMetadata(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set(SESSION_TOKEN_HEADER, token);
  return metadata;
}

/** Error from a downstream gRPC call, carrying the domain error code it mapped to. */
export class UpstreamError extends DomainError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly grpcCode: number,
    details: Record<string, string> = {},
  ) {
    super(code, message, details);
  }
}

function detailsOf(metadata: Metadata): Record<string, string> {
  const raw = metadata.get('error-details')[0];
  if (typeof raw !== 'string') return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!parsed || typeof parsed !== 'object') return {};
    return Object.fromEntries(
      Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
  } catch {
    return {};
  }
}

/**
 * The UpstreamError a failed call becomes, with the mapped code: the server's own error code
 * when it sent a known one, else the one its status maps to.
 */
export function upstreamErrorOf(error: ServiceError): UpstreamError {
  const sent = error.metadata.get('error-code')[0];
  const code = isErrorCode(sent) && grpcStatusOf(sent) === error.code ? sent : errorCodeOfGrpc(error.code);
  // Only domain errors carry a message meant for callers; anything else stays generic.
  const domain = sent !== undefined && code !== 'internal';
  const message = domain ? error.details : code === 'unavailable' ? 'service unavailable' : 'internal error';
  return new UpstreamError(code, message, error.code, domain ? detailsOf(error.metadata) : {});
}

function isServiceError(error: unknown): error is ServiceError {
  return (
    error instanceof Error && 'code' in error && 'metadata' in error && error.metadata instanceof Metadata
  );
}

/**
 * Calls a unary method as a promise; a failure becomes an UpstreamError (see upstreamErrorOf).
 * `options.deadline` overrides the client's default deadline for a call known to be long.
 */
export function callUnary<Req, Res>(
  method: UnaryMethod<Req, Res>,
  request: Req,
  metadata: Metadata = new Metadata(),
  options: Partial<CallOptions> = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(request, metadata, options, (error, response) => {
      if (error) reject(upstreamErrorOf(error));
      else resolve(response);
    });
  });
}

/**
 * The messages of a server stream as an async iterable; a failure becomes an UpstreamError.
 * Leaving the loop early cancels the call, so the server stops producing.
 */
export async function* streamMessages<Res>(stream: ClientReadableStream<Res>): AsyncGenerator<Res> {
  let done = false;
  try {
    for await (const message of stream) yield message as Res;
    done = true;
  } catch (error) {
    done = true;
    throw isServiceError(error) ? upstreamErrorOf(error) : error;
  } finally {
    if (!done) stream.cancel();
  }
}
