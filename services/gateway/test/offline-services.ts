import { generateKeyPairSync } from 'node:crypto';

import { createClient, createPrincipalSigner, type PrincipalSigner } from '@tracking/kit';
import { AiInferenceServiceClient } from '@tracking/proto/tracking/ai/v1/ai';
import { BackupServiceClient } from '@tracking/proto/tracking/backup/v1/backup';
import { BillingServiceClient } from '@tracking/proto/tracking/billing/v1/billing';
import { PrivacyServiceClient } from '@tracking/proto/tracking/privacy/v1/privacy';
import { TrackingServiceClient } from '@tracking/proto/tracking/tracking/v1/tracking';

/**
 * The gateway's dependencies on the services behind it, for tests of the gateway alone: a client
 * pointed where nothing listens, and a signer with a throwaway key.
 */
export async function offlineTracking(): Promise<{
  tracking: TrackingServiceClient;
  ai: AiInferenceServiceClient;
  billing: BillingServiceClient;
  backup: BackupServiceClient;
  privacy: PrivacyServiceClient;
  principals: PrincipalSigner;
}> {
  const { privateKey } = generateKeyPairSync('ed25519');
  return {
    tracking: createClient(TrackingServiceClient, '127.0.0.1:1', { tls: {}, deadlineMs: 500 }),
    ai: createClient(AiInferenceServiceClient, '127.0.0.1:1', { tls: {}, deadlineMs: 500 }),
    billing: createClient(BillingServiceClient, '127.0.0.1:1', { tls: {}, deadlineMs: 500 }),
    backup: createClient(BackupServiceClient, '127.0.0.1:1', { tls: {}, deadlineMs: 500 }),
    privacy: createClient(PrivacyServiceClient, '127.0.0.1:1', { tls: {}, deadlineMs: 500 }),
    principals: await createPrincipalSigner(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
  };
}
