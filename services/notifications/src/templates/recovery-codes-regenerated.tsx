// @jsxRuntime automatic
import { SecurityNotice } from './security-notice';
import type { MailTemplate } from './template';

export const recoveryCodesRegenerated: MailTemplate<'recovery_codes_regenerated'> = {
  subject: () => 'New recovery codes were made',
  Body: ({ params, locale }) => (
    <SecurityNotice
      heading="New recovery codes were made"
      what="New recovery codes were made for your account; the old ones no longer work."
      at={params.at}
      securityUrl={params.securityUrl}
      locale={locale}
    />
  ),
};
