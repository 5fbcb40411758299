import { readFileSync } from 'node:fs';
import path from 'node:path';

import { ConfigError } from '@tracking/kit';

import { readConfig, readStripeSecrets, type Config } from '../src/config';
import { BUYERS, PLANS, priceBook } from '../src/plans';
import { effectivePlan, isNewer, noticeFor, type SubscriptionRow } from '../src/subscriptions';

describe('the plans', () => {
  test('docs/billing.md shows exactly what plans.ts grants', () => {
    const doc = readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'billing.md'), 'utf8');
    const rows = doc
      .split('\n')
      .filter((line) => /^\| `[a-z]+` +\|/.test(line))
      .map((line) =>
        line
          .split('|')
          .slice(1, -1)
          .map((cell) => cell.trim()),
      )
      .filter((cells) => cells.length === 5);
    const buyers = (plan: string) =>
      plan === 'free' ? 'everyone' : BUYERS[plan as keyof typeof BUYERS].map((role) => `${role}s`).join(', ');
    expect(rows).toEqual(
      Object.entries(PLANS).map(([plan, limits]) => [
        `\`${plan}\``,
        buyers(plan),
        String(limits.clientsPerTrainer),
        String(limits.aiReviewsPerWeek),
        String(limits.aiEstimatesPerDay),
      ]),
    );
  });

  test('a price id maps to its plan and nothing else', () => {
    const prices = priceBook({ STRIPE_PRICE_PRO: 'price_Pro', STRIPE_PRICE_TEAM: 'price_Team' });
    expect(prices.planOf('price_Pro')).toBe('pro');
    expect(prices.planOf('price_Team')).toBe('team');
    expect(prices.planOf('price_Other')).toBeUndefined();
    expect(prices.priceOf('team')).toBe('price_Team');
  });
});

const row = (fields: Partial<SubscriptionRow>): SubscriptionRow => ({
  user_id: '00000000-0000-4000-8000-000000000000',
  stripe_subscription_id: 'sub_A',
  stripe_price_id: 'price_Pro',
  payment_method_ref: null,
  subscribed_plan: 'pro',
  plan: 'pro',
  status: 'active',
  current_period_end: null,
  cancel_at_period_end: false,
  state_as_of: null,
  payment_failed_at: null,
  grace_ends_at: null,
  invoice_state_as_of: null,
  ...fields,
});

describe('the plan in force', () => {
  const now = new Date('2026-11-22T12:00:00Z');
  test.each([
    ['active', null, 'pro'],
    ['trialing', null, 'pro'],
    ['past_due', new Date('2026-11-23T00:00:00Z'), 'pro'],
    ['past_due', new Date('2026-11-22T11:59:59Z'), 'free'],
    ['unpaid', new Date('2026-11-21T00:00:00Z'), 'free'],
    ['canceled', null, 'free'],
    ['incomplete', null, 'free'],
    ['incomplete_expired', null, 'free'],
    ['paused', null, 'free'],
    ['none', null, 'free'],
  ] as const)('%s with grace until %s: %s', (status, grace, plan) => {
    expect(effectivePlan(row({ status, grace_ends_at: grace }), now)).toBe(plan);
  });
});

describe('event order', () => {
  const t = new Date('2026-11-22T12:00:00Z');
  test('a newer event wins and an older one never does, whatever its status', () => {
    expect(isNewer(row({ state_as_of: t, status: 'canceled' }), new Date(t.getTime() + 1000), 'active')).toBe(
      true,
    );
    expect(
      isNewer(row({ state_as_of: t, status: 'incomplete' }), new Date(t.getTime() - 1000), 'canceled'),
    ).toBe(false);
    expect(isNewer(row({ state_as_of: null, status: 'none' }), t, 'incomplete')).toBe(true);
  });
  test('within one second, the later step of the lifecycle wins', () => {
    expect(isNewer(row({ state_as_of: t, status: 'incomplete' }), t, 'active')).toBe(true);
    expect(isNewer(row({ state_as_of: t, status: 'active' }), t, 'incomplete')).toBe(false);
    expect(isNewer(row({ state_as_of: t, status: 'active' }), t, 'canceled')).toBe(true);
    expect(isNewer(row({ state_as_of: t, status: 'canceled' }), t, 'active')).toBe(false);
  });
});

describe('what the user is told', () => {
  const now = new Date('2026-11-22T12:00:00Z');
  test('during the grace period: the date to fix the payment by', () => {
    expect(
      noticeFor(
        row({ status: 'past_due', payment_failed_at: now, grace_ends_at: new Date('2026-11-29T12:00:00Z') }),
        now,
      ),
    ).toMatch(/payment failed.*by 2026-11-29 to keep Pro/);
  });
  test('after it: why the features are paused and how to restore them', () => {
    expect(
      noticeFor(
        row({
          status: 'unpaid',
          payment_failed_at: new Date('2026-11-10T00:00:00Z'),
          grace_ends_at: new Date('2026-11-17T00:00:00Z'),
        }),
        now,
      ),
    ).toMatch(/paused because a payment failed on 2026-11-10.*billing portal/);
  });
  test('a cancellation at period end, and nothing when all is well', () => {
    expect(
      noticeFor(
        row({ cancel_at_period_end: true, current_period_end: new Date('2026-12-01T00:00:00Z') }),
        now,
      ),
    ).toBe('Your Pro plan is cancelled and ends on 2026-12-01.');
    expect(noticeFor(row({}), now)).toBe('');
  });
});

describe('configuration', () => {
  const valid = {
    DATABASE_URL: 'postgres://billing_app@127.0.0.1/billing?sslmode=verify-full&sslrootcert=/ca.crt',
    KAFKA_BROKERS: '127.0.0.1:9092',
    PRINCIPAL_PUBLIC_KEY_FILES: '/keys/principal.pem',
    STRIPE_SECRET_KEY: 'sk_test_abcdefghijklmnop',
    STRIPE_WEBHOOK_SECRET: 'whsec_abcdefghijklmnop',
    STRIPE_PRICE_PRO: 'price_Pro',
    STRIPE_PRICE_TEAM: 'price_Team',
    BILLING_PUBLIC_URL: 'https://app.example.com',
    // Where its part of an export goes (a public recipient, age's own example).
    EXPORT_S3_BUCKET: 'tracking-privacy',
    PRIVACY_EXPORT_RECIPIENT: 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p',
  };
  const issues = (env: Record<string, string>) => {
    try {
      readConfig(env);
      return [];
    } catch (error) {
      return (error as ConfigError).issues;
    }
  };

  test('a complete configuration loads, with the secrets checked for shape', () => {
    const config = readConfig(valid);
    expect(config.STRIPE_API_URL).toBe('https://api.stripe.com');
    expect(readStripeSecrets(config)).toEqual({
      secretKey: valid.STRIPE_SECRET_KEY,
      webhookSecret: valid.STRIPE_WEBHOOK_SECRET,
    });
  });

  test('Stripe is reached over https only, but for a stand-in on loopback', () => {
    expect(issues({ ...valid, STRIPE_API_URL: 'http://api.stripe.com' })).toEqual([
      expect.stringMatching(/^STRIPE_API_URL: must be an https:\/\/ URL/),
    ]);
    expect(issues({ ...valid, STRIPE_API_URL: 'http://127.0.0.1:12111' })).toEqual([]);
  });

  test('missing secrets and malformed price ids are named, each of them', () => {
    expect(
      issues({ ...valid, STRIPE_SECRET_KEY: '', STRIPE_WEBHOOK_SECRET: '', STRIPE_PRICE_TEAM: 'prod_Team' }),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^STRIPE_SECRET_KEY_FILE: is required/),
        expect.stringMatching(/^STRIPE_WEBHOOK_SECRET_FILE: is required/),
        expect.stringMatching(/^STRIPE_PRICE_TEAM: must be a Stripe price id/),
      ]),
    );
  });

  test('a published outbox row is deleted at once unless a test asks to keep it, for a day at most', () => {
    // Its events name the user: kept rows would hold an erased person's id (docs/data-inventory.yaml).
    expect(readConfig(valid).OUTBOX_RETAIN_SENT_MS).toBe(0);
    expect(issues({ ...valid, OUTBOX_RETAIN_SENT_MS: String(7 * 86_400_000) })).toEqual([
      expect.stringMatching(/^OUTBOX_RETAIN_SENT_MS: /),
    ]);
  });

  test('a swapped secret stops the service without echoing either value', () => {
    const config: Config = readConfig({
      ...valid,
      STRIPE_SECRET_KEY: valid.STRIPE_WEBHOOK_SECRET,
      STRIPE_WEBHOOK_SECRET: valid.STRIPE_SECRET_KEY,
    });
    expect(() => readStripeSecrets(config)).toThrow(ConfigError);
    expect(() => readStripeSecrets(config)).not.toThrow(/abcdefghijklmnop/);
  });
});
