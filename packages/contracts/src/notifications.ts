import { z } from 'zod';

import { PLAN_NAMES } from './plans';

/*
 * `notification.requested` on `notifications.requested.v1`: a service asks the notifications
 * service to mail one person one message. Services never send mail themselves; they enqueue
 * this event through their outbox in the transaction that made the change worth telling.
 *
 * The body names a template and carries its parameters. Links and tokens are parameters (the
 * topic is readable only by the notifications service and has short retention); meal text and
 * health data never are. Each template's parameters are validated here, by the emitter before
 * it enqueues and by the notifications service before it renders: an event that fails is
 * dead-lettered, never sent half-rendered.
 */

/** A link into the web app, e.g. `https://app.example/verify-email#token=…`. */
const appLink = z.url({ protocol: /^https?$/ }).max(2048);
const instant = z.iso.datetime({ offset: true });
/** A short name shown in a message (a display name); never an email address or health data. */
const personName = z.string().min(1).max(100);
/** An address shown masked (`j***@example.com`) in a notice to another address. */
const maskedEmail = z.string().min(3).max(320);

/** Every template and the parameters it takes. One template per message; one file per template in the service. */
export const NOTIFICATION_TEMPLATES = {
  /** Auth, on sign-up and on "send the link again": confirm the address. */
  email_verification: z.object({ verifyUrl: appLink, expiresAt: instant }),
  /** Auth, on a reset request for a known address. */
  password_reset: z.object({ resetUrl: appLink, expiresAt: instant }),
  /** Auth, to the NEW address when a change of email is requested. */
  email_change_confirm: z.object({ confirmUrl: appLink, expiresAt: instant }),
  /** Auth, to the OLD address when a change is requested: with a "this wasn't me" link that locks the change. */
  email_change_requested: z.object({ newEmail: maskedEmail, reportUrl: appLink, requestedAt: instant }),
  /** Auth, to the OLD address when the change completes. */
  email_change_completed: z.object({ newEmail: maskedEmail, reportUrl: appLink, changedAt: instant }),
  /** Auth, after a password change or a reset. */
  password_changed: z.object({ changedAt: instant, reportUrl: appLink }),
  mfa_enabled: z.object({ at: instant, securityUrl: appLink }),
  mfa_disabled: z.object({ at: instant, securityUrl: appLink }),
  recovery_codes_regenerated: z.object({ at: instant, securityUrl: appLink }),
  /** Auth: a recovery code was used to sign in. */
  recovery_code_used: z.object({
    at: instant,
    remaining: z.number().int().min(0).max(100),
    securityUrl: appLink,
  }),
  /** Auth: a TOTP code was presented a second time (someone may have it). */
  totp_code_replayed: z.object({ at: instant, securityUrl: appLink }),
  /** Auth: a sign-in from a user-agent family or /64 network new for this account (if the user has not turned it off). */
  new_device_sign_in: z.object({
    at: instant,
    /** The browser and OS family, e.g. "Firefox on Linux". */
    device: z.string().min(1).max(120),
    securityUrl: appLink,
  }),
  /** Tracking, to the invitee's address: works for new and existing accounts. */
  trainer_invitation: z.object({ trainerName: personName, acceptUrl: appLink, expiresAt: instant }),
  /** Tracking, to the trainer when an invitation is accepted. */
  trainer_invitation_accepted: z.object({ clientName: personName, clientUrl: appLink }),
  /** Billing: the plan changed (subscribed, changed, canceled or restored after a late payment). */
  plan_changed: z.object({
    oldPlan: z.enum(PLAN_NAMES),
    newPlan: z.enum(PLAN_NAMES),
    reason: z.enum(['subscribed', 'changed', 'canceled', 'payment_recovered']),
    billingUrl: appLink,
  }),
  /** Billing: a payment failed; the plan stays until `graceUntil`. */
  payment_failed: z.object({ plan: z.enum(PLAN_NAMES), graceUntil: instant, billingUrl: appLink }),
  /** Billing: the grace period ran out and the account is on the free plan. */
  plan_downgraded: z.object({ oldPlan: z.enum(PLAN_NAMES), billingUrl: appLink }),
  /** Privacy: an export is ready to download until `expiresAt`. */
  data_export_ready: z.object({ downloadUrl: appLink, expiresAt: instant }),
  /** Privacy: the account will be erased at `scheduledFor` unless the user cancels. */
  account_deletion_scheduled: z.object({ scheduledFor: instant, cancelUrl: appLink }),
  /** Privacy: the erasure finished. Sent to the address, since the account no longer exists. */
  account_deletion_completed: z.object({ completedAt: instant }),
} as const;

export type NotificationTemplate = keyof typeof NOTIFICATION_TEMPLATES;
export const NOTIFICATION_TEMPLATE_NAMES = Object.keys(NOTIFICATION_TEMPLATES) as [
  NotificationTemplate,
  ...NotificationTemplate[],
];
export type NotificationParams<T extends NotificationTemplate> = z.infer<(typeof NOTIFICATION_TEMPLATES)[T]>;

/** Who gets it: an account (the service looks its address up in auth) or, where there is no account yet or any more, an address. */
export const notificationRecipientSchema = z.union([
  z.object({ userId: z.uuid() }).strict(),
  z.object({ email: z.email().max(320) }).strict(),
]);
export type NotificationRecipient = z.infer<typeof notificationRecipientSchema>;

/** The body of `notification.requested`. `params` is checked against the template's own schema. */
export const notificationRequestedSchema = z
  .object({
    template: z.enum(NOTIFICATION_TEMPLATE_NAMES),
    recipient: notificationRecipientSchema,
    /** en-NZ unless the person chose en-AU; only dates and spelling differ. */
    locale: z.enum(['en-NZ', 'en-AU']).default('en-NZ'),
    params: z.record(z.string(), z.unknown()),
  })
  .superRefine((body, ctx) => {
    const parsed = NOTIFICATION_TEMPLATES[body.template].safeParse(body.params);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        ctx.addIssue({ code: 'custom', path: ['params', ...issue.path.map(String)], message: issue.message });
      }
    }
  });
export type NotificationRequested = z.infer<typeof notificationRequestedSchema>;

/** The event type on `notifications.requested.v1`. */
export const NOTIFICATION_REQUESTED = 'notification.requested';

/** A typed request, for emitters: `notificationRequest('password_reset', { email }, { resetUrl, expiresAt })`. */
export function notificationRequest<T extends NotificationTemplate>(
  template: T,
  recipient: NotificationRecipient,
  params: NotificationParams<T>,
  locale: 'en-NZ' | 'en-AU' = 'en-NZ',
): NotificationRequested {
  return notificationRequestedSchema.parse({ template, recipient, locale, params });
}

/** `j***@example.com`: enough for the owner to recognise, not enough to harvest. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email[0]}***${email.slice(at)}`;
}
