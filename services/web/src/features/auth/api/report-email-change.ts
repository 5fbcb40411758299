import { useMutation } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';

export const reportEmailChangeInputSchema = z.object({ token: z.string().min(1).max(128) });
export type ReportEmailChangeInput = z.infer<typeof reportEmailChangeInputSchema>;

/** "This wasn't me", from a notice to the old address: locks the account until a password reset. */
export const reportEmailChange = (input: ReportEmailChangeInput) =>
  unwrap(api.POST('/api/v1/auth/email-change/report', { body: input }));

export const useReportEmailChange = () => useMutation({ mutationFn: reportEmailChange });
