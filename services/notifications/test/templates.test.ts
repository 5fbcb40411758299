import { NOTIFICATION_TEMPLATE_NAMES, notificationRequest } from '@tracking/contracts';
import type { NotificationParams, NotificationTemplate } from '@tracking/contracts';

import { renderMail } from '../src/render';

const app = 'https://tracking.example';
const at = '2026-12-08T01:04:00Z';

/** A sample of every template's parameters; the type makes a new template without a sample fail to compile. */
export const SAMPLES: { [T in NotificationTemplate]: NotificationParams<T> } = {
  email_verification: { verifyUrl: `${app}/verify-email#token=verify-canary`, expiresAt: at },
  password_reset: { resetUrl: `${app}/reset-password#token=reset-canary`, expiresAt: at },
  email_change_confirm: { confirmUrl: `${app}/confirm-email#token=confirm-canary`, expiresAt: at },
  email_change_requested: {
    newEmail: 'n***@example.net',
    reportUrl: `${app}/report-email-change#token=r1`,
    requestedAt: at,
  },
  email_change_completed: {
    newEmail: 'n***@example.net',
    reportUrl: `${app}/report-email-change#token=r2`,
    changedAt: at,
  },
  password_changed: { changedAt: at, reportUrl: `${app}/report-password-change#token=r3` },
  mfa_enabled: { at, securityUrl: `${app}/settings/security` },
  mfa_disabled: { at, securityUrl: `${app}/settings/security` },
  recovery_codes_regenerated: { at, securityUrl: `${app}/settings/security` },
  recovery_code_used: { at, remaining: 7, securityUrl: `${app}/settings/security` },
  totp_code_replayed: { at, securityUrl: `${app}/settings/security` },
  new_device_sign_in: { at, device: 'Firefox on Linux', securityUrl: `${app}/settings/security` },
  trainer_invitation: {
    trainerName: 'Aroha Ngata',
    acceptUrl: `${app}/invitations/accept#token=invite-canary`,
    expiresAt: at,
  },
  trainer_invitation_accepted: {
    clientName: 'Sam Lee',
    clientUrl: `${app}/trainer/clients/5a1e1c0e-0000-4000-8000-000000000001`,
  },
  plan_changed: {
    oldPlan: 'free',
    newPlan: 'pro',
    reason: 'subscribed',
    billingUrl: `${app}/settings/billing`,
  },
  payment_failed: { plan: 'pro', graceUntil: at, billingUrl: `${app}/settings/billing` },
  plan_downgraded: { oldPlan: 'team', billingUrl: `${app}/settings/billing` },
  data_export_ready: { downloadUrl: `${app}/privacy/export/1f0e`, expiresAt: at },
  account_deletion_scheduled: { scheduledFor: at, cancelUrl: `${app}/privacy/deletion` },
  account_deletion_completed: { completedAt: at },
};

const urlsOf = (params: Record<string, unknown>) =>
  Object.values(params).filter(
    (value): value is string => typeof value === 'string' && value.startsWith('https://'),
  );

const hrefsOf = (html: string) =>
  [...html.matchAll(/href="([^"]*)"/g)].map((match) => (match[1] ?? '').replaceAll('&amp;', '&'));

describe('every template renders a complete message', () => {
  test.each(NOTIFICATION_TEMPLATE_NAMES)(
    '%s: subject, HTML and text parts, only its own links, no placeholder left',
    async (template) => {
      const params = SAMPLES[template] as Record<string, unknown>;
      const mail = await renderMail(
        notificationRequest(template, { email: 'someone@example.net' }, SAMPLES[template] as never),
      );

      expect(mail.subject.length).toBeGreaterThan(5);
      expect(mail.html).toMatch(/^<!DOCTYPE html/);
      expect(mail.html).toMatch(/<html [^>]*lang="en-NZ"/);
      expect(mail.text.length).toBeGreaterThan(80);

      // Every link in the HTML is one of the parameters' URLs, and each of those is both linked and written out in the text part.
      const links = urlsOf(params);
      expect(new Set(hrefsOf(mail.html))).toEqual(new Set(links));
      for (const link of links) expect(mail.text).toContain(link);

      for (const part of [mail.subject, mail.html, mail.text]) {
        expect(part).not.toMatch(/\{\{|\}\}|undefined|null|NaN|\[object |Invalid Date/);
      }
      // Dates in UTC and saying so, in the New Zealand way (day before month).
      if (Object.keys(params).some((key) => /At$|Until$|For$/.test(key))) {
        expect(mail.text).toContain('8 December 2026');
        expect(mail.text).toContain('UTC');
      }
    },
  );

  test('an Australian reader gets the same message, the date day-first with the time in UTC', async () => {
    const mail = await renderMail(
      notificationRequest(
        'password_reset',
        { email: 'someone@example.net' },
        SAMPLES.password_reset,
        'en-AU',
      ),
    );
    expect(mail.text).toContain('until Tuesday, 8 December 2026 at 1:04 am UTC.');
    expect(mail.html).toMatch(/<html [^>]*lang="en-AU"/);
  });

  test('a display name cannot inject markup into the HTML part', async () => {
    const mail = await renderMail(
      notificationRequest(
        'trainer_invitation',
        { email: 'someone@example.net' },
        { ...SAMPLES.trainer_invitation, trainerName: '<a href="https://evil.example">Aroha</a>' },
      ),
    );
    expect(hrefsOf(mail.html)).not.toContain('https://evil.example');
    expect(mail.html).toContain('&lt;a href=');
  });
});
