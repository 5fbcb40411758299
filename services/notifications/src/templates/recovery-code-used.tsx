// @jsxRuntime automatic
import { SecurityNotice } from './security-notice';
import type { MailTemplate } from './template';

export const recoveryCodeUsed: MailTemplate<'recovery_code_used'> = {
  subject: () => 'A recovery code was used to sign in',
  Body: ({ params, locale }) => (
    <SecurityNotice
      heading="A recovery code was used to sign in"
      what={`Someone signed in to your account with one of its recovery codes. ${
        params.remaining === 1 ? '1 code is' : `${String(params.remaining)} codes are`
      } left.`}
      at={params.at}
      securityUrl={params.securityUrl}
      locale={locale}
    />
  ),
};
