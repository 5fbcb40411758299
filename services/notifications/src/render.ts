import { render, toPlainText } from '@react-email/render';
import { NOTIFICATION_TEMPLATES } from '@tracking/contracts';
import type { NotificationParams, NotificationRequested, NotificationTemplate } from '@tracking/contracts';
import { createElement } from 'react';

import { TEMPLATES } from './templates';
import type { Locale, MailTemplate } from './templates';

export interface RenderedMail {
  subject: string;
  html: string;
  text: string;
}

/** Renders one validated request: the subject, the HTML part and, from the same HTML, the text part. */
export async function renderMail(request: NotificationRequested): Promise<RenderedMail> {
  // The request was checked against the template's schema; parsing again gives the typed value.
  const params = NOTIFICATION_TEMPLATES[request.template].parse(
    request.params,
  ) as NotificationParams<NotificationTemplate>;
  return renderTemplate(request.template, params, request.locale);
}

export async function renderTemplate<T extends NotificationTemplate>(
  template: T,
  params: NotificationParams<T>,
  locale: Locale,
): Promise<RenderedMail> {
  const message = TEMPLATES[template] as MailTemplate<T>;
  const html = await render(createElement(message.Body, { params, locale }));
  // Links are written out after their text ("Choose a new password [https://…]"), so the text
  // part works in a client that shows no HTML; the preheader is left out of it.
  const text = toPlainText(html);
  return { subject: message.subject(params), html, text };
}
