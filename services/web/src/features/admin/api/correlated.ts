import { unwrap } from '../../../lib/api-client';

interface Result<D> {
  data?: D;
  error?: unknown;
  response: Response;
}

/**
 * An admin action's answer with the correlation id of the request: the audit entries it leaves
 * carry the same id, so the console can link straight to them.
 */
export async function withCorrelationId<D>(call: Promise<Result<D>>): Promise<D & { correlationId: string }> {
  let response: Response | undefined;
  const data = await unwrap(
    call.then((result) => {
      response = result.response;
      return result;
    }),
  );
  return { ...data, correlationId: response?.headers.get('x-correlation-id') ?? '' };
}
