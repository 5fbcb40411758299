import { ConfigError } from '@tracking/kit';

import { readConfig } from '../src/config';

const base = {
  DATABASE_URL: 'postgres://ai@127.0.0.1/ai?sslmode=verify-full&sslrootcert=/ca.crt',
  KAFKA_BROKERS: '127.0.0.1:9092',
  PRINCIPAL_PUBLIC_KEY_FILES: '/run/secrets/principal.pem',
  // Where its part of an export goes (a public recipient, age's own example).
  EXPORT_S3_BUCKET: 'tracking-privacy',
  PRIVACY_EXPORT_RECIPIENT: 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p',
};

function problems(env: Record<string, string>): string {
  try {
    readConfig({ ...base, ...env });
    return '';
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.join('\n');
    throw error;
  }
}

describe('the AI providers come from configuration, and only real ones', () => {
  it('takes the fallback order as given', () => {
    const config = readConfig({
      ...base,
      AI_PROVIDERS: 'anthropic, qwen',
      ANTHROPIC_MODEL: 'claude-haiku-4-5',
      ANTHROPIC_API_KEY_FILE: '/run/secrets/anthropic',
      QWEN_MODEL: 'qwen-plus',
      QWEN_API_KEY: 'sk-test',
    });
    expect(config.AI_PROVIDERS).toEqual(['anthropic', 'qwen']);
    expect(config.QWEN_BASE_URL).toBe('https://dashscope-intl.aliyuncs.com/compatible-mode/v1');
  });

  it('has no provider by default and no fake to select', () => {
    expect(problems({})).toMatch(/AI_PROVIDERS/);
    expect(problems({ AI_PROVIDERS: 'fake' })).toMatch(/AI_PROVIDERS/);
    expect(problems({ AI_PROVIDERS: 'offline,offline' })).toMatch(/twice/);
  });

  it('needs a model id and a key for each listed provider, and names them without their values', () => {
    const text = problems({ AI_PROVIDERS: 'anthropic,qwen', QWEN_API_KEY: 'sk-secret-value' });
    expect(text).toMatch(/ANTHROPIC_MODEL/);
    expect(text).toMatch(/ANTHROPIC_API_KEY_FILE/);
    expect(text).toMatch(/QWEN_MODEL/);
    expect(text).not.toMatch(/QWEN_API_KEY_FILE/);
    expect(text).not.toContain('sk-secret-value');
  });

  it('sends provider calls over TLS only, proxies included', () => {
    const text = problems({
      AI_PROVIDERS: 'qwen',
      QWEN_MODEL: 'qwen-plus',
      QWEN_API_KEY: 'k',
      QWEN_BASE_URL: 'http://proxy.internal/v1',
    });
    expect(text).toMatch(/QWEN_BASE_URL: must be an https:\/\/ URL/);
    expect(problems({ AI_PROVIDERS: 'offline', ANTHROPIC_BASE_URL: 'http://127.0.0.1:1' })).toMatch(
      /ANTHROPIC_BASE_URL/,
    );
  });
});

describe('its part of a privacy export', () => {
  it('is written to a bucket, encrypted to the privacy service, or the service does not start', () => {
    expect(problems({ AI_PROVIDERS: 'offline', EXPORT_S3_BUCKET: '' })).toMatch(/EXPORT_S3_BUCKET/);
    expect(problems({ AI_PROVIDERS: 'offline', PRIVACY_EXPORT_RECIPIENT: 'not-a-key' })).toMatch(
      /PRIVACY_EXPORT_RECIPIENT/,
    );
    expect(problems({ AI_PROVIDERS: 'offline' })).toBe('');
  });
});
