import type { Readable } from 'node:stream';

import { serverStream, unary, type Metrics, type PrincipalVerifier } from '@tracking/kit';
import type {
  CancelErasureRequest,
  CancelErasureResponse,
  DownloadExportRequest,
  DownloadExportResponse,
  GetErasureRequest,
  GetErasureResponse,
  GetExportRequest,
  GetExportResponse,
  ListRequestsRequest,
  ListRequestsResponse,
  PrivacyRequest,
  PrivacyServiceServer,
  RequestErasureRequest,
  RequestErasureResponse,
  RequestExportRequest,
  RequestExportResponse,
} from '@tracking/proto/tracking/privacy/v1/privacy';

import {
  cancelErasure,
  getErasure,
  getExport,
  listRequests,
  openExportDownload,
  requestErasure,
  requestExport,
  type Caller,
  type PrivacyDeps,
  type RequestView,
} from './requests';

/** The download's chunk size: small enough for gRPC's default message limit, large enough to be cheap. */
const CHUNK_BYTES = 64 * 1024;

export function toProto(request: RequestView): PrivacyRequest {
  return {
    requestId: request.id,
    kind: request.kind,
    subjectId: request.subjectId,
    requestedBy: request.requestedBy,
    state: request.state,
    requestedAt: request.requestedAt,
    scheduledFor: request.scheduledFor ?? undefined,
    finishedAt: request.finishedAt ?? undefined,
    expiresAt: request.expiresAt ?? undefined,
    dueAt: request.dueAt,
    steps: request.steps.map((step) => ({
      service: step.service,
      state: step.state,
      finishedAt: step.finishedAt ?? undefined,
      counts: Object.fromEntries(Object.entries(step.counts).map(([key, value]) => [key, String(value)])),
      failure: step.failure ?? '',
    })),
    sizeBytes: String(request.sizeBytes ?? 0),
    failure: request.failure ?? '',
  };
}

async function* chunks(stream: Readable): AsyncGenerator<Buffer> {
  let pending = Buffer.alloc(0);
  for await (const piece of stream) {
    pending = Buffer.concat([pending, Buffer.isBuffer(piece) ? piece : Buffer.from(piece as Uint8Array)]);
    while (pending.length >= CHUNK_BYTES) {
      yield pending.subarray(0, CHUNK_BYTES);
      pending = pending.subarray(CHUNK_BYTES);
    }
  }
  if (pending.length > 0) yield pending;
}

/**
 * Transport only: each call's principal is checked (the gateway signs it, audience `privacy`),
 * then the domain call in requests.ts decides what that caller may do.
 */
export function privacyService(
  deps: PrivacyDeps & { grpcMetrics: Metrics; principals: PrincipalVerifier },
): PrivacyServiceServer {
  const transport = { log: deps.log, metrics: deps.grpcMetrics };
  const callerOf = async (metadata: Parameters<PrincipalVerifier['verify']>[0]): Promise<Caller> => {
    const principal = await deps.principals.verify(metadata);
    return { userId: principal.userId, role: principal.role };
  };
  return {
    requestExport: unary<RequestExportRequest, RequestExportResponse>(
      'RequestExport',
      transport,
      async (request, call) => {
        const { request: view, existing } = await requestExport(
          deps,
          await callerOf(call.metadata),
          request.subjectId,
        );
        return { request: toProto(view), existing };
      },
    ),
    getExport: unary<GetExportRequest, GetExportResponse>('GetExport', transport, async (request, call) => ({
      request: toProto(await getExport(deps, await callerOf(call.metadata), request.requestId)),
    })),
    downloadExport: serverStream<DownloadExportRequest, DownloadExportResponse>(
      'DownloadExport',
      transport,
      async (request, send, call) => {
        const download = await openExportDownload(deps, await callerOf(call.metadata), request.requestId);
        const stream = await download.open();
        let first = true;
        try {
          for await (const data of chunks(stream)) {
            await send({
              fileName: first ? download.fileName : '',
              sizeBytes: first ? String(download.sizeBytes) : '0',
              data,
            });
            first = false;
          }
          if (first)
            await send({
              fileName: download.fileName,
              sizeBytes: String(download.sizeBytes),
              data: Buffer.alloc(0),
            });
        } finally {
          stream.destroy();
        }
      },
    ),
    requestErasure: unary<RequestErasureRequest, RequestErasureResponse>(
      'RequestErasure',
      transport,
      async (request, call) => {
        const { request: view, existing } = await requestErasure(
          deps,
          await callerOf(call.metadata),
          request.subjectId,
          request.reason,
        );
        return { request: toProto(view), existing };
      },
    ),
    cancelErasure: unary<CancelErasureRequest, CancelErasureResponse>(
      'CancelErasure',
      transport,
      async (request, call) => ({
        request: toProto(await cancelErasure(deps, await callerOf(call.metadata), request.requestId)),
      }),
    ),
    getErasure: unary<GetErasureRequest, GetErasureResponse>(
      'GetErasure',
      transport,
      async (request, call) => {
        const view = await getErasure(deps, await callerOf(call.metadata), request.subjectId);
        return { request: view ? toProto(view) : undefined };
      },
    ),
    listRequests: unary<ListRequestsRequest, ListRequestsResponse>(
      'ListRequests',
      transport,
      async (request, call) => {
        const page = await listRequests(deps, await callerOf(call.metadata), request);
        return {
          requests: page.requests.map(toProto),
          nextCursor: page.nextCursor,
          openCount: page.openCount,
          oldestOpenAgeSeconds: String(page.oldestOpenAgeSeconds),
        };
      },
    ),
  };
}
