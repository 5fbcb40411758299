// @jsxRuntime automatic
import { SecurityNotice } from './security-notice';
import type { MailTemplate } from './template';

export const mfaEnabled: MailTemplate<'mfa_enabled'> = {
  subject: () => 'Two-step sign-in is on',
  Body: ({ params, locale }) => (
    <SecurityNotice
      heading="Two-step sign-in is on"
      what="Two-step sign-in with an authenticator app was turned on for your account."
      at={params.at}
      securityUrl={params.securityUrl}
      locale={locale}
    />
  ),
};
