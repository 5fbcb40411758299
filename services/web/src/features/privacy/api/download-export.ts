import { useMutation } from '@tanstack/react-query';

import { api, unwrap } from '../../../lib/api-client';
import type { ConfirmIdentityInput } from './confirm-identity';

const FILE_NAME = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i;

/**
 * The ZIP, fetched with the re-entered password (a POST: the password goes in the body), then
 * handed to the browser to save. The file never touches any storage of the app.
 */
export async function downloadExport({
  requestId,
  ...credentials
}: ConfirmIdentityInput & { requestId: string }) {
  const response = api.POST('/api/v1/me/data-exports/{requestId}/download', {
    params: { path: { requestId } },
    body: credentials,
    parseAs: 'blob',
  });
  const blob = await unwrap(response);
  const disposition = (await response).response.headers.get('content-disposition') ?? '';
  const name = FILE_NAME.exec(disposition)?.[1] ?? 'tracking-export.zip';
  const url = URL.createObjectURL(blob);
  try {
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
  } finally {
    // After the click has handed the file over; revoking at once can cancel it in some browsers.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
  return { name, bytes: blob.size };
}

export const useDownloadExport = () => useMutation({ mutationFn: downloadExport });
