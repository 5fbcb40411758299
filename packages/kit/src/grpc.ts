import { readFileSync } from 'node:fs';

import { trace } from '@opentelemetry/api';
import {
  ChannelCredentials,
  InterceptingCall,
  Metadata,
  Server,
  ServerCredentials,
  status as GrpcStatus,
  type CallOptions,
  type Client,
  type Interceptor,
  type ServerUnaryCall,
  type ServiceDefinition,
  type ServiceError,
  type UntypedServiceImplementation,
  type sendUnaryData,
} from '@grpc/grpc-js';

import {
  CLIENT_IP_HEADER,
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
import type { Metrics } from './metrics';

/** Certificate files for mutual TLS; absent means plaintext (loopback only, local scripts). */
export interface TlsFiles {
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
}

/** The certificate files from a service's parsed `grpcTlsConfig` settings. */
export function tlsFiles(config: {
  GRPC_TLS_CA_FILE?: string | undefined;
  GRPC_TLS_CERT_FILE?: string | undefined;
  GRPC_TLS_KEY_FILE?: string | undefined;
}): TlsFiles {
  return {
    caFile: config.GRPC_TLS_CA_FILE,
    certFile: config.GRPC_TLS_CERT_FILE,
    keyFile: config.GRPC_TLS_KEY_FILE,
  };
}

export function serverCredentials(tls: TlsFiles): ServerCredentials {
  if (!tls.caFile || !tls.certFile || !tls.keyFile) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(
    readFileSync(tls.caFile),
    [{ private_key: readFileSync(tls.keyFile), cert_chain: readFileSync(tls.certFile) }],
    true, // require and verify the client's certificate
  );
}

export function channelCredentials(tls: TlsFiles): ChannelCredentials {
  if (!tls.caFile || !tls.certFile || !tls.keyFile) return ChannelCredentials.createInsecure();
  return ChannelCredentials.createSsl(
    readFileSync(tls.caFile),
    readFileSync(tls.keyFile),
    readFileSync(tls.certFile),
  );
}

type UnaryHandler<Req, Res> = (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>;

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
    const inbound = call.metadata.get(CORRELATION_HEADER)[0];
    const correlationId = isCorrelationId(inbound) ? inbound : newCorrelationId();
    const clientIp = metadataString(call.metadata, CLIENT_IP_HEADER, 64);
    const userAgent = metadataString(call.metadata, USER_AGENT_HEADER, 512);
    trace.getActiveSpan()?.setAttribute('correlation.id', correlationId);
    const started = process.hrtime.bigint();
    const finish = (code: GrpcStatus) => {
      deps.metrics.grpcHandled.inc({ method, code: GrpcStatus[code] });
      deps.metrics.grpcDuration.observe({ method }, Number(process.hrtime.bigint() - started) / 1e9);
    };
    void runWithContext({ correlationId, clientIp, userAgent }, async () => {
      try {
        const response = await handler(call.request, call);
        finish(GrpcStatus.OK);
        callback(null, response);
      } catch (error) {
        const { code, message, errorCode } = toGrpcError(error);
        if (code === GrpcStatus.INTERNAL)
          deps.log.error({ err: error, method }, 'unhandled error in gRPC handler');
        finish(code);
        const metadata = new Metadata();
        metadata.set('error-code', errorCode);
        if (error instanceof DomainError && Object.keys(error.details).length > 0) {
          metadata.set('error-details', JSON.stringify(error.details).slice(0, 4_000));
        }
        callback({ code, details: message, metadata });
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

export interface GrpcServerOptions {
  host: string;
  port: number;
  tls: TlsFiles;
  services: [ServiceDefinition, UntypedServiceImplementation][];
}

export async function startGrpcServer(options: GrpcServerOptions): Promise<{ server: Server; port: number }> {
  const server = new Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  for (const [definition, implementation] of options.services) server.addService(definition, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${options.host}:${options.port}`, serverCredentials(options.tls), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { server, port };
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

/** Client interceptor: every call carries the correlation id and has a deadline. */
export function contextInterceptor(defaultDeadlineMs: number): Interceptor {
  return (options, nextCall) => {
    options.deadline ??= Date.now() + defaultDeadlineMs;
    return new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        const context = currentContext();
        if (context) {
          metadata.set(CORRELATION_HEADER, context.correlationId);
          if (context.clientIp) metadata.set(CLIENT_IP_HEADER, context.clientIp);
          if (context.userAgent) metadata.set(USER_AGENT_HEADER, context.userAgent);
        }
        next(metadata, listener);
      },
    });
  };
}

export function createClient<C extends Client>(
  ClientClass: new (address: string, credentials: ChannelCredentials, options: object) => C,
  address: string,
  options: { tls: TlsFiles; deadlineMs?: number },
): C {
  return new ClientClass(address, channelCredentials(options.tls), {
    interceptors: [contextInterceptor(options.deadlineMs ?? 5_000)],
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
 * Calls a unary method as a promise; a failure becomes an UpstreamError with the mapped code
 * (the server's own error code when it sent a known one, else the one its status maps to).
 */
export function callUnary<Req, Res>(
  method: UnaryMethod<Req, Res>,
  request: Req,
  metadata: Metadata = new Metadata(),
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(request, metadata, {}, (error, response) => {
      if (!error) {
        resolve(response);
        return;
      }
      const sent = error.metadata.get('error-code')[0];
      const code =
        isErrorCode(sent) && grpcStatusOf(sent) === error.code ? sent : errorCodeOfGrpc(error.code);
      // Only domain errors carry a message meant for callers; anything else stays generic.
      const domain = error.metadata.get('error-code')[0] !== undefined && code !== 'internal';
      const message = domain
        ? error.details
        : code === 'unavailable'
          ? 'service unavailable'
          : 'internal error';
      reject(new UpstreamError(code, message, error.code, domain ? detailsOf(error.metadata) : {}));
    });
  });
}
