/**
 * The shared fake LLM providers (@tracking/testing/ai-providers), told this service's system
 * prompts, so that they can tell an estimate from a review.
 */
import {
  startFakeProvider as startSharedFake,
  type FakeProvider,
  type FakeProviderOptions,
} from '@tracking/testing/ai-providers';

import { ESTIMATE_SYSTEM_PROMPT, REVIEW_SYSTEM_PROMPT } from '../src/prompts';

export * from '@tracking/testing/ai-providers';

export const SYSTEM_PROMPTS = { estimate_meal: ESTIMATE_SYSTEM_PROMPT, write_review: REVIEW_SYSTEM_PROMPT };

export function startFakeProvider(options: Omit<FakeProviderOptions, 'prompts'>): Promise<FakeProvider> {
  return startSharedFake({ ...options, prompts: SYSTEM_PROMPTS });
}
