import { useMutation } from '@tanstack/react-query';

import { api, unwrap } from '../../../lib/api-client';

/** Recomputes the whole hash chain (POST /admin/audit/verify); as slow as an export on a big log. */
export const verifyAuditChain = () =>
  unwrap(api.POST('/api/v1/admin/audit/verify', { body: { fromSequence: 0 } }));
export type ChainVerdict = Awaited<ReturnType<typeof verifyAuditChain>>;

export const useVerifyAuditChain = () => useMutation({ mutationFn: verifyAuditChain });
