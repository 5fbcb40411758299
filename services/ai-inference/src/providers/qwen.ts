import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';

import {
  classifySdkError,
  parseJsonObject,
  requireObject,
  sdkClientOptions,
  type HttpProviderOptions,
} from './http';
import { ProviderError, type JsonTask, type Provider, type ProviderAnswer } from './provider';

/**
 * DashScope's request body extends OpenAI's: `enable_thinking` switches Qwen3's thinking mode,
 * which is refused together with JSON-constrained output, so these calls turn it off.
 */
type QwenParams = ChatCompletionCreateParamsNonStreaming & { enable_thinking: boolean };

/**
 * Qwen through DashScope's OpenAI-compatible endpoint and the official `openai` SDK. JSON comes
 * from JSON mode (`response_format: json_object`), which DashScope accepts only when the prompt
 * contains the word "JSON"; the system prompt carries the schema for the same reason.
 */
export function qwenProvider(options: HttpProviderOptions): Provider {
  const client = new OpenAI(sdkClientOptions(options));
  return {
    name: 'qwen',
    model: options.model,
    async complete(task: JsonTask, signal: AbortSignal): Promise<ProviderAnswer> {
      const params: QwenParams = {
        model: options.model,
        // DashScope documents max_tokens; OpenAI's newer max_completion_tokens is not its name.
        // eslint-disable-next-line @typescript-eslint/no-deprecated
        max_tokens: task.maxTokens,
        messages: [
          {
            role: 'system',
            content: `${task.system}\nReply with JSON only, matching this JSON schema:\n${JSON.stringify(task.schema)}`,
          },
          { role: 'user', content: task.input },
        ],
        response_format: { type: 'json_object' },
        enable_thinking: false,
      };
      try {
        const completion = requireObject(await client.chat.completions.create(params, { signal }));
        const choice = Array.isArray(completion.choices) ? completion.choices[0] : undefined;
        if (!choice) throw new ProviderError('malformed', 'no choices in the answer');
        if (choice.finish_reason === 'length') throw new ProviderError('malformed', 'the answer was cut off');
        const content = choice.message.content;
        if (!content) throw new ProviderError('malformed', 'the answer is empty');
        return {
          output: parseJsonObject(content),
          model: completion.model,
          inputTokens: completion.usage?.prompt_tokens ?? 0,
          outputTokens: completion.usage?.completion_tokens ?? 0,
        };
      } catch (error) {
        throw classifySdkError(error, signal);
      }
    },
  };
}
