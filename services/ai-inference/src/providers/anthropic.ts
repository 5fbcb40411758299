import Anthropic from '@anthropic-ai/sdk';

import { classifySdkError, requireObject, sdkClientOptions, type HttpProviderOptions } from './http';
import { ProviderError, type JsonTask, type Provider, type ProviderAnswer } from './provider';

/**
 * Claude through the official SDK's Messages API. JSON comes from forced tool use: one tool
 * whose input schema is the answer's shape, and `tool_choice` naming it, so the model must
 * answer by calling it. The SDK retries 408/409/429/5xx and connection errors with back-off
 * and jitter, honouring Retry-After; its own logging is off (it could print requests).
 */
export function anthropicProvider(options: HttpProviderOptions): Provider {
  const client = new Anthropic(sdkClientOptions(options));
  return {
    name: 'anthropic',
    model: options.model,
    async complete(task: JsonTask, signal: AbortSignal): Promise<ProviderAnswer> {
      try {
        const message = requireObject(
          await client.messages.create(
            {
              model: options.model,
              max_tokens: task.maxTokens,
              system: task.system,
              messages: [{ role: 'user', content: task.input }],
              tools: [
                {
                  name: task.name,
                  description: task.description,
                  input_schema: { type: 'object', ...task.schema },
                },
              ],
              tool_choice: { type: 'tool', name: task.name },
            },
            { signal },
          ),
        );
        const call = message.content.find((block) => block.type === 'tool_use' && block.name === task.name);
        if (call?.type !== 'tool_use')
          throw new ProviderError('malformed', 'no tool_use block in the answer');
        return {
          output: call.input,
          model: message.model,
          inputTokens: message.usage.input_tokens,
          outputTokens: message.usage.output_tokens,
        };
      } catch (error) {
        throw classifySdkError(error, signal);
      }
    },
  };
}
