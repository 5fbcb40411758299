import type { PrivacyRequest, PrivacyStep } from '@tracking/proto/tracking/privacy/v1/privacy';
import type { z } from 'zod';

import type { myPrivacyRequestSchema, privacyRequestSchema, privacyStepSchema } from './schemas';

const iso = (date: Date | undefined) => date?.toISOString() ?? null;
const orNull = (text: string) => text || null;

// The enums are the contract's (packages/contracts/src/privacy.ts); a value outside them fails
// the response check and is logged, rather than being passed on to the web app unchecked.
type Step = z.input<typeof privacyStepSchema>;
type Mine = z.input<typeof myPrivacyRequestSchema>;
type Theirs = z.input<typeof privacyRequestSchema>;

function stepOut(step: PrivacyStep): Step {
  return {
    service: step.service as Step['service'],
    state: step.state as Step['state'],
    finishedAt: iso(step.finishedAt),
    counts: Object.fromEntries(Object.entries(step.counts).map(([name, count]) => [name, Number(count)])),
    failure: orNull(step.failure),
  };
}

function common(request: PrivacyRequest) {
  return {
    id: request.requestId,
    kind: request.kind as Mine['kind'],
    state: request.state as Mine['state'],
    requestedAt: iso(request.requestedAt) ?? '',
    scheduledFor: iso(request.scheduledFor),
    finishedAt: iso(request.finishedAt),
    expiresAt: iso(request.expiresAt),
    dueAt: iso(request.dueAt) ?? '',
    sizeBytes: request.kind === 'export' && request.sizeBytes !== '0' ? Number(request.sizeBytes) : null,
    failure: orNull(request.failure),
    steps: request.steps.map(stepOut),
  };
}

/** The subject's own view: an admin who acted for them is not named. */
export function myRequestOut(request: PrivacyRequest): Mine {
  return { ...common(request), byAdmin: request.requestedBy !== request.subjectId };
}

export function requestOut(request: PrivacyRequest): Theirs {
  return { ...common(request), subjectId: request.subjectId, requestedBy: request.requestedBy };
}
