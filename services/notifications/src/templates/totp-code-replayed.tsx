// @jsxRuntime automatic
import { SecurityNotice } from './security-notice';
import type { MailTemplate } from './template';

export const totpCodeReplayed: MailTemplate<'totp_code_replayed'> = {
  subject: () => 'Someone reused one of your sign-in codes',
  Body: ({ params, locale }) => (
    <SecurityNotice
      heading="Someone reused one of your sign-in codes"
      what="A code from your authenticator app was used a second time and refused. Someone may know your password and have seen a code."
      at={params.at}
      securityUrl={params.securityUrl}
      locale={locale}
    />
  ),
};
