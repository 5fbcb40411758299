import type { NotificationParams, NotificationTemplate } from '@tracking/contracts';
import type { ReactElement } from 'react';

export type Locale = 'en-NZ' | 'en-AU';

/** One message: its subject line and its body, typed by the contract's parameters. */
export interface MailTemplate<T extends NotificationTemplate> {
  subject: (params: NotificationParams<T>) => string;
  Body: (props: { params: NotificationParams<T>; locale: Locale }) => ReactElement;
}
