import { rootCertificates } from 'node:tls';

import { Agent } from 'undici';

import { ProviderError } from './provider';

export interface HttpProviderOptions {
  apiKey: string;
  baseURL: string;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  caPem?: string;
}

/**
 * What both official SDKs are constructed with: our timeout, retry count and trust, and their
 * own logging off (at debug level it prints requests, and a request holds the meal).
 */
export function sdkClientOptions(options: HttpProviderOptions) {
  return {
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    timeout: options.timeoutMs,
    maxRetries: options.maxRetries,
    logLevel: 'off' as const,
    fetchOptions: providerFetchOptions(options.caPem),
  };
}

/**
 * Fetch options for the SDKs. With an extra CA (a proxy's private CA), the connection trusts
 * Node's public roots plus that one; without it, the SDKs' defaults.
 */
export function providerFetchOptions(caPem: string | undefined): { dispatcher: Agent } | undefined {
  if (caPem === undefined) return undefined;
  return { dispatcher: new Agent({ connect: { ca: [...rootCertificates, caPem] } }) };
}

/**
 * Classifies an SDK error by its HTTP status, without keeping its message: a provider's error
 * text can quote the request, and the request holds the meal. Both SDKs (Anthropic's and
 * OpenAI's) throw errors of the same shape: `status` on API errors, none on connection errors.
 */
export function classifySdkError(error: unknown, signal: AbortSignal): ProviderError {
  if (error instanceof ProviderError) return error;
  if (signal.aborted) return new ProviderError('unavailable', 'deadline passed');
  const status = (error as { status?: unknown } | null)?.status;
  const kind = error instanceof Error ? error.constructor.name : typeof error;
  if (typeof status !== 'number') {
    // A body that is not JSON surfaces as a bare SyntaxError from the SDK's response parser
    // (by name: it may come from another realm, where instanceof fails).
    if ((error as { name?: unknown } | null)?.name === 'SyntaxError') {
      return new ProviderError('malformed', 'response body is not JSON');
    }
    return new ProviderError('unavailable', `no response (${kind})`);
  }
  if (status === 408 || status === 409 || status === 429 || status >= 500) {
    return new ProviderError('unavailable', `HTTP ${String(status)}`, status);
  }
  return new ProviderError('rejected', `HTTP ${String(status)}`, status);
}

/**
 * With a content type other than JSON, both SDKs hand back the body as a string where an object
 * was typed: an answer that is not an object is malformed, whatever the types say.
 */
export function requireObject<T>(value: T): T {
  if (typeof value !== 'object' || value === null) {
    throw new ProviderError('malformed', 'the response is not a JSON object');
  }
  return value;
}

/** A JSON object out of a model's text, or a malformed-answer error. */
export function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProviderError('malformed', 'the answer is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProviderError('malformed', 'the answer is not a JSON object');
  }
  return value as Record<string, unknown>;
}
