import { readFileSync } from 'node:fs';

import type { ProviderSettings } from '../config';
import { anthropicProvider } from './anthropic';
import { offlineProvider } from './offline';
import type { Provider, ProviderName } from './provider';
import { qwenProvider } from './qwen';

/** A key from its mounted secret file (preferred) or the environment; never logged. */
function apiKey(file: string | undefined, value: string | undefined): string {
  return file ? readFileSync(file, 'utf8').trim() : (value ?? '');
}

/** The configured providers, in fallback order. */
export function createProviders(settings: ProviderSettings): Provider[] {
  const caPem = settings.AI_PROVIDER_CA_FILE ? readFileSync(settings.AI_PROVIDER_CA_FILE, 'utf8') : undefined;
  const http = { timeoutMs: settings.AI_TIMEOUT_MS, maxRetries: settings.AI_MAX_RETRIES, caPem };
  const make: Record<ProviderName, () => Provider> = {
    anthropic: () =>
      anthropicProvider({
        ...http,
        apiKey: apiKey(settings.ANTHROPIC_API_KEY_FILE, settings.ANTHROPIC_API_KEY),
        baseURL: settings.ANTHROPIC_BASE_URL,
        model: settings.ANTHROPIC_MODEL ?? '',
      }),
    qwen: () =>
      qwenProvider({
        ...http,
        apiKey: apiKey(settings.QWEN_API_KEY_FILE, settings.QWEN_API_KEY),
        baseURL: settings.QWEN_BASE_URL,
        model: settings.QWEN_MODEL ?? '',
      }),
    offline: offlineProvider,
  };
  return settings.AI_PROVIDERS.map((name) => make[name]());
}
