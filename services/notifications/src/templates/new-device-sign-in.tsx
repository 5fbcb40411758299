// @jsxRuntime automatic
import { SecurityNotice } from './security-notice';
import type { MailTemplate } from './template';

export const newDeviceSignIn: MailTemplate<'new_device_sign_in'> = {
  subject: () => 'A sign-in from a new device',
  Body: ({ params, locale }) => (
    <SecurityNotice
      heading="A sign-in from a new device"
      what={`Your account was signed in to from a device or network it has not used before (${params.device}).`}
      at={params.at}
      securityUrl={params.securityUrl}
      locale={locale}
    />
  ),
};
