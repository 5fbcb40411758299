// @jsxRuntime automatic
import { SecurityNotice } from './security-notice';
import type { MailTemplate } from './template';

export const mfaDisabled: MailTemplate<'mfa_disabled'> = {
  subject: () => 'Two-step sign-in was turned off',
  Body: ({ params, locale }) => (
    <SecurityNotice
      heading="Two-step sign-in was turned off"
      what="Two-step sign-in was turned off for your account, so a password alone now signs in."
      at={params.at}
      securityUrl={params.securityUrl}
      locale={locale}
    />
  ),
};
